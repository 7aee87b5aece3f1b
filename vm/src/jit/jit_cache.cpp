#include "jit_cache.h"

#include <llvm/ADT/ArrayRef.h>
#include <llvm/ADT/StringExtras.h>
#include <llvm/Support/SHA256.h>

namespace pvm::detail {
namespace {

constexpr std::string_view kMagic = "PVMJIT1\n";
constexpr size_t kHeader = kMagic.size() + 64 + 1;  // the magic, the code's digest in hex, '\n'

}  // namespace

std::string JitCache::digest(std::string_view bytes) {
  const auto d = llvm::SHA256::hash(
      llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  return llvm::toHex(d, /*LowerCase=*/true);
}

std::optional<std::string> JitCache::load(const std::string& key) const {
  const std::optional<std::string> bytes = dir_.load(key);
  if (!bytes || bytes->size() <= kHeader || bytes->compare(0, kMagic.size(), kMagic) != 0 ||
      (*bytes)[kHeader - 1] != '\n')
    return std::nullopt;
  std::string code = bytes->substr(kHeader);
  if (bytes->compare(kMagic.size(), 64, digest(code)) != 0) return std::nullopt;
  return code;
}

bool JitCache::store(const std::string& key, std::string_view code, std::string& why) const {
  std::string bytes(kMagic);
  bytes += digest(code);
  bytes += '\n';
  bytes += code;
  return dir_.store(key, bytes, why);
}

}  // namespace pvm::detail
