#include "escapes.h"

#include <cstring>

namespace pvm::detail {

EscapeTable::EscapeTable(uint8_t delimiter, const std::vector<bc::Escape>& escapes)
    : delimiter_(delimiter), escapes_(&escapes) {
  sequence_of_.fill(-1);
  for (size_t k = 0; k < escapes.size(); ++k) {
    sequence_of_[escapes[k].byte] = static_cast<int16_t>(k);
    lead_[static_cast<uint8_t>(escapes[k].sequence[0])] = true;
  }
}

size_t EscapeTable::unescape(std::span<const uint8_t> in, uint8_t* out, EscapeMap* map, uint32_t base) const {
  size_t n = 0;
  for (size_t i = 0; i < in.size();) {
    if (lead_[in[i]]) {
      // The verifier saw to it that no sequence starts another, so at most one matches.
      const bc::Escape* hit = nullptr;
      for (const bc::Escape& e : *escapes_) {
        const size_t len = e.sequence.size();
        if (len <= in.size() - i && std::memcmp(e.sequence.data(), in.data() + i, len) == 0) hit = &e;
      }
      if (hit != nullptr) {
        if (map != nullptr)
          map->emplace_back(base + static_cast<uint32_t>(n), static_cast<uint32_t>(hit->sequence.size() - 1));
        out[n++] = hit->byte;
        i += hit->sequence.size();
        continue;
      }
    }
    out[n++] = in[i++];
  }
  return n;
}

size_t EscapeTable::escaped_size(std::span<const uint8_t> in) const {
  size_t n = 0;
  for (uint8_t b : in)
    n += sequence_of_[b] < 0 ? 1 : (*escapes_)[static_cast<size_t>(sequence_of_[b])].sequence.size();
  return n;
}

void EscapeTable::escape(std::span<const uint8_t> in, uint8_t* out) const {
  for (uint8_t b : in) {
    if (sequence_of_[b] < 0) {
      *out++ = b;
      continue;
    }
    const std::string& s = (*escapes_)[static_cast<size_t>(sequence_of_[b])].sequence;
    std::memcpy(out, s.data(), s.size());
    out += s.size();
  }
}

Escapes::Escapes(const bc::Module& m) {
  by_delimiter.fill(-1);
  tables.reserve(m.delimited.size() + m.escape_tables.size());
  for (const bc::Delimited& d : m.delimited) {
    by_delimiter[d.delimiter] = static_cast<int16_t>(tables.size());
    tables.emplace_back(d.delimiter, d.escapes);
  }
  named_base = tables.size();
  for (const bc::NamedEscapes& t : m.escape_tables) tables.emplace_back(0, t.escapes);
}

std::string byte_hex(uint8_t b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return std::string("0x") + kDigits[b >> 4] + kDigits[b & 15];
}

void escape_inner(const EscapeTable& table, std::vector<uint8_t>& message, std::vector<uint8_t>& scratch) {
  if (message.size() < 3) return;
  const std::span<const uint8_t> inner(message.data() + 1, message.size() - 2);
  const size_t n = table.escaped_size(inner);
  if (n == inner.size()) return;
  scratch.resize(n + 2);
  scratch.front() = message.front();
  table.escape(inner, scratch.data() + 1);
  scratch.back() = message.back();
  message.swap(scratch);
}

uint64_t wire_offset(const EscapeMap& map, uint64_t offset) {
  uint64_t extra = 0;
  for (const auto& [at, saved] : map) {
    if (at >= offset) break;
    extra += saved;
  }
  return offset + extra;
}

}  // namespace pvm::detail
