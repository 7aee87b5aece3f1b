#include "module_cache_entry.h"

#include <cstdint>

#include "sha256.h"

namespace pvm::cli {
namespace {

constexpr std::string_view kMagic = "PVMMOD1\n";
constexpr size_t kDigestBytes = 32;
constexpr uint32_t kMaxSources = 4096;  // far above the files any protocol uses

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) out += static_cast<char>((v >> shift) & 0xff);
}

void put_text(std::string& out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out += s;
}

// Reads the body of an entry front to back; every read fails once one ran past the end.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}

  bool u32(uint32_t& v) {
    if (rest_.size() < 4) return false;
    v = 0;
    for (int k = 3; k >= 0; --k) v = v << 8 | static_cast<uint8_t>(rest_[k]);
    rest_.remove_prefix(4);
    return true;
  }
  bool bytes(size_t n, std::string& out) {
    if (rest_.size() < n) return false;
    out.assign(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return true;
  }
  bool text(std::string& out) {
    uint32_t n = 0;
    return u32(n) && bytes(n, out);
  }
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

}  // namespace

std::string encode_entry(const ModuleCacheEntry& entry) {
  std::string body;
  put_u32(body, static_cast<uint32_t>(entry.sources.size()));
  for (const auto& s : entry.sources) {
    for (const std::string* text : {&s.from, &s.name, &s.path, &s.canonical}) put_text(body, *text);
    body += s.digest ? '\1' : '\0';
    if (s.digest) body += *s.digest;
  }
  body += entry.module;
  return std::string(kMagic) + sha256(body) + body;
}

bool decode_entry(std::string_view bytes, ModuleCacheEntry& out) {
  const size_t header = kMagic.size() + kDigestBytes;
  if (bytes.size() < header || bytes.substr(0, kMagic.size()) != kMagic) return false;
  const std::string_view body = bytes.substr(header);
  if (sha256(body) != bytes.substr(kMagic.size(), kDigestBytes)) return false;
  Reader r(body);
  uint32_t count = 0;
  if (!r.u32(count) || count > kMaxSources) return false;
  out.sources.assign(count, {});
  for (auto& s : out.sources) {
    std::string read;
    for (std::string* text : {&s.from, &s.name, &s.path, &s.canonical})
      if (!r.text(*text)) return false;
    if (!r.bytes(1, read)) return false;
    if (read[0] == '\1') {
      s.digest.emplace();
      if (!r.bytes(kDigestBytes, *s.digest)) return false;
    } else if (read[0] != '\0') {
      return false;
    }
  }
  out.module.assign(r.rest());
  return true;
}

}  // namespace pvm::cli
