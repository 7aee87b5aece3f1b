#include "spool_format.h"

#include <array>
#include <cstring>

#include "pvm/gateway/limits.h"

namespace pvm::gateway {
namespace {

// CRC-32 (ISO-HDLC, as zlib): reflected polynomial 0xEDB88320.
constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr auto kTable = make_table();

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>(v >> (8 * i) & 0xFF);
}

uint32_t get_u32(std::string_view s) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(s[static_cast<size_t>(i)]);
  return v;
}

}  // namespace

uint32_t crc32(std::string_view data) {
  uint32_t c = 0xFFFFFFFFu;
  for (char ch : data) c = kTable[(c ^ static_cast<uint8_t>(ch)) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

bool append_spool_record(std::string& out, std::string_view topic, std::string_view payload) {
  const size_t body = 2 + topic.size() + payload.size();
  if (topic.size() > 0xFFFF || body > kMaxSpoolRecord) return false;
  const size_t start = out.size();
  put_u32(out, static_cast<uint32_t>(body));
  put_u32(out, 0);
  out += static_cast<char>(topic.size() & 0xFF);
  out += static_cast<char>(topic.size() >> 8);
  out += topic;
  out += payload;
  const uint32_t crc = crc32(std::string_view(out).substr(start + kSpoolRecordHeader));
  for (int i = 0; i < 4; ++i)
    out[start + 4 + static_cast<size_t>(i)] = static_cast<char>(crc >> (8 * i) & 0xFF);
  return true;
}

SpoolRead parse_spool_record(std::string_view data, std::string_view& topic, std::string_view& payload,
                             size_t& size) {
  if (data.size() < kSpoolRecordHeader) {
    size = kSpoolRecordHeader;
    return SpoolRead::NeedMore;
  }
  const uint32_t body = get_u32(data);
  if (body < 2 || body > kMaxSpoolRecord) return SpoolRead::Corrupt;
  size = kSpoolRecordHeader + body;
  if (data.size() < size) return SpoolRead::NeedMore;
  const std::string_view b = data.substr(kSpoolRecordHeader, body);
  if (crc32(b) != get_u32(data.substr(4))) return SpoolRead::Corrupt;
  const size_t tlen = static_cast<uint8_t>(b[0]) | static_cast<size_t>(static_cast<uint8_t>(b[1])) << 8;
  if (2 + tlen > body) return SpoolRead::Corrupt;
  topic = b.substr(2, tlen);
  payload = b.substr(2 + tlen);
  return SpoolRead::Record;
}

}  // namespace pvm::gateway
