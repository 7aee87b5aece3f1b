// The optimizer of lowered code (compiler/lower/optimize.h): what it removes from real programs,
// and that the programs still compute what they did.
#include <doctest/doctest.h>

#include "compiler_test_util.h"
#include "pvm/vm.h"

namespace {

std::string packet_code(const std::string& source) {
  auto r = ctest::compile(source);
  INFO(ctest::rendered(r));
  REQUIRE(r.ok);
  return ctest::function_code(r.asm_text, "packet.tcp");
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The int parameters of the messages one frame gives, "name=value" joined by spaces, or the error.
std::string run(const std::string& source, const std::vector<uint8_t>& frame) {
  auto r = ctest::compile(source);
  INFO(ctest::rendered(r));
  REQUIRE(r.ok);
  std::string error;
  auto program = pvm::Program::load(std::move(r.module), error);
  REQUIRE(program != nullptr);
  pvm::Session session(program, {});
  std::string out;
  session.feed_frame(frame, [&](const pvm::FrameResult& f) {
    if (f.error != nullptr) out += "error at " + std::to_string(f.error->offset) + ": " + f.error->reason;
    for (const pvm::Message& m : f.messages)
      for (const pvm::Field& x : m.fields)
        if (x.type == pvm::ValueType::Int) out += std::string(x.name) + "=" + std::to_string(x.i) + " ";
  });
  return out;
}

}  // namespace

TEST_CASE("optimizer: an inlined function's argument and result are not copied") {
  const std::string source =
      "protocol p\nfn scaled($x: int) -> int {\n    return $x * 10\n}\n"
      "packet tcp {\n    $v = scaled(u8)\n    emit { #custom.v = $v }\n}\n";
  // Without the optimizer: rd.u8 t; mov x, t; ldk; mul r; mov result, r; mov v, result. The
  // constant becomes the multiply's operand.
  CHECK(packet_code(source) ==
        ".regs i=2 u=0 f=0 b=0 s=0 y=0\n"
        "    rd.u8 i0\n"
        "    mul.k i1, i0, 10\n"
        "    msg.new\n"
        "    set.i \"custom.v\", i1\n"
        "    msg.end\n"
        "    ret\n");
  CHECK(run(source, {7}) == "custom.v=70 ");
}

TEST_CASE("optimizer: values nothing reads are not computed, reads that move the cursor stay") {
  const std::string code = packet_code(
      "protocol p\npacket tcp {\n    $a = u8 + 1\n    $b = u16 * 3\n    emit { #custom.b = $b }\n}\n");
  CHECK(count(code, "rd.u8") == 1);  // the read stays: it moves the cursor
  CHECK(count(code, "add.i") == 0);  // $a is never read
  CHECK(count(code, "mul.k") == 1);
  CHECK(run("protocol p\npacket tcp {\n    $a = u8 + 1\n    $b = u16 * 3\n    emit { #custom.b = $b }\n}\n",
            {1, 0, 5}) == "custom.b=15 ");
}

TEST_CASE("optimizer: bit and bits at constant places give what the uint shift and mask gave") {
  // On a negative int the arithmetic shift fills with ones that the mask takes away; a field
  // that ends at bit 63 of a uint needs no mask.
  const std::string source =
      "protocol p\npacket tcp {\n    $x = i16\n    $u = u64\n    emit {\n"
      "        #custom.low = bits($x, 4, 3)\n        #custom.top = bits($x, 60, 4)\n"
      "        #custom.utop = bits($u, 60, 4)\n        #custom.umid = bits($u, 8, 8)\n"
      "        if bit($x, 63) { #custom.sign = 1 }\n        if bit($x, 3) { #custom.b3 = 1 }\n"
      "        if bit($u, 63) { #custom.usign = 1 }\n    }\n}\n";
  CHECK(count(packet_code(source), "i2u") == 0);
  CHECK(run(source, {0xFF, 0xF0, 0xF0, 0, 0, 0, 0, 0, 0xAB, 0}) ==
        "custom.low=7 custom.top=15 custom.utop=15 custom.umid=171 custom.sign=1 custom.usign=1 ");
  CHECK(run(source, {0x01, 0x58, 0x00, 0, 0, 0, 0, 0, 0, 0}) ==
        "custom.low=5 custom.top=0 custom.utop=0 custom.umid=0 custom.b3=1 ");
}

TEST_CASE("optimizer: expect and check as jumps reject where and why they did") {
  const std::string source =
      "protocol p\npacket tcp {\n    $a = u8\n    check $a == 1 || $a == 3, \"odd\"\n"
      "    expect u8 < $a, \"too big\"\n    emit { #custom.a = $a }\n}\n";
  CHECK(count(packet_code(source), "eq.i") == 0);
  CHECK(run(source, {1, 0}) == "custom.a=1 ");
  CHECK(run(source, {3, 2}) == "custom.a=3 ");
  CHECK(run(source, {2, 0}) == "error at 1: odd");
  CHECK(run(source, {3, 3}) == "error at 2: too big");
}

TEST_CASE("optimizer: registers whose values never meet share a number") {
  // Eight variables, each dead once the next is read: two int registers suffice.
  std::string body;
  for (int k = 0; k < 8; ++k)
    body += "    $v" + std::to_string(k) + " = u8\n    emit { #custom.v" + std::to_string(k) + " = $v" +
            std::to_string(k) + " }\n";
  const std::string code = packet_code("protocol p\npacket tcp {\n" + body + "}\n");
  CHECK(code.starts_with(".regs i=1 "));
  CHECK(count(code, "mov.") == 0);
}

TEST_CASE("optimizer: a jump to a jump goes to its target, a jump to the next instruction goes") {
  const std::string code = packet_code(
      "protocol p\npacket tcp {\n    match u8 {\n        1 => { match u8 {\n            2 => skip 1\n        "
      "    _ => skip 2\n"
      "        } }\n        _ => skip 3\n    }\n}\n");
  // Every arm ends at the one `ret`: no jump lands on another jump or on the next line.
  CHECK(count(code, "jmp") == 2);
  CHECK(run("protocol p\npacket tcp {\n    match u8 {\n        1 => $a = u8\n        _ => $a = 9\n    }\n"
            "    emit { #custom.a = $a }\n}\n",
            {1, 4}) == "custom.a=4 ");
}

TEST_CASE("optimizer: behaviour is kept through loops, inlined calls and variables set on some paths") {
  const std::string source =
      "protocol p\nfn twice($x: int) -> int {\n    return $x + $x\n}\n"
      "packet tcp {\n    $n = u8\n    $sum = 0\n    $last = 0\n    repeat $n as $i {\n        $b = u8\n"
      "        if $b > 5 {\n            $last = twice($b)\n        }\n        $sum = $sum + twice($b) + $i\n "
      "   }\n"
      "    emit {\n        #custom.sum = $sum\n        #custom.last = $last\n    }\n}\n";
  CHECK(run(source, {3, 1, 9, 2}) == "custom.sum=27 custom.last=18 ");
  CHECK(run(source, {2, 1, 2}) == "custom.sum=7 custom.last=0 ");
  CHECK(run(source, {3, 1}) == "error at 2: need 1 byte, 0 left");
}

TEST_CASE("optimizer: constants used in a loop are loaded once before it") {
  const std::string source =
      "protocol p\npacket tcp {\n    repeat u8 {\n        match u8 {\n            1 => emit { #custom.a = u16 / 10.0 }\n"
      "            _ => emit { #custom.b = u16 / 10.0 }\n        }\n    }\n}\n";
  const std::string code = packet_code(source);
  // One load of 10.0, before the loop's first label; the loop itself loads no constant.
  CHECK(count(code, "ldd") == 1);
  CHECK(code.find("ldd") < code.find("L0:"));
  CHECK(code.find("ldk", code.find("L0:")) == std::string::npos);
  CHECK(run("protocol p\npacket tcp {\n    $n = 0\n    repeat u8 {\n        match u8 {\n            1 => $n = $n + 10\n"
            "            _ => $n = $n + 1\n        }\n    }\n    emit { #custom.n = $n }\n}\n",
            {3, 1, 2, 1}) == "custom.n=21 ");
}

TEST_CASE("optimizer: an instruction that writes its result before reading all operands keeps them apart") {
  // rd.until sets its result, then advances by its delimiter's length: `$d = until($d)` must not
  // become `rd.until d, d`, or the cursor would move by the text's length instead.
  const std::string source =
      "protocol p\npacket tcp {\n    $d = \",\"\n    $d = until($d)\n    $e = u8\n    emit { #custom.e = $e }\n}\n";
  CHECK(run(source, {'a', 'b', ',', 'c'}) == "custom.e=99 ");
  const std::string code = packet_code(source);
  CHECK(code.find("rd.until s0, s0") == std::string::npos);
  CHECK(code.find("rd.until s1, s1") == std::string::npos);
}
