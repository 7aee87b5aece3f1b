// The assembler and disassembler: every operand kind, every diagnostic, the exact text form,
// and the round trip assemble(disassemble(M)) == M, byte for byte.
#include "pvm/compiler/asm.h"

#include <doctest/doctest.h>

#include <bit>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "pvm/bytecode/serialize.h"

namespace {

using namespace pvm;
using compiler::AsmResult;
using compiler::assemble;
using compiler::disassemble;

constexpr std::string_view kEveryOperand = R"(; every operand kind
.protocol "demo"
.source "demo.pvm"
.session ident s
.session count i
.option extended b false
.option port i -7
.option greeting s "hi\t\"there\""

.func packet.tcp
.regs i=4 u=1 f=2 b=2 s=2 y=2
.param text s1
.loc 12 5 "u32 $length"
    rd.u32be i0                     ; register
    ldk i1, 0x10                    ; int constant
    ldu u0, 18446744073709551615
    ldd f0, 2.5                     ; float constant
    ldb b0, 1                       ; immediate
    lds s0, "reason with \"quotes\" and \x01; not a comment"
    ldy y0, x"0a0B"                 ; bytes
    switch i0, {142: L1, 8: L1, -1: L2, _: L2}
    jmp L1                          ; label
L1:
.loc 13 1 "crc"
    crc i3, y0, arc                 ; CRC algorithm
    sget.s s0, @ident               ; session slot
    sset.i @count, i1
    opt.b b1, %extended             ; option
    opt.i i2, %port
    opt.s s1, %greeting
    jt b1, L2
    ret
L2:
    fail "unknown codec"
.end
)";

std::string messages(const AsmResult& r) {
  std::string out;
  for (const compiler::Diagnostic& d : r.diagnostics) {
    out +=
        std::to_string(d.pos.line) + ":" + std::to_string(d.pos.col) + " " + d.kind + ": " + d.message + "\n";
  }
  return out;
}

AsmResult assemble_ok(std::string_view text) {
  AsmResult r = assemble(text, "t.pasm");
  INFO(messages(r));
  REQUIRE(r.ok);
  CHECK(r.diagnostics.empty());
  return r;
}

// The property the .pvmc toolchain rests on.
void check_round_trip(std::string_view text) {
  const AsmResult first = assemble_ok(text);
  const std::string listing = disassemble(first.module);
  INFO(listing);
  const AsmResult second = assemble(listing, "listing.pasm");
  INFO(messages(second));
  REQUIRE(second.ok);
  CHECK(bc::serialize(second.module) == bc::serialize(first.module));
  CHECK(disassemble(second.module) == listing);
}

uint32_t word(bc::Op op) {
  return static_cast<uint32_t>(op);
}

}  // namespace

