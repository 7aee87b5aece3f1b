// The source index: symbols with their ranges, references, variable types, read widths and
// offsets, and the language facts tools show.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "pvm/compiler/index.h"
#include "pvm/compiler/language.h"

using namespace pvm::compiler;

namespace {

SourceIndex index(std::string_view text, std::vector<std::string> import_dirs = {}) {
  CompileOptions options;
  options.import_dirs = std::move(import_dirs);
  return index_source("test.pvm", text, options);
}

std::string where(const SourceRange& r) {
  return std::to_string(r.begin.line) + ":" + std::to_string(r.begin.col) + "-" + std::to_string(r.end.line) +
         ":" + std::to_string(r.end.col);
}

const Symbol* symbol(const SourceIndex& ix, std::string_view name) {
  for (const Symbol& s : ix.symbols)
    if (s.name == name) return &s;
  return nullptr;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

// "line:col-line:col" of every reference to the symbol, declaration first.
std::string refs(const SourceIndex& ix, std::string_view name) {
  std::vector<std::string> out;
  for (const Reference& r : ix.references)
    if (r.symbol >= 0 && ix.symbols[r.symbol].name == name)
      out.push_back((r.declaration ? "decl " : "") + where(r.range));
  return join(out);
}

// "read@offset/width" of every read, in the order written.
std::string reads(const SourceIndex& ix) {
  std::vector<std::string> out;
  for (const ReadSite& r : ix.reads)
    out.push_back(r.read + "@" + std::to_string(r.offset) + "/" + std::to_string(r.width));
  return join(out);
}

constexpr std::string_view kDemo =
    "protocol demo\n"                                      // 1
    "const HEADER = 0x7878\n"                              // 2
    "enum Kind { LOGIN = 1, GPS = 0x12 }\n"                // 3
    "option verbose: bool = false\n"                       // 4
    "session count: int\n"                                 // 5
    "param #demo.extra: number\n"                          // 6
    "fn coord($raw: int) -> float {\n"                     // 7
    "    return $raw / 1800000.0\n"                        // 8
    "}\n"                                                  // 9
    "packet tcp {\n"                                       // 10
    "    expect u16 == HEADER, \"start\"\n"                // 11
    "    u8 ==> $len\n"                                    // 12
    "    match u8 {\n"                                     // 13
    "        Kind.GPS => {\n"                              // 14
    "            emit {\n"                                 // 15
    "                coord(i32) ==> #position.latitude\n"  // 16
    "                u16le ==> #demo.extra\n"              // 17
    "                $len + 1 ==> session.count\n"         // 18
    "            }\n"                                      // 19
    "        }\n"                                          // 20
    "        _ => fail \"kind\"\n"                         // 21
    "    }\n"                                              // 22
    "    if option.verbose { skip 2 }\n"                   // 23
    "    u8 ==> $tail\n"                                   // 24
    "}\n";                                                 // 25

}  // namespace

TEST_CASE("index: declarations are symbols with the range of their name and of the whole declaration") {
  SourceIndex ix = index(kDemo);
  CHECK(ix.diagnostics.empty());
  REQUIRE(symbol(ix, "HEADER"));
  CHECK(where(symbol(ix, "HEADER")->selection) == "2:7-2:13");
  CHECK(where(symbol(ix, "HEADER")->extent) == "2:1-2:22");
  CHECK(symbol(ix, "HEADER")->detail == "const HEADER = 30840 (int)");
  REQUIRE(symbol(ix, "Kind.GPS"));
  CHECK(symbol(ix, "Kind.GPS")->detail == "Kind.GPS = 18");
  CHECK(ix.symbols[symbol(ix, "Kind.GPS")->parent].name == "Kind");
  CHECK(symbol(ix, "option.verbose")->detail == "option verbose: bool = false");
  CHECK(symbol(ix, "session.count")->detail == "session count: int");
  CHECK(symbol(ix, "#demo.extra")->detail == "param #demo.extra: number");
  CHECK(symbol(ix, "coord")->detail == "fn coord($raw: int) -> float");
  CHECK(where(symbol(ix, "coord")->extent) == "7:1-9:2");
  CHECK(where(symbol(ix, "packet tcp")->extent) == "10:1-25:2");
  CHECK(symbol(ix, "$raw")->detail == "$raw: int (parameter of coord)");
}

TEST_CASE("index: every use of a name refers to its declaration") {
  SourceIndex ix = index(kDemo);
  CHECK(refs(ix, "HEADER") == "decl 2:7-2:13, 11:19-11:25");
  CHECK(refs(ix, "Kind") == "decl 3:6-3:10, 14:9-14:13");
  CHECK(refs(ix, "Kind.GPS") == "decl 3:24-3:27, 14:14-14:17");
  CHECK(refs(ix, "coord") == "decl 7:4-7:9, 16:17-16:22");
  CHECK(refs(ix, "$raw") == "decl 7:10-7:14, 8:12-8:16");
  CHECK(refs(ix, "$len") == "decl 12:12-12:16, 18:17-18:21");
  CHECK(refs(ix, "session.count") == "decl 5:9-5:14, 18:30-18:43");
  CHECK(refs(ix, "option.verbose") == "decl 4:8-4:15, 23:8-23:22");
  CHECK(refs(ix, "#demo.extra") == "decl 6:7-6:18, 17:27-17:38");
  const Reference* r = ix.reference_at("test.pvm", {18, 19});
  REQUIRE(r);
  CHECK(ix.symbols[r->symbol].name == "$len");
}

TEST_CASE("index: a variable has the type of its first assignment") {
  SourceIndex ix = index(kDemo);
  CHECK(symbol(ix, "$len")->detail == "$len: int");
  CHECK(symbol(ix, "$tail")->detail == "$tail: int");
  CHECK(ix.symbols[symbol(ix, "$len")->parent].name == "packet tcp");
}

TEST_CASE("index: reads have a width, and an offset in the frame where the input cannot move it") {
  SourceIndex ix = index(kDemo);
  // The match on the kind makes the rest depend on the input; the function's read is at the
  // caller's cursor, so it has no offset of its own.
  CHECK(reads(ix) == "u16@0/2, u8@2/1, u8@3/1, i32@4/4, u16le@8/2, u8@-1/1");
  const ReadSite* r = ix.read_at("test.pvm", {17, 18});
  REQUIRE(r);
  CHECK(r->read == "u16le");
  CHECK(r->little_endian);
  CHECK(r->type == "int");

  SourceIndex calls = index(
      "protocol p\nfn two() -> int { return u16 }\npacket tcp {\n"
      "    $a = two()\n    skip 3\n    $b = u32 at 1\n    within 4 { $c = u8 at 2 }\n    $d = bytes(2)\n"
      "    if $a == 1 { $e = u8 } else { $e = i8 }\n    $f = u8\n    repeat 2 { $g = u8 }\n    $h = u8\n}\n");
  CHECK(calls.diagnostics.empty());
  CHECK(reads(calls) == "u16@-1/2, u32@1/4, u8@7/1, bytes@9/2, u8@11/1, i8@11/1, u8@12/1, u8@-1/1, u8@-1/1");
}

TEST_CASE("index: names from a used file refer to that file") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "pvm_index_test";
  fs::create_directories(dir);
  std::ofstream(dir / "helpers.pvm") << "const LIMIT = 5\nfn twice($x: int) -> int {\n    return $x * 2\n}\n";
  CompileOptions options;
  options.import_dirs = {dir.string()};
  SourceIndex ix = index_source(
      "main.pvm", "protocol p\nuse \"helpers.pvm\"\npacket tcp {\n    emit { #custom.v = twice(LIMIT) }\n}\n",
      options);
  CHECK(ix.diagnostics.empty());
  REQUIRE(ix.files.size() == 2);
  CHECK(ix.files[0].name == "main.pvm");
  const Symbol* twice = symbol(ix, "twice");
  REQUIRE(twice);
  CHECK(twice->file == (dir / "helpers.pvm").string());
  CHECK(where(twice->selection) == "2:4-2:9");
  CHECK(refs(ix, "twice") == "decl 2:4-2:9, 4:24-4:29");
  CHECK(symbol(ix, "helpers.pvm")->detail == (dir / "helpers.pvm").string());
  fs::remove_all(dir);
}

