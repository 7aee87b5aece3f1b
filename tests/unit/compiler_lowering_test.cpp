// Lowering, through the assembly it prints: the module header, registers, reads in both byte
// orders, `at`, sub-views, loops, switches, inlined functions and the comparisons that need
// more than one instruction.
#include <doctest/doctest.h>

#include "compiler_test_util.h"
#include "pvm/vm.h"

namespace {

// The instructions of one function of a program that must compile.
std::string code(const std::string& source, const std::string& function = "packet.tcp") {
  auto r = ctest::compile(source);
  INFO(ctest::rendered(r));
  REQUIRE(r.ok);
  std::string error;
  CHECK(pvm::Program::load(r.module, error) != nullptr);  // what the compiler makes always verifies
  return ctest::function_code(r.asm_text, function);
}

std::string packet(const std::string& body, const std::string& decls = "") {
  return code("protocol p\n" + decls + "packet tcp {\n" + body + "\n}\n");
}

}  // namespace

TEST_CASE("lowering: the whole assembly of a small protocol") {
  auto r = ctest::compile(
      "protocol demo\nsession count: int\noption verbose: bool = true\noption name: str = \"x\"\n"
      "packet tcp {\n    emit { #custom.a = u8 }\n}\n");
  REQUIRE(r.ok);
  CHECK(r.asm_text ==
        "; PVM assembly of protocol demo\n"
        ".protocol \"demo\"\n"
        ".source \"test.pvm\"\n"
        ".session ident s\n"
        ".session count i\n"
        ".option name s \"x\"\n"
        ".option verbose b true\n"
        "\n"
        ".func packet.tcp\n"
        ".regs i=1 u=0 f=0 b=0 s=0 y=0\n"
        ".loc 6 5 \"emit { #custom.a = u8 }\"\n"
        "    msg.new\n"
        ".loc 6 12 \"emit { #custom.a = u8 }\"\n"
        "    rdset.u8 i0, \"custom.a\"\n"
        "    msg.end\n"
        "    ret\n"
        ".end\n");
}

TEST_CASE("lowering: reads take the file's byte order unless a suffix says otherwise") {
  const std::string body =
      "    $a = u16\n    $b = i32be\n    $c = f64\n    $d = unsigned(3)\n    $e = signed(2)";
  // Values nobody reads share registers; the reads stay, as they move the cursor.
  CHECK(packet(body) ==
        ".regs i=2 u=1 f=1 b=0 s=0 y=0\n"
        "    rd.u16be i0\n"
        "    rd.i32be i0\n"
        "    rd.f64be f0\n"
        "    ldk i0, 3\n"
        "    rd.unbe u0, i0\n"
        "    ldk i0, 2\n"
        "    rd.snbe i1, i0\n"
        "    ret\n");
  // The byteorder line counts for the whole file, also for what comes before it.
  CHECK(code("protocol p\npacket tcp {\n" + body + "\n}\nbyteorder little\n") ==
        ".regs i=2 u=1 f=1 b=0 s=0 y=0\n"
        "    rd.u16le i0\n"
        "    rd.i32be i0\n"
        "    rd.f64le f0\n"
        "    ldk i0, 3\n"
        "    rd.unle u0, i0\n"
        "    ldk i0, 2\n"
        "    rd.snle i1, i0\n"
        "    ret\n");
}