TEST_CASE("assembling every operand kind") {
  const AsmResult r = assemble_ok(kEveryOperand);
  const bc::Module& m = r.module;
  CHECK(m.str(m.protocol) == "demo");
  CHECK(m.str(m.source) == "demo.pvm");
  REQUIRE(m.session.size() == 2);
  CHECK(m.str(m.session[1].name) == "count");
  CHECK(m.session[1].cls == bc::RegClass::Int);
  REQUIRE(m.options.size() == 3);
  CHECK(m.options[0].int_default == 0);
  CHECK(m.options[1].int_default == -7);
  CHECK(m.str(m.options[2].str_default) == "hi\t\"there\"");
  CHECK(m.ints == std::vector<int64_t>{16, -1});
  CHECK(m.floats == std::vector<double>{2.5});

  REQUIRE(m.functions.size() == 1);
  const bc::Function& f = m.functions[0];
  CHECK(m.str(f.name) == "packet.tcp");
  CHECK(f.reg_count == std::array<uint16_t, 6>{4, 1, 2, 2, 2, 2});
  REQUIRE(f.params.size() == 1);
  CHECK(m.str(f.params[0].name) == "text");
  CHECK(f.params[0].reg == 10);

  const uint32_t l1 = 25, l2 = 48;
  const std::vector<uint32_t> code = {
      word(bc::Op::RdU32Be), 0,                                            // 0
      word(bc::Op::LdK),     1,  0,                                        // 2
      word(bc::Op::LdU),     4,  1,                                        // 5
      word(bc::Op::LdD),     5,  0,                                        // 8
      word(bc::Op::LdB),     7,  1,                                        // 11
      word(bc::Op::LdS),     9,  10,                                       // 14
      word(bc::Op::LdY),     11, 11,                                       // 17
      word(bc::Op::Switch),  0,  0,                                        // 20
      word(bc::Op::Jmp),     l1,                                           // 23
      word(bc::Op::Crc),     3,  11, static_cast<uint32_t>(bc::Crc::Arc),  // 25
      word(bc::Op::SGetS),   9,  0,                                        // 29
      word(bc::Op::SSetI),   1,  1,                                        // 32
      word(bc::Op::OptB),    8,  0,                                        // 35
      word(bc::Op::OptI),    2,  1,                                        // 38
      word(bc::Op::OptS),    10, 2,                                        // 41
      word(bc::Op::Jt),      8,  l2,                                       // 44
      word(bc::Op::Ret),                                                   // 47
      word(bc::Op::Fail),    12,                                           // 48
  };
  CHECK(f.code == code);
  REQUIRE(f.tables.size() == 1);
  using Cases = std::vector<std::pair<int64_t, uint32_t>>;
  CHECK(f.tables[0].cases == Cases{{-1, l2}, {8, l1}, {142, l1}});
  CHECK(f.tables[0].default_target == l2);
  REQUIRE(f.lines.size() == 2);
  CHECK(f.lines[0].pc == 0);
  CHECK(f.lines[0].line == 12);
  CHECK(f.lines[0].col == 5);
  CHECK(m.str(f.lines[0].what) == "u32 $length");
  CHECK(f.lines[1].pc == l1);

  // Strings in order of first use: header, session, options, then the function.
  CHECK(m.strings == std::vector<std::string>{"demo", "demo.pvm", "ident", "count", "extended", "port",
                                              "greeting", "hi\t\"there\"", "packet.tcp", "text",
                                              "reason with \"quotes\" and \x01; not a comment",
                                              std::string("\x0a\x0b"), "unknown codec", "u32 $length",
                                              "crc"});
}

TEST_CASE("the disassembly of a tiny program") {
  const AsmResult r = assemble_ok(R"(.protocol "tiny"
.option mode s "a\\b"
.func "packet tcp"
.regs i=1 u=0 f=1 b=1 s=0 y=0
.loc 3 1 "u8 $x"
    rd.u8 i0
    ldd f0, 5
    eq.i b0, i0, i0
    jt b0, done
.loc 4 2
    fail "odd\n"
done: ret
.end
)");
  CHECK(disassemble(r.module) == R"(.protocol "tiny"
.source ""
.option mode s "a\\b"

.func "packet tcp"
.regs i=1 u=0 f=1 b=1 s=0 y=0
.loc 3 1 "u8 $x"
    rd.u8 i0
    ldd f0, 5.0
    eq.i b0, i0, i0
    jt b0, L14
.loc 4 2 ""
    fail "odd\n"
L14:
    ret
.end
)");
}

TEST_CASE("round trip: every operand kind") {
  check_round_trip(kEveryOperand);
}

TEST_CASE("round trip: several functions with switches, locs, params, session and options") {
  check_round_trip(R"(.protocol "multi"
.source "dir/multi.pvm"
.session ident s
.session seq i
.session "last reply" s
.option strict b true
.option limit i 9223372036854775807
.option floor i -9223372036854775808
.option banner s ""

.func framing.tcp
.regs i=3 u=0 f=0 b=1 s=0 y=0
.loc 1 1 "u16 $len"
    rd.u16be i0
    ldk i1, 2
    add.i i2, i0, i1
    ret.i i2
.end

.func packet.tcp
.regs i=3 u=2 f=3 b=2 s=3 y=2
.loc 5 3 "u8 $type"
top:
    rd.u8 i0
    switch i0, {1: one, 2: two, -9223372036854775808: two, 9223372036854775807: one, _: other}
one:
.loc 6 5 "login"
    rd.rest y0
    sget.i i1, @seq
    ldk i2, 1
    add.i i1, i1, i2
    sset.i @seq, i1
    msg.new
    set.y "raw", y0
    set.i "seq", i1
    msg.end
    out.new
    wr.u8 i1
    out.end
    sset.s @"last reply", s0
    ret
two:
    ldd f0, 0.1
    ldd f1, -0.0
    ldd f2, 1e300
    mul.f f0, f1, f2
    f2i i2, f0
    opt.b b0, %strict
    jf b0, top
    remain i2
    jt b0, one
    ret
other:
    opt.s s1, %banner
    expect b1, "unknown type"
    warn "odd"
    check b1, "crc"
    fail "unknown type"
.end

.func command.reboot
.regs i=1 u=1 f=0 b=0 s=2 y=1
.param delay i0
.param "reason text" s1
    out.new
    wr.u8 i0
    i2u u0, i0
    wr.u64be u0
    lds s0, "reboot"
    wr.str s0
    wr.str s1
    ldy y0, x""
    wr.bytes y0
    out.end
    ret
.end
)");
}

