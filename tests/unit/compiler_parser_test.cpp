// The parser, through `--dump ast`: precedence, what `at` binds, statements and their targets,
// write statements inside replies and commands, declarations, and recovery after errors.
#include <doctest/doctest.h>

#include "compiler_test_util.h"

using pvm::compiler::Dump;

namespace {

// The tree of `packet tcp { BODY }`, without the packet's own line.
std::string packet_tree(const std::string& body) {
  std::string ast = ctest::dump("protocol p\npacket tcp {\n" + body + "\n}\n", Dump::Ast);
  const std::string head = "protocol p @1:1\npacket tcp @2:1\n";
  return ast.starts_with(head) ? ast.substr(head.size()) : ast;
}

}  // namespace

TEST_CASE("parser: binary operators from loosest to tightest, unary tighter still") {
  CHECK(packet_tree("$r = $a || $b && $c == 1 | 2 ^ 3 & 4 << 5 + 6 * -$q") ==
        "  assign @3:1\n"
        "    binary || @3:9\n"
        "      var a @3:6\n"
        "      binary && @3:15\n"
        "        var b @3:12\n"
        "        binary == @3:21\n"
        "          var c @3:18\n"
        "          binary | @3:26\n"
        "            int 1 @3:24\n"
        "            binary ^ @3:30\n"
        "              int 2 @3:28\n"
        "              binary & @3:34\n"
        "                int 3 @3:32\n"
        "                binary << @3:38\n"
        "                  int 4 @3:36\n"
        "                  binary + @3:43\n"
        "                    int 5 @3:41\n"
        "                    binary * @3:47\n"
        "                      int 6 @3:45\n"
        "                      unary - @3:49\n"
        "                        var q @3:50\n"
        "    -> $r\n");
}

TEST_CASE("parser: operators of one level group from the left; parentheses override") {
  CHECK(packet_tree("$r = 8 - 4 - (2 - 1)") ==
        "  assign @3:1\n"
        "    binary - @3:12\n"
        "      binary - @3:8\n"
        "        int 8 @3:6\n"
        "        int 4 @3:10\n"
        "      binary - @3:17\n"
        "        int 2 @3:15\n"
        "        int 1 @3:19\n"
        "    -> $r\n");
}

TEST_CASE("parser: `at` takes one operand, so `u16 at 0 + 2` adds 2 to the read") {
  CHECK(packet_tree("$n = u16 at 0 + 2\n$m = bytes(pos - 8) at (size - 4)") ==
        "  assign @3:1\n"
        "    binary + @3:15\n"
        "      read u16 @3:6\n"
        "        at\n"
        "          int 0 @3:13\n"
        "      int 2 @3:17\n"
        "    -> $n\n"
        "  assign @4:1\n"
        "    read bytes @4:6\n"
        "      binary - @4:16\n"
        "        call pos @4:12\n"
        "        int 8 @4:18\n"
        "      at\n"
        "        binary - @4:30\n"
        "          call size @4:25\n"
        "          int 4 @4:32\n"
        "    -> $m\n");
}

TEST_CASE("parser: a pipeline stores into every target, an assignment into one") {
  CHECK(packet_tree("u8 ==> $a ==> #din[$a] ==> session.s\n#custom.n[\"x\"] = 1") ==
        "  pipe @3:1\n"
        "    read u8 @3:1\n"
        "    -> $a\n"
        "    -> #din\n"
        "      var a @3:20\n"
        "    -> session.s\n"
        "  assign @4:1\n"
        "    int 1 @4:18\n"
        "    -> #custom.n\n"
        "      str \"x\" @4:11\n");
}

TEST_CASE("parser: if / else if / else, match arms, loops and blocks") {
  CHECK(packet_tree("if $a { skip 1 } else if $b { skip 2 } else { skip 3 }\n"
                    "match $k {\n  1, E.B => fail \"x\"\n  _ => { warn \"y\" }\n}\n"
                    "repeat 3 as $i { within 2 { seek 0 } }\nrepeat until end { skip 1 }") ==
        "  if @3:1\n"
        "    cond\n"
        "      var a @3:4\n"
        "      skip @3:9\n"
        "        int 1 @3:14\n"
        "    else if\n"
        "      var b @3:26\n"
        "      skip @3:31\n"
        "        int 2 @3:36\n"
        "    else\n"
        "      skip @3:47\n"
        "        int 3 @3:52\n"
        "  match @4:1\n"
        "    var k @4:7\n"
        "    arm\n"
        "        int 1 @5:3\n"
        "        name E.B @5:6\n"
        "      fail \"x\" @5:13\n"
        "    arm _\n"
        "      warn \"y\" @6:10\n"
        "  repeat as $i @8:1\n"
        "    int 3 @8:8\n"
        "    within \"2\" @8:18\n"
        "      int 2 @8:25\n"
        "      seek @8:29\n"
        "        int 0 @8:34\n"
        "  repeat until end @9:1\n"
        "    skip @9:20\n"
        "      int 1 @9:25\n");
}