TEST_CASE("lowering: int(unsigned(n)) is one rd.unbe.i, unless the unsigned value is read again") {
  CHECK(packet("    $w = u8\n    emit { #custom.id = int(unsigned($w)) }") ==
        ".regs i=2 u=0 f=0 b=0 s=0 y=0\n"
        "    rd.u8 i0\n"
        "    msg.new\n"
        "    rd.unbe.i i1, i0\n"
        "    set.i \"custom.id\", i1\n"
        "    msg.end\n"
        "    ret\n");
  CHECK(
      code("protocol p\nbyteorder little\npacket tcp {\n    emit { #custom.id = int(unsigned(u8)) }\n}\n") ==
      ".regs i=2 u=0 f=0 b=0 s=0 y=0\n"
      "    msg.new\n"
      "    rd.u8 i0\n"
      "    rd.unle.i i1, i0\n"
      "    set.i \"custom.id\", i1\n"
      "    msg.end\n"
      "    ret\n");
  CHECK(packet("    $w = u8\n    $u = unsigned($w)\n    emit {\n        #custom.u = $u\n        #custom.i = "
               "int($u)\n    }") ==
        ".regs i=1 u=1 f=0 b=0 s=0 y=0\n"
        "    rd.u8 i0\n"
        "    rd.unbe u0, i0\n"
        "    msg.new\n"
        "    set.u \"custom.u\", u0\n"
        "    u2i i0, u0\n"
        "    set.i \"custom.i\", i0\n"
        "    msg.end\n"
        "    ret\n");
}

TEST_CASE("lowering: `at` reads at an offset and puts the cursor back; the size comes first") {
  // One rdat where the read has one and the offset moves no cursor.
  CHECK(packet("    $b = bytes(pos) at 2") ==
        ".regs i=2 u=0 f=0 b=0 s=0 y=1\n"
        "    pos i0\n"
        "    ldk i1, 2\n"
        "    rdat.bytes y0, i0, i1\n"
        "    ret\n");
  CHECK(packet("    $x = u16 at (pos + 1)") ==
        ".regs i=2 u=0 f=0 b=0 s=0 y=0\n"
        "    pos i0\n"
        "    add.k i1, i0, 1\n"
        "    rdat.u16be i0, i1\n"
        "    ret\n");
  // An offset that reads leaves the cursor after its own read, where the seek back puts it.
  CHECK(packet("    $x = u16 at u8") ==
        ".regs i=2 u=0 f=0 b=0 s=0 y=0\n"
        "    pos i0\n"
        "    rd.u8 i1\n"
        "    seek i1\n"
        "    rd.u16be i1\n"
        "    seek i0\n"
        "    ret\n");
  // A read with no rdat form: a seek there and back.
  CHECK(packet("    $x = cstr at 2") ==
        ".regs i=2 u=0 f=0 b=0 s=1 y=0\n"
        "    pos i0\n"
        "    ldk i1, 2\n"
        "    seek i1\n"
        "    rd.cstr s0\n"
        "    seek i0\n"
        "    ret\n");
}

TEST_CASE("lowering: within pushes a sub-view and pops it") {
  CHECK(packet("    within 4 { skip 1 }") ==
        ".regs i=1 u=0 f=0 b=0 s=0 y=0\n"
        "    ldk i0, 4\n"
        "    view.push i0\n"
        "    ldk i0, 1\n"
        "    skip i0\n"
        "    view.pop\n"
        "    ret\n");
}

TEST_CASE("lowering: a return from inside `within` in an inlined function pops the sub-view") {
  CHECK(
      packet(
          "    $v = first()\n    emit { #custom.v = $v }",
          "fn first() -> int {\n    within 2 {\n        if u8 == 1 { return 7 }\n    }\n    return 0\n}\n") ==
      ".regs i=1 u=0 f=0 b=0 s=0 y=0\n"
      "    ldk i0, 2\n"
      "    view.push i0\n"
      "    rd.u8 i0\n"
      "    jne.k i0, 1, L2\n"
      "    ldk i0, 7\n"
      "    view.pop\n"
      "    jmp L0\n"
      "L2:\n"
      "    view.pop\n"
      "    ldk i0, 0\n"
      "L0:\n"
      "    msg.new\n"
      "    set.i \"custom.v\", i0\n"
      "    msg.end\n"
      "    ret\n");
}

