// The CRC catalogue of crc.def: a generic Rocksoft-model CRC for widths 8, 16 and 32, plus the
// width-0 rows, which are the simple checksums some trackers use instead (xor8, sum8).
#include <array>
#include <cstdint>
#include <string_view>

#include "pvm/bytecode/module.h"

namespace pvm::bc {
namespace {

struct CrcSpec {
  std::string_view name;
  unsigned width;  // 0: not a CRC, see checksum()
  uint32_t poly;
  uint32_t init;
  bool refin;
  bool refout;
  uint32_t xorout;
};

constexpr CrcSpec kSpecs[] = {
#define X(name, asm_name, width, poly, init, refin, refout, xorout, check) \
  {asm_name, width, poly, init, refin, refout, xorout},
#include "pvm/bytecode/crc.def"
#undef X
};
static_assert(std::size(kSpecs) == kCrcCount);

uint32_t reflect(uint32_t v, unsigned width) {
  uint32_t r = 0;
  for (unsigned i = 0; i < width; ++i, v >>= 1) r = (r << 1) | (v & 1);
  return r;
}

uint32_t mask(unsigned width) {
  return width == 32 ? 0xFFFFFFFFu : (1u << width) - 1;
}

using Table = std::array<uint32_t, 256>;

// The register after feeding one byte into an all-zero register, for every byte value. A
// reflected CRC shifts right with the reflected polynomial, so its table is indexed by the
// low byte; a plain one shifts left and is indexed by the top byte.
Table make_table(const CrcSpec& s) {
  Table t{};
  if (s.width == 0) return t;
  const uint32_t top = 1u << (s.width - 1);
  const uint32_t rpoly = reflect(s.poly, s.width);
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t r = s.refin ? b : b << (s.width - 8);
    for (int k = 0; k < 8; ++k) {
      if (s.refin) {
        r = (r & 1) ? (r >> 1) ^ rpoly : r >> 1;
      } else {
        r = (r & top) ? (r << 1) ^ s.poly : r << 1;
      }
    }
    t[b] = r & mask(s.width);
  }
  return t;
}

const Table& table(size_t i) {
  static const auto tables = [] {
    std::array<Table, kCrcCount> all{};
    for (size_t k = 0; k < kCrcCount; ++k) all[k] = make_table(kSpecs[k]);
    return all;
  }();
  return tables[i];
}

uint64_t checksum(Crc c, const uint8_t* data, size_t n) {
  uint8_t acc = 0;
  for (size_t i = 0; i < n; ++i) acc = c == Crc::Xor8 ? acc ^ data[i] : static_cast<uint8_t>(acc + data[i]);
  return acc;
}

}  // namespace

std::string_view crc_name(Crc c) {
  const auto i = static_cast<size_t>(c);
  return i < kCrcCount ? kSpecs[i].name : std::string_view();
}

bool crc_from_name(std::string_view name, Crc& out) {
  for (size_t i = 0; i < kCrcCount; ++i) {
    if (kSpecs[i].name == name) {
      out = static_cast<Crc>(i);
      return true;
    }
  }
  return false;
}

uint64_t crc_compute(Crc c, const uint8_t* data, size_t n) {
  const auto i = static_cast<size_t>(c);
  if (i >= kCrcCount) return 0;
  const CrcSpec& s = kSpecs[i];
  if (s.width == 0) return checksum(c, data, n);
  const Table& t = table(i);
  const uint32_t m = mask(s.width);
  // The register is kept in the orientation the table was built for.
  uint32_t r = s.refin ? reflect(s.init, s.width) : s.init;
  for (size_t k = 0; k < n; ++k) {
    if (s.refin) {
      r = (r >> 8) ^ t[(r ^ data[k]) & 0xFF];
    } else {
      r = ((r << 8) ^ t[((r >> (s.width - 8)) ^ data[k]) & 0xFF]) & m;
    }
  }
  if (s.refin != s.refout) r = reflect(r, s.width);
  return (r ^ s.xorout) & m;
}

}  // namespace pvm::bc