TEST_CASE("delimited framings, the E operand and call chains in .loc round-trip") {
  const std::string text = R"(.protocol "d"
.source "d.pvm"
.session ident s
.delimited 0xe7 {x"3e01": 0x3e, x"3e02": 0x3d, x"e601": 0xe6, x"e602": 0xe7}
.delimited 0x7e {x"7d02": 0x7e, x"7d01": 0x7d}

.func packet.tcp
.regs i=0 u=0 f=0 b=0 s=0 y=2
.loc 3 5 "rest"
    rd.rest y0
.loc 12 9 "unescape" in "lib/items.pvm" via 40 3 via 7 1 in "lib/other.pvm" via 2 2
    unescape y1, y0, 0x7e
.loc 13 9 "escape" in "lib/items.pvm" via 40 3 via 7 1 in "lib/other.pvm" via 2 2
    escape y1, y1, 0xe7
.loc 14 1
    ret
.end
)";
  check_round_trip(text);
  const bc::Module m = assemble_ok(text).module;
  REQUIRE(m.delimited.size() == 2);
  CHECK(m.delimited[0].delimiter == 0x7e);  // sorted
  CHECK(m.delimited[1].escapes[0].sequence == "\x3e\x01");
  REQUIRE(m.files.size() == 2);
  CHECK(m.str(m.files[0]) == "lib/items.pvm");
  const bc::Function& f = m.functions[0];
  REQUIRE(f.sites.size() == 3);  // the two .locs share one chain
  CHECK(f.lines[1].site == 3);
  CHECK(f.lines[2].site == 3);
  CHECK(f.lines[1].file == 1);
  CHECK(f.sites[2].line == 40);
  CHECK(f.sites[2].parent == 2);
  CHECK(f.sites[1].file == 2);
  CHECK(f.sites[0].parent == 0);
  const std::string listing = disassemble(m);
  CHECK(listing.find(".delimited 0x7e {x\"7d01\": 0x7d, x\"7d02\": 0x7e}\n") != std::string::npos);
  CHECK(listing.find(".loc 12 9 \"unescape\" in \"lib/items.pvm\" via 40 3 via 7 1 in \"lib/other.pvm\" via 2 2\n") !=
        std::string::npos);
  CHECK(listing.find("    unescape y1, y0, 0x7e\n") != std::string::npos);
}

TEST_CASE("escape tables: declared by name, named by the E operand, round-trip") {
  const std::string text = R"(.protocol "d"
.source "d.pvm"
.session ident s
.delimited 0x7e {x"7d02": 0x7e, x"7d01": 0x7d}
.escape STAR {x"7d05": 0x2a, x"7d01": 0x7d}
.escape HASH {x"2301": 0x23}

.func packet.tcp
.regs i=0 u=0 f=0 b=0 s=0 y=2
.loc 3 5 "rest"
    rd.rest y0
    unescape y1, y0, HASH
    escape y1, y1, STAR
    unescape y1, y1, 0x7e
    ret
.end
)";
  check_round_trip(text);
  const bc::Module m = assemble_ok(text).module;
  REQUIRE(m.escape_tables.size() == 2);
  CHECK(m.escape_tables[0].name == "STAR");  // in declaration order: code words index them
  CHECK(m.escape_tables[0].escapes[0].sequence == "\x7d\x01");  // sorted by sequence
  CHECK(m.functions[0].code[5] == bc::kNamedEscapesBase + 1);
  CHECK(m.functions[0].code[9] == bc::kNamedEscapesBase);
  CHECK(m.functions[0].code[13] == 0x7e);
  const std::string listing = disassemble(m);
  CHECK(listing.find(".escape STAR {x\"7d01\": 0x7d, x\"7d05\": 0x2a}\n.escape HASH {x\"2301\": 0x23}\n") !=
        std::string::npos);
  CHECK(listing.find("    unescape y1, y0, HASH\n") != std::string::npos);
  CHECK(listing.find("    escape y1, y1, STAR\n") != std::string::npos);
}

TEST_CASE("round trip: floats and strings keep every bit") {
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) {
    static constexpr char kHex[] = "0123456789abcdef";
    all_bytes += "\\x";
    all_bytes += kHex[b >> 4];
    all_bytes += kHex[b & 15];
  }
  const std::string text = R"(.protocol "f"
