// The checker, through `--dump typed` and the diagnostics: the type of every kind of
// expression, constant folding, and the checks that reject programs that cannot run.
#include <doctest/doctest.h>

#include "compiler_test_util.h"

using pvm::compiler::Dump;

namespace {

// The type the checker gives EXPR, assigned to $v in a packet.
std::string type_of(const std::string& expr, const std::string& decls = "") {
  auto r = ctest::compile("protocol p\n" + decls + "packet tcp {\n    $i = i8\n    $u = u64\n    $f = f32\n"
                          "    $v = " + expr + "\n}\n",
                          Dump::Typed);
  if (!r.ok) return "error: " + ctest::rendered(r);
  size_t at = r.dump.find("    -> $v : ");
  if (at == std::string::npos) return "no $v";
  at += 12;
  return r.dump.substr(at, r.dump.find('\n', at) - at);
}

// The folded value of `const C = EXPR`: the typed tree keeps the literal it became.
std::string folded(const std::string& expr, const std::string& decls = "") {
  auto r = ctest::compile("protocol p\n" + decls + "const C = " + expr + "\npacket tcp {\n    emit { #custom.c = C }\n}\n",
                          Dump::Asm);
  if (!r.ok) return "error: " + ctest::rendered(r);
  std::string code = ctest::function_code(r.asm_text, "packet.tcp");
  size_t at = code.find("msg.new\n") + 8;
  return code.substr(at, code.find('\n', at) - at);
}

}  // namespace

TEST_CASE("checker: the types of reads") {
  CHECK(type_of("u8") == "int");
  CHECK(type_of("i64le") == "int");
  CHECK(type_of("u64") == "uint");
  CHECK(type_of("unsigned(3)") == "uint");
  CHECK(type_of("signed(3)") == "int");
  CHECK(type_of("bcd(2)") == "int");
  CHECK(type_of("f32le") == "float");
  CHECK(type_of("f64") == "float");
  CHECK(type_of("bytes(2)") == "bytes");
  CHECK(type_of("rest") == "bytes");
  CHECK(type_of("text(2)") == "str");
  CHECK(type_of("cstr") == "str");
  CHECK(type_of("pos + size + remaining") == "int");
}

TEST_CASE("checker: int with uint gives int, anything with a float a float, `/` always a float") {
  CHECK(type_of("$i + $u") == "int");
  CHECK(type_of("$u + $u") == "uint");
  CHECK(type_of("$u * 2") == "int");
  CHECK(type_of("$u << 2") == "uint");
  CHECK(type_of("$i + $f") == "float");
  CHECK(type_of("$i / 2") == "float");
  CHECK(type_of("$u % $u") == "uint");
  CHECK(type_of("~$u") == "uint");
  CHECK(type_of("-$f") == "float");
  CHECK(type_of("$i < $u") == "bool");
  CHECK(type_of("\"a\" + \"b\"") == "str");
  CHECK(type_of("x\"01\" + rest") == "bytes");
}

TEST_CASE("checker: the types of builtins") {
  CHECK(type_of("len(rest)") == "int");
  CHECK(type_of("str($f)") == "str");
  CHECK(type_of("hex($u)") == "str");
  CHECK(type_of("int($f)") == "int");
  CHECK(type_of("uint($i)") == "uint");
  CHECK(type_of("float(\"1.5\")") == "float");
  CHECK(type_of("slice(rest, 0, 1)") == "bytes");
  CHECK(type_of("slice(\"abc\", 0, 1)") == "str");
  CHECK(type_of("byte(rest, 0)") == "int");
  CHECK(type_of("bit($i, 0)") == "bool");
  CHECK(type_of("bits($u, 0, 4)") == "int");
  CHECK(type_of("div($u, $u)") == "uint");
  CHECK(type_of("div($u, 2)") == "int");
  CHECK(type_of("crc(crc32, rest)") == "int");
  CHECK(type_of("option.o", "option o: str = \"x\"\n") == "str");
  CHECK(type_of("session.n", "session n: int\n") == "int");
  CHECK(type_of("session.ident") == "str");
  CHECK(type_of("twice($i)", "fn twice($x: int) -> float { return $x * 2 }\n") == "float");
}

