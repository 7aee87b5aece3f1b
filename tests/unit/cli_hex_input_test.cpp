#include <doctest/doctest.h>

#include "hex_input.h"

using pvm::cli::parse_hex_lines;

TEST_CASE("hex input: one chunk per line, blanks and comments skipped") {
  std::vector<std::vector<uint8_t>> chunks;
  std::string error;
  REQUIRE(parse_hex_lines("# a capture\n000F 3335\n\n  0a0B\t0c # trailing note\n#\nff", "c.hex", 1, chunks,
                          error));
  REQUIRE(chunks.size() == 3);
  CHECK(chunks[0] == std::vector<uint8_t>{0x00, 0x0f, 0x33, 0x35});
  CHECK(chunks[1] == std::vector<uint8_t>{0x0a, 0x0b, 0x0c});
  CHECK(chunks[2] == std::vector<uint8_t>{0xff});
}

TEST_CASE("hex input: each chunk's line number, counted from the first line given") {
  std::vector<std::vector<uint8_t>> chunks;
  std::vector<uint32_t> lines;
  std::string error;
  REQUIRE(parse_hex_lines("# a capture\n00\n\n01 # note\n", "t.pvmtest", 40, chunks, error, &lines));
  CHECK(lines == std::vector<uint32_t>{41, 43});
}

TEST_CASE("hex input: a byte may be split by blanks, CRLF line ends are fine") {
  std::vector<std::vector<uint8_t>> chunks;
  std::string error;
  REQUIRE(parse_hex_lines("0 1 2\t3\r\n45\r\n", "c.hex", 1, chunks, error));
  CHECK(chunks == std::vector<std::vector<uint8_t>>{{0x01, 0x23}, {0x45}});
}

TEST_CASE("hex input: odd digit counts and stray characters name file and line") {
  std::vector<std::vector<uint8_t>> chunks;
  std::string error;
  CHECK_FALSE(parse_hex_lines("00\n012\n", "c.hex", 1, chunks, error));
  CHECK(error == "c.hex:2: odd number of hex digits");
  error.clear();
  CHECK_FALSE(parse_hex_lines("0g\n", "t.pvmtest", 7, chunks, error));
  CHECK(error == "t.pvmtest:7: 'g' is not a hex digit (column 2)");
}