.func packet.udp
.regs i=0 u=0 f=1 b=0 s=1 y=1
    ldd f0, 0.1
    ldd f0, 0.30000000000000004
    ldd f0, -0.0
    ldd f0, 0
    ldd f0, 5e-324
    ldd f0, 1.7976931348623157e308
    ldd f0, -2.2250738585072014e-308
    ldd f0, inf
    ldd f0, -inf
    ldd f0, nan
    ldd f0, 123456789012345678
    ldd f0, +1.5
    lds s0, ")" + all_bytes +
                           R"("
    ldy y0, x"00ff7f80"
    ret
.end
)";
  check_round_trip(text);
  const AsmResult r = assemble_ok(text);
  REQUIRE(r.module.floats.size() == 12);
  CHECK(r.module.floats[0] == 0.1);
  CHECK(r.module.floats[1] == 0.30000000000000004);
  CHECK(std::bit_cast<uint64_t>(r.module.floats[2]) == 0x8000000000000000u);
  CHECK(std::bit_cast<uint64_t>(r.module.floats[3]) == 0);
  CHECK(r.module.floats[4] == 5e-324);
  REQUIRE(r.module.strings.size() == 5);
  CHECK(r.module.strings[3].size() == 256);
  CHECK(r.module.strings[4] == std::string("\x00\xff\x7f\x80", 4));
}

TEST_CASE("the bytes depend on the program, not on how the text is written") {
  const AsmResult a = assemble_ok(R"(.protocol "p"
.func f
.regs i=2 u=0 f=0 b=1 s=0 y=0
    ldk i0, 16
    ldk i1, 7
    eq.i b0, i0, i1
    jt b0, yes
    fail "no"
yes:
    ret
.end
)");
  const AsmResult b = assemble_ok(R"(; the same program, spelt differently
.protocol    "p"     ; protocol
  .func f
.regs i=2 u=0 f=0 b=1 s=0 y=0
  ldk i0,0x10
  ldk   i1 ,  +7
  eq.i b0,i0,i1
  jt b0 , L99
  fail "\x6eo"
L99:   ret
  .end)");
  CHECK(bc::serialize(a.module) == bc::serialize(b.module));
}