TEST_CASE("checker: constants fold at compile time") {
  CHECK(folded("1 + 2 * 3") == "    ldk i0, 7");
  CHECK(folded("7 / 2") == "    ldd f0, 3.5");
  CHECK(folded("-(1 << 4) | 1") == "    ldk i0, -15");
  CHECK(folded("~0 >> 70") == "    ldk i0, -1");
  CHECK(folded("1 << 64") == "    ldk i0, 0");
  CHECK(folded("-7 % 3") == "    ldk i0, -1");
  CHECK(folded("!(1 < 2)") == "    ldb b0, 0");
  CHECK(folded("1 < 2 && 2.5 >= 2") == "    ldb b0, 1");
  CHECK(folded("-1 < 0xFFFFFFFFFFFFFFFF") == "    ldb b0, 1");  // by value, as at run time
  CHECK(folded("0 / 0 == 0 / 0") == "    ldb b0, 0");         // NaN
  CHECK(folded("true != false || 1 > 2") == "    ldb b0, 1");
  CHECK(folded("0xFFFFFFFFFFFFFFFF >> 60") == "    ldu u0, 15");  // uint: a logical shift
  CHECK(folded("0xFFFFFFFFFFFFFFFF % 0x8000000000000001") == "    ldu u0, 9223372036854775806");
  CHECK(folded("0x8000000000000000 % 10 | 1") == "    ldk i0, -7");  // with an int, the uint's bits are an int
  CHECK(folded("\"ab\" + \"cd\" + D", "const D = \"ef\"\n") == "    lds s0, \"abcdef\"");
  CHECK(folded("E.B * 2", "enum E { A = 1, B = A2 + 1 }\nconst A2 = 4\n") == "    ldk i0, 10");
  CHECK(folded("LATER", "const LATER = 5\n") == "    ldk i0, 5");
}

TEST_CASE("checker: values that are not constants") {
  auto r = ctest::compile("protocol p\nconst A = u8\nconst B = str(5)\nconst C = x\"01\"\nconst D = E\nconst E = D + 1\n"
                          "packet tcp { skip 1 }\n");
  // A bytes literal is a constant, like a str literal.
  CHECK(ctest::where(r) == std::vector<std::string>{"2:11 not-constant", "3:11 not-constant", "6:11 not-constant"});
  REQUIRE(r.diagnostics.size() == 3);
  CHECK(r.diagnostics[2].message == "'D' is defined in terms of itself");
}

TEST_CASE("checker: an enum member used before its enum, or from a used file, has its value") {
  auto r = ctest::compile("protocol p\npacket tcp {\n    emit { #custom.k = Kind.GPS }\n}\nenum Kind { GPS = 0x12 }\n",
                          Dump::Asm);
  REQUIRE(r.ok);
  CHECK(ctest::function_code(r.asm_text, "packet.tcp").find("ldk i0, 18") != std::string::npos);
}

TEST_CASE("checker: unknown names come with the nearest known one") {
  auto r = ctest::compile(
      "protocol p\nconst LIMIT = 1\nenum E { LOGIN = 1 }\npacket tcp {\n    u8 ==> $count\n    emit {\n"
      "        #position.latitud = $cuont\n        #custom.a = LIMTI + E.LOGN\n        #custom.b = lenn(rest)\n"
      "        #fuel.level = 1\n        #weather[1] = 2\n    }\n}\n");
  CHECK(ctest::where(r) == std::vector<std::string>{"7:29 unknown-var", "7:9 unknown-param", "8:21 unknown-name",
                                                    "8:29 unknown-name", "9:21 unknown-name", "10:9 unknown-param",
                                                    "11:9 unknown-param"});
  CHECK(r.diagnostics[0].hint == "did you mean '$count'?");
  CHECK(r.diagnostics[1].hint == "did you mean 'position.latitude'?");
  CHECK(r.diagnostics[2].hint == "did you mean 'LIMIT'?");
  CHECK(r.diagnostics[3].hint == "did you mean 'LOGIN'?");
  CHECK(r.diagnostics[4].hint == "did you mean 'len'?");
  CHECK(r.diagnostics[5].hint == "declare it with 'param #fuel.level: number', or name it under 'p.' or 'custom.'");
  CHECK(r.diagnostics[6].hint == "declare it with 'param #weather.*: number', or name it under 'p.' or 'custom.'");
}

TEST_CASE("checker: parameters of the schema, of the protocol's prefix, custom and declared ones") {
  auto r = ctest::compile(
      "protocol p\nparam #fuel.level: number\nparam #weather.*: integer\npacket tcp {\n    emit {\n"
      "        #din[2] = true\n        #sim.iccid.2 = \"x\"\n        #p.anything = 1\n        #custom.x.y = rest\n"
      "        #fuel.level = 1.5\n        #weather[3] = 4\n        #din = #din | 1\n    }\n}\n");
  CHECK(r.ok);
  CHECK(ctest::rendered(r) == "");
}

TEST_CASE("checker: type mismatches") {
  auto r = ctest::compile(
      "protocol p\nsession n: int\npacket tcp {\n    u8 ==> $a\n    $a = \"x\"\n    if $a { skip 1 }\n"
      "    emit {\n        #position.speed = \"fast\"\n        #position.valid = 1\n        #custom.c = \"a\" + 1\n"
      "    }\n    session.n = 1.5\n    skip \"2\"\n    match 2.5 { _ => skip 1 }\n}\n"
      "fn half($v: float) -> int {\n    return $v / 2\n}\n");
  CHECK(ctest::where(r) == std::vector<std::string>{"5:10 type-mismatch", "6:8 type-mismatch", "8:27 type-mismatch",
                                                    "9:27 type-mismatch", "10:25 type-mismatch", "12:17 type-mismatch",
                                                    "13:10 type-mismatch", "14:11 type-mismatch",
                                                    "17:15 type-mismatch"});
  CHECK(r.diagnostics[0].message == "$a holds int, this value is str");
  CHECK(r.diagnostics[2].message == "#position.speed is a number, this value is str");
  CHECK(r.diagnostics[4].message == "'+' cannot combine str and int");
  CHECK(r.diagnostics[7].message == "match works on an int, a str or bytes, not float");
  CHECK(r.diagnostics[8].message == "return value is float, expected int");
}

