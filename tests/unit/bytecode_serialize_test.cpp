// The .pvmc format: the documented layout, exact round trips, and rejection of every kind of
// damaged or hostile input with a message that says what and where.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "pvm/bytecode/serialize.h"

namespace {

using namespace pvm::bc;

// Hand-encodes .pvmc bytes, independently of serialize(), to pin the documented layout.
struct Bytes {
  std::vector<uint8_t> b;
  Bytes& u8(uint8_t v) {
    b.push_back(v);
    return *this;
  }
  Bytes& le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Bytes& u16(uint16_t v) { return le(v, 2); }
  Bytes& u32(uint32_t v) { return le(v, 4); }
  Bytes& u64(uint64_t v) { return le(v, 8); }
  Bytes& str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& start() {
    b = {'P', 'V', 'M', 'C'};
    return u32(kFormatVersion);
  }
  std::vector<uint8_t> sealed() const { return seal(b); }
  static std::vector<uint8_t> seal(std::vector<uint8_t> v) {
    const auto crc = static_cast<uint32_t>(crc_compute(Crc::Crc32, v.data(), v.size()));
    for (int i = 0; i < 4; ++i) v.push_back(static_cast<uint8_t>(crc >> (8 * i)));
    return v;
  }
};

// Replaces the trailing checksum so that only the structure is wrong.
std::vector<uint8_t> reseal(std::vector<uint8_t> v) {
  v.resize(v.size() - 4);
  return Bytes::seal(std::move(v));
}

void put_u32(std::vector<uint8_t>& v, size_t at, uint32_t x) {
  for (int i = 0; i < 4; ++i) v[at + i] = static_cast<uint8_t>(x >> (8 * i));
}

Module sample() {
  Module m;
  m.strings = {"teltonika", "t.pvm", "ident", "extended", "packet.tcp", "text", "u32 $length", "hi", ""};
  m.protocol = 0;
  m.source = 1;
  m.ints = {12, -1, std::numeric_limits<int64_t>::min()};
  m.floats = {2.5, -0.0, std::numeric_limits<double>::infinity()};
  m.session = {{2, RegClass::Str}, {5, RegClass::Int}};
  m.options = {{3, RegClass::Bool, 1, 0}, {7, RegClass::Str, 0, 8}};
  Function f;
  f.name = 4;
  f.reg_count = {2, 1, 0, 1, 1, 0};
  f.params = {{5, 3}};
  f.code = {static_cast<uint32_t>(Op::LdK), 0, 0, static_cast<uint32_t>(Op::Switch), 0, 0,
            static_cast<uint32_t>(Op::Ret)};
  f.tables = {{{{-3, 6}, {8, 6}}, 6, 0, {}}};
  f.lines = {{0, 12, 5, 6, 0, 0}, {3, 13, 1, 7, 1, 2}};
  f.sites = {{0, 40, 3, 0}, {1, 7, 9, 1}};
  m.files = {5};
  m.delimited = {{0x7e, {{"\x7d\x01", 0x7d}, {"\x7d\x02", 0x7e}}}};
  m.escape_tables = {{"STAR", {{"\x7d\x01", 0x7d}, {"\x7d\x05", 0x2a}}}};
  m.functions = {f, f};
  m.functions[1].lines.clear();
  m.functions[1].sites.clear();
  return m;
}

bool load(const std::vector<uint8_t>& bytes, std::string& error) {
  Module m;
  error.clear();
  const bool ok = deserialize(bytes, m, error);
  if (!ok) CHECK_FALSE(error.empty());
  return ok;
}

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("serialize writes the documented layout") {
  Module m;
  m.strings = {"p", ""};
  m.protocol = 0;
  m.source = 1;
  m.ints = {-2};
  m.floats = {1.5};
  m.session = {{0, RegClass::Str}};
  m.options = {{0, RegClass::Int, 7, 0}};
  Function f;
  f.name = 0;
  f.reg_count = {1, 2, 3, 4, 5, 6};
  f.params = {{1, 20}};
  f.code = {static_cast<uint32_t>(Op::Ret)};
  f.tables = {{{{5, 0}}, 0, 0, {}}};
  f.lines = {{0, 9, 3, 1, 1, 1}};
  f.sites = {{0, 4, 2, 0}};
  m.files = {0};
  m.delimited = {{0x7e, {{"\x7d\x02", 0x7e}}}};
  m.escape_tables = {{"S", {{"\x7d\x01", 0x7d}}}};
  m.functions = {f};

  Bytes want;
  want.start().u32(0).u32(1);
  want.u32(2).str("p").str("");
  want.u32(1).u64(static_cast<uint64_t>(-2));
  want.u32(1).u64(std::bit_cast<uint64_t>(1.5));
  want.u32(1).u32(0).u8(4);
  want.u32(1).u32(0).u8(0).u64(7).u32(0);
  want.u32(1).u32(0);
  want.u32(1).u8(0x7e).u32(1).u8(0x7e).str("\x7d\x02");
  want.u32(1).str("S").u32(1).u8(0x7d).str("\x7d\x01");
  want.u32(1).u32(0);
  for (uint16_t c = 1; c <= 6; ++c) want.u16(c);
  want.u32(1).u32(1).u32(20);
  want.u32(1).u32(static_cast<uint32_t>(Op::Ret));
  want.u32(1).u32(1).u64(5).u32(0).u32(0);
  want.u32(1).u32(0).u32(9).u32(3).u32(1).u32(1).u32(1);
  want.u32(1).u32(0).u32(4).u32(2).u32(0);
  CHECK(serialize(m) == want.sealed());
}

TEST_CASE("deserialize gives back exactly what was serialized") {
  const Module m = sample();
  const std::vector<uint8_t> bytes = serialize(m);
  Module back;
  std::string error;
  REQUIRE(deserialize(bytes, back, error));
  CHECK(error.empty());
  CHECK(back.protocol == m.protocol);
  CHECK(back.source == m.source);
  CHECK(back.strings == m.strings);
  CHECK(back.ints == m.ints);
  REQUIRE(back.floats.size() == 3);
  CHECK(std::signbit(back.floats[1]));
  CHECK(std::isinf(back.floats[2]));
  REQUIRE(back.session.size() == 2);
  CHECK(back.session[1].cls == RegClass::Int);
  REQUIRE(back.options.size() == 2);
  CHECK(back.options[0].int_default == 1);
  CHECK(back.options[1].str_default == 8);
  REQUIRE(back.functions.size() == 2);
  CHECK(back.functions[0].reg_count == m.functions[0].reg_count);
  CHECK(back.functions[0].code == m.functions[0].code);
  CHECK(back.functions[0].tables[0].cases == m.functions[0].tables[0].cases);
  CHECK(back.functions[0].lines.size() == 2);
  CHECK(back.functions[0].lines[1].what == 7);
  CHECK(back.functions[0].lines[1].file == 1);
  CHECK(back.functions[0].lines[1].site == 2);
  REQUIRE(back.functions[0].sites.size() == 2);
  CHECK(back.functions[0].sites[1].parent == 1);
  CHECK(back.functions[0].sites[1].col == 9);
  CHECK(back.files == m.files);
  REQUIRE(back.delimited.size() == 1);
  CHECK(back.delimited[0].delimiter == 0x7e);
  REQUIRE(back.delimited[0].escapes.size() == 2);
  CHECK(back.delimited[0].escapes[1].sequence == "\x7d\x02");
  CHECK(back.delimited[0].escapes[1].byte == 0x7e);
  REQUIRE(back.escape_tables.size() == 1);
  CHECK(back.escape_tables[0].name == "STAR");
  REQUIRE(back.escape_tables[0].escapes.size() == 2);
  CHECK(back.escape_tables[0].escapes[1].sequence == "\x7d\x05");
  CHECK(back.escape_tables[0].escapes[1].byte == 0x2a);
  CHECK(serialize(back) == bytes);
}

TEST_CASE("an empty module round-trips") {
  Module m;
  m.strings = {""};
  Module back;
  std::string error;
  REQUIRE(deserialize(serialize(m), back, error));
  CHECK(serialize(back) == serialize(m));
}

TEST_CASE("every truncation is rejected") {
  const std::vector<uint8_t> bytes = serialize(sample());
  std::string error;
  for (size_t n = 0; n < bytes.size(); ++n) {
    CAPTURE(n);
    CHECK_FALSE(load(std::vector<uint8_t>(bytes.begin(), bytes.begin() + n), error));
  }
}

TEST_CASE("every truncation of the body with a valid checksum is rejected as truncated") {
  const std::vector<uint8_t> bytes = serialize(sample());
  std::string error;
  for (size_t n = 8; n + 4 < bytes.size(); ++n) {
    CAPTURE(n);
    CHECK_FALSE(load(Bytes::seal(std::vector<uint8_t>(bytes.begin(), bytes.begin() + n)), error));
    CHECK(contains(error, "truncated"));
    CHECK(contains(error, "at byte"));
  }
}

TEST_CASE("every flipped byte is rejected") {
  const std::vector<uint8_t> bytes = serialize(sample());
  std::string error;
  for (size_t i = 0; i < bytes.size(); ++i) {
    CAPTURE(i);
    std::vector<uint8_t> bad = bytes;
    bad[i] ^= 0x20;
    CHECK_FALSE(load(bad, error));
    if (i < 4) {
      CHECK(contains(error, "bad magic"));
    } else if (i < 8) {
      CHECK(contains(error, "unsupported format version"));
    } else {
      CHECK(contains(error, "checksum mismatch"));
    }
  }
}

TEST_CASE("bad magic and unsupported versions") {
  std::string error;
  std::vector<uint8_t> bytes = serialize(sample());
  bytes[0] = 'X';
  CHECK_FALSE(load(bytes, error));
  CHECK(contains(error, "bad magic"));

  bytes = serialize(sample());
  put_u32(bytes, 4, 7);
  CHECK_FALSE(load(reseal(bytes), error));
  CHECK(error == "unsupported format version 7");

  CHECK_FALSE(load({}, error));
  CHECK(contains(error, "truncated"));
}

TEST_CASE("extra bytes after the functions are rejected") {
  std::vector<uint8_t> bytes = serialize(sample());
  bytes.insert(bytes.end() - 4, uint8_t{0});
  std::string error;
  CHECK_FALSE(load(reseal(bytes), error));
  CHECK(contains(error, "1 unexpected bytes after the functions"));
}

TEST_CASE("huge counts are rejected before anything is allocated") {
  const auto empty = [] {
    Bytes b;
    b.start().u32(0).u32(0);
    return b;
  };
  std::string error;

  Bytes b = empty();
  b.u32(0xFFFFFFFF);
  CHECK_FALSE(load(b.sealed(), error));
  CHECK(error == "string table count 4294967295 exceeds the limit of 1048576 at byte 16");

  b = empty();
  b.u32(1).u32(0x7FFFFFFF);
  CHECK_FALSE(load(b.sealed(), error));
  CHECK(error == "string count 2147483647 exceeds the limit of 1048576 at byte 20");

  b = empty();
  b.u32(1).u32(kMaxStringBytes + 1);
  CHECK_FALSE(load(b.sealed(), error));
  CHECK(error == "string count 1048577 exceeds the limit of 1048576 at byte 20");

  b = empty();
  b.u32(1).u32(kMaxStringBytes);
  CHECK_FALSE(load(b.sealed(), error));
  CHECK(contains(error, "truncated string at byte 20"));

  b = empty();
  b.u32(0).u32(0x10000000);
  CHECK_FALSE(load(b.sealed(), error));
  CHECK(error == "int pool count 268435456 exceeds the limit of 1048576 at byte 20");

  b = empty();
  b.u32(0).u32(kMaxPoolEntries);
  CHECK_FALSE(load(b.sealed(), error));
  CHECK(contains(error, "truncated int pool at byte 20"));

  b = empty();
  b.u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(kMaxFunctions + 1);
  CHECK_FALSE(load(b.sealed(), error));
  CHECK(contains(error, "functions count 1025 exceeds the limit"));

  b = empty();
  b.u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(257);
  CHECK_FALSE(load(b.sealed(), error));
  CHECK(error == "delimited declarations count 257 exceeds the limit of 256 at byte 40");

  b = empty();
  b.u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(257);
  CHECK_FALSE(load(b.sealed(), error));
  CHECK(error == "escape tables count 257 exceeds the limit of 256 at byte 44");

  b = empty();
  b.u32(0).u32(0).u32(0).u32(0).u32(0).u32(0x10000000);
  CHECK_FALSE(load(b.sealed(), error));
  CHECK(contains(error, "truncated file table at byte 36"));

  // One function whose code count is over the limit.
  b = empty();
  b.u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(1).u32(0);
  for (int k = 0; k < 6; ++k) b.u16(0);
  b.u32(0).u32(kMaxCodeWords + 1).u32(0).u32(0).u32(0);
  CHECK_FALSE(load(b.sealed(), error));
  CHECK(contains(error, "function code count"));
  CHECK(contains(error, "at byte 72"));

  b = empty();
  b.u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(1).u32(0);
  for (int k = 0; k < 6; ++k) b.u16(0);
  b.u32(0).u32(100).u32(1).u32(0).u32(0);
  CHECK_FALSE(load(b.sealed(), error));
  CHECK(error == "truncated function code at byte 72: 100 entries cannot fit in the 12 bytes left");
}

TEST_CASE("a file over kMaxModuleBytes is refused before it is read") {
  std::vector<uint8_t> big(size_t{kMaxModuleBytes} + 1, 0);
  std::string error;
  CHECK_FALSE(load(big, error));
  CHECK(error == "module of 67108865 bytes, the limit is 67108864");
  big.pop_back();  // at the limit, the file is read (and found not to be a module)
  CHECK_FALSE(load(big, error));
  CHECK(error == "bad magic (not a .pvmc module)");
}

TEST_CASE("structural invariants are checked") {
  const auto one_function = [](uint16_t ints, uint32_t cases_key0, uint32_t cases_key1, uint8_t slot_class) {
    Bytes b;
    b.start().u32(0).u32(0).u32(0).u32(0).u32(0);
    b.u32(1).u32(0).u8(slot_class);
    b.u32(0).u32(0).u32(0).u32(0).u32(1).u32(0).u16(ints);
    for (int k = 0; k < 5; ++k) b.u16(0);
    b.u32(0).u32(0);
    b.u32(1).u32(2).u64(cases_key0).u32(0).u64(cases_key1).u32(0).u32(0);
    b.u32(0).u32(0);
    return b.sealed();
  };
  std::string error;
  CHECK(load(one_function(1, 1, 2, 0), error));
  CHECK_FALSE(load(one_function(4097, 1, 2, 0), error));
  CHECK(contains(error, "function registers 4097 exceed the limit of 4096"));
  CHECK_FALSE(load(one_function(1, 2, 2, 0), error));
  CHECK(contains(error, "switch keys not ascending"));
  CHECK_FALSE(load(one_function(1, 1, 2, 6), error));
  CHECK(contains(error, "bad session slot class 6 at byte 36"));
}

TEST_CASE("canonicalize numbers the pools in order of first use and drops the rest") {
  Module m;
  m.strings = {"unused", "fn", "proto", "src", "why", "fn"};
  m.protocol = 2;
  m.source = 3;
  m.ints = {99, 5, 7};
  m.floats = {0.0, -0.0, 1.0};
  Function f;
  f.name = 5;
  f.reg_count = {1, 0, 1, 0, 0, 0};
  f.code = {static_cast<uint32_t>(Op::LdK),  0, 2, static_cast<uint32_t>(Op::LdD), 1, 1,
            static_cast<uint32_t>(Op::LdD),  1, 0, static_cast<uint32_t>(Op::LdK), 0, 2,
            static_cast<uint32_t>(Op::Fail), 4};
  f.lines = {{0, 1, 1, 4}};
  m.functions = {f};
  canonicalize(m);
  CHECK(m.strings == std::vector<std::string>{"proto", "src", "fn", "why"});
  CHECK(m.protocol == 0);
  CHECK(m.source == 1);
  CHECK(m.functions[0].name == 2);
  CHECK(m.ints == std::vector<int64_t>{7});
  REQUIRE(m.floats.size() == 2);
  CHECK(std::signbit(m.floats[0]));
  CHECK_FALSE(std::signbit(m.floats[1]));
  CHECK(m.functions[0].code ==
        std::vector<uint32_t>{static_cast<uint32_t>(Op::LdK), 0, 0, static_cast<uint32_t>(Op::LdD), 1, 0,
                              static_cast<uint32_t>(Op::LdD), 1, 1, static_cast<uint32_t>(Op::LdK), 0, 0,
                              static_cast<uint32_t>(Op::Fail), 3});
  CHECK(m.functions[0].lines[0].what == 3);

  Module again = m;
  canonicalize(again);
  CHECK(serialize(again) == serialize(m));
}

TEST_CASE("canonicalize numbers files and call sites in order of first use, callers first") {
  Module m;
  m.strings = {"p", "s", "fn", "what", "lib/b.pvm", "lib/a.pvm", "unused.pvm"};
  m.protocol = 0;
  m.source = 1;
  m.files = {6, 4, 5};
  m.delimited = {{0xe7, {{"\x3e\x02", 0x3d}, {"\x3e\x01", 0x3e}, {"\xe6\x02", 0xe7}, {"\xe6\x01", 0xe6}}},
                 {0x7e, {{"\x7d\x02", 0x7e}, {"\x7d\x01", 0x7d}}}};
  Function f;
  f.name = 2;
  f.code = {static_cast<uint32_t>(Op::Ret)};
  // Site 3 (in file 2, lib/b.pvm) was inlined at site 1; site 2 is used by nobody; site 4
  // repeats site 1.
  f.sites = {{0, 50, 1, 0}, {0, 9, 9, 0}, {2, 20, 3, 1}, {0, 50, 1, 0}};
  f.lines = {{0, 5, 5, 3, 3, 3}, {0, 6, 5, 3, 0, 4}};
  m.functions = {f};
  canonicalize(m);
  CHECK(m.strings == std::vector<std::string>{"p", "s", "fn", "what", "lib/a.pvm", "lib/b.pvm"});
  CHECK(m.files == std::vector<uint32_t>{4, 5});
  const Function& g = m.functions[0];
  REQUIRE(g.sites.size() == 2);
  CHECK(g.sites[0].line == 50);
  CHECK(g.sites[0].parent == 0);
  CHECK(g.sites[1].line == 20);
  CHECK(g.sites[1].file == 2);
  CHECK(g.sites[1].parent == 1);
  CHECK(g.lines[0].file == 1);
  CHECK(g.lines[0].site == 2);
  CHECK(g.lines[1].site == 1);
  REQUIRE(m.delimited.size() == 2);
  CHECK(m.delimited[0].delimiter == 0x7e);
  CHECK(m.delimited[0].escapes[0].sequence == "\x7d\x01");
  CHECK(m.delimited[1].escapes[0].sequence == "\x3e\x01");
  CHECK(m.delimited[1].escapes[3].sequence == "\xe6\x02");
}

TEST_CASE("registers are numbered class by class") {
  Function f;
  f.reg_count = {2, 0, 3, 1, 0, 4};
  CHECK(f.reg_total() == 10);
  CHECK(f.reg_base(RegClass::Int) == 0);
  CHECK(f.reg_base(RegClass::Float) == 2);
  CHECK(f.reg_base(RegClass::Bool) == 5);
  CHECK(f.reg_base(RegClass::Bytes) == 6);
  CHECK(f.reg_class(1) == RegClass::Int);
  CHECK(f.reg_class(2) == RegClass::Float);
  CHECK(f.reg_class(5) == RegClass::Bool);
  CHECK(f.reg_class(9) == RegClass::Bytes);
}

TEST_CASE("find_function and the opcode table") {
  Module m = sample();
  CHECK(m.find_function("packet.tcp") == 0);
  CHECK(m.find_function("nope") == -1);
  Op op{};
  REQUIRE(op_from_mnemonic("add.i", op));
  CHECK(op == Op::AddI);
  CHECK(op_info(op).operands == "iii");
  CHECK_FALSE(op_from_mnemonic("add", op));
  for (size_t i = 0; i < kOpCount; ++i) {
    const OpInfo& info = op_info(static_cast<Op>(i));
    REQUIRE(op_from_mnemonic(info.mnemonic, op));
    CHECK(static_cast<size_t>(op) == i);
  }
}