TEST_CASE("index: a program with errors is indexed as far as it parses, with the compiler's diagnostics") {
  SourceIndex ix = index("protocol p\npacket tcp {\n    u8 ==> $a\n    $a + ==> $b\n    $a ==> $c\n}\n");
  REQUIRE(ix.diagnostics.size() == 1);
  CHECK(ix.diagnostics[0].kind == "syntax");
  CHECK(ix.diagnostics[0].pos.line == 4);
  CHECK(refs(ix, "$a") == "decl 3:12-3:14, 5:5-5:7");
  CHECK(symbol(ix, "$c")->detail == "$c: int");
}

TEST_CASE("index: builtins, CRC names and session.ident are words, with no declaration") {
  SourceIndex ix =
      index("protocol p\npacket tcp {\n    emit { #custom.c = crc(x25, rest) + len(session.ident) }\n}\n");
  CHECK(ix.diagnostics.empty());
  std::vector<std::string> words;
  for (const WordSite& w : ix.words) words.push_back(w.word + " " + where(w.range));
  CHECK(join(words) == "crc 3:24-3:27, x25 3:28-3:31, len 3:41-3:44, session.ident 3:45-3:58");
  REQUIRE(ix.param_at("test.pvm", {3, 12}));
  CHECK(ix.param_at("test.pvm", {3, 12})->name == "custom.c");
}