TEST_CASE("each diagnostic kind, where it points") {
  const std::string head =
      ".protocol \"p\"\n.session ident s\n.option on b true\n.func f\n.regs i=2 u=0 f=1 b=1 s=1 y=1\n";
  const auto body = [&](std::string text) { return head + text + "\n.end\n"; };
  struct Case {
    std::string text;
    std::string_view kind;
    uint32_t line;
    uint32_t col;
  };
  const std::vector<Case> cases = {
      {body("    frob i0"), "asm-unknown-opcode", 6, 5},
      {body("    add.i i0, f0, i1"), "asm-register-class", 6, 15},
      {body("    add.i i0, i1, i2"), "asm-register-range", 6, 19},
      {body("    add.i i0, i1"), "asm-operand-count", 6, 17},
      {body("    add.i i0, i1, i1, i1"), "asm-operand-count", 6, 21},
      {body("    add.i i0 i1, i1"), "asm-bad-operand", 6, 14},
      {body("    ldk i0, 1.5"), "asm-bad-operand", 6, 13},
      {body("    ldb b0, -1"), "asm-bad-operand", 6, 13},
      {body("    lds s0, x\"00\""), "asm-bad-operand", 6, 13},
      {body("    jmp nowhere\n    ret"), "asm-unknown-label", 6, 9},
      {body("L1:\n    ret\nL1:\n    ret"), "asm-duplicate-label", 8, 1},
      {body("    switch i0, {1: L1, 1: L1, _: L1}\nL1:\n    ret"), "asm-duplicate-key", 6, 24},
      {body("    switch i0, {1: L1}\nL1:\n    ret"), "asm-bad-operand", 6, 16},
      {body("    switch i0, {1 L1, _: L1}\nL1:\n    ret"), "asm-bad-operand", 6, 19},
      {body("    jmp L1\nL1:"), "asm-dangling-label", 6, 9},
      {body("    sget.i i0, @nope\n    ret"), "asm-unknown-session", 6, 16},
      {body("    sget.i i0, @ident\n    ret"), "asm-session-class", 6, 16},
      {body("    opt.b b0, %off\n    ret"), "asm-unknown-option", 6, 15},
      {body("    opt.i i0, %on\n    ret"), "asm-option-class", 6, 15},
      {body("    crc i0, y0, crc99"), "asm-unknown-crc", 6, 17},
      {body("    lds s0, \"bad \\q\""), "asm-bad-string", 6, 18},
      {body("    lds s0, \"open"), "asm-bad-string", 6, 13},
      {body("    ldy y0, x\"abc\""), "asm-bad-bytes", 6, 13},
      {body("    ret ?"), "asm-syntax", 6, 9},
      {body(".frob"), "asm-unknown-directive", 6, 1},
      {body(".regs i=1 u=0 f=0 b=0 s=0 y=0"), "asm-duplicate-directive", 6, 1},
      {body(".regs i=1 u=0"), "asm-duplicate-directive", 6, 1},
      {body(".loc x 1"), "asm-bad-directive", 6, 6},
      {body(".loc 1 1 \"x\" by 2 2"), "asm-bad-directive", 6, 14},
      {body(".loc 1 1 \"x\" via 2"), "asm-bad-directive", 6, 19},
      {body(".loc 1 1 \"x\" in lib"), "asm-bad-directive", 6, 17},
      {body("    unescape y0, y0, 0x7e\n    ret"), "asm-bad-operand", 6, 22},
      {body("    unescape y0, y0, 300\n    ret"), "asm-bad-operand", 6, 22},
      {".protocol \"p\"\n.delimited 0x7e {x\"7d02\": 0x7e}\n", "asm-bad-directive", 2, 1},
      {".protocol \"p\"\n.delimited 0x7e {x\"7d02\" 0x7e}\n", "asm-bad-directive", 2, 26},
      {".protocol \"p\"\n.delimited 0x7e {\"7d02\": 0x7e}\n", "asm-bad-directive", 2, 18},
      {".protocol \"p\"\n.delimited 0x100 {}\n", "asm-bad-directive", 2, 12},
      {body("    unescape y0, y0, STAR\n    ret"), "asm-bad-operand", 6, 22},
      {".protocol \"p\"\n.escape S {x\"7d01\": 0x2a}\n", "asm-bad-directive", 2, 1},
      {".protocol \"p\"\n.escape {x\"7d01\": 0x7d}\n", "asm-bad-directive", 2, 9},
      {".protocol \"p\"\n.escape S {x\"7d01\": 0x7d}\n.escape S {x\"7d01\": 0x7d}\n", "asm-duplicate-directive", 3, 1},
      {".protocol \"p\"\n.delimited 0x7e {x\"7d02\": 0x7e, x\"7d01\": 0x7d}\n"
       ".delimited 0x7e {x\"7d02\": 0x7e, x\"7d01\": 0x7d}\n",
       "asm-duplicate-directive", 3, 1},
      {body(".param p i9"), "asm-register-range", 6, 10},
      {".protocol \"p\"\n.protocol \"q\"\n", "asm-duplicate-directive", 2, 1},
      {".protocol \"p\"\n.func f\n    ret\n.regs i=1 u=0 f=0 b=0 s=0 y=0\n.end\n", "asm-misplaced-directive",
       4, 1},
      {".protocol \"p\"\n.func f\n.regs i=1 u=0 y=0 f=0 b=0 s=0\n.end\n", "asm-bad-directive", 3, 15},
      {".protocol \"p\"\n.func f\n.regs i=70000 u=0 f=0 b=0 s=0 y=0\n.end\n", "asm-limit", 3, 7},
      {".protocol \"p\"\n.func f\n.regs i=4000 u=0 f=0 b=0 s=0 y=100\n.end\n", "asm-limit", 3, 1},
      {".protocol \"p\"\n.func f\n    ret\n.end\n.func f\n    ret\n.end\n", "asm-duplicate-function", 5, 1},
      {".protocol \"p\"\n.session a i\n.session a s\n", "asm-duplicate-session", 3, 10},
      {".protocol \"p\"\n.option a i 1\n.option a b true\n", "asm-duplicate-option", 3, 9},
      {".protocol \"p\"\n.option a b yes\n", "asm-bad-directive", 2, 13},
      {".protocol \"p\"\n.option a u 1\n", "asm-bad-directive", 2, 11},
      {".protocol \"p\"\n    ret\n", "asm-outside-function", 2, 5},
      {".protocol \"p\"\nL1:\n", "asm-outside-function", 2, 1},
      {".protocol \"p\"\n.end\n", "asm-outside-function", 2, 1},
      {".protocol \"p\"\n.func f\n    ret\n", "asm-unterminated-function", 2, 1},
      {".func f\n    ret\n.end\n", "asm-missing-protocol", 1, 1},
      {body("    ret\n9x: ret"), "asm-bad-label", 7, 1},
      {body("    lds s0, \"" + std::string(pvm::bc::kMaxStringBytes + 1, 'x') + "\"\n    ret"), "asm-limit",
       6, 13},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    const AsmResult r = assemble(c.text, "bad.pasm");
    INFO(messages(r));
    CHECK_FALSE(r.ok);
    REQUIRE_FALSE(r.diagnostics.empty());
    const compiler::Diagnostic& d = r.diagnostics[0];
    CHECK(d.kind == c.kind);
    CHECK(d.pos.line == c.line);
    CHECK(d.pos.col == c.col);
    CHECK(d.severity == compiler::Severity::Error);
    CHECK(d.file == "bad.pasm");
    CHECK_FALSE(d.message.empty());
    size_t start = 0;
    for (uint32_t k = 1; k < c.line; ++k) start = c.text.find('\n', start) + 1;
    CHECK(d.source_line == c.text.substr(start, c.text.find('\n', start) - start));
  }
}

