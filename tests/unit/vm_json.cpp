// The JSON writer, error formatting and message lookup.
#include <doctest/doctest.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "pvm/vm.h"

namespace {

pvm::Field field(std::string_view name, pvm::ValueType type) {
  pvm::Field f;
  f.name = name;
  f.type = type;
  return f;
}

pvm::Field float_field(double v) {
  pvm::Field f = field("v", pvm::ValueType::Float);
  f.f = v;
  return f;
}

// Written both ways, into a std::string and in place, which must agree.
std::string json(const std::vector<pvm::Field>& fields) {
  std::string out;
  pvm::append_json(out, pvm::Message{fields});
  pvm::JsonBuffer in_place;
  pvm::append_json(in_place, pvm::Message{fields});
  CHECK(in_place.view() == out);
  return out;
}

pvm::Field int_field(std::string_view name, int64_t v) {
  pvm::Field f = field(name, pvm::ValueType::Int);
  f.i = v;
  return f;
}

std::string with_members(const std::vector<pvm::Field>& fields, std::string_view members) {
  pvm::JsonBuffer out;
  pvm::append_json(out, pvm::Message{fields}, members);
  return std::string(out.view());
}

std::string str_json(std::string_view text) {
  pvm::Field f = field("s", pvm::ValueType::Str);
  f.s = text;
  return json({f});
}

}  // namespace

