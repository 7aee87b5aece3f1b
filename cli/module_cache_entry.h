// One file of the module cache (module_cache.h): the files a compile took, each with a digest of
// what it read, and the module it made. Its first bytes are a SHA-256 of the rest, so that a file
// cut short or changed is not taken for an entry.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pvm::cli {

struct ModuleCacheEntry {
  // As compiler::SourceUsed, with the digest of the text in place of the text.
  struct Source {
    std::string from;
    std::string name;
    std::string path;
    std::string canonical;
    std::optional<std::string> digest;  // SHA-256 of what was read; none when nothing was
  };
  std::vector<Source> sources;
  std::string module;  // bc::serialize's bytes
};

// "PVMMOD1\n", the SHA-256 of the rest, the sources, then the module.
std::string encode_entry(const ModuleCacheEntry& entry);
// False when `bytes` are not a whole entry of this format (cut short, changed, another version).
bool decode_entry(std::string_view bytes, ModuleCacheEntry& out);

}  // namespace pvm::cli