TEST_CASE("checker: statements where they cannot run") {
  auto r = ctest::compile(
      "protocol p\ncommand c($a: int) {\n    u8 u8\n    emit { #custom.a = 1 }\n    reply { u8 1 }\n}\n"
      "framing tcp {\n    session.ident = \"x\"\n    return 1\n}\n"
      "packet tcp {\n    #custom.b = 1\n    emit {\n        emit { skip 1 }\n        reply { return }\n"
      "        #custom.d = written(0)\n    }\n}\n");
  CHECK(ctest::where(r) == std::vector<std::string>{"3:8 misplaced", "4:5 misplaced", "5:5 misplaced", "8:5 misplaced",
                                                    "12:5 misplaced", "14:9 misplaced", "15:17 misplaced",
                                                    "16:21 misplaced"});
  CHECK(r.diagnostics[1].hint == "a command only writes bytes");
}

TEST_CASE("checker: duplicates, unreachable code and missing returns") {
  auto r = ctest::compile(
      "protocol p\nconst A = 1\nconst A = 2\ntable t($k: int) {\n    1 => skip 1\n    2, 1 => skip 2\n"
      "    _ => skip 3\n    3 => skip 4\n}\npacket tcp {\n    match u8 {\n        1 => skip 1\n        1 => skip 2\n"
      "    }\n    return\n    skip 1\n}\nfn sign($v: int) -> int {\n    if $v < 0 { return -1 }\n}\n"
      "packet tcp { skip 1 }\n");
  CHECK(ctest::where(r) == std::vector<std::string>{"3:1 duplicate", "21:1 duplicate", "6:8 duplicate",
                                                    "8:5 unreachable", "13:9 duplicate", "16:5 unreachable",
                                                    "18:1 missing-return"});
  CHECK(r.diagnostics[1].message == "'packet tcp' is declared twice");
  CHECK(r.diagnostics[6].message == "function 'sign' can end without returning an int");
}

TEST_CASE("checker: only the functions on a call cycle are recursive") {
  auto r = ctest::compile("protocol p\nfn ping() { pong() }\nfn pong() { ping() }\nfn caller() { ping() }\n"
                          "packet tcp { caller() }\n");
  CHECK(ctest::where(r) == std::vector<std::string>{"2:1 recursion", "3:1 recursion"});
}

TEST_CASE("checker: redundant declarations") {
  auto r = ctest::compile("protocol p\nbyteorder big\nbyteorder little\nparam #position.speed: integer\n"
                          "packet tcp { skip 1 }\n");
  CHECK(ctest::where(r) == std::vector<std::string>{"3:1 redundant", "4:1 redundant"});
  CHECK(r.diagnostics[0].message == "the byte order is already set at line 2");
  CHECK(r.diagnostics[1].message == "#position.speed is a standard parameter");
  CHECK(r.diagnostics[1].hint == "the schema declares it as number; remove this declaration");
}

TEST_CASE("checker: what a statement lost to a syntax error may have done is not reported") {
  // $x may have been assigned by the broken line, $y was not named there; the return may have
  // been the broken line too.
  auto r = ctest::compile("protocol p\nfn f() -> int {\n    $x = u8 +\n    return $x + $y\n}\n"
                          "fn g() -> int {\n    return 1 2\n}\npacket tcp { skip 1 }\n");
  CHECK(ctest::where(r) == std::vector<std::string>{"3:14 syntax", "7:14 syntax", "4:17 unknown-var"});
}

TEST_CASE("checker: a function's effects are checked where it is called") {
  auto r = ctest::compile("protocol p\nfn next() -> int { return u8 }\nfn set() { #custom.a = 1 }\n"
                          "fn wrapped() { emit { set() } }\ncommand c() { u8 next() }\n"
                          "packet tcp {\n    wrapped()\n    set()\n    emit { set() }\n}\n");
  CHECK(ctest::where(r) == std::vector<std::string>{"5:18 misplaced", "8:5 misplaced"});
  CHECK(r.diagnostics[0].message == "next() reads input, which a command has none of");
  CHECK(r.diagnostics[1].message == "set() sets parameters outside an emit block");
}

TEST_CASE("checker: a function cannot take the name of a read or a builtin") {
  auto r = ctest::compile("protocol p\nfn f32() { skip 1 }\ntable pos($k: int) { _ => skip 1 }\nfn len() { skip 1 }\n"
                          "packet tcp { len() }\n");
  // len is a builtin a function may stand in for; a read or pos could never be called.
  CHECK(ctest::where(r) == std::vector<std::string>{"2:1 duplicate", "3:1 duplicate"});
  CHECK(r.diagnostics[0].message == "'f32' is already the name of a read or a builtin");
}