TEST_CASE("hints name the likely fix") {
  const AsmResult r = assemble(
      ".protocol \"p\"\n.session count i\n.func f\n.regs i=1 u=0 f=0 b=0 s=0 y=1\n"
      "    ad.i i0, i0, i0\n    crc i0, y0, modbsu\n    sget.i i0, @cuont\n    jmp lop\n"
      "loop:\n    ret\n.end\n",
      "h.pasm");
  REQUIRE(r.diagnostics.size() == 4);
  CHECK(r.diagnostics[0].hint == "did you mean 'add.i'?");
  CHECK(r.diagnostics[1].hint == "did you mean 'modbus'?");
  CHECK(r.diagnostics[2].hint == "did you mean 'count'?");
  CHECK(r.diagnostics[3].hint == "did you mean 'loop'?");
}

TEST_CASE("every error in a file is reported, in line order") {
  const AsmResult r = assemble(R"(.protocol "p"
.func f
.regs i=1 u=0 f=0 b=0 s=0 y=0
    add.i i0, f0, i9
    frob
    jmp missing
    ldk i0, zz
    ret
.end
)",
                               "many.pasm");
  CHECK_FALSE(r.ok);
  std::vector<std::string> kinds;
  for (const compiler::Diagnostic& d : r.diagnostics) kinds.push_back(d.kind);
  CHECK(kinds == std::vector<std::string>{"asm-register-class", "asm-register-range", "asm-unknown-opcode",
                                          "asm-unknown-label", "asm-bad-operand"});
}

TEST_CASE("a damaged module disassembles without crashing and cannot be reassembled silently") {
  AsmResult r = assemble_ok(kEveryOperand);
  bc::Function& f = r.module.functions[0];
  f.code[1] = 999;                       // register out of range
  f.code[22] = 7;                        // no such table
  f.code.push_back(250);                 // unknown opcode
  f.code.push_back(word(bc::Op::AddI));  // truncated instruction
  r.module.strings.pop_back();           // a line entry's string is now missing
  const std::string text = disassemble(r.module);
  CHECK(text.find("?reg999") != std::string::npos);
  CHECK(text.find("?table7") != std::string::npos);
  CHECK(text.find("?string14") != std::string::npos);
  CHECK_FALSE(assemble(text, "damaged.pasm").ok);
}

TEST_CASE("random edits of a valid program never crash the assembler, and what assembles round-trips") {
  std::mt19937 rng(20240611);
  static constexpr std::string_view kAlphabet = "ilfsy0123456789 ,:{}@%=\"\\x_.-;\nLabcdeq";
  const std::string base(kEveryOperand);
  int assembled = 0;
  for (int iteration = 0; iteration < 2000; ++iteration) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % text.size();
      const char c = kAlphabet[rng() % kAlphabet.size()];
      switch (rng() % 3) {
        case 0:
          text[at] = c;
          break;
        case 1:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          text.erase(at, 1 + rng() % 8);
          break;
      }
    }
    const AsmResult r = assemble(text, "fuzz.pasm");
    CHECK(r.ok == r.diagnostics.empty());
    if (!r.ok) continue;
    ++assembled;
    const AsmResult again = assemble(disassemble(r.module), "again.pasm");
    REQUIRE(again.ok);
    CHECK(bc::serialize(again.module) == bc::serialize(r.module));
  }
  CHECK(assembled > 0);
}
