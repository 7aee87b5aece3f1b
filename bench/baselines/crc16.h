// Reflected CRC-16s by slicing-by-8 (eight table lookups per 8 bytes), as a decoder tuned for
// speed computes them: ARC (Teltonika, Wialon IPS), KERMIT (Ruptela) and X-25 (GT06).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace pvm::baseline {

template <uint16_t kPoly>
struct Crc16Tables {
  std::array<std::array<uint16_t, 256>, 8> t{};
  constexpr Crc16Tables() {
    for (unsigned b = 0; b < 256; ++b) {
      uint16_t c = static_cast<uint16_t>(b);
      for (int k = 0; k < 8; ++k) c = static_cast<uint16_t>((c & 1) ? (c >> 1) ^ kPoly : c >> 1);
      t[0][b] = c;
    }
    for (unsigned b = 0; b < 256; ++b)
      for (int k = 1; k < 8; ++k)
        t[k][b] = static_cast<uint16_t>((t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF]);
  }
};

// `kPoly` is the reflected polynomial.
template <uint16_t kPoly>
uint16_t crc16_reflected(uint16_t crc, const uint8_t* p, size_t n) {
  static constexpr Crc16Tables<kPoly> kTables;
  const auto& t = kTables.t;
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);  // little-endian host: byte 0 in the low bits
    w ^= crc;
    crc = static_cast<uint16_t>(t[7][w & 0xFF] ^ t[6][(w >> 8) & 0xFF] ^ t[5][(w >> 16) & 0xFF] ^
                                t[4][(w >> 24) & 0xFF] ^ t[3][(w >> 32) & 0xFF] ^ t[2][(w >> 40) & 0xFF] ^
                                t[1][(w >> 48) & 0xFF] ^ t[0][w >> 56]);
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = static_cast<uint16_t>((crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF]);
  return crc;
}

inline uint16_t crc16_arc(const uint8_t* p, size_t n) {
  return crc16_reflected<0xA001>(0, p, n);
}
inline uint16_t crc16_kermit(const uint8_t* p, size_t n) {
  return crc16_reflected<0x8408>(0, p, n);
}
inline uint16_t crc16_x25(const uint8_t* p, size_t n) {
  return static_cast<uint16_t>(crc16_reflected<0x8408>(0xFFFF, p, n) ^ 0xFFFF);
}

}  // namespace pvm::baseline