TEST_CASE("lowering: repeat counts up to its count; repeat until end checks that a pass read something") {
  CHECK(packet("    repeat 2 as $i { skip $i }") ==
        ".regs i=1 u=0 f=0 b=0 s=0 y=0\n"
        "    ldk i0, 0\n"
        "    jge.k i0, 2, L1\n"
        "L2:\n"
        "    skip i0\n"
        "    loop.k i0, 2, L2\n"
        "L1:\n"
        "    ret\n");
  CHECK(packet("    repeat until end { skip 1 }") ==
        ".regs i=3 u=0 f=0 b=1 s=0 y=0\n"
        "    ldk i0, 1\n"
        "L0:\n"
        "    remain i1\n"
        "    jle.k i1, 0, L1\n"
        "    pos i2\n"
        "    skip i0\n"
        "    pos i1\n"
        "    ne.i b0, i2, i1\n"
        "    expect b0, \"repeat until end read nothing in one pass\"\n"
        "    jmp L0\n"
        "L1:\n"
        "    ret\n");
}

// The latch of a counted loop, an add.k of 1 and the jlt.i or jlt.k that tests the counter
// against a count read or constant, is one instruction.
TEST_CASE("lowering: a repeat loop counts and tests in one loop.i or loop.k") {
  CHECK(packet("    repeat u8 { skip 1 }\n    repeat 4 as $i { emit { #custom.i = $i } }") ==
        ".regs i=3 u=0 f=0 b=0 s=0 y=0\n"
        "    rd.u8 i0\n"
        "    ldk i1, 0\n"
        "    ldk i2, 1\n"
        "    jge.i i1, i0, L1\n"
        "L4:\n"
        "    skip i2\n"
        "    loop.i i1, i0, L4\n"
        "L1:\n"
        "    ldk i0, 0\n"
        "    jge.k i0, 4, L3\n"
        "L5:\n"
        "    msg.new\n"
        "    set.i \"custom.i\", i0\n"
        "    msg.end\n"
        "    loop.k i0, 4, L5\n"
        "L3:\n"
        "    ret\n");
}

TEST_CASE("lowering: an int match and a table become a switch; a str match compares in turn") {
  CHECK(packet("    match u8 {\n        1, 3 => skip 1\n        _ => skip 2\n    }") ==
        ".regs i=1 u=0 f=0 b=0 s=0 y=0\n"
        "    rd.u8 i0\n"
        "    switch i0, {1: L1, 3: L1, _: L2}\n"
        "L1:\n"
        "    ldk i0, 1\n"
        "    skip i0\n"
        "    jmp L0\n"
        "L2:\n"
        "    ldk i0, 2\n"
        "    skip i0\n"
        "L0:\n"
        "    ret\n");
  CHECK(packet("    match text(2) {\n        \"ok\" => skip 1\n    }") ==
        ".regs i=1 u=0 f=0 b=1 s=2 y=0\n"
        "    ldk i0, 2\n"
        "    rd.str s0, i0\n"
        "    lds s1, \"ok\"\n"
        "    eq.s b0, s0, s1\n"
        "    jt b0, L1\n"
        "    jmp L0\n"
        "L1:\n"
        "    ldk i0, 1\n"
        "    skip i0\n"
        "L0:\n"
        "    ret\n");
  CHECK(packet("    t(u8)", "table t($k: int) {\n    7 => skip 1\n}\n") ==
        ".regs i=1 u=0 f=0 b=0 s=0 y=0\n"
        "    rd.u8 i0\n"
        "    switch i0, {7: L2, _: L1}\n"
        "L2:\n"
        "    ldk i0, 1\n"
        "    skip i0\n"
        "L1:\n"
        "    ret\n");
}

