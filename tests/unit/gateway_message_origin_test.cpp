// server.timestamp and peer: placed after the envelope a program sets, never repeated.
#include <doctest/doctest.h>

#include <array>

#include "pvm/gateway/message_origin.h"
#include "vm_test_util.h"

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

std::string with_origin(std::span<const Field> fields, const MessageOrigin& origin) {
  OriginMembers members;
  members.set(origin);
  JsonBuffer out;
  append_json(out, Message{fields}, members.for_message(Message{fields}));
  return std::string(out.view());
}

std::string with_origin(std::span<const Field> fields) {
  return with_origin(fields, MessageOrigin{1700000000123, "10.0.0.7:40112"});
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
  CHECK(with_origin(fields, MessageOrigin{1700000000000, ""}) ==
        R"({"ident":"1","server.timestamp":1700000000.000,"peer":"set by the program"})");
  // Nothing but the envelope, and nothing at all but the origin.
  const std::array only_ident{str("ident", "1")};
  CHECK(with_origin(only_ident) ==
        R"({"ident":"1","server.timestamp":1700000000.123,"peer":"10.0.0.7:40112"})");
  CHECK(with_origin({}) == R"({"server.timestamp":1700000000.123,"peer":"10.0.0.7:40112"})");
}

TEST_CASE("gateway: a program's own server.timestamp is kept, and the peer still added") {
  const std::array fields{str("ident", "1"), num("server.timestamp", 5)};
  CHECK(with_origin(fields) == R"({"ident":"1","peer":"10.0.0.7:40112","server.timestamp":5})");
  const std::array both{num("server.timestamp", 5), str("peer", "p")};
  CHECK(with_origin(both) == R"({"server.timestamp":5,"peer":"p"})");
  // A peer that needs escaping is escaped.
  const std::array none{num("a", 1)};
  CHECK(with_origin(none, MessageOrigin{0, "a\"b"}) == R"({"server.timestamp":0.000,"peer":"a\"b","a":1})");
}

TEST_CASE("gateway: server.timestamp keeps three decimals, leading zeros and sign included") {
  const auto stamp = [](int64_t ms) { return with_origin({}, MessageOrigin{ms, ""}); };
  CHECK(stamp(1700000000005) == R"({"server.timestamp":1700000000.005})");
  CHECK(stamp(1700000000050) == R"({"server.timestamp":1700000000.050})");
  CHECK(stamp(999) == R"({"server.timestamp":0.999})");
  CHECK(stamp(-1250) == R"({"server.timestamp":-1.250})");
}

TEST_CASE("gateway: a program that cannot set server.timestamp or peer is not searched for them") {
  const std::array fields{str("ident", "1"), str("peer", "p")};
  const auto members = [&](const Program& program) {
    OriginMembers origin;
    origin.set(MessageOrigin{0, "10.0.0.7:40112"}, &program);
    return std::string(origin.for_message(Message{fields}));
  };
  // The program names "peer": the message's own is kept.
  const auto sets_peer =
      vmtest::load(vmtest::packet_module("msg.new\nlds s0, \"p\"\nset.s \"peer\", s0\nret"));
  CHECK(members(*sets_peer) == R"("server.timestamp":0.000)");
  // It names neither: its messages cannot hold them, and every message gets both, unsearched.
  const auto sets_other =
      vmtest::load(vmtest::packet_module("msg.new\nlds s0, \"p\"\nset.s \"other\", s0\nret"));
  CHECK(members(*sets_other) == R"("server.timestamp":0.000,"peer":"10.0.0.7:40112")");
}
