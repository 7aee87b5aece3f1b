// The semantics of every opcode, at least one check each (vm_opcode_coverage.cpp fails when a
// mnemonic of opcodes.def appears in none of these programs).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "vm_test_util.h"

using vmtest::run;

TEST_SUITE("vm ops") {
  TEST_CASE("constants and moves") {
    CHECK(run(R"(
    ldk i0, -5
    ldu u0, -1
    ldd f0, 2.5
    ldb b0, 7
    lds s0, "hi"
    ldy y0, x"0a0b"
    mov.i i1, i0
    mov.u u1, u0
    mov.f f1, f0
    mov.b b1, b0
    mov.s s1, s0
    mov.y y1, y0
    msg.new
    set.i "i", i1
    set.u "u", u1
    set.f "f", f1
    set.b "b", b1
    set.s "s", s1
    set.y "y", y1
    ret)") == R"({"i":-5,"u":18446744073709551615,"f":2.5,"b":true,"s":"hi","y":"0a0b"})");
  }

  TEST_CASE("int arithmetic wraps and rounds toward zero") {
    CHECK(run(R"(
    ldk i0, 9223372036854775807
    ldk i1, 1
    add.i i2, i0, i1
    ldk i3, 3
    ldk i4, 10
    sub.i i5, i3, i4
    mul.i i6, i0, i0
    msg.new
    set.i "add", i2
    set.i "sub", i5
    set.i "mul", i6
    ldk i0, -7
    ldk i1, 2
    div.i i2, i0, i1
    mod.i i3, i0, i1
    neg.i i4, i0
    set.i "div", i2
    set.i "mod", i3
    set.i "neg", i4
    ret)") == R"({"add":-9223372036854775808,"sub":-7,"mul":1,"div":-3,"mod":-1,"neg":7})");
  }

  TEST_CASE("INT64_MIN divided by -1 wraps instead of trapping") {
    CHECK(run(R"(
    ldk i0, 1
    ldk i1, 63
    shl.i i0, i0, i1
    ldk i1, -1
    div.i i2, i0, i1
    mod.i i3, i0, i1
    neg.i i4, i0
    msg.new
    set.i "div", i2
    set.i "mod", i3
    set.i "neg", i4
    ret)") == R"({"div":-9223372036854775808,"mod":0,"neg":-9223372036854775808})");
  }

  TEST_CASE("int bit operations and shifts") {
    CHECK(
        run(R"(
    ldk i0, 12
    ldk i1, 10
    and.i i2, i0, i1
    or.i i3, i0, i1
    xor.i i4, i0, i1
    not.i i5, i0
    msg.new
    set.i "and", i2
    set.i "or", i3
    set.i "xor", i4
    set.i "not", i5
    ldk i0, 1
    ldk i1, 4
    shl.i i2, i0, i1
    ldk i1, 64
    shl.i i3, i0, i1
    ldk i1, -1
    shl.i i4, i0, i1
    set.i "shl", i2
    set.i "shl64", i3
    set.i "shlneg", i4
    ldk i0, -16
    ldk i1, 2
    shr.i i2, i0, i1
    ldk i1, 64
    shr.i i3, i0, i1
    ldk i0, 16
    shr.i i4, i0, i1
    set.i "shr", i2
    set.i "shrneg64", i3
    set.i "shrpos64", i4
    ret)") ==
        R"({"and":8,"or":14,"xor":6,"not":-13,"shl":16,"shl64":0,"shlneg":0,"shr":-4,"shrneg64":-1,"shrpos64":0})");
  }

  TEST_CASE("int operations with a constant operand: mul.k, div.k, mod.k, and.k, shr.k") {
    // As their register forms: truncation toward zero, wrapping, INT64_MIN by -1 without a trap,
    // arithmetic shifts and shifts outside 0..63.
    CHECK(run(R"(
    ldk i0, -7
    mul.k i1, i0, 3
    div.k i2, i0, 2
    mod.k i3, i0, 2
    and.k i4, i0, 12
    shr.k i5, i0, 1
    msg.new
    set.i "mul", i1
    set.i "div", i2
    set.i "mod", i3
    set.i "and", i4
    set.i "shr", i5
    ldk i0, 1
    ldk i1, 63
    shl.i i0, i0, i1
    mul.k i1, i0, -1
    div.k i2, i0, -1
    mod.k i3, i0, -1
    shr.k i4, i0, 63
    shr.k i5, i0, 64
    ldk i0, 16
    shr.k i6, i0, -1
    set.i "mulmin", i1
    set.i "divmin", i2
    set.i "modmin", i3
    set.i "shr63", i4
    set.i "shr64", i5
    set.i "shrneg", i6
    ret)") == R"({"mul":-21,"div":-3,"mod":-1,"and":8,"shr":-4,"mulmin":-9223372036854775808,)"
              R"("divmin":-9223372036854775808,"modmin":0,"shr63":-1,"shr64":-1,"shrneg":0})");
  }

  TEST_CASE("uint arithmetic") {
    CHECK(run(R"(
    ldu u0, -1
    ldu u1, 1
    add.u u2, u0, u1
    sub.u u3, u2, u1
    msg.new
    set.u "add", u2
    set.u "sub", u3
    ldu u0, 7
    ldu u1, 2
    mul.u u2, u0, u1
    div.u u3, u0, u1
    set.u "mul", u2
    set.u "div", u3
    mod.u u2, u0, u1
    set.u "mod", u2
    ldu u0, 12
    ldu u1, 10
    and.u u2, u0, u1
    or.u u3, u0, u1
    set.u "and", u2
    set.u "or", u3
    xor.u u2, u0, u1
    not.u u3, u0
    set.u "xor", u2
    set.u "not", u3
    ldu u0, 1
    ldk i0, 63
    shl.u u1, u0, i0
    set.u "shl", u1
    ldk i0, 64
    shl.u u2, u0, i0
    set.u "shl64", u2
    ldk i0, 60
    shr.u u2, u1, i0
    set.u "shr", u2
    ldk i0, -1
    shr.u u2, u1, i0
    set.u "shrneg", u2
    ret)") == R"({"add":0,"sub":18446744073709551615,"mul":14,"div":3,"mod":1,"and":8,"or":14,"xor":6,)"
              R"("not":18446744073709551603,"shl":9223372036854775808,"shl64":0,"shr":8,"shrneg":0})");
  }

  TEST_CASE("float arithmetic") {
    CHECK(run(R"(
    ldd f0, 1.5
    ldd f1, 2.25
    add.f f2, f0, f1
    msg.new
    set.f "add", f2
    sub.f f2, f0, f1
    set.f "sub", f2
    mul.f f2, f0, f1
    set.f "mul", f2
    div.f f2, f0, f1
    set.f "div", f2
    neg.f f2, f0
    set.f "neg", f2
    ret)") == R"({"add":3.75,"sub":-0.75,"mul":3.375,"div":0.6666666666666666,"neg":-1.5})");
  }

  TEST_CASE("conversions; f2i truncates and saturates, NaN gives 0") {
    CHECK(run(R"(
    ldk i0, -3
    i2f f0, i0
    ldu u0, -1
    u2f f1, u0
    msg.new
    set.f "i2f", f0
    set.f "u2f", f1
    i2u u1, i0
    u2i i1, u0
    set.u "i2u", u1
    set.i "u2i", i1
    ldd f0, -2.9
    f2i i1, f0
    set.i "trunc", i1
    ldd f0, 1e300
    f2i i1, f0
    set.i "high", i1
    neg.f f0, f0
    f2i i1, f0
    set.i "low", i1
    ldd f0, 0.0
    div.f f0, f0, f0
    f2i i1, f0
    set.i "nan", i1
    ldb b0, 1
    b2i i1, b0
    set.i "b2i", i1
    ret)") == R"({"i2f":-3,"u2f":18446744073709552000,"i2u":18446744073709551613,"u2i":-1,"trunc":-2,)"
              R"("high":9223372036854775807,"low":-9223372036854775808,"nan":0,"b2i":1})");
  }

  TEST_CASE("int, uint and float comparisons") {
    CHECK(run(R"(
    ldk i0, -1
    ldk i1, 2
    msg.new
    eq.i b0, i0, i1
    set.b "eq.i", b0
    ne.i b0, i0, i1
    set.b "ne.i", b0
    lt.i b0, i0, i1
    set.b "lt.i", b0
    le.i b0, i1, i1
    set.b "le.i", b0
    ldu u0, -1
    ldu u1, 2
    eq.u b0, u0, u1
    set.b "eq.u", b0
    ne.u b0, u0, u1
    set.b "ne.u", b0
    lt.u b0, u0, u1
    set.b "lt.u", b0
    le.u b0, u1, u1
    set.b "le.u", b0
    ldd f0, 0.5
    ldd f1, 1.5
    eq.f b0, f0, f1
    set.b "eq.f", b0
    ne.f b0, f0, f1
    set.b "ne.f", b0
    lt.f b0, f0, f1
    set.b "lt.f", b0
    le.f b0, f1, f0
    set.b "le.f", b0
    ret)") == R"({"eq.i":false,"ne.i":true,"lt.i":true,"le.i":true,"eq.u":false,"ne.u":true,"lt.u":false,)"
              R"("le.u":true,"eq.f":false,"ne.f":true,"lt.f":true,"le.f":false})");
  }

  TEST_CASE("bool, str and bytes comparisons") {
    CHECK(
        run(R"(
    ldb b0, 1
    ldb b1, 0
    msg.new
    eq.b b2, b0, b1
    set.b "eq.b", b2
    ne.b b2, b0, b1
    set.b "ne.b", b2
    not.b b2, b0
    set.b "not.b", b2
    lds s0, "abc"
    lds s1, "abd"
    eq.s b2, s0, s0
    set.b "eq.s", b2
    ne.s b2, s0, s1
    set.b "ne.s", b2
    eq.s b2, s2, s3
    set.b "empty", b2
    ldy y0, x"01"
    ldy y1, x"0102"
    eq.y b2, y0, y1
    set.b "eq.y", b2
    ne.y b2, y0, y1
    set.b "ne.y", b2
    ret)") ==
        R"({"eq.b":false,"ne.b":true,"not.b":false,"eq.s":true,"ne.s":true,"empty":true,"eq.y":false,"ne.y":true})");
  }

  TEST_CASE("jumps and switch") {
    const std::string body = R"(
    rd.u8 i0
    msg.new
    switch i0, {1: One, 5: Five, _: Other}
One:
    lds s0, "one"
    jmp Done
Five:
    lds s0, "five"
    jmp Done
Other:
    lds s0, "other"
Done:
    set.s "v", s0
    ldk i1, 0
    ldb b0, 1
    jt b0, Yes
    ldk i1, 1
Yes:
    ldb b0, 0
    jf b0, No
    ldk i1, 2
No:
    set.i "flags", i1
    ret)";
    CHECK(run(body, "01") == R"({"v":"one","flags":0})");
    CHECK(run(body, "05") == R"({"v":"five","flags":0})");
    CHECK(run(body, "03") == R"({"v":"other","flags":0})");
    CHECK(run(body, "00") == R"({"v":"other","flags":0})");
    CHECK(run(body, "ff") == R"({"v":"other","flags":0})");
  }

  // Keys close together, or at most 32 apart on average, jump through an array; keys farther
  // apart by search. Either way a key between or beyond them takes the default.
  TEST_CASE("switch over close, spread and far-apart keys") {
    struct Shape {
      std::vector<int64_t> keys;
      bool arrayed;
    };
    std::vector<int64_t> spread;  // ten keys 32 apart: a span of 289, past the 256 always arrayed
    for (int64_t k = 0; k < 10; ++k) spread.push_back(32 * k);
    const Shape shapes[] = {{{-2, 0, 3}, true},
                            {spread, true},
                            {{0, 150, 300}, false},  // 3 keys over 301 values: 100 apart
                            {{-9000000000, 0, 70000}, false}};
    for (const Shape& shape : shapes) {
      std::string cases;
      for (size_t i = 0; i < shape.keys.size(); ++i)
        cases += std::to_string(shape.keys[i]) + ": " + "ABC"[i % 3] + ", ";
      const std::string body = R"(
    rd.i32be i0
    msg.new
    switch i0, {)" + cases + R"(_: D}
A:
    lds s0, "a"
    jmp Done
B:
    lds s0, "b"
    jmp Done
C:
    lds s0, "c"
    jmp Done
D:
    lds s0, "d"
Done:
    set.s "v", s0
    ret)";
      CAPTURE(cases);
      pvm::bc::Module m = vmtest::assemble(vmtest::packet_module(body));
      pvm::bc::index_switches(m);
      REQUIRE(m.functions[0].tables.size() == 1);
      CHECK(m.functions[0].tables[0].dense.empty() == !shape.arrayed);

      const auto word = [](int64_t k) {
        char text[9];
        std::snprintf(text, sizeof text, "%08x", static_cast<uint32_t>(k));
        return std::string(text);
      };
      for (size_t i = 0; i < shape.keys.size(); ++i) {
        const int64_t k = shape.keys[i];
        if (k < INT32_MIN || k > INT32_MAX) continue;  // a 32-bit read cannot give it
        CHECK(run(body, word(k)) == std::string(R"({"v":")") + "abc"[i % 3] + R"("})");
        for (int64_t other : {k - 1, k + 1}) {
          if (std::find(shape.keys.begin(), shape.keys.end(), other) == shape.keys.end())
            CHECK(run(body, word(other)) == R"({"v":"d"})");
        }
      }
      for (const char* other : {"7fffffff", "80000000", "00011171"})
        CHECK(run(body, other) == R"({"v":"d"})");
    }
  }

  // Each compare-and-jump against its compare: the flag stays 1 when it jumped.
  TEST_CASE("compare-and-jump over two registers and against a constant; add.k") {
    const std::string body = R"(
    rd.i8 i0
    rd.i8 i1
    msg.new
    ldb b0, 1
    jeq.i i0, i1, R0
    ldb b0, 0
R0:
    set.b "jeq.i", b0
    ldb b0, 1
    jne.i i0, i1, R1
    ldb b0, 0
R1:
    set.b "jne.i", b0
    ldb b0, 1
    jlt.i i0, i1, R2
    ldb b0, 0
R2:
    set.b "jlt.i", b0
    ldb b0, 1
    jge.i i0, i1, R3
    ldb b0, 0
R3:
    set.b "jge.i", b0
    ldb b0, 1
    jle.i i0, i1, R4
    ldb b0, 0
R4:
    set.b "jle.i", b0
    ldb b0, 1
    jgt.i i0, i1, R5
    ldb b0, 0
R5:
    set.b "jgt.i", b0
    ldb b0, 1
    jeq.k i0, -2, K0
    ldb b0, 0
K0:
    set.b "jeq.k", b0
    ldb b0, 1
    jne.k i0, -2, K1
    ldb b0, 0
K1:
    set.b "jne.k", b0
    ldb b0, 1
    jlt.k i0, -2, K2
    ldb b0, 0
K2:
    set.b "jlt.k", b0
    ldb b0, 1
    jge.k i0, -2, K3
    ldb b0, 0
K3:
    set.b "jge.k", b0
    ldb b0, 1
    jle.k i0, -2, K4
    ldb b0, 0
K4:
    set.b "jle.k", b0
    ldb b0, 1
    jgt.k i0, -2, K5
    ldb b0, 0
K5:
    set.b "jgt.k", b0
    add.k i2, i0, -3
    set.i "add.k", i2
    ret)";
    const auto expect = [](int a, int b) {
      std::string json = "{";
      const bool r[] = {a == b, a != b, a<b, a >= b, a <= b, a> b};
      const bool k[] = {a == -2, a != -2, a<-2, a >= -2, a <= -2, a> - 2};
      const char* names[] = {"jeq", "jne", "jlt", "jge", "jle", "jgt"};
      for (int n = 0; n < 6; ++n)
        json += std::string("\"") + names[n] + ".i\":" + (r[n] ? "true," : "false,");
      for (int n = 0; n < 6; ++n)
        json += std::string("\"") + names[n] + ".k\":" + (k[n] ? "true," : "false,");
      return json + "\"add.k\":" + std::to_string(a - 3) + "}";
    };
    CHECK(run(body, "fe05") == expect(-2, 5));
    CHECK(run(body, "0505") == expect(5, 5));
    CHECK(run(body, "80fe") == expect(-128, -2));
    CHECK(run(body, "7f80") == expect(127, -128));
  }

  // The compare-and-jumps pay fuel for a backward jump as jmp does.
  TEST_CASE("a backward compare-and-jump spends fuel like a jump") {
    CHECK(run(R"(
    ldk i0, 0
Loop:
    add.k i0, i0, 1
    jlt.k i0, 1000000000000, Loop
    ret)")
              .find("fuel") != std::string::npos);
  }

  TEST_CASE("loop.i and loop.k count a register up, then jump while it is below the bound") {
    // Registers start at 0. A counter past its bound still counts, and falls through; it wraps as
    // add.k does; a counter that is its own bound is compared as counted.
    CHECK(run(R"(
    ldk i1, 5
A:
    add.k i2, i2, 10
    loop.i i0, i1, A
B:
    add.k i4, i4, 10
    loop.k i3, 3, B
    ldk i5, 7
    loop.i i5, i1, Skipped
    ldk i6, 9223372036854775807
    loop.k i6, 0, Wrapped
    ldk i5, 0
Wrapped:
    ldk i7, 9223372036854775807
    loop.i i7, i7, Skipped
    msg.new
    set.i "i", i0
    set.i "passes.i", i2
    set.i "k", i3
    set.i "passes.k", i4
    set.i "above", i5
    set.i "wrapped", i6
    set.i "self", i7
Skipped:
    ret)") == R"({"i":5,"passes.i":50,"k":3,"passes.k":30,"above":8,"wrapped":-9223372036854775808,)"
              R"("self":-9223372036854775808})");
  }

  // The jump back costs the loop's 4 code words. Short of them, the run stops at the jump as the
  // interpreter stops it; native code leaves the counter for the interpreter to count again.
  TEST_CASE("loop.i and loop.k spend fuel for a backward jump as jlt.i and jlt.k do") {
    const auto short_of = [](uint64_t done) {
      return "error: offset 0: out of fuel: out of fuel after " + std::to_string(done) +
             " units of work (the next step needs 4, 3 left)";
    };
    for (const std::string loop : {"loop.i i0, i1, Loop", "loop.k i0, 3, Loop"}) {
      INFO(loop);
      const auto program = vmtest::load(vmtest::packet_module("ldk i1, 3\nLoop:\n" + loop + "\nret"));
      pvm::SessionOptions options;
      options.fuel = 8;  // two jumps back
      CHECK_FALSE(vmtest::decode_frame(program, "", options).failed);
      options.fuel = 3;
      CHECK(vmtest::outcome(vmtest::decode_frame(program, "", options)) == short_of(0));
      // Short at the last jump back, where a counter counted twice would not jump. Native code on
      // its own first: an error it failed to report would show as the one of the run above.
      options.fuel = 7;
      if (pvm::jit_available())
        CHECK(vmtest::outcome(vmtest::decode_frame_with(vmtest::on_jit(program), "", options)) ==
              short_of(4));
      CHECK(vmtest::outcome(vmtest::decode_frame(program, "", options)) == short_of(4));
    }
  }

  TEST_CASE("a loop with backward jumps") {
    CHECK(run(R"(
    ldk i0, 0
    ldk i1, 1
    ldk i2, 10
Loop:
    add.i i0, i0, i1
    lt.i b0, i0, i2
    jt b0, Loop
    msg.new
    set.i "n", i0
    ret)") == R"({"n":10})");
  }

  TEST_CASE("fail, expect, check and warn") {
    CHECK(run(R"(fail "no")") == "error: offset 0: rejected: no");
    CHECK(run("ldb b0, 1\nexpect b0, \"fine\"\nmsg.new\nret") == "{}");
    CHECK(run("ldb b0, 0\nexpect b0, \"bad codec\"\nmsg.new\nret") == "error: offset 0: rejected: bad codec");
    CHECK(run("rd.u8 i0\nldb b0, 0\ncheck b0, \"CRC mismatch\"\nmsg.new\nret", "01") ==
          "error: offset 1: rejected: CRC mismatch");
    const auto f =
        vmtest::decode_frame(vmtest::load(vmtest::packet_module("warn \"odd\"\nmsg.new\nret")), "");
    REQUIRE(f.warnings.size() == 1);
    CHECK(f.warnings[0].format("") == "offset 0: warning: odd");
    CHECK(f.json.size() == 1);
  }

  TEST_CASE("fixed-width reads") {
    CHECK(run(R"(
    msg.new
    rd.u8 i0
    set.i "u8", i0
    rd.u16be i0
    set.i "u16be", i0
    rd.u16le i0
    set.i "u16le", i0
    rd.u32be i0
    set.i "u32be", i0
    rd.u32le i0
    set.i "u32le", i0
    rd.u64be u0
    set.u "u64be", u0
    rd.u64le u0
    set.u "u64le", u0
    ret)",
              "ff 0102 0102 fffffffe fffffffe ffffffffffffffff 0100000000000000") ==
          R"({"u8":255,"u16be":258,"u16le":513,"u32be":4294967294,"u32le":4278190079,)"
          R"("u64be":18446744073709551615,"u64le":1})");
    CHECK(run(R"(
    msg.new
    rd.i8 i0
    set.i "i8", i0
    rd.i16be i0
    set.i "i16be", i0
    rd.i16le i0
    set.i "i16le", i0
    rd.i32be i0
    set.i "i32be", i0
    rd.i32le i0
    set.i "i32le", i0
    rd.i64be i0
    set.i "i64be", i0
    rd.i64le i0
    set.i "i64le", i0
    ret)",
              "ff fffe feff fffffffe feffffff fffffffffffffffd fdffffffffffffff") ==
          R"({"i8":-1,"i16be":-2,"i16le":-2,"i32be":-2,"i32le":-2,"i64be":-3,"i64le":-3})");
  }

  TEST_CASE("float reads") {
    CHECK(run(R"(
    msg.new
    rd.f32be f0
    set.f "f32be", f0
    rd.f32le f0
    set.f "f32le", f0
    rd.f64be f0
    set.f "f64be", f0
    rd.f64le f0
    set.f "f64le", f0
    ret)",
              "3fc00000 0000c03f 4037147ae147ae14 14ae47e17a143740") ==
          R"({"f32be":1.5,"f32le":1.5,"f64be":23.08,"f64le":23.08})");
  }

  TEST_CASE("rdset.* reads and sets in one instruction what rd.* and set.* do in two") {
    CHECK(run(R"(
    msg.new
    rdset.u8 i0, "u8"
    rdset.u16be i0, "u16be"
    rdset.u16le i0, "u16le"
    rdset.u32be i0, "u32be"
    rdset.u32le i0, "u32le"
    rdset.u64be u0, "u64be"
    rdset.u64le u0, "u64le"
    ret)",
              "ff 0102 0102 fffffffe fffffffe ffffffffffffffff 0100000000000000") ==
          R"({"u8":255,"u16be":258,"u16le":513,"u32be":4294967294,"u32le":4278190079,)"
          R"("u64be":18446744073709551615,"u64le":1})");
    CHECK(run(R"(
    msg.new
    rdset.i8 i0, "i8"
    rdset.i16be i0, "i16be"
    rdset.i16le i0, "i16le"
    rdset.i32be i0, "i32be"
    rdset.i32le i0, "i32le"
    rdset.i64be i0, "i64be"
    rdset.i64le i0, "i64le"
    ret)",
              "ff fffe feff fffffffe feffffff fffffffffffffffd fdffffffffffffff") ==
          R"({"i8":-1,"i16be":-2,"i16le":-2,"i32be":-2,"i32le":-2,"i64be":-3,"i64le":-3})");
    CHECK(run(R"(
    msg.new
    rdset.f32be f0, "f32be"
    rdset.f32le f0, "f32le"
    rdset.f64be f0, "f64be"
    rdset.f64le f0, "f64le"
    ret)",
              "3fc00000 0000c03f 4037147ae147ae14 14ae47e17a143740") ==
          R"({"f32be":1.5,"f32le":1.5,"f64be":23.08,"f64le":23.08})");
    // The register keeps the value read; a non-finite float is left unset, as set.f leaves it.
    CHECK(run(R"(
    msg.new
    rdset.u8 i0, "a"
    add.k i1, i0, 1
    set.i "b", i1
    rdset.f32be f0, "inf"
    ret)",
              "07 7f800000") == R"({"a":7,"b":8})");
  }

  // A name set again takes the JIT's helper, as does the same text made at run time; a set after
  // the message ended and a float with no JSON form are the interpreter's to refuse.
  TEST_CASE("set.* of a name set before replaces the field, whatever its type was") {
    CHECK(run(R"(
    ldk i0, 7
    ldd f0, 2.5
    ldb b0, 1
    ldu u0, 9
    lds s0, "b"
    ldd f1, 1.0
    ldd f2, 0.0
    div.f f1, f1, f2
    msg.new
    set.f "a", f0
    set.i "a", i0
    set.b "b", b0
    setd.u s0, u0
    set.i "b", i0
    set.s "c", s0
    set.b "c", b0
    set.f "d", f0
    set.f "d", f1
    set.u "a", u0
    ret)") == R"({"a":9,"b":7,"c":true,"d":2.5})");
    CHECK(run("ldk i0, 1\nmsg.new\nset.i \"a\", i0\nmsg.end\nset.i \"a\", i0\nret") ==
          "error: offset 0: rejected: parameter set outside a message");
  }

  // "p.1", "p.2656" and "p.2968" start their index probe in the same slot (vm_message_builder
  // checks that they do): the JIT adds the first itself and leaves the others, and every set
  // again, to the helper, which probes on. Each name stays one field.
  TEST_CASE("names whose probes start in one slot are each one field, set again or read") {
    CHECK(run(R"(
    msg.new
    ldk i0, 1
    set.i "p.1", i0
    ldk i0, 2
    set.i "p.2656", i0
    ldk i0, 3
    set.i "p.2968", i0
    ldk i0, 4
    set.i "p.2656", i0
    get.i i1, "p.2656"
    has b0, "p.2968"
    set.i "got", i1
    set.b "has", b0
    ldk i0, 5
    set.i "p.1", i0
    ret)") == R"({"p.1":5,"p.2656":4,"p.2968":3,"got":4,"has":true})");
  }

  TEST_CASE("rdset.* traps at its read as rd.* does, and at its set as set.* does") {
    CHECK(run("msg.new\nrd.u8 i0\nrdset.u16be i0, \"x\"\nret", "01 02") ==
          "error: offset 1: truncated: need 2 bytes, 1 left");
    CHECK(run("rdset.u8 i0, \"x\"\nret", "01") ==
          "error: offset 1: rejected: parameter set outside a message");
  }

  TEST_CASE("setdiv.i and setdiv.u set a parameter to a number divided by a float") {
    CHECK(run(R"(
    ldk i0, -5
    ldu u0, -1
    ldd f0, 2.0
    ldd f1, 0.0
    msg.new
    setdiv.i "i", i0, f0
    setdiv.u "u", u0, f0
    setdiv.i "inf", i0, f1
    setdiv.u "nan", u1, f1
    ret)") == R"({"i":-2.5,"u":9223372036854776000})");
    CHECK(run("ldd f0, 2.0\nsetdiv.i \"x\", i0, f0\nret") ==
          "error: offset 0: rejected: parameter set outside a message");
  }

  TEST_CASE("setn.* sets the parameter named by a prefix and a number, as itos, cat.s and setd.* do") {
    // 7 and 4095 are names the module keeps; -1 and 4096 are made in the frame's arena.
    const std::string body = R"(
    msg.new
    ldk i0, 7
    ldk i1, -3
    setn.i "din.", i0, i1
    ldu u0, -1
    ldk i0, 4095
    setn.u "din.", i0, u0
    ldd f0, 1.5
    ldk i0, -1
    setn.f "din.", i0, f0
    ldb b0, 1
    ldk i0, 4096
    setn.b "din.", i0, b0
    ldd f1, 0.0
    div.f f1, f0, f1
    setn.f "din.", i0, f1
    ldk i0, 7
    ldk i1, 9
    setn.i "din.", i0, i1
    ret)";
    const std::string expected =
        R"({"din.7":9,"din.4095":18446744073709551615,"din.-1":1.5,"din.4096":true})";
    CHECK(run(body) == expected);
    // Again, from the names kept by the first run, and from the JIT's own.
    CHECK(run(body) == expected);
    CHECK(run(R"(
    msg.new
    ldk i0, 7
    lds s0, "din."
    itos s1, i0
    cat.s s2, s0, s1
    setd.i s2, i0
    setn.i "din.", i0, i0
    ret)") == R"({"din.7":7})");
    // Text and bytes, from the packet and from the arena, under a kept name and a made one.
    CHECK(run(R"(
    msg.new
    ldk i0, 3
    rd.str s0, i0
    setn.s "io.", i0, s0
    ldk i1, 2
    rd.bytes y0, i1
    ldk i0, 4096
    setn.y "io.", i0, y0
    ldk i0, 77
    itos s1, i0
    setn.s "io.", i0, s1
    ldk i0, 5
    setn.y "io.", i0, y0
    ret)",
              "616263ff01") == R"({"io.3":"abc","io.4096":"ff01","io.77":"77","io.5":"ff01"})");
    CHECK(run("ldk i0, 1\nsetn.i \"din.\", i0, i0\nret") ==
          "error: offset 0: rejected: parameter set outside a message");
    CHECK(run("ldk i0, 1\nlds s0, \"x\"\nsetn.s \"din.\", i0, s0\nret") ==
          "error: offset 0: rejected: parameter set outside a message");
    CHECK(run("ldk i0, 1\nldd f0, 1.0\nsetn.f \"din.\", i0, f0\nret") ==
          "error: offset 0: rejected: parameter set outside a message");
  }

  // The name's length is charged as cat.s charges the name it joins: "din.7" is 5 units.
  TEST_CASE("Program::may_set: the names a program's messages can hold") {
    const auto constant = vmtest::load(vmtest::packet_module("msg.new\nldk i0, 1\nset.i \"a.b\", i0\nret"));
    CHECK(constant->may_set("a.b"));
    CHECK(constant->may_set("ident"));
    CHECK(constant->may_set("protocol.id"));
    CHECK_FALSE(constant->may_set("a.c"));
    CHECK_FALSE(constant->may_set("server.timestamp"));
    const auto numbered =
        vmtest::load(vmtest::packet_module("msg.new\nldk i0, 1\nsetn.i \"din.\", i0, i0\nret"));
    CHECK(numbered->may_set("din.1"));
    CHECK(numbered->may_set("din.40960"));
    CHECK(numbered->may_set("din.-3"));
    CHECK_FALSE(numbered->may_set("din.x"));
    CHECK_FALSE(numbered->may_set("din-3"));
    CHECK_FALSE(numbered->may_set("dim.1"));
    // "a." is a string of the module but no setn prefix.
    const auto not_prefix =
        vmtest::load(vmtest::packet_module("msg.new\nldk i0, 1\nlds s0, \"a.\"\nset.i \"b\", i0\nret"));
    CHECK_FALSE(not_prefix->may_set("a.1"));
    const auto dynamic =
        vmtest::load(vmtest::packet_module("msg.new\nldk i0, 1\nlds s0, \"x\"\nsetd.i s0, i0\nret"));
    CHECK(dynamic->may_set("server.timestamp"));
    CHECK(dynamic->may_set("peer"));
  }

  TEST_CASE("setn.* spends fuel for its name's length, on both engines") {
    // Every type, a float with no JSON form too (left unset, its name still paid for); a number
    // whose name the module keeps (7) and one made in the frame (5000). Set twice: the second
    // finds what the first one left.
    const std::pair<std::string, std::string> sets[] = {
        {"ldk i1, -3\nsetn.i \"din.\", i0, i1", "-3"},
        {"ldu u0, 4\nsetn.u \"din.\", i0, u0", "4"},
        {"ldd f0, 1.5\nsetn.f \"din.\", i0, f0", "1.5"},
        {"ldd f0, 1.0\nldd f1, 0.0\ndiv.f f0, f0, f1\nsetn.f \"din.\", i0, f0", ""},
        {"ldb b0, 1\nsetn.b \"din.\", i0, b0", "true"},
        {"lds s0, \"x\"\nsetn.s \"din.\", i0, s0", "\"x\""},
        {"ldy y0, x\"01\"\nsetn.y \"din.\", i0, y0", "\"01\""},
    };
    for (const auto& entry : sets) {
      const std::string& set = entry.first;  // not a structured binding: INFO captures it
      const std::string& value = entry.second;
      for (const int64_t number : {7, 5000}) {
        INFO(set, " of ", number);
        const auto program =
            vmtest::load(vmtest::packet_module("msg.new\nldk i0, " + std::to_string(number) + "\n" + set +
                                               "\n" + set.substr(set.rfind('\n') + 1) + "\nret"));
        const uint64_t length = number == 7 ? 5 : 8;
        pvm::SessionOptions options;
        options.fuel = 2 * length;
        CHECK(vmtest::outcome(vmtest::decode_frame(program, "", options)) ==
              (value.empty() ? "{}" : "{\"din." + std::to_string(number) + "\":" + value + "}"));
        options.fuel = 2 * length - 1;
        const std::string short_of = "error: offset 0: out of fuel: out of fuel after " +
                                     std::to_string(length) + " units of work (the next step needs " +
                                     std::to_string(length) + ", " + std::to_string(length - 1) + " left)";
        if (pvm::jit_available())
          CHECK(vmtest::outcome(vmtest::decode_frame_with(vmtest::on_jit(program), "", options)) == short_of);
        CHECK(vmtest::outcome(vmtest::decode_frame(program, "", options)) == short_of);
      }
    }
  }

  // The gateway's workers share one program: names made by several threads at once are one set.
  TEST_CASE("setn.* names made by several threads at once") {
    const auto program = vmtest::load(vmtest::packet_module(R"(
    msg.new
    ldk i1, 64
  Next:
    rd.u8 i0
    setn.i "din.", i0, i0
    add.k i1, i1, -1
    jgt.k i1, 0, Next
    ret)"));
    std::string input, expected = "{";
    for (int k = 0; k < 64; ++k) {
      const int n = (k * 37) % 64;
      input += "0123456789abcdef"[n >> 4];
      input += "0123456789abcdef"[n & 15];
      expected += (k == 0 ? "" : ",") + std::string("\"din.") + std::to_string(n) + "\":" + std::to_string(n);
    }
    expected += "}";
    std::vector<std::string> outcomes(4);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < outcomes.size(); ++t)
      threads.emplace_back(
          [&, t] { outcomes[t] = vmtest::outcome(vmtest::decode_frame_with(program, input, {})); });
    for (std::thread& t : threads) t.join();
    for (const std::string& o : outcomes) CHECK(o == expected);
  }

  TEST_CASE("a register no instruction of the frame wrote reads as zero, though an earlier frame wrote it") {
    // ftos and hex.u run in the interpreter's step under the JIT too: it must find the zero
    // native code holds, not what the register file kept from the frame before.
    const auto program = vmtest::load(vmtest::packet_module(R"(
    msg.new
    rd.u8 i0
    jeq.k i0, 0, L1
    ldd f0, 2.5
    ldu u0, 255
L1:
    ftos s0, f0
    set.s "f", s0
    hex.u s1, u0
    set.s "u", s1
    ret)"));
    const std::string wrote = R"({"f":"2.5","u":"00000000000000ff"})";
    const std::string zero = R"({"f":"0","u":"0000000000000000"})";
    for (int round = 0; round < 2; ++round) {
      CHECK(vmtest::outcome(vmtest::decode_frame(program, "01")) == wrote);
      CHECK(vmtest::outcome(vmtest::decode_frame(program, "00")) == zero);
    }
    if (pvm::jit_available()) {
      // Each engine after the other, on the register file the other left.
      const auto native = vmtest::on_jit(program);
      for (const bool first_native : {true, false}) {
        CHECK(vmtest::outcome(vmtest::decode_frame_with(first_native ? native : program, "01", {})) == wrote);
        CHECK(vmtest::outcome(vmtest::decode_frame_with(first_native ? program : native, "00", {})) == zero);
        CHECK(vmtest::outcome(vmtest::decode_frame_with(first_native ? native : program, "00", {})) == zero);
        CHECK(vmtest::outcome(vmtest::decode_frame_with(first_native ? program : native, "01", {})) == wrote);
      }
    }
  }

  TEST_CASE("variable-width reads") {
    CHECK(run(R"(
    msg.new
    ldk i0, 3
    rd.unbe u0, i0
    set.u "unbe", u0
    rd.unle u0, i0
    set.u "unle", u0
    rd.snbe i1, i0
    set.i "snbe", i1
    rd.snle i1, i0
    set.i "snle", i1
    ldk i0, 0
    rd.unbe u0, i0
    set.u "zero", u0
    ret)",
              "010203 010203 fffffe feffff") ==
          R"({"unbe":66051,"unle":197121,"snbe":-2,"snle":-2,"zero":0})");
  }

  TEST_CASE("rd.unbe.i and rd.unle.i read as rd.unbe and rd.unle, and keep the bits in an int as u2i does") {
    CHECK(run(R"(
    msg.new
    ldk i0, 3
    rd.unbe.i i1, i0
    set.i "be", i1
    rd.unle.i i1, i0
    set.i "le", i1
    ldk i0, 8
    rd.unbe.i i1, i0
    set.i "wraps", i1
    rd.unle.i i1, i0
    set.i "wraps.le", i1
    ldk i0, 0
    rd.unbe.i i1, i0
    set.i "zero", i1
    ret)",
              "010203 010203 fffffffffffffffe 0100000000000080") ==
          R"({"be":66051,"le":197121,"wraps":-2,"wraps.le":-9223372036854775807,"zero":0})");
  }

  TEST_CASE("bytes, text and BCD reads") {
    CHECK(run(R"(
    msg.new
    ldk i0, 2
    rd.bytes y0, i0
    set.y "bytes", y0
    rd.str s0, i0
    set.s "str", s0
    rd.cstr s1
    set.s "cstr", s1
    ldk i0, 3
    rd.bcd i1, i0
    set.i "bcd", i1
    rd.rest y1
    set.y "rest", y1
    ret)",
              "beef 4f4b 616200 123456 0102") ==
          R"({"bytes":"beef","str":"OK","cstr":"ab","bcd":123456,"rest":"0102"})");
  }

  TEST_CASE("rdat.* reads at an offset of the view and leaves the cursor where it was") {
    // Read back to front after skip 1: every value comes from its offset, and pos stays 1.
    CHECK(run(R"(
    msg.new
    ldk i0, 1
    skip i0
    ldk i0, 9
    rdat.u32le i1, i0
    set.i "u32le", i1
    ldk i0, 5
    rdat.u32be i1, i0
    set.i "u32be", i1
    ldk i0, 3
    rdat.u16le i1, i0
    set.i "u16le", i1
    ldk i0, 1
    rdat.u16be i1, i0
    set.i "u16be", i1
    ldk i0, 0
    rdat.u8 i1, i0
    set.i "u8", i1
    ldk i0, 2
    ldk i1, 13
    rdat.bytes y0, i0, i1
    set.y "bytes", y0
    ldk i1, 15
    rdat.str s0, i0, i1
    set.s "str", s0
    ldk i1, 17
    ldk i0, 0
    rdat.bytes y0, i0, i1
    set.y "empty", y0
    pos i1
    set.i "pos", i1
    ret)",
              "ff 0102 0102 fffffffe fffffffe beef 4f4b") ==
          R"({"u32le":4278190079,"u32be":4294967294,"u16le":513,"u16be":258,"u8":255,)"
          R"("bytes":"beef","str":"OK","empty":"","pos":1})");
  }

  TEST_CASE("rdat.* is relative to the current view and traps as its seek or its read does") {
    // In a sub-view of bytes 1..3, offset 0 is the frame's byte 1 and offset 2 is its end.
    CHECK(run(R"(
    msg.new
    ldk i0, 1
    skip i0
    ldk i0, 2
    view.push i0
    ldk i0, 0
    rdat.u16be i1, i0
    set.i "first", i1
    ldk i0, 2
    ldk i2, 0
    rdat.str s0, i2, i0
    set.s "none", s0
    view.pop
    ret)",
              "aa 0102 bb") == R"({"first":258,"none":""})");
    // The offset as seek checks it: 0..size of the view, the error at the cursor.
    CHECK(run("rd.u8 i0\nldk i0, 5\nrdat.u8 i1, i0\nret", "00 01 02 03") ==
          "error: offset 1: truncated: seek to 5 outside 0..4");
    CHECK(run("ldk i0, -1\nrdat.u8 i1, i0\nret", "00") ==
          "error: offset 0: truncated: seek to -1 outside 0..1");
    // The read as rd.* checks it, at the offset read.
    CHECK(run("ldk i0, 3\nrdat.u16le i1, i0\nret", "00 01 02 03") ==
          "error: offset 3: truncated: need 2 bytes, 1 left");
    CHECK(run("ldk i0, 1\nldk i1, 4\nrdat.bytes y0, i1, i0\nret", "00 01 02 03") ==
          "error: offset 1: truncated: need 4 bytes, 3 left");
    CHECK(run("ldk i0, 1\nldk i1, -1\nrdat.str s0, i1, i0\nret", "00 01") ==
          "error: offset 1: truncated: negative length -1");
  }

  TEST_CASE("cursor: skip, seek, pos, size, remain") {
    CHECK(run(R"(
    msg.new
    ldk i0, 2
    skip i0
    pos i1
    set.i "pos", i1
    size i1
    set.i "size", i1
    remain i1
    set.i "remain", i1
    ldk i0, 1
    seek i0
    rd.u8 i1
    set.i "at1", i1
    ret)",
              "00112233") == R"({"pos":2,"size":4,"remain":2,"at1":17})");
  }

  TEST_CASE("sub-views: reads are bounded, pop moves the parent past the child") {
    CHECK(run(R"(
    msg.new
    ldk i0, 3
    view.push i0
    rd.u8 i1
    set.i "first", i1
    size i2
    set.i "inner.size", i2
    remain i2
    set.i "inner.remain", i2
    view.pop
    pos i2
    set.i "outer.pos", i2
    rd.u8 i1
    set.i "after", i1
    ret)",
              "0a0b0c0d") == R"({"first":10,"inner.size":3,"inner.remain":2,"outer.pos":3,"after":13})");
  }

  TEST_CASE("view.bytes reads a value's bytes; pop leaves the parent cursor where it was") {
    CHECK(run(R"(
    msg.new
    rd.u8 i0
    ldy y0, x"0a0b0c"
    view.bytes y0, "$b"
    rd.u16be i1
    set.i "first", i1
    size i2
    set.i "inner.size", i2
    ldk i3, 1
    view.push i3
    rd.rest y1
    set.y "nested", y1
    view.pop
    pos i2
    set.i "inner.pos", i2
    view.pop
    pos i2
    set.i "outer.pos", i2
    rd.u8 i1
    set.i "after", i1
    ret)",
              "0102") ==
          R"({"first":2571,"inner.size":3,"nested":"0c","inner.pos":3,"outer.pos":1,"after":2})");
  }

  TEST_CASE("unescape and escape use the delimited declaration") {
    const std::string_view delimited =
        ".delimited 0xe7 {x\"e601\": 0xe6, x\"e602\": 0xe7, x\"3e01\": 0x3e, x\"3e02\": 0x3d}\n";
    CHECK(run(R"(
    msg.new
    rd.rest y0
    unescape y1, y0, 0xe7
    set.y "plain", y1
    escape y2, y1, 0xe7
    set.y "again", y2
    ldy y3, x""
    escape y3, y3, 0xe7
    set.y "empty", y3
    ret)",
              "01 e601 e602 3e01 3e02 e6 03",
              delimited) == R"({"plain":"01e6e73e3de603","again":"01e601e6023e013e02e60103","empty":""})");
  }

  TEST_CASE("string and bytes operations") {
    CHECK(run(R"(
    msg.new
    lds s0, "ab"
    lds s1, "cd"
    cat.s s2, s0, s1
    set.s "cat.s", s2
    len.s i0, s2
    set.i "len.s", i0
    ldk i1, 1
    ldk i2, 3
    slice.s s3, s2, i1, i2
    set.s "slice.s", s3
    ldk i2, 99
    slice.s s3, s2, i1, i2
    set.s "clamped", s3
    ldy y0, x"0102"
    ldy y1, x"ff"
    cat.y y2, y0, y1
    set.y "cat.y", y2
    len.y i0, y2
    set.i "len.y", i0
    ldk i2, 2
    slice.y y3, y2, i1, i2
    set.y "slice.y", y3
    ldk i1, 2
    byte.y i3, y2, i1
    set.i "byte.y", i3
    ret)") == R"({"cat.s":"abcd","len.s":4,"slice.s":"bc","clamped":"bcd","cat.y":"0102ff","len.y":3,)"
              R"("slice.y":"02","byte.y":255})");
  }

  TEST_CASE("padded hex and decimal text, and packed integers") {
    CHECK(run(R"(
    msg.new
    ldu u0, 0x1f
    ldk i0, 4
    hex.w s0, u0, i0
    set.s "hex4", s0
    ldk i0, 0
    hex.w s0, u0, i0
    set.s "hex0", s0
    ldk i1, -7
    ldk i0, 3
    dec.w s0, i1, i0
    set.s "dec3", s0
    ldk i1, -9223372036854775808
    ldk i0, 21
    dec.w s0, i1, i0
    set.s "decmin", s0
    ldk i1, 0x0102030405060708
    pack.be y0, i1, 3
    set.y "be3", y0
    pack.le y0, i1, 8
    set.y "le8", y0
    ret)") == R"({"hex4":"001f","hex0":"1f","dec3":"-07","decmin":"-09223372036854775808",)"
              R"("be3":"060708","le8":"0807060504030201"})");
    CHECK(run("ldu u0, 1\nldk i0, 65\nhex.w s0, u0, i0\nret") ==
          "error: offset 0: bad value: width 65 outside 0..64");
    CHECK(run("ldk i1, 1\nldk i0, -1\ndec.w s0, i1, i0\nret") ==
          "error: offset 0: bad value: width -1 outside 0..64");
    CHECK(run("ldk i1, 1\npack.be y0, i1, 9\nret") == "error: offset 0: bad value: width 9 outside 1..8");
    CHECK(run("ldk i1, 1\npack.le y0, i1, 0\nret") == "error: offset 0: bad value: width 0 outside 1..8");
  }

  TEST_CASE("number and hex text") {
    CHECK(
        run(R"(
    msg.new
    ldk i0, -42
    itos s0, i0
    set.s "itos", s0
    ldu u0, -1
    utos s0, u0
    set.s "utos", s0
    ldd f0, 0.1
    ftos s0, f0
    set.s "ftos", s0
    ldy y0, x"00ab"
    hex.y s0, y0
    set.s "hex.y", s0
    ldu u0, 255
    hex.u s0, u0
    set.s "hex.u", s0
    ret)") ==
        R"({"itos":"-42","utos":"18446744073709551615","ftos":"0.1","hex.y":"00ab","hex.u":"00000000000000ff"})");
  }

  TEST_CASE("text and bytes convert both ways; stoi and stof parse whole strings") {
    CHECK(run(R"(
    msg.new
    ldy y0, x"4869"
    y2s s0, y0
    set.s "y2s", s0
    s2y y1, s0
    set.y "s2y", y1
    lds s1, "-17"
    stoi i0, s1
    set.i "stoi", i0
    lds s1, "+2.5e3"
    stof f0, s1
    set.f "stof", f0
    ret)") == R"({"y2s":"Hi","s2y":"4869","stoi":-17,"stof":2500})");
    CHECK(run("lds s0, \"12a\"\nstoi i0, s0\nret") == "error: offset 0: bad value: not a number: '12a'");
    CHECK(run("lds s0, \"inf\"\nstof f0, s0\nret") == "error: offset 0: bad value: not a number: 'inf'");
    CHECK(run("stoi i0, s0\nret") == "error: offset 0: bad value: not a number: ''");
  }

  TEST_CASE("crc over bytes") {
    CHECK(run(R"(
    msg.new
    ldy y0, x"313233343536373839"
    crc i0, y0, arc
    set.i "arc", i0
    crc i0, y0, crc32
    set.i "crc32", i0
    ret)") == R"({"arc":47933,"crc32":3421780262})");
  }

  TEST_CASE("messages: msg.new stores the open one, msg.end stores, open ones are stored at return") {
    CHECK(run(R"(
    ldk i0, 1
    msg.new
    set.i "n", i0
    msg.new
    set.i "n", i0
    msg.end
    msg.new
    ret)") == "{\"n\":1}\n{\"n\":1}\n{}");
  }

  TEST_CASE("setting a parameter again replaces it in place") {
    CHECK(run(R"(
    msg.new
    ldk i0, 1
    set.i "a", i0
    set.i "b", i0
    lds s0, "x"
    set.s "a", s0
    ret)") == R"({"a":"x","b":1})");
  }

  TEST_CASE("a constant name and the same name made at run time are one parameter") {
    CHECK(run(R"(
    msg.new
    ldk i0, 1
    ldk i1, 2
    set.i "io.5", i0
    lds s0, "io."
    ldk i2, 5
    itos s1, i2
    cat.s s2, s0, s1
    setd.i s2, i1
    lds s3, "b"
    setd.i s3, i0
    set.i "b", i1
    ret)") == R"({"io.5":2,"b":2})");
  }

  TEST_CASE("constant names are escaped in JSON as names made at run time are") {
    CHECK(run(R"(
    msg.new
    ldk i0, 1
    set.i "a\"b\n", i0
    set.i "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn", i0
    set.i "caf\xc3\xa9 \xff", i0
    lds s0, "a\"b\n"
    ldk i1, 2
    setd.i s0, i1
    ret)") ==
          "{\"a\\\"b\\u000a\":2,"
          "\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
          "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
          "nnnnnn\":1,\"caf\xc3\xa9 \\u00ff\":1}");
  }

  TEST_CASE("constant names carry their JSON key; names made at run time do not") {
    auto program = vmtest::load(vmtest::packet_module(R"(
    msg.new
    ldk i0, 1
    set.i "position.speed", i0
    lds s0, "custom.x"
    setd.i s0, i0
    set.i "a\"b", i0
    ret)"));
    pvm::Session session(program, {});
    int frames = 0;
    session.feed_frame({}, [&](const pvm::FrameResult& r) {
      ++frames;
      REQUIRE(r.messages.size() == 1);
      const pvm::Message& m = r.messages[0];
      auto key = [](const pvm::Field* f) { return std::string_view(f->name.data() - 1, f->name.size() + 3); };
      REQUIRE(m.find("position.speed") != nullptr);
      CHECK(m.find("position.speed")->name_quoted);
      CHECK(key(m.find("position.speed")) == "\"position.speed\":");
      REQUIRE(m.find("protocol.id") != nullptr);
      CHECK(key(m.find("protocol.id")) == "\"protocol.id\":");
      CHECK_FALSE(m.find("custom.x")->name_quoted);
      CHECK_FALSE(m.find("a\"b")->name_quoted);
    });
    CHECK(frames == 1);
  }

  TEST_CASE("set.f with NaN or infinity sets nothing") {
    CHECK(run(R"(
    msg.new
    ldd f0, 1.0
    ldd f1, 0.0
    div.f f2, f0, f1
    set.f "inf", f2
    div.f f2, f1, f1
    lds s0, "nan"
    setd.f s0, f2
    ret)") == "{}");
  }

  TEST_CASE("dynamic parameter names") {
    CHECK(run(R"(
    msg.new
    lds s0, "io."
    ldk i0, 5
    itos s1, i0
    cat.s s2, s0, s1
    setd.i s2, i0
    lds s3, "u"
    ldu u0, 7
    setd.u s3, u0
    lds s3, "f"
    ldd f0, 0.5
    setd.f s3, f0
    lds s3, "b"
    ldb b0, 1
    setd.b s3, b0
    lds s3, "s"
    setd.s s3, s0
    lds s3, "y"
    ldy y0, x"ab"
    setd.y s3, y0
    ret)") == R"({"io.5":5,"u":7,"f":0.5,"b":true,"s":"io.","y":"ab"})");
  }

  TEST_CASE("get.i and has read the open message") {
    CHECK(run(R"(
    msg.new
    ldk i0, 9
    set.i "a", i0
    ldu u0, 4
    set.u "u", u0
    ldb b0, 1
    set.b "b", b0
    lds s0, "t"
    set.s "s", s0
    get.i i1, "a"
    get.i i2, "u"
    get.i i3, "b"
    get.i i4, "s"
    get.i i5, "missing"
    has b1, "a"
    has b2, "missing"
    msg.new
    set.i "a", i1
    set.i "u", i2
    set.i "b", i3
    set.i "s", i4
    set.i "missing", i5
    set.b "has", b1
    set.b "hasnt", b2
    ret)") ==
          "{\"a\":9,\"u\":4,\"b\":true,\"s\":\"t\"}\n"
          R"({"a":9,"u":4,"b":1,"s":0,"missing":0,"has":true,"hasnt":false})");
    // No open message: nothing is set.
    CHECK(run("get.i i0, \"a\"\nhas b0, \"a\"\nmsg.new\nset.i \"g\", i0\nset.b \"h\", b0\nret") ==
          R"({"g":0,"h":false})");
  }

  TEST_CASE("bytes session slots: a read is a copy that a later write leaves alone") {
    CHECK(run(R"(
    ldy y0, x"0102"
    sset.y @buf, y0
    sget.y y1, @buf
    ldy y2, x"ff"
    sset.y @buf, y2
    sget.y y3, @buf
    msg.new
    set.y "first", y1
    set.y "second", y3
    ret)",
              "", ".session buf y") == R"({"first":"0102","second":"ff"})");
  }

  TEST_CASE("now is the receive time the host gave") {
    auto program = vmtest::load(vmtest::packet_module("now f0\nmsg.new\nset.f \"t\", f0\nret"));
    pvm::Session session(program, {});
    vmtest::Collector c;
    session.feed_frame(vmtest::hex("00"), c.callback(), 1700000000.5);
    session.feed(vmtest::hex("00"), c.callback(), 1700000001.25);
    REQUIRE(c.frames.size() == 2);
    CHECK(vmtest::outcome(c.frames[0]) == R"({"t":1700000000.5})");
    CHECK(vmtest::outcome(c.frames[1]) == R"({"t":1700000001.25})");
  }

  TEST_CASE("session slots and options") {
    const std::string extra =
        ".session count i\n.session name s\n.option level i 3\n.option verbose b true\n"
        ".option label s \"dev\"";
    CHECK(run(R"(
    sget.i i0, @count
    ldk i1, 1
    add.i i0, i0, i1
    sset.i @count, i0
    lds s0, "tracker"
    sset.s @name, s0
    sget.s s1, @name
    sget.i i2, @count
    opt.i i3, %level
    opt.b b0, %verbose
    opt.s s2, %label
    msg.new
    set.i "count", i2
    set.s "name", s1
    set.i "level", i3
    set.b "verbose", b0
    set.s "label", s2
    ret)",
              "", extra) == R"({"count":1,"name":"tracker","level":3,"verbose":true,"label":"dev"})");
  }

  TEST_CASE("sset of ident names later messages") {
    CHECK(run(R"(
    msg.new
    lds s0, "356307042441013"
    sset.s @ident, s0
    msg.new
    ret)") == "{}\n{\"ident\":\"356307042441013\",\"protocol.id\":\"test\"}");
  }

  TEST_CASE("output bytes") {
    const auto f = vmtest::decode_frame(vmtest::load(vmtest::packet_module(R"(
    out.new
    ldk i0, 1
    wr.u8 i0
    ldk i0, 0x0203
    wr.u16be i0
    wr.u16le i0
    ldk i0, 0x04050607
    wr.u32be i0
    wr.u32le i0
    ldu u0, 0x08
    wr.u64be u0
    wr.u64le u0
    ldy y0, x"aa"
    wr.bytes y0
    lds s0, "A"
    wr.str s0
    out.len i1
    ldk i2, 1
    out.tail y1, i2
    crc i3, y1, xor8
    wr.u8 i3
    wr.u8 i1
    out.end
    out.new
    wr.u8 i2
    ret)")),
                                        "");
    REQUIRE(f.replies.size() == 2);
    CHECK(f.replies[0] ==
          "01"
          "0203"
          "0302"
          "04050607"
          "07060504"
          "0000000000000008"
          "0800000000000000"
          "aa"
          "41"
          "eb"
          "1f");
    CHECK(f.replies[1] == "01");
  }

}  // TEST_SUITE