TEST_CASE("parser: inside a reply, a width or bytes/str starts a write; a read piped on is still a read") {
  CHECK(packet_tree("reply { u16le 7; bytes x\"01\"; str \"ok\"; u8 ==> $z; bytes(2) ==> $b }") ==
        "  reply @3:1\n"
        "    write \"u16le\" @3:9\n"
        "      int 7 @3:15\n"
        "    write \"bytes\" @3:18\n"
        "      bytes (1 bytes) @3:24\n"
        "    write \"str\" @3:31\n"
        "      str \"ok\" @3:35\n"
        "    pipe @3:41\n"
        "      read u8 @3:41\n"
        "      -> $z\n"
        "    pipe @3:52\n"
        "      read bytes @3:52\n"
        "        int 2 @3:58\n"
        "      -> $b\n");
}

TEST_CASE("parser: declarations") {
  const std::string ast = ctest::dump(
      "protocol p\nbyteorder little\nuse \"x.pvm\"\nconst K = 3\nenum E { A = 1, B = 2 }\noption o: bool = true\n"
      "session s: int\nparam #p.x: number\nparam #w.*: integer\ncommand c($a: int, $t: str) { u8 $a }\n"
      "table t($k: int) { _ => seek 0 }\nfn f($x: float) -> int { return int($x) }\n",
      Dump::Ast);
  CHECK(ast ==
        "protocol p @1:1\n"
        "byteorder little @2:1\n"
        "use x.pvm @3:1\n"
        "const K @4:1\n"
        "  int 3 @4:11\n"
        "enum E @5:1\n"
        "  member A\n"
        "    int 1 @5:14\n"
        "  member B\n"
        "    int 2 @5:21\n"
        "option o : bool @6:1\n"
        "  bool true @6:18\n"
        "session s : int @7:1\n"
        "param p.x : number @8:1\n"
        "param w.* : integer @9:1\n"
        "command c @10:1\n"
        "  param $a : int\n"
        "  param $t : str\n"
        "  write \"u8\" @10:31\n"
        "    var a @10:34\n"
        "table t @11:1\n"
        "  param $k : int\n"
        "  arm _\n"
        "    seek @11:25\n"
        "      int 0 @11:30\n"
        "fn f : int @12:1\n"
        "  param $x : float\n"
        "  return @12:26\n"
        "    call int @12:33\n"
        "      var x @12:37\n");
}

TEST_CASE("parser: one run reports every syntax error and keeps the good statements") {
  auto r = ctest::compile(
      "protocol p\n"
      "packet tcp {\n"
      "    u8 ==>\n"
      "    $a = u8 +\n"
      "    $b = 1 < 2 < 3\n"
      "    u8\n"
      "    skip 1\n"
      "}\n"
      "widget w\n"
      "fn f($x int) { }\n"
      "fn g() { return 1 2 }\n",
      Dump::Ast);
  CHECK(ctest::where(r) == std::vector<std::string>{"3:11 syntax", "4:14 syntax", "5:16 syntax", "6:5 syntax",
                                                    "9:1 syntax", "10:9 syntax", "11:19 syntax"});
  CHECK(r.diagnostics[0].message == "expected a target ($variable, #parameter or session.name), found newline");
  CHECK(r.diagnostics[1].message == "expected a value, found newline");
  CHECK(r.diagnostics[2].message == "comparisons do not chain");
  CHECK(r.diagnostics[3].message == "this expression's value is not used");
  CHECK(r.diagnostics[4].message == "unknown declaration 'widget'");
  CHECK(r.diagnostics[5].message == "expected ':' between a parameter and its type, found 'int'");
  CHECK(r.diagnostics[6].message == "expected the end of the statement, found integer");
  CHECK(r.dump.find("  skip @7:5\n") != std::string::npos);  // the statement after the errors is kept
}

TEST_CASE("parser: nesting deeper than the later phases can walk is an error, not a crash") {
  const int n = 100000;
  auto deep = [&](const std::string& open, const std::string& middle, const std::string& close) {
    std::string s;
    for (int k = 0; k < n; ++k) s += open;
    s += middle;
    for (int k = 0; k < n; ++k) s += close;
    return s;
  };
  for (const std::string& body : {"$a = " + deep("(", "1", ")"), "$a = " + deep("-", "1", ""),
                                  "$a = 1" + deep(" + 1", "", ""), deep("if u8 == 1 {\n", "", "}\n")}) {
    auto r = ctest::compile("protocol p\npacket tcp {\n" + body + "\n}\n");
    REQUIRE_FALSE(r.diagnostics.empty());
    CHECK(r.diagnostics[0].message == "this is nested too deeply");
  }
  // What a protocol needs stays well inside the bound.
  CHECK(ctest::compile("protocol p\npacket tcp {\n    $a = " + std::string(60, '(') + "1" + std::string(60, ')') +
                       " + 1 + 2 + 3\n}\n")
            .ok);
}