// A read whose value only goes to a parameter is one rdset; a number converted and divided only
// to be set is one setdiv; where the value is also kept (a variable), the register still holds it.
TEST_CASE("lowering: a value read or scaled straight into a parameter is one instruction") {
  CHECK(packet("    emit {\n        #custom.a = u16\n        #custom.b = i32 / 1000\n"
               "        u8 ==> $s ==> #custom.c\n        #custom.d = $s != 0\n    }") ==
        ".regs i=2 u=0 f=1 b=1 s=0 y=0\n"
        "    msg.new\n"
        "    rdset.u16be i0, \"custom.a\"\n"
        "    rd.i32be i0\n"
        "    ldd f0, 1000.0\n"
        "    setdiv.i \"custom.b\", i0, f0\n"
        "    rdset.u8 i0, \"custom.c\"\n"
        "    ldk i1, 0\n"
        "    ne.i b0, i0, i1\n"
        "    set.b \"custom.d\", b0\n"
        "    msg.end\n"
        "    ret\n");
}

// Each arm of a match in a loop ends with its own copy of the loop's latch (loop.k) instead of a
// jump to it; the compare of the loop test is fused with its jump.
TEST_CASE("lowering: the arms of a match in a loop go back to the top themselves") {
  CHECK(
      packet("    repeat 3 {\n        match u8 {\n            1 => { skip 1 }\n            2 => { skip 2 }\n"
             "            _ => { skip 3 }\n        }\n    }") ==
      ".regs i=5 u=0 f=0 b=0 s=0 y=0\n"
      "    ldk i0, 3\n"
      "    ldk i1, 0\n"
      "    ldk i2, 1\n"
      "    ldk i3, 2\n"
      "    jge.k i1, 3, L1\n"
      "L6:\n"
      "    rd.u8 i4\n"
      "    switch i4, {1: L3, 2: L4, _: L5}\n"
      "L3:\n"
      "    skip i2\n"
      "    loop.k i1, 3, L6\n"
      "    jmp L1\n"
      "L4:\n"
      "    skip i3\n"
      "    loop.k i1, 3, L6\n"
      "    jmp L1\n"
      "L5:\n"
      "    skip i0\n"
      "    loop.k i1, 3, L6\n"
      "L1:\n"
      "    ret\n");
}

TEST_CASE("lowering: an int and a uint compare by value") {
  // As uints; a negative int then decides alone. A constant int that is not negative needs no
  // fix, and is loaded as a uint directly.
  CHECK(packet("    $u = u64\n    $i = i8\n    $lt = $i < $u\n    $gt = $u > 5\n    emit {\n        "
               "#custom.lt = $lt\n        #custom.gt = $gt\n    }") ==
        ".regs i=1 u=2 f=0 b=2 s=0 y=0\n"
        "    rd.u64be u0\n"
        "    rd.i8 i0\n"
        "    i2u u1, i0\n"
        "    lt.u b0, u1, u0\n"
        "    jge.k i0, 0, L0\n"
        "    ldb b0, 1\n"
        "L0:\n"
        "    ldu u1, 5\n"
        "    lt.u b1, u1, u0\n"
        "    msg.new\n"
        "    set.b \"custom.lt\", b0\n"
        "    set.b \"custom.gt\", b1\n"
        "    msg.end\n"
        "    ret\n");
}

TEST_CASE("lowering: && and || skip their right side") {
  CHECK(packet("    $b = remaining > 4 && u8 == 1\n    emit { #custom.b = $b }") ==
        ".regs i=2 u=0 f=0 b=1 s=0 y=0\n"
        "    remain i0\n"
        "    ldk i1, 4\n"
        "    lt.i b0, i1, i0\n"
        "    jf b0, L0\n"
        "    rd.u8 i0\n"
        "    ldk i1, 1\n"
        "    eq.i b0, i0, i1\n"
        "L0:\n"
        "    msg.new\n"
        "    set.b \"custom.b\", b0\n"
        "    msg.end\n"
        "    ret\n");
}

