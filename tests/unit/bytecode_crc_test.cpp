// The CRC catalogue against its published check values and a real tracker frame.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pvm/bytecode/module.h"

namespace {

using pvm::bc::Crc;

uint64_t crc_of(Crc c, std::string_view text) {
  return pvm::bc::crc_compute(c, reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

std::vector<uint8_t> from_hex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

}  // namespace

TEST_CASE("every crc.def row gives its check value for \"123456789\"") {
  struct Row {
    Crc crc;
    std::string_view name;
    uint64_t check;
  };
  static constexpr Row kRows[] = {
#define X(name, asm_name, width, poly, init, refin, refout, xorout, check) {Crc::name, asm_name, check},
#include "pvm/bytecode/crc.def"
#undef X
  };
  static_assert(std::size(kRows) == pvm::bc::kCrcCount);
  for (const Row& row : kRows) {
    CAPTURE(row.name);
    CHECK(crc_of(row.crc, "123456789") == row.check);
    CHECK(pvm::bc::crc_name(row.crc) == row.name);
    Crc back{};
    REQUIRE(pvm::bc::crc_from_name(row.name, back));
    CHECK(back == row.crc);
  }
}

TEST_CASE("arc of 123456789 is 0xBB3D") {
  CHECK(crc_of(Crc::Arc, "123456789") == 0xBB3D);
}

TEST_CASE("empty input gives the initial register after the final xor") {
  CHECK(crc_of(Crc::Arc, "") == 0);
  CHECK(crc_of(Crc::Modbus, "") == 0xFFFF);
  CHECK(crc_of(Crc::X25, "") == 0);
  CHECK(crc_of(Crc::CcittFalse, "") == 0xFFFF);
  CHECK(crc_of(Crc::Crc32, "") == 0);
  CHECK(crc_of(Crc::Xor8, "") == 0);
  CHECK(crc_of(Crc::Sum8, "") == 0);
}

TEST_CASE("a longer input exercises every table entry path") {
  CHECK(crc_of(Crc::Crc32, "The quick brown fox jumps over the lazy dog") == 0x414FA339);
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  CHECK(crc_of(Crc::Xor8, all) == 0);
  CHECK(crc_of(Crc::Sum8, all) == (255 * 256 / 2) % 256);
}

TEST_CASE("Teltonika codec 8: CRC-16/ARC over the data field is the frame's CRC") {
  // The one-record codec 8 example of Teltonika's documentation, from the codec id to the record count.
  const std::vector<uint8_t> data = from_hex(
      "0801"
      "0000016B40D8EA30"
      "01"
      "00000000"
      "00000000"
      "0000"
      "0000"
      "00"
      "0000"
      "0105"
      "021503"
      "0101"
      "01425E0F"
      "01F10000601A"
      "014E0000000000000000"
      "01");
  REQUIRE(data.size() == 0x36);
  CHECK(pvm::bc::crc_compute(Crc::Arc, data.data(), data.size()) == 0xC7CF);
}

// The Rocksoft model bit by bit, with no tables: what the sliced loops must agree with at every
// length (the 8-byte steps and the byte tail) and every alignment.
uint64_t bitwise_crc(unsigned width, uint32_t poly, uint32_t init, bool refin, bool refout, uint32_t xorout,
                     const uint8_t* data, size_t n) {
  const uint64_t top = uint64_t{1} << (width - 1), all = (top << 1) - 1;
  uint64_t r = init;
  for (size_t i = 0; i < n; ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      const bool in = refin ? (data[i] >> bit) & 1 : (data[i] >> (7 - bit)) & 1;
      const bool out = (r & top) != 0;
      r = (r << 1) & all;
      if (in != out) r ^= poly;
    }
  }
  if (refout) {
    uint64_t f = 0;
    for (unsigned b = 0; b < width; ++b) f |= ((r >> b) & 1) << (width - 1 - b);
    r = f;
  }
  return (r ^ xorout) & all;
}

TEST_CASE("every CRC row agrees with a bit-by-bit CRC at every length and alignment") {
  struct Row {
    Crc crc;
    std::string_view name;
    unsigned width;
    uint32_t poly, init;
    bool refin, refout;
    uint32_t xorout;
  };
  static constexpr Row kRows[] = {
#define X(name, asm_name, width, poly, init, refin, refout, xorout, check) \
  {Crc::name, asm_name, width, poly, init, refin, refout, xorout},
#include "pvm/bytecode/crc.def"
#undef X
  };
  std::vector<uint8_t> bytes(64 + 8);
  uint32_t seed = 12345;
  for (uint8_t& b : bytes) b = static_cast<uint8_t>((seed = seed * 1103515245 + 12345) >> 16);
  for (const Row& row : kRows) {
    if (row.width == 0) continue;
    CAPTURE(row.name);
    for (size_t start = 0; start < 8; ++start) {
      for (size_t n = 0; n <= 64; ++n) {
        CAPTURE(start);
        CAPTURE(n);
        const uint8_t* p = bytes.data() + start;
        REQUIRE(pvm::bc::crc_compute(row.crc, p, n) ==
                bitwise_crc(row.width, row.poly, row.init, row.refin, row.refout, row.xorout, p, n));
      }
    }
  }
}

TEST_CASE("crc names that are not in the catalogue") {
  Crc c{};
  CHECK_FALSE(pvm::bc::crc_from_name("crc64", c));
  CHECK_FALSE(pvm::bc::crc_from_name("", c));
  CHECK_FALSE(pvm::bc::crc_from_name("ARC", c));
}
