#include <doctest/doctest.h>

#include <cmath>

#include "hex_input.h"

using pvm::cli::parse_hex_lines;

TEST_CASE("hex input: one chunk per line, blanks and comments skipped") {
  std::vector<std::vector<uint8_t>> chunks;
  std::vector<double> times;
  std::string error;
  REQUIRE(parse_hex_lines("# a capture\n000F 3335\n\n  0a0B\t0c # trailing note\n#\nff", "c.hex", 1, chunks,
                          times, error));
  REQUIRE(chunks.size() == 3);
  CHECK(chunks[0] == std::vector<uint8_t>{0x00, 0x0f, 0x33, 0x35});
  CHECK(chunks[1] == std::vector<uint8_t>{0x0a, 0x0b, 0x0c});
  CHECK(chunks[2] == std::vector<uint8_t>{0xff});
  REQUIRE(times.size() == 3);
  CHECK(std::isnan(times[0]));  // no @ line: the wall clock
}

TEST_CASE("hex input: an @ line sets the receive time of the chunks after it") {
  std::vector<std::vector<uint8_t>> chunks;
  std::vector<double> times;
  std::string error;
  REQUIRE(parse_hex_lines("00\n@ 1700000000.5\n01\n02 # note\n  @1700000060 # a minute later\n03\n", "c.hex", 1,
                          chunks, times, error));
  REQUIRE(chunks.size() == 4);
  REQUIRE(times.size() == 4);
  CHECK(std::isnan(times[0]));
  CHECK(times[1] == 1700000000.5);
  CHECK(times[2] == 1700000000.5);
  CHECK(times[3] == 1700000060.0);
  CHECK_FALSE(parse_hex_lines("@ soon\n", "c.hex", 1, chunks, times, error));
  CHECK(error == "c.hex:1: '@' takes a receive time in Unix seconds, like @ 1700000000.5");
  CHECK_FALSE(parse_hex_lines("00\n@\n", "c.hex", 1, chunks, times, error));
  CHECK(error == "c.hex:2: '@' takes a receive time in Unix seconds, like @ 1700000000.5");
}

TEST_CASE("hex input: each chunk's line number, counted from the first line given") {
  std::vector<std::vector<uint8_t>> chunks;
  std::vector<double> times;
  std::vector<uint32_t> lines;
  std::string error;
  REQUIRE(parse_hex_lines("# a capture\n00\n@ 5\n01 # note\n", "t.pvmtest", 40, chunks, times, error, &lines));
  CHECK(lines == std::vector<uint32_t>{41, 43});
}

TEST_CASE("hex input: a byte may be split by blanks, CRLF line ends are fine") {
  std::vector<std::vector<uint8_t>> chunks;
  std::vector<double> times;
  std::string error;
  REQUIRE(parse_hex_lines("0 1 2\t3\r\n45\r\n", "c.hex", 1, chunks, times, error));
  CHECK(chunks == std::vector<std::vector<uint8_t>>{{0x01, 0x23}, {0x45}});
}

TEST_CASE("hex input: odd digit counts and stray characters name file and line") {
  std::vector<std::vector<uint8_t>> chunks;
  std::vector<double> times;
  std::string error;
  CHECK_FALSE(parse_hex_lines("00\n012\n", "c.hex", 1, chunks, times, error));
  CHECK(error == "c.hex:2: odd number of hex digits");
  error.clear();
  CHECK_FALSE(parse_hex_lines("0g\n", "t.pvmtest", 7, chunks, times, error));
  CHECK(error == "t.pvmtest:7: 'g' is not a hex digit (column 2)");
}
