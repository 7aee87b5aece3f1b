// Native code the JIT compiled, kept in a directory between runs so that a program loads it instead
// of compiling again (LoadOptions::jit_cache). A file's name is the digest of everything the code
// was compiled from (jit_llvm.cpp's cache_key); its first bytes are a digest of the code itself,
// checked before the code is used, so that a file cut short or changed is compiled again. Code is
// run from here, so the directory is used only when this user owns it and no one else can write
// to it, and so are its files (bc::CacheDir).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pvm/bytecode/cache_dir.h"

namespace pvm::detail {

class JitCache {
 public:
  // Files kept at most: storing more drops the ones used least recently.
  static constexpr size_t kMaxFiles = 64;
  static constexpr size_t kMaxBytes = size_t{1} << 28;  // far above any module's code

  explicit JitCache(std::string dir) : dir_(std::move(dir), ".pvmjit", kMaxFiles, kMaxBytes) {}

  // Creates the directory (mode 0700) when it is missing; false with the reason when it cannot be
  // used.
  bool open(std::string& why) const { return dir_.open(why); }
  // The code stored under `key`, or nothing when there is none or it is not intact.
  std::optional<std::string> load(const std::string& key) const;
  // Stores `code` under `key`: written to a new file, then renamed over any older one, so that a
  // reader never sees half of it. False with the reason.
  bool store(const std::string& key, std::string_view code, std::string& why) const;

  // The SHA-256 digest of `bytes`, in hex.
  static std::string digest(std::string_view bytes);

 private:
  bc::CacheDir dir_;
};

}  // namespace pvm::detail
