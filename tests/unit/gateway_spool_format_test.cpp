// Spool records: round trip, a torn tail, damage, and the size limit at its edge.
#include <doctest/doctest.h>

#include "pvm/gateway/limits.h"
#include "spool_format.h"

using namespace pvm::gateway;

TEST_CASE("gateway: CRC-32 of the spool") {
  CHECK(crc32("123456789") == 0xCBF43926u);
}

TEST_CASE("gateway: spool records") {
  std::string file;
  REQUIRE(append_spool_record(file, "pvm/teltonika/1", "{\"a\":1}"));
  REQUIRE(append_spool_record(file, "t", ""));
  std::string_view topic, payload;
  size_t size = 0;
  REQUIRE(parse_spool_record(file, topic, payload, size) == SpoolRead::Record);
  CHECK(topic == "pvm/teltonika/1");
  CHECK(payload == "{\"a\":1}");
  CHECK(size == kSpoolRecordHeader + 2 + 15 + 7);
  const std::string_view rest = std::string_view(file).substr(size);
  REQUIRE(parse_spool_record(rest, topic, payload, size) == SpoolRead::Record);
  CHECK(topic == "t");
  CHECK(payload.empty());

  // A crash in the middle of a write leaves a record that only needs more bytes.
  CHECK(parse_spool_record(rest.substr(0, 3), topic, payload, size) == SpoolRead::NeedMore);
  CHECK(size == kSpoolRecordHeader);
  CHECK(parse_spool_record(rest.substr(0, rest.size() - 1), topic, payload, size) == SpoolRead::NeedMore);
  CHECK(size == rest.size());

  std::string damaged = file;
  damaged[kSpoolRecordHeader + 3] ^= 1;
  CHECK(parse_spool_record(damaged, topic, payload, size) == SpoolRead::Corrupt);
  CHECK(parse_spool_record(std::string(8, '\xff'), topic, payload, size) == SpoolRead::Corrupt);
}

TEST_CASE("gateway: spool record size limit") {
  std::string out;
  const std::string topic = "t";
  const std::string fits(kMaxSpoolRecord - 2 - topic.size(), 'x');
  REQUIRE(append_spool_record(out, topic, fits));
  std::string_view t, p;
  size_t size = 0;
  CHECK(parse_spool_record(out, t, p, size) == SpoolRead::Record);
  CHECK(p.size() == fits.size());
  std::string more;
  CHECK_FALSE(append_spool_record(more, topic, fits + "x"));
  CHECK(more.empty());
}