TEST_CASE(
    "language facts: standard parameters carry a type, unit and meaning; families match their instances") {
  const StandardParam* speed = find_standard_param("position.speed");
  REQUIRE(speed);
  CHECK(speed->type == "number");
  CHECK(speed->unit == "km/h");
  CHECK(!speed->meaning.empty());
  const StandardParam* din = find_standard_param("din.3");
  REQUIRE(din);
  CHECK(din->name == "din.*");
  CHECK(din->type == "bool");
  CHECK(find_standard_param("position.sped") == nullptr);
  for (const StandardParam& p : standard_params()) CHECK_MESSAGE(!p.meaning.empty(), p.name);
}

TEST_CASE("language facts: reads, builtins, keywords and CRC names") {
  auto has = [](std::span<const LanguageWord> words, std::string_view name) {
    return std::any_of(words.begin(), words.end(), [&](const LanguageWord& w) { return w.name == name; });
  };
  CHECK(has(reads(), "u16le"));
  CHECK(has(reads(), "bytes"));
  CHECK(!has(reads(), "u8le"));
  CHECK(reads().size() == 26 + 9);
  CHECK(has(builtin_functions(), "regex"));
  CHECK(has(keywords(), "within"));
  CHECK(has(keywords(), "little"));
  auto crcs = crc_names();
  CHECK(std::find(crcs.begin(), crcs.end(), "x25") != crcs.end());
  for (const LanguageWord& r : reads())
    if (r.name == "u16le") CHECK(r.summary == "an unsigned integer (int) of 2 bytes, little-endian");
}

TEST_CASE("index: in every stdlib protocol, each reference covers its symbol's name") {
  namespace fs = std::filesystem;
  const fs::path stdlib = PVM_SOURCE_DIR "/stdlib-protocols";
  CompileOptions options;
  options.import_dirs = {stdlib.string()};
  int protocols = 0;
  for (const auto& entry : fs::directory_iterator(stdlib)) {
    if (entry.path().extension() != ".pvm") continue;
    ++protocols;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const SourceIndex ix = index_source(entry.path().string(), text, options);
    CHECK_MESSAGE(ix.diagnostics.empty(), entry.path());
    CHECK(ix.reads.size() > 0);
    for (const Reference& r : ix.references) {
      const IndexedFile* file = nullptr;
      for (const IndexedFile& f : ix.files)
        if (f.name == r.file) file = &f;
      REQUIRE(file);
      REQUIRE(r.range.begin.line == r.range.end.line);
      size_t line_start = 0;
      for (uint32_t l = 1; l < r.range.begin.line; ++l) line_start = file->text.find('\n', line_start) + 1;
      std::string covered =
          file->text.substr(line_start + r.range.begin.col - 1, r.range.end.col - r.range.begin.col);
      if (covered.size() >= 2 && covered.front() == '"') covered = covered.substr(1, covered.size() - 2);
      const std::string& name = ix.symbols[r.symbol].name;
      CHECK_MESSAGE(name.ends_with(covered), r.file, ":", r.range.begin.line, " covers '", covered, "' for ",
                    name);
    }
  }
  CHECK(protocols >= 10);
}
