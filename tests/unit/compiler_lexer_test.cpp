// The lexer, through `--dump tokens`: token kinds and positions, where newlines end
// statements, literal values, and the lexical diagnostics with their positions.
#include <doctest/doctest.h>

#include "compiler_test_util.h"

using pvm::compiler::Dump;

TEST_CASE("lexer: every operator and punctuation mark, with line:col") {
  const std::string tokens = ctest::dump("==> => -> << >> <= >= == != && || ! ~ ^ & | % / * - + = < > . ; : , [ ] { }",
                                         Dump::Tokens);
  CHECK(tokens ==
        "1:1 '==>'\n1:5 '=>'\n1:8 '->'\n1:11 '<<'\n1:14 '>>'\n1:17 '<='\n1:20 '>='\n1:23 '=='\n1:26 '!='\n"
        "1:29 '&&'\n1:32 '||'\n1:35 '!'\n1:37 '~'\n1:39 '^'\n1:41 '&'\n1:43 '|'\n1:45 '%'\n1:47 '/'\n1:49 '*'\n"
        "1:51 '-'\n1:53 '+'\n1:55 '='\n1:57 '<'\n1:59 '>'\n1:61 '.'\n1:63 ';'\n1:65 ':'\n1:67 ','\n1:69 '['\n"
        "1:71 ']'\n1:73 '{'\n1:75 '}'\n1:76 end of file\n");
}

TEST_CASE("lexer: names, variables, parameters and literals keep their text") {
  const std::string tokens =
      ctest::dump("u16le $v_1 #gsm.mcc-x #a.b. 0x1F 0b1_01 1_000 2.5e3 7E-1 \"t\\x41\\n\\\"\" x\"0d 0A_ff\"", Dump::Tokens);
  CHECK(tokens ==
        "1:1 name u16le\n1:7 variable v_1\n1:12 parameter gsm.mcc-x\n1:23 parameter a.b\n1:27 '.'\n"
        "1:29 integer 0x1F\n1:34 integer 0b1_01\n1:41 integer 1_000\n1:47 float 2.5e3\n1:53 float 7E-1\n"
        "1:58 string \"tA\\x0a\\\"\"\n1:70 bytes x\"0d0aff\"\n1:81 end of file\n");
}

TEST_CASE("lexer: a newline ends a statement except inside parentheses and brackets") {
  const std::string tokens = ctest::dump("a\n\n\nb(1,\n 2)[3\n]; c // note\n/* x\ny */ d", Dump::Tokens);
  CHECK(tokens ==
        "1:1 name a\n1:2 newline\n4:1 name b\n4:2 '('\n4:3 integer 1\n4:4 ','\n5:2 integer 2\n5:3 ')'\n"
        "5:4 '['\n5:5 integer 3\n6:1 ']'\n6:2 ';'\n6:4 name c\n6:13 newline\n8:6 name d\n8:7 end of file\n");
}

TEST_CASE("lexer: a brace closes a parenthesis left open, so later newlines still count") {
  const std::string tokens = ctest::dump("f(1 {\n}\ng", Dump::Tokens);
  CHECK(tokens == "1:1 name f\n1:2 '('\n1:3 integer 1\n1:5 '{'\n1:6 newline\n2:1 '}'\n2:2 newline\n3:1 name g\n"
                  "3:2 end of file\n");
}

TEST_CASE("lexer: literal values") {
  // The checker's folded values show in the typed tree.
  const std::string ast = ctest::dump(
      "protocol p\nconst A = 0x1F\nconst B = 0b1_01\nconst C = 1_000\nconst D = 0xffff_ffff_ffff_ffff\n"
      "const E = 2.5e3\nconst F = \"a\\tb\\0\\\\\"\n",
      Dump::Ast);
  CHECK(ast.find("const A @2:1\n  int 31 @2:11\n") != std::string::npos);
  CHECK(ast.find("const B @3:1\n  int 5 @3:11\n") != std::string::npos);
  CHECK(ast.find("const C @4:1\n  int 1000 @4:11\n") != std::string::npos);
  CHECK(ast.find("const D @5:1\n  int 18446744073709551615 @5:11\n") != std::string::npos);
  CHECK(ast.find("const E @6:1\n  float 2.5e3 @6:11\n") != std::string::npos);
  CHECK(ast.find(std::string("const F @7:1\n  str \"a\tb") + '\0' + "\\\" @7:11\n") != std::string::npos);
  CHECK(ctest::dump("protocol p\nconst D = 0xffff_ffff_ffff_ffff\n", Dump::Typed).find("int 18446744073709551615 : uint") !=
        std::string::npos);
}

TEST_CASE("lexer: malformed numbers") {
  auto r = ctest::compile("protocol p\nconst A = 12abc\nconst B = 0x\nconst C = 0b\nconst D = 18446744073709551616\n");
  CHECK(ctest::where(r) == std::vector<std::string>{"2:11 bad-number", "3:11 bad-number", "4:11 bad-number",
                                                    "5:11 bad-number"});
  CHECK(r.diagnostics[0].message == "malformed number '12abc'");
  CHECK(r.diagnostics[1].message == "number '0x' has no digits");
  CHECK(r.diagnostics[3].message == "number '18446744073709551616' does not fit in 64 bits");
}

TEST_CASE("lexer: bad strings point at the escape or the opening quote") {
  auto r = ctest::compile("protocol p\nconst A = \"a\\qb\"\nconst B = \"\\x4\"\nconst C = \"open\nconst D = 1\n");
  CHECK(ctest::where(r) == std::vector<std::string>{"2:13 bad-string", "3:12 bad-string", "4:11 bad-string"});
  CHECK(r.diagnostics[0].message == "unknown escape '\\q'");
  CHECK(r.diagnostics[1].message == "\\x needs two hex digits");
  CHECK(r.diagnostics[2].message == "unterminated string");
}

TEST_CASE("lexer: bad bytes literals") {
  auto r = ctest::compile("protocol p\npacket tcp {\n    expect bytes(1) == x\"0g\"\n    expect rest == x\"abc\"\n"
                          "    expect rest == x\"00\n}\n");
  CHECK(ctest::where(r) == std::vector<std::string>{"3:27 bad-bytes", "4:20 bad-bytes", "5:20 bad-bytes"});
  CHECK(r.diagnostics[0].message == "'g' is not a hex digit");
  CHECK(r.diagnostics[1].message == "bytes literal has an odd number of hex digits");
  CHECK(r.diagnostics[2].message == "unterminated bytes literal");
}

TEST_CASE("lexer: bad characters, one error per UTF-8 character") {
  auto r = ctest::compile("protocol p\npacket tcp {\n    skip 1 @\n    skip 2 \xc2\xb0\n}\n/* open");
  CHECK(ctest::where(r) == std::vector<std::string>{"3:12 bad-char", "4:12 bad-char", "6:1 bad-char"});
  CHECK(r.diagnostics[0].message == "unexpected character '@'");
  CHECK(r.diagnostics[1].message == "unexpected character '\\xc2\\xb0'");
  CHECK(r.diagnostics[2].message == "unterminated block comment");
  CHECK(ctest::compile("protocol p\nconst A = $\n").diagnostics.at(0).message ==
        "'$' must be followed by a variable name");
}
