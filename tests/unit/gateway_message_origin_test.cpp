// server.timestamp and peer: placed after the envelope a program sets, never repeated.
#include <doctest/doctest.h>

#include <array>

#include "pvm/gateway/message_origin.h"

using namespace pvm;
using namespace pvm::gateway;

namespace {

Field str(std::string_view name, std::string_view value) {
  Field f;
  f.name = name;
  f.type = ValueType::Str;
  f.s = value;
  return f;
}

Field num(std::string_view name, int64_t value) {
  Field f;
  f.name = name;
  f.type = ValueType::Int;
  f.i = value;
  return f;
}

std::string with_origin(std::span<const Field> fields) {
  std::string out;
  append_json_with_origin(out, Message{fields}, MessageOrigin{1700000000123, "10.0.0.7:40112"});
  return out;
}

}  // namespace

TEST_CASE("gateway: server.timestamp and peer follow ident and protocol.id") {
  const std::array fields{str("ident", "356307042441013"), str("protocol.id", "teltonika"),
                          num("codec.id", 8)};
  CHECK(with_origin(fields) ==
        R"({"ident":"356307042441013","protocol.id":"teltonika","server.timestamp":1700000000.123,)"
        R"("peer":"10.0.0.7:40112","codec.id":8})");
  const std::array bare{num("codec.id", 8)};
  CHECK(with_origin(bare) == R"({"server.timestamp":1700000000.123,"peer":"10.0.0.7:40112","codec.id":8})");
}

TEST_CASE("gateway: a program's own peer is kept, not repeated") {
  const std::array fields{str("ident", "1"), str("peer", "set by the program")};
  CHECK(with_origin(fields) ==
        R"({"ident":"1","server.timestamp":1700000000.123,"peer":"set by the program"})");
  // A whole second keeps its three decimals.
  std::string out;
  append_json_with_origin(out, Message{fields}, MessageOrigin{1700000000000, ""});
  CHECK(out == R"({"ident":"1","server.timestamp":1700000000.000,"peer":"set by the program"})");
  // Nothing but the envelope, and nothing at all but the origin.
  const std::array only_ident{str("ident", "1")};
  CHECK(with_origin(only_ident) ==
        R"({"ident":"1","server.timestamp":1700000000.123,"peer":"10.0.0.7:40112"})");
  CHECK(with_origin({}) == R"({"server.timestamp":1700000000.123,"peer":"10.0.0.7:40112"})");
}

TEST_CASE("gateway: server.timestamp keeps three decimals, leading zeros and sign included") {
  const auto stamp = [](int64_t ms) {
    std::string out;
    append_json_with_origin(out, Message{}, MessageOrigin{ms, ""});
    return out;
  };
  CHECK(stamp(1700000000005) == R"({"server.timestamp":1700000000.005})");
  CHECK(stamp(1700000000050) == R"({"server.timestamp":1700000000.050})");
  CHECK(stamp(999) == R"({"server.timestamp":0.999})");
  CHECK(stamp(-1250) == R"({"server.timestamp":-1.250})");
}
