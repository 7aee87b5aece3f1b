// A directory of files kept between runs, each the compiled form of something a later run would
// otherwise compile again: the JIT's native code (vm/src/jit/jit_cache.h) and `pvm`'s compiled
// modules (cli/module_cache.h). It lives with the bytecode format because both the VM and the
// command line use it. What is read from here is used, so the directory counts only when this
// user owns it and no one else can write to it, and so do its files. A file's contents are the
// caller's: each cache checks its own before using them.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace pvm::bc {

class CacheDir {
 public:
  // Files named NAME + `extension` in `dir`; at most `max_files` kept (storing more drops the
  // ones used least recently), none larger than `max_bytes` read.
  CacheDir(std::string dir, std::string extension, size_t max_files, size_t max_bytes)
      : dir_(std::move(dir)),
        extension_(std::move(extension)),
        max_files_(max_files),
        max_bytes_(max_bytes) {}

  // Creates the directory (mode 0700) when it is missing; false with the reason when it cannot be
  // used.
  bool open(std::string& why) const;
  // The bytes stored under `name`, or nothing when there are none, the file is not this user's
  // alone or is larger than allowed.
  std::optional<std::string> load(const std::string& name) const;
  // Stores `bytes` under `name`: written to a new file, then renamed over any older one, so that a
  // reader never sees half of it. False with the reason.
  bool store(const std::string& name, std::string_view bytes, std::string& why) const;

 private:
  std::string path(const std::string& name) const { return dir_ + "/" + name + extension_; }
  void evict() const;

  std::string dir_;
  std::string extension_;
  size_t max_files_;
  size_t max_bytes_;
};

}  // namespace pvm::bc