TEST_SUITE("vm json") {
  TEST_CASE("floats: the shortest text that reads back, placed as JavaScript places it") {
    CHECK(json({float_field(1560161086.0)}) == R"({"v":1560161086})");
    CHECK(json({float_field(1700000000.5)}) == R"({"v":1700000000.5})");
    CHECK(json({float_field(1700000011.304)}) == R"({"v":1700000011.304})");
    CHECK(json({float_field(24.079)}) == R"({"v":24.079})");
    CHECK(json({float_field(-54.123456789)}) == R"({"v":-54.123456789})");
    CHECK(json({float_field(0.1)}) == R"({"v":0.1})");
    CHECK(json({float_field(0.1 + 0.2)}) == R"({"v":0.30000000000000004})");
    CHECK(json({float_field(1e7)}) == R"({"v":10000000})");
    CHECK(json({float_field(-250.0)}) == R"({"v":-250})");
  }

  TEST_CASE("floats: both zeros are 0") {
    CHECK(json({float_field(0.0)}) == R"({"v":0})");
    CHECK(json({float_field(-0.0)}) == R"({"v":0})");
  }

  TEST_CASE("floats: no exponent from 1e-6 up to but not including 1e21") {
    CHECK(json({float_field(1e20)}) == R"({"v":100000000000000000000})");
    CHECK(json({float_field(123456789012345678901.0)}) == R"({"v":123456789012345680000})");
    CHECK(json({float_field(std::nextafter(1e21, 0.0))}) == R"({"v":999999999999999900000})");
    CHECK(json({float_field(1e21)}) == R"({"v":1e+21})");
    CHECK(json({float_field(-1e21)}) == R"({"v":-1e+21})");
    CHECK(json({float_field(1.5e21)}) == R"({"v":1.5e+21})");
    CHECK(json({float_field(1e308)}) == R"({"v":1e+308})");
    CHECK(json({float_field(1.7976931348623157e308)}) == R"({"v":1.7976931348623157e+308})");
    CHECK(json({float_field(1e-6)}) == R"({"v":0.000001})");
    CHECK(json({float_field(1.5e-6)}) == R"({"v":0.0000015})");
    CHECK(json({float_field(0.0001)}) == R"({"v":0.0001})");
    CHECK(json({float_field(-0.000123)}) == R"({"v":-0.000123})");
    CHECK(json({float_field(1e-7)}) == R"({"v":1e-7})");
    CHECK(json({float_field(1.5e-7)}) == R"({"v":1.5e-7})");
    CHECK(json({float_field(std::nextafter(1e-6, 0.0))}) == R"({"v":9.999999999999997e-7})");
    CHECK(json({float_field(123e-20)}) == R"({"v":1.23e-18})");
  }

  TEST_CASE("floats: subnormals and the largest exact integers") {
    CHECK(json({float_field(5e-324)}) == R"({"v":5e-324})");
    CHECK(json({float_field(-5e-324)}) == R"({"v":-5e-324})");
    CHECK(json({float_field(2.2250738585072014e-308)}) == R"({"v":2.2250738585072014e-308})");
    CHECK(json({float_field(2.225073858507201e-308)}) == R"({"v":2.225073858507201e-308})");
    CHECK(json({float_field(9007199254740991.0)}) == R"({"v":9007199254740991})");
    CHECK(json({float_field(9007199254740992.0)}) == R"({"v":9007199254740992})");
    CHECK(json({float_field(9007199254740994.0)}) == R"({"v":9007199254740994})");
    CHECK(json({float_field(-9007199254740994.0)}) == R"({"v":-9007199254740994})");
    CHECK(json({float_field(1152921504606846976.0)}) == R"({"v":1152921504606847000})");  // 2^60
    CHECK(json({float_field(4503599627370495.5)}) == R"({"v":4503599627370495.5})");
  }

  TEST_CASE("floats: decimals of up to 15 digits and those that need 16 or 17") {
    CHECK(json({float_field(54.6671924)}) == R"({"v":54.6671924})");
    CHECK(json({float_field(13.506)}) == R"({"v":13.506})");
    CHECK(json({float_field(1.005)}) == R"({"v":1.005})");
    CHECK(json({float_field(0.5)}) == R"({"v":0.5})");
    CHECK(json({float_field(0.12345678)}) == R"({"v":0.12345678})");
    CHECK(json({float_field(0.000001234567890123)}) == R"({"v":0.000001234567890123})");
    CHECK(json({float_field(0.0000012345678901234567)}) == R"({"v":0.0000012345678901234567})");
    CHECK(json({float_field(99999999999999.98)}) == R"({"v":99999999999999.98})");
    CHECK(json({float_field(123456789012345.6)}) == R"({"v":123456789012345.6})");
    CHECK(json({float_field(999999999999999.5)}) == R"({"v":999999999999999.5})");
    CHECK(json({float_field(999999999999999.9)}) == R"({"v":999999999999999.9})");
    CHECK(json({float_field(-4.35)}) == R"({"v":-4.35})");
  }

  TEST_CASE("floats: the text reads back to the same double") {
    const double values[] = {0.1,
                             1.0 / 3,
                             2.0 / 3e10,
                             54.6671924,
                             25.2557574,
                             13.506,
                             1e-300,
                             6.02214076e23,
                             std::nextafter(1.0, 2.0),
                             std::nextafter(1e-7, 0.0),
                             std::nextafter(1e21, 1e22),
                             std::numeric_limits<double>::min(),
                             std::numeric_limits<double>::denorm_min()};
    for (double v : {1.0, -1.0})
      for (double x : values) {
        const std::string out = json({float_field(v * x)});
        const std::string text = out.substr(5, out.size() - 6);
        CHECK(std::strtod(text.c_str(), nullptr) == v * x);
        CHECK(text.find_first_not_of("-0123456789.e+") == std::string::npos);
      }
  }

  TEST_CASE("floats: decimals of every length and scale, as the general algorithm writes them") {
    // The reference: the shortest digits from to_chars, placed as JavaScript places them.
    const auto reference = [](double v) {
      char sci[40];
      const char* end = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific).ptr;
      std::string digits;
      const char* c = sci;
      const bool negative = *c == '-';
      if (negative) ++c;
      for (; *c != 'e'; ++c)
        if (*c != '.') digits += *c;
      const int point = std::atoi(std::string(c + 1, end).c_str()) + 1;
      std::string out = negative ? "-" : "";
      if (point <= 0) return out + "0." + std::string(-point, '0') + digits;
      if (point >= static_cast<int>(digits.size()))
        return out + digits + std::string(point - digits.size(), '0');
      return out + digits.substr(0, point) + "." + digits.substr(point);
    };
    uint64_t state = 88172645463325252;  // xorshift: the same values every run
    const auto next = [&] {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      return state;
    };
    for (int i = 0; i < 200000; ++i) {
      const int length = 1 + static_cast<int>(next() % 15);
      uint64_t m = next() % 900'000'000'000'000 + 100'000'000'000'000;
      for (int k = length; k < 15; ++k) m /= 10;
      const int scale = static_cast<int>(next() % 21);
      const double v = (i % 2 ? -1.0 : 1.0) * static_cast<double>(m) / std::pow(10.0, scale);
      if (std::fabs(v) < 1e-6 || std::fabs(v) >= 1e15) continue;
      const std::string out = json({float_field(v)});
      REQUIRE(out.substr(5, out.size() - 6) == reference(v));
    }
  }

  TEST_CASE("non-finite floats are left out") {
    CHECK(json({float_field(std::numeric_limits<double>::infinity()), float_field(1.5)}) == R"({"v":1.5})");
    CHECK(json({float_field(std::numeric_limits<double>::quiet_NaN())}) == "{}");
  }

  TEST_CASE("ints, uints and bools are exact") {
    pvm::Field i = field("i", pvm::ValueType::Int);
    i.i = std::numeric_limits<int64_t>::min();
    pvm::Field u = field("u", pvm::ValueType::UInt);
    u.u = std::numeric_limits<uint64_t>::max();
    pvm::Field t = field("t", pvm::ValueType::Bool);
    t.b = true;
    pvm::Field f = field("f", pvm::ValueType::Bool);
    f.b = false;
    CHECK(json({i, u, t, f}) == R"({"i":-9223372036854775808,"u":18446744073709551615,"t":true,"f":false})");
    CHECK(json({}) == "{}");
  }

  TEST_CASE("bytes are lowercase hex strings") {
    pvm::Field y = field("y", pvm::ValueType::Bytes);
    y.s = std::string_view("\x00\xAB\x7F", 3);
    CHECK(json({y}) == R"({"y":"00ab7f"})");
  }

  TEST_CASE("strings: quotes, backslashes and control characters are escaped") {
    CHECK(str_json("a\"b\\c") == R"({"s":"a\"b\\c"})");
    CHECK(str_json(std::string_view("\n\t\x01\x1f\x00", 5)) == R"({"s":"\u000a\u0009\u0001\u001f\u0000"})");
    CHECK(str_json("\x7f/") == "{\"s\":\"\x7f/\"}");
  }

  TEST_CASE("strings: a character to escape at any position of a long text") {
    for (const std::string_view special : {"\"", "\\", "\x1f", "\x7f", "\xC3\xA9", "\xFF"}) {
      const std::string_view escaped = special == "\""     ? "\\\""
                                       : special == "\\"   ? "\\\\"
                                       : special == "\x1f" ? "\\u001f"
                                       : special == "\xFF" ? "\\u00ff"
                                                           : special;
      for (size_t at = 0; at <= 40; ++at) {
        const std::string before(at, 'a');
        const std::string after(40 - at, 'z');
        CHECK(str_json(before + std::string(special) + after) ==
              "{\"s\":\"" + before + std::string(escaped) + after + "\"}");
      }
    }
  }

  TEST_CASE("strings: valid UTF-8 passes, other high bytes are escaped one by one") {
    CHECK(str_json("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x9A\x97") ==
          "{\"s\":\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x9A\x97\"}");
    CHECK(str_json("\xFF") == R"({"s":"\u00ff"})");
    CHECK(str_json("\xC3") == R"({"s":"\u00c3"})");                                // cut short
    CHECK(str_json("\xC0\x80") == R"({"s":"\u00c0\u0080"})");                      // overlong NUL
    CHECK(str_json("\xED\xA0\x80") == R"({"s":"\u00ed\u00a0\u0080"})");            // surrogate
    CHECK(str_json("\xF4\x90\x80\x80") == R"({"s":"\u00f4\u0090\u0080\u0080"})");  // above U+10FFFF
    CHECK(str_json("\xE2\x82") == R"({"s":"\u00e2\u0082"})");
  }

  TEST_CASE("keys are escaped like strings") {
    pvm::Field f = field("a\"\n", pvm::ValueType::Int);
    f.i = 1;
    CHECK(json({f}) == R"({"a\"\u000a":1})");
  }

  TEST_CASE("appending keeps what the buffer held") {
    std::string out = "x";
    pvm::append_json(out, pvm::Message{});
    CHECK(out == "x{}");
  }

  TEST_CASE("a host's members follow the leading ident and protocol.id") {
    const auto ident = int_field("ident", 1);
    const auto protocol = int_field("protocol.id", 2);
    const auto a = int_field("a", 3);
    CHECK(with_members({ident, protocol, a}, R"("h":0)") == R"({"ident":1,"protocol.id":2,"h":0,"a":3})");
    CHECK(with_members({protocol, a}, R"("h":0)") == R"({"protocol.id":2,"h":0,"a":3})");
    CHECK(with_members({a, ident}, R"("h":0)") == R"({"h":0,"a":3,"ident":1})");
    CHECK(with_members({ident}, R"("h":0,"g":1)") == R"({"ident":1,"h":0,"g":1})");
    CHECK(with_members({}, R"("h":0)") == R"({"h":0})");
    CHECK(with_members({ident, a}, "") == R"({"ident":1,"a":3})");
    // A leading field left out (not finite) leaves no stray comma.
    pvm::Field nan_ident = field("ident", pvm::ValueType::Float);
    nan_ident.f = NAN;
    CHECK(with_members({nan_ident, a}, R"("h":0)") == R"({"h":0,"a":3})");
  }

  TEST_CASE("a JsonBuffer grows and keeps what it held") {
    pvm::JsonBuffer out;
    out.append("x");
    std::vector<pvm::Field> fields;
    std::vector<std::string> names;
    for (int k = 0; k < 2000; ++k) names.push_back("field." + std::to_string(k));
    for (int k = 0; k < 2000; ++k) fields.push_back(int_field(names[k], k));
    pvm::append_json(out, pvm::Message{fields});
    out.push_back('\n');
    std::string expected = "x{";
    for (int k = 0; k < 2000; ++k) expected += (k ? ",\"" : "\"") + names[k] + "\":" + std::to_string(k);
    expected += "}\n";
    CHECK(out.size() > 4096);
    CHECK(out.view() == expected);
    out.clear();
    CHECK(out.view().empty());
    pvm::append_json_string(out, "a\"b");
    CHECK(out.view() == R"("a\"b")");
  }

  TEST_CASE("Message::find") {
    std::vector<pvm::Field> fields = {field("a", pvm::ValueType::Int), field("b", pvm::ValueType::Bool)};
    const pvm::Message m{fields};
    REQUIRE(m.find("b") != nullptr);
    CHECK(m.find("b")->type == pvm::ValueType::Bool);
    CHECK(m.find("c") == nullptr);
  }

  TEST_CASE("Error::format and trap names") {
    pvm::Error e;
    e.trap = pvm::Trap::Truncated;
    e.reason = "need 4 bytes, 2 left";
    e.offset = 18;
    CHECK(e.format("teltonika.pvm") == "offset 18: truncated: need 4 bytes, 2 left");
    e.line = 42;
    e.col = 5;
    e.what = "u32 $crc";
    CHECK(e.format("teltonika.pvm") ==
          "offset 18: u32 $crc: truncated: need 4 bytes, 2 left (teltonika.pvm:42:5)");
    CHECK(e.format("") == "offset 18: u32 $crc: truncated: need 4 bytes, 2 left (42:5)");
    const std::vector<std::pair<pvm::Trap, std::string_view>> names = {
        {pvm::Trap::None, "none"},
        {pvm::Trap::NeedMore, "need more"},
        {pvm::Trap::Truncated, "truncated"},
        {pvm::Trap::Rejected, "rejected"},
        {pvm::Trap::BadValue, "bad value"},
        {pvm::Trap::DivByZero, "division by zero"},
        {pvm::Trap::OutOfFuel, "out of fuel"},
        {pvm::Trap::Limit, "limit"},
        {pvm::Trap::BadFrame, "bad frame"},
        {pvm::Trap::Incomplete, "incomplete"}};
    for (const auto& [trap, name] : names) CHECK(pvm::trap_name(trap) == name);
  }

}  // TEST_SUITE
