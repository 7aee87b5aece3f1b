// The text opcodes: delimiter reads, string helpers and RE2 matching.
#include <doctest/doctest.h>

#include "vm_test_util.h"

// The shared helper's register counts, with room for the longer string programs here.
static std::string run(std::string_view body, std::string_view input = "") {
  std::string text = vmtest::packet_module(body);
  const std::string regs(vmtest::kRegs);
  text.replace(text.find(regs), regs.size(), "i=8 u=4 f=4 b=4 s=12 y=4");
  return vmtest::outcome(vmtest::decode_frame(vmtest::load(text), input));
}

TEST_SUITE("vm text ops") {
  TEST_CASE("rd.until needs its delimiter; rd.field stops at it or at the end") {
    // "a,bb;" then "tail" without a delimiter.
    CHECK(run(R"A(
    lds s0, ","
    lds s1, ";"
    rd.until s2, s0
    rd.until s3, s1
    rd.field s4, s0
    msg.new
    set.s "a", s2
    set.s "b", s3
    set.s "c", s4
    ret)A", "612c62623b7461696c") == R"({"a":"a","b":"bb","c":"tail"})");
    CHECK(run(R"A(
    lds s0, "#"
    rd.until s1, s0
    ret)A", "616263") == "error: offset 0: truncated: no '#' in the 3 bytes left");
  }

  TEST_CASE("find.s, trim.s, lower.s and repl.s") {
    CHECK(run(R"A(
    lds s0, "  P0101,P0300 \r\n"
    trim.s s1, s0
    lds s2, ","
    find.s i0, s1, s2
    lds s3, "x"
    find.s i1, s1, s3
    lds s4, " "
    repl.s s5, s1, s2, s4
    lds s6, "PWR_Ext"
    lower.s s7, s6
    lds s8, ""
    repl.s s9, s1, s8, s4
    msg.new
    set.s "trim", s1
    set.i "comma", i0
    set.i "none", i1
    set.s "spaces", s5
    set.s "lower", s7
    set.s "same", s9
    ret)A") == R"({"trim":"P0101,P0300","comma":5,"none":-1,"spaces":"P0101 P0300","lower":"pwr_ext","same":"P0101,P0300"})");
  }

  // A group outside any match is an empty text with no bytes at all: searching it must not hand
  // memmem a null pointer (UBSan in the sanitized build stops on that).
  TEST_CASE("find.s in an empty text without bytes finds nothing, and the empty text at 0") {
    CHECK(run(R"A(
    ldk i0, 1
    re.group s0, i0
    lds s1, "x"
    find.s i1, s0, s1
    lds s2, ""
    find.s i2, s0, s2
    msg.new
    set.i "x", i1
    set.i "empty", i2
    ret)A") == R"({"x":-1,"empty":0})");
  }

  // Needles of one and two bytes take memchr's path, longer ones memmem's: a first byte that
  // repeats, a first byte in the last place with no room for the second, a needle at the very
  // end and one as long as the text.
  TEST_CASE("find.s finds short and long needles wherever they are, and only there") {
    CHECK(run(R"A(
    lds s0, "ab\r\r\n;"
    lds s1, "\r\n"
    find.s i0, s0, s1
    lds s2, ";"
    find.s i1, s0, s2
    lds s3, "ab\r"
    find.s i2, s3, s1
    lds s4, "\r\n;"
    find.s i3, s0, s4
    find.s i4, s1, s1
    lds s5, "\r\r\r"
    find.s i5, s5, s1
    lds s6, "b\r\r\n"
    find.s i6, s0, s6
    msg.new
    set.i "crlf", i0
    set.i "semi", i1
    set.i "cut", i2
    set.i "three", i3
    set.i "whole", i4
    set.i "never", i5
    set.i "four", i6
    ret)A") == R"({"crlf":3,"semi":5,"cut":-1,"three":3,"whole":0,"never":-1,"four":1})");
    // rd.field and rd.until search the view the same way.
    CHECK(run(R"A(
    lds s0, "\r\n"
    rd.field s1, s0
    rd.until s2, s0
    rd.field s3, s0
    msg.new
    set.s "a", s1
    set.s "b", s2
    set.s "c", s3
    ret)A",
              "610d0d0a620d0a0d") == R"({"a":"a\u000d","b":"b","c":"\u000d"})");
  }
  // Native code compares the lengths first and the bytes only when they are equal; an empty
  // group has no bytes at all (a null pointer) and equals "" all the same.
  TEST_CASE("eq.s, ne.s, eq.y and ne.y: same length different bytes, different lengths, empty") {
    CHECK(run(R"A(
    lds s0, "NA"
    lds s1, "NA"
    lds s2, "NB"
    lds s3, "NAN"
    lds s4, ""
    ldk i0, 1
    re.group s5, i0
    ldy y0, x"0102"
    ldy y1, x"0103"
    msg.new
    eq.s b0, s0, s1
    set.b "same", b0
    eq.s b0, s0, s2
    set.b "byte", b0
    ne.s b0, s0, s3
    set.b "longer", b0
    eq.s b0, s4, s5
    set.b "empty", b0
    ne.y b0, y0, y1
    set.b "bytes", b0
    eq.y b0, y0, y0
    set.b "itself", b0
    ret)A") == R"({"same":true,"byte":false,"longer":true,"empty":true,"bytes":true,"itself":true})");
  }

  TEST_CASE("stou.hex parses hex digits and rejects anything else") {
    CHECK(run(R"A(
    lds s0, "1aFF"
    stou.hex u0, s0
    msg.new
    set.u "v", u0
    ret)A") == R"({"v":6911})");
    CHECK(run(R"A(
    lds s0, "12g"
    stou.hex u0, s0
    ret)A").starts_with("error: offset 0: bad value: not a hex number: '12g'"));
  }

  TEST_CASE("re.match keeps its groups until the next match; re.group outside them is empty") {
    CHECK(run(R"A(
    lds s0, "+RESP:GTFRI,300400,860599"
    re.match b0, s0, "^\\+(RESP|BUFF):(GT[A-Z]{3}),([0-9A-F]+)"
    ldk i0, 2
    re.group s1, i0
    ldk i1, 3
    re.group s2, i1
    ldk i2, 9
    re.group s3, i2
    lds s4, "nothing here"
    re.match b1, s4, "^\\+"
    re.group s5, i0
    msg.new
    set.b "m", b0
    set.s "type", s1
    set.s "proto", s2
    set.s "none", s3
    set.b "m2", b1
    set.s "after", s5
    ret)A") == R"({"m":true,"type":"GTFRI","proto":"300400","none":"","m2":false,"after":""})");
  }

  TEST_CASE("re.group gives the groups of the last match, whatever came between") {
    // The groups view the text as it was matched, even once its register holds another.
    CHECK(run(R"A(
    lds s0, "ab 123 cd"
    re.match b0, s0, "[0-9]+"
    lds s0, "replaced"
    ldk i0, 0
    re.group s1, i0
    ldk i1, 1
    re.group s2, i1
    re.group s3, i0
    msg.new
    set.s "whole", s1
    set.s "none", s2
    set.s "again", s3
    ret)A") == R"({"whole":"123","none":"","again":"123"})");
    CHECK(run(R"A(
    lds s0, "id: ab12, cd34"
    re.match b0, s0, "([a-z]+)([0-9]+)|(#)"
    lds s0, "replaced"
    ldk i0, 0
    re.group s1, i0
    ldk i1, 2
    re.group s2, i1
    ldk i2, 3
    re.group s3, i2
    lds s4, "x=7;y=8"
    re.match b1, s4, "y=([0-9])"
    lds s5, "z=9"
    re.match b2, s5, "z=([0-9])"
    ldk i3, 1
    re.group s6, i3
    re.group s7, i0
    msg.new
    set.s "whole", s1
    set.s "digits", s2
    set.s "no part", s3
    set.s "last", s6
    set.s "last whole", s7
    ret)A") == R"({"whole":"ab12","digits":"12","no part":"","last":"9","last whole":"z=9"})");
  }

  TEST_CASE("a pattern RE2 cannot compile stops the module from loading") {
    std::string error;
    auto program = pvm::Program::load(vmtest::assemble(vmtest::packet_module(R"A(
    lds s0, "x"
    re.match b0, s0, "(unclosed"
    ret)A")), error);
    CHECK(program == nullptr);
    CHECK(error.find("packet.tcp+") == 0);
    CHECK(error.find("does not compile") != std::string::npos);
  }

  TEST_CASE("fail.s and warn.s take their reason from a register") {
    CHECK(run(R"A(
    lds s0, "unknown tag 0x"
    lds s1, "fe"
    cat.s s2, s0, s1
    fail.s s2)A") == "error: offset 0: rejected: unknown tag 0xfe");
    auto program = vmtest::load(vmtest::packet_module(R"A(
    lds s0, "odd"
    warn.s s0
    msg.new
    ret)A"));
    vmtest::Frame f = vmtest::decode_frame(program, "");
    REQUIRE(f.warnings.size() == 1);
    CHECK(f.warnings[0].reason == "odd");
  }
}
