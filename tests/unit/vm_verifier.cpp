// The verifier rejects each kind of bad module with a message naming the place and the problem.
// Each case assembles a valid module and breaks one thing in it.
#include <doctest/doctest.h>

#include <string>

#include "pvm/bytecode/serialize.h"
#include "pvm/verify.h"
#include "vm_test_util.h"

namespace {

using pvm::bc::Op;

uint32_t op(Op o) {
  return static_cast<uint32_t>(o);
}

std::string check(const pvm::bc::Module& m) {
  std::string error;
  return pvm::verify(m, error) ? "ok" : error;
}

pvm::bc::Module module(std::string_view body, std::string_view extra = "") {
  return vmtest::assemble(vmtest::packet_module(body, extra));
}

// Register numbers of the test functions (kRegs): i 0-7, u 8-11, f 12-15, b 16-19, s 20-23, y 24-27.
constexpr uint32_t kF0 = 12;

}  // namespace

TEST_SUITE("vm verifier") {
  TEST_CASE("a valid module passes") {
    CHECK(check(module("ldk i0, 1\nret")) == "ok");
  }

  TEST_CASE("opcodes must exist and have all their operand words") {
    auto m = module("ldk i0, 1\nret");
    m.functions[0].code[0] = 250;
    CHECK(check(m) == "packet.tcp+0: opcode 250 does not exist");

    m = module("ldk i0, 1\nret");
    m.functions[0].code = {op(Op::Ret), op(Op::LdK), 0};
    CHECK(check(m) == "packet.tcp+1: ldk needs 2 operand words, the code ends after 1");
  }

  TEST_CASE("registers must be in range and of the class the opcode needs") {
    auto m = module("add.i i0, i1, i2\nret");
    m.functions[0].code[3] = kF0;
    CHECK(check(m) == "packet.tcp+0: add.i operand 3 is f0, needs an int register");
    m.functions[0].code[3] = 2;
    m.functions[0].code[1] = 28;
    CHECK(check(m) == "packet.tcp+0: add.i operand 1 is register 28, the function has 28");

    m = module("mov.u u0, u1\nret");
    m.functions[0].code[2] = 21;
    CHECK(check(m) == "packet.tcp+0: mov.u operand 2 is s1, needs a uint register");
  }

  TEST_CASE("jump and switch targets must start an instruction of the function") {
    auto m = module("jmp L\nL:\nldk i0, 1\nret");
    m.functions[0].code[1] = 3;
    CHECK(check(m) == "packet.tcp+0: jmp operand 1 targets word 3, inside an instruction");
    m.functions[0].code[1] = 99;
    CHECK(check(m) == "packet.tcp+0: jmp operand 1 targets word 99, past the end of the code (6 words)");

    m = module("switch i0, {1: A, _: A}\nA:\nret");
    m.functions[0].tables[0].cases[0].second = 1;
    CHECK(check(m) == "packet.tcp: switch table 0 case 0 targets word 1, inside an instruction");
    m = module("switch i0, {1: A, _: A}\nA:\nret");
    m.functions[0].tables[0].default_target = 7;
    CHECK(check(m) ==
          "packet.tcp: switch table 0 default targets word 7, past the end of the code (4 words)");
  }

  TEST_CASE("switch keys ascend, each once") {
    auto m = module("switch i0, {1: A, 2: A, _: A}\nA:\nret");
    m.functions[0].tables[0].cases[1].first = 1;
    CHECK(check(m) ==
          "packet.tcp: switch table 0: key 1 at case 1 does not follow 1 (keys ascend, each once)");
    m.functions[0].tables[0].cases[1].first = 0;
    CHECK(check(m) ==
          "packet.tcp: switch table 0: key 0 at case 1 does not follow 1 (keys ascend, each once)");
  }

  TEST_CASE("the last instruction cannot fall through") {
    auto m = module("ldk i0, 1\nret");
    m.functions[0].code.pop_back();
    CHECK(check(m) == "packet.tcp+0: the function ends with ldk, which falls through");
    m = module("ldk i0, 1\nret");
    m.functions[0].code.clear();
    CHECK(check(m) == "packet.tcp: no code");
    for (const char* end : {"jmp L\nL:\nret", "fail \"x\"", "ret"}) CHECK(check(module(end)) == "ok");
  }

  TEST_CASE("pool, string, table, slot, option and CRC indexes must be in range") {
    auto m = module("ldk i0, 5\nret");
    m.functions[0].code[2] = 99;
    CHECK(check(m) == "packet.tcp+0: ldk operand 2 is int constant 99, there are 1");
    m = module("ldd f0, 0.5\nret");
    m.functions[0].code[2] = 1;
    CHECK(check(m) == "packet.tcp+0: ldd operand 2 is float constant 1, there are 1");
    m = module("lds s0, \"a\"\nret");
    m.functions[0].code[2] = 1000;
    CHECK(check(m).starts_with("packet.tcp+0: lds operand 2 is string 1000, there are "));
    m = module("ldy y0, x\"01\"\nret");
    m.functions[0].code[2] = 1000;
    CHECK(check(m).starts_with("packet.tcp+0: ldy operand 2 is string 1000, there are "));
    m = module("switch i0, {_: A}\nA:\nret");
    m.functions[0].code[2] = 1;
    CHECK(check(m) == "packet.tcp+0: switch operand 2 is switch table 1, there are 1");
    m = module("sget.i i0, @n\nret", ".session n i");
    m.functions[0].code[2] = 2;
    CHECK(check(m) == "packet.tcp+0: sget.i operand 2 is session slot 2, there are 2");
    m = module("opt.b b0, %x\nret", ".option x b false");
    m.functions[0].code[2] = 1;
    CHECK(check(m) == "packet.tcp+0: opt.b operand 2 is option 1, there are 1");
    m = module("crc i0, y0, arc\nret");
    m.functions[0].code[3] = 200;
    CHECK(check(m) == "packet.tcp+0: crc operand 3 is CRC algorithm 200, there are " +
                          std::to_string(pvm::bc::kCrcCount));
  }

  TEST_CASE("session slots and options must match the register class") {
    auto m = module("sget.s s0, @name\nret", ".session name s");
    m.functions[0].code[0] = op(Op::SGetI);
    m.functions[0].code[1] = 0;
    CHECK(check(m) == "packet.tcp+0: sget.i operand 2 is session slot name of class str, needs int");
    m = module("opt.i i0, %level\nret", ".option level i 3");
    m.functions[0].code[0] = op(Op::OptB);
    m.functions[0].code[1] = 16;
    CHECK(check(m) == "packet.tcp+0: opt.b operand 2 is option level of class int, needs bool");
  }

  TEST_CASE("ret.i only in framing functions, ret only elsewhere") {
    auto m = module("ret");
    m.functions[0].code = {op(Op::RetI), 0};
    CHECK(check(m) == "packet.tcp+0: ret.i outside a framing function");
    m = vmtest::assemble(
        ".protocol \"t\"\n.session ident s\n.func framing.tcp\n.regs i=1 u=0 f=0 b=0 s=0 y=0\nret.i "
        "i0\n.end\n");
    CHECK(check(m) == "ok");
    m.functions[0].code = {op(Op::Ret)};
    CHECK(check(m) == "framing.tcp+0: ret in a framing function, which must end with ret.i");
  }

  TEST_CASE("session slot 0 is ident of class str; slots are int, str or bytes; options int, bool or str") {
    auto m = module("ret", ".session count i");
    std::swap(m.session[0], m.session[1]);
    CHECK(check(m) == "session slot 0 must be \"ident\" of class str");
    m = module("ret", ".session count i");
    m.session[1].cls = pvm::bc::RegClass::Float;
    CHECK(check(m) == "session slot 1 (count): class must be int, str or bytes");
    m = module("ret", ".option x b true");
    m.options[0].cls = pvm::bc::RegClass::Bytes;
    CHECK(check(m) == "option 0 (x): class must be int, bool or str");
    m.options[0].cls = static_cast<pvm::bc::RegClass>(9);
    CHECK(check(m) == "option with class 9, which does not exist");
    m = module("ret", ".option x s \"a\"");
    m.options[0].str_default = 5000;
    CHECK(check(m) == "option 0 (x): default is not a valid string index");
  }

  TEST_CASE("register counts, code size, functions, strings and switch cases are limited at their edge") {
    auto m = module("ret");
    m.functions[0].reg_count[0] = 4096 - 20;  // with the 20 registers of the other classes
    CHECK(check(m) == "ok");
    m.functions[0].reg_count[0] += 1;
    CHECK(check(m) == "packet.tcp: 4097 registers, the limit is 4096");

    m = module("ret");
    m.functions[0].code.assign(pvm::bc::kMaxCodeWords, op(Op::Ret));
    CHECK(check(m) == "ok");
    m.functions[0].code.push_back(op(Op::Ret));
    CHECK(check(m) == "packet.tcp: 4194305 code words, the limit is 4194304");

    m = module("ret");
    for (uint32_t k = 1; k < pvm::bc::kMaxFunctions; ++k) {
      m.functions.push_back(m.functions[0]);
      m.functions.back().name = static_cast<uint32_t>(m.strings.size());
      m.strings.push_back("f" + std::to_string(k));
    }
    CHECK(check(m) == "ok");
    m.functions.push_back(m.functions[0]);
    CHECK(check(m) == "module has 1025 functions, the limit is 1024");

    m = module("ret");
    m.strings.resize(pvm::bc::kMaxStrings);
    CHECK(check(m) == "ok");
    m.strings.emplace_back();
    CHECK(check(m) == "module has 1048577 strings, the limit is 1048576");

    m = module("ret");
    m.strings.push_back(std::string(pvm::bc::kMaxStringBytes, 'x'));
    CHECK(check(m) == "ok");
    m.strings.back() += 'x';
    CHECK(check(m) ==
          "string " + std::to_string(m.strings.size() - 1) + " is 1048577 bytes long, the limit is 1048576");

    m = module("ret");
    m.ints.resize(pvm::bc::kMaxPoolEntries);
    CHECK(check(m) == "ok");
    m.floats.resize(pvm::bc::kMaxPoolEntries + 1);
    CHECK(check(m) == "module has 1048576 ints and 1048577 floats, the limit is 1048576 each");

    m = module("switch i0, {_: A}\nA:\nret");
    auto& cases = m.functions[0].tables[0].cases;
    for (int64_t k = 0; k < pvm::bc::kMaxSwitchCases; ++k) cases.emplace_back(k, 3);
    CHECK(check(m) == "ok");
    cases.emplace_back(pvm::bc::kMaxSwitchCases, 3);
    CHECK(check(m) == "packet.tcp: switch table 0 has 65537 cases, the limit is 65536");
  }

  TEST_CASE("params must name registers of the function") {
    auto m = module(".param text s0\nret");
    CHECK(check(m) == "ok");
    m.functions[0].params[0].reg = 99;
    CHECK(check(m) == "packet.tcp: param 0 (text) names register 99, the function has 28");
  }

  TEST_CASE("module-level string references and names") {
    auto m = module("ret");
    m.protocol = 9999;
    CHECK(check(m) == "protocol name is not a valid string index");
    m = module("ret");
    m.functions.push_back(m.functions[0]);
    CHECK(check(m) == "packet.tcp: defined twice");
    // Names the module chose are escaped and cut short where a message shows them.
    m.strings[m.functions[0].name] = "\x1b[2J" + std::string(100, 'f') + "\n";
    CHECK(check(m) == "\\x1b[2J" + std::string(60, 'f') + "...: defined twice");
    m = module(".loc 1 1 \"x\"\nret");
    m.functions[0].lines[0].what = 9999;
    CHECK(check(m) == "packet.tcp: line entry 0: text is not a valid string index");
  }

  TEST_CASE("files, call sites and delimited declarations") {
    const std::string_view delimited = ".delimited 0x7e {x\"7d02\": 0x7e, x\"7d01\": 0x7d}\n";
    auto m = module(".loc 1 1 \"x\" in \"lib/a.pvm\" via 2 2 via 3 3\nret", delimited);
    CHECK(check(m) == "ok");
    m.functions[0].lines[0].file = 2;
    CHECK(check(m) == "packet.tcp: line entry 0: file is file 2, there are 1");
    m = module(".loc 1 1 \"x\" in \"lib/a.pvm\" via 2 2 via 3 3\nret", delimited);
    m.functions[0].lines[0].site = 3;
    CHECK(check(m) == "packet.tcp: line entry 0: site is call site 3, there are 2");
    m = module(".loc 1 1 \"x\" in \"lib/a.pvm\" via 2 2 via 3 3\nret", delimited);
    m.functions[0].sites[0].parent = 2;  // a chain that would loop
    CHECK(check(m) == "packet.tcp: call site 1: parent 2 is not an earlier site");
    m = module(".loc 1 1 \"x\" in \"lib/a.pvm\" via 2 2 in \"lib/b.pvm\"\nret", delimited);
    m.functions[0].sites[0].file = 7;
    CHECK(check(m) == "packet.tcp: call site 1: file is file 7, there are 2");
    m.files[0] = 9999;
    CHECK(check(m) == "file 1: name is not a valid string index");

    m = module("ret", delimited);
    m.delimited[0].escapes.erase(m.delimited[0].escapes.begin());  // 7d01: 7d is no longer escaped
    CHECK(check(m) ==
          "delimited declaration 126: this sequence starts with 0x7d, which has no sequence of its own, so a literal "
          "0x7d could not be told from it");
    m = module("ret", delimited);
    m.delimited.push_back(m.delimited[0]);
    CHECK(check(m) == "delimited declaration 126 does not follow 126 (delimiters ascend, each once)");
    m = module("rd.rest y0\nunescape y1, y0, 0x7e\nret", delimited);
    CHECK(check(m) == "ok");
    m.functions[0].code[5] = 0x7d;
    CHECK(check(m) == "packet.tcp+2: unescape operand 3 is delimiter 125, which no .delimited declares");
  }

  TEST_CASE("escape tables: operands in range, tables that undo one way") {
    const std::string_view table = ".escape STAR {x\"7d01\": 0x7d, x\"7d05\": 0x2a}\n";
    auto m = module("rd.rest y0\nunescape y1, y0, STAR\nret", table);
    CHECK(check(m) == "ok");
    CHECK(m.functions[0].code[5] == pvm::bc::kNamedEscapesBase);
    m.functions[0].code[5] = pvm::bc::kNamedEscapesBase + 1;
    CHECK(check(m) == "packet.tcp+2: unescape operand 3 is escape table 1, which no .escape declares");
    m = module("ret", table);
    m.escape_tables[0].escapes.erase(m.escape_tables[0].escapes.begin());  // 7d01: 7d is no longer escaped
    CHECK(check(m) ==
          "escape table STAR: this sequence starts with 0x7d, which has no sequence of its own, so a literal "
          "0x7d could not be told from it");
    m = module("ret", table);
    m.escape_tables.push_back(m.escape_tables[0]);
    CHECK(check(m) == "escape table STAR is declared twice");
    m.escape_tables[1].name.clear();
    CHECK(check(m) == "escape table 1 has no name");
  }

  TEST_CASE("Program::load verifies; the bytes overload deserializes first") {
    auto m = module("ldk i0, 1\nret");
    m.functions[0].code[0] = 250;
    std::string error;
    CHECK(pvm::Program::load(m, error) == nullptr);
    CHECK(error == "packet.tcp+0: opcode 250 does not exist");

    const std::vector<uint8_t> bytes = pvm::bc::serialize(m);
    error.clear();
    CHECK(pvm::Program::load(bytes, error) == nullptr);
    CHECK(error == "packet.tcp+0: opcode 250 does not exist");

    std::vector<uint8_t> damaged = pvm::bc::serialize(module("ret"));
    damaged[10] ^= 1;
    error.clear();
    CHECK(pvm::Program::load(damaged, error) == nullptr);
    CHECK_FALSE(error.empty());

    error.clear();
    CHECK(pvm::Program::load(pvm::bc::serialize(module("ret")), error) != nullptr);
  }

}  // TEST_SUITE