TEST_CASE("lowering: an if's &&, || and ! are jumps; bit and bits at constant places mask the value") {
  // No bool is stored: each part jumps where it decides. bit(x, 3) tests x & 8, bits(x, 4, 3)
  // shifts and masks the int itself, with constant operands.
  CHECK(packet("    $x = i16\n    if remaining > 4 && u8 == 1 || !bit($x, 3) {\n"
               "        emit { #custom.a = bits($x, 4, 3) }\n    }") ==
        ".regs i=2 u=0 f=0 b=0 s=0 y=0\n"
        "    rd.i16be i0\n"
        "    remain i1\n"
        "    jle.k i1, 4, L3\n"
        "    rd.u8 i1\n"
        "    jeq.k i1, 1, L2\n"
        "L3:\n"
        "    and.k i1, i0, 8\n"
        "    jne.k i1, 0, L1\n"
        "L2:\n"
        "    msg.new\n"
        "    shr.k i1, i0, 4\n"
        "    and.k i0, i1, 7\n"
        "    set.i \"custom.a\", i0\n"
        "    msg.end\n"
        "L1:\n"
        "    ret\n");
}

TEST_CASE("lowering: expect and check jump past their rejection when the condition holds") {
  // A failing check still goes through `check`, which --crc warn turns into a warning.
  CHECK(packet("    $a = u8\n    check $a == 1 || $a == 3, \"odd\"\n    expect u8 < $a, \"too big\"\n"
               "    emit { #custom.a = $a }") ==
        ".regs i=2 u=0 f=0 b=1 s=0 y=0\n"
        "    rd.u8 i0\n"
        "    jeq.k i0, 1, L0\n"
        "    jeq.k i0, 3, L0\n"
        "    ldb b0, 0\n"
        "    check b0, \"odd\"\n"
        "L0:\n"
        "    rd.u8 i1\n"
        "    jlt.i i1, i0, L1\n"
        "    fail \"too big\"\n"
        "L1:\n"
        "    msg.new\n"
        "    set.i \"custom.a\", i0\n"
        "    msg.end\n"
        "    ret\n");
}

TEST_CASE("lowering: framing returns a length; commands write one output") {
  CHECK(code("protocol p\nframing tcp {\n    return u8 + 1\n}\npacket tcp { skip 1 }\n", "framing.tcp") ==
        ".regs i=2 u=0 f=0 b=0 s=0 y=0\n"
        "    rd.u8 i0\n"
        "    add.k i1, i0, 1\n"
        "    ret.i i1\n");
  CHECK(code("protocol p\ncommand c($n: int) {\n    u16le $n\n    bytes written(0)\n}\n", "command.c") ==
        ".regs i=1 u=0 f=0 b=0 s=0 y=1\n"
        ".param n i0\n"
        "    out.new\n"
        "    wr.u16le i0\n"
        "    ldk i0, 0\n"
        "    out.tail y0, i0\n"
        "    wr.bytes y0\n"
        "    out.end\n"
        "    ret\n");
}

TEST_CASE("lowering: session variables, options and dynamic parameter names") {
  CHECK(packet("    session.n = session.n + 1\n    emit { #din[u8] = option.on }",
               "session n: int\noption on: bool = false\n") ==
        ".regs i=2 u=0 f=0 b=1 s=0 y=0\n"
        "    sget.i i0, @n\n"
        "    add.k i1, i0, 1\n"
        "    sset.i @n, i1\n"
        "    msg.new\n"
        "    rd.u8 i0\n"
        "    opt.b b0, %on\n"
        "    setn.b \"din.\", i0, b0\n"
        "    msg.end\n"
        "    ret\n");
  // An int index with a str value names it by the number; a str index joins the name as text.
  CHECK(packet("    emit {\n        #custom[u8] = \"x\"\n        #custom[\"a\"] = 1\n    }") ==
        ".regs i=1 u=0 f=0 b=0 s=3 y=0\n"
        "    msg.new\n"
        "    rd.u8 i0\n"
        "    lds s0, \"x\"\n"
        "    setn.s \"custom.\", i0, s0\n"
        "    lds s0, \"a\"\n"
        "    lds s1, \"custom.\"\n"
        "    cat.s s2, s1, s0\n"
        "    ldk i0, 1\n"
        "    setd.i s2, i0\n"
        "    msg.end\n"
        "    ret\n");
}
