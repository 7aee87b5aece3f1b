// Wrong programs must never crash the compiler: every prefix of a real protocol, and two
// thousand random mutations of it (fixed seed, so a failure reproduces), only have to come back.
// The source index (what an editor runs on every keystroke) gets the same treatment.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "pvm/compiler/compile.h"
#include "pvm/compiler/index.h"

namespace {

const char* const kStdlib = PVM_SOURCE_DIR "/stdlib-protocols";

std::string teltonika_text() {
  std::ifstream in(std::string(kStdlib) + "/teltonika.pvm", std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Compiles `source`; with `resolve_uses` its `use` lines find the stdlib's files.
bool compiles(const std::string& source, bool resolve_uses = true) {
  pvm::compiler::CompileOptions options;
  if (resolve_uses) options.import_dirs = {kStdlib};
  return pvm::compiler::compile_source("teltonika.pvm", source, options).ok;
}

// Pieces that make interesting damage: tokens of every kind, unbalanced brackets, bad bytes.
const char* const kFragments[] = {
    "{", "}", "(", ")", "[", "]", "\"", "x\"", "/*", "*/", "//", "\n", ";", ",", "==>", "=>", "->", "$", "#",
    "$x", "#din[", "u8", "bytes(", "at", "within 2 {", "repeat until end {", "emit {", "reply {", "return",
    "fail \"x\"", "match $codec {", "_ =>", "fn f() -> int {", "table t($k: int) {", "const C = C",
    "use \"lib/teltonika_io.pvm\"", "0x", "1e", "99999999999999999999", "\xc3\xa9", "\xff", "\t", " ",
    "session.", "option.", "crc(", "written(", "-", "!", "~", "<<", "&&"};

std::string mutate(std::string text, std::mt19937& rng) {
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  const int edits = 1 + static_cast<int>(pick(4));
  for (int e = 0; e < edits && !text.empty(); ++e) {
    const size_t at = pick(text.size());
    switch (pick(5)) {
      case 0:  // delete a run
        text.erase(at, 1 + pick(40));
        break;
      case 1:  // insert a fragment
        text.insert(at, kFragments[pick(std::size(kFragments))]);
        break;
      case 2: {  // duplicate a run somewhere else
        const std::string run = text.substr(at, 1 + pick(80));
        text.insert(pick(text.size()), run);
        break;
      }
      case 3:  // overwrite one byte with anything
        text[at] = static_cast<char>(pick(256));
        break;
      default: {  // swap two lines' worth of text
        const size_t other = pick(text.size());
        const size_t n = std::min({size_t{60}, text.size() - at, text.size() - other});
        if (at + n <= other || other + n <= at) std::swap_ranges(text.begin() + at, text.begin() + at + n, text.begin() + other);
        break;
      }
    }
  }
  return text;
}

}  // namespace

TEST_CASE("compiler robustness: the whole protocol compiles, and every prefix of it comes back") {
  const std::string text = teltonika_text();
  REQUIRE(text.size() > 1000);
  CHECK(compiles(text));
  // Without the used files, which would only add the same work to every prefix.
  for (size_t n = 0; n < text.size(); ++n) compiles(text.substr(0, n), false);
}

TEST_CASE("compiler robustness: random mutations come back") {
  const std::string text = teltonika_text();
  std::mt19937 rng(20240611);
  int accepted = 0;
  for (int k = 0; k < 2000; ++k) accepted += compiles(mutate(text, rng));
  // Some mutations land in comments or are harmless: the loop did compile real programs.
  CHECK(accepted > 0);
}

TEST_CASE("compiler robustness: the source index comes back from random mutations, its ranges inside the text") {
  const std::string text = teltonika_text();
  std::mt19937 rng(20250102);
  pvm::compiler::CompileOptions options;
  options.import_dirs = {kStdlib};
  size_t references = 0;
  for (int k = 0; k < 500; ++k) {
    const std::string source = mutate(text, rng);
    const pvm::compiler::SourceIndex ix = pvm::compiler::index_source("teltonika.pvm", source, options);
    for (const auto& r : ix.references) {
      REQUIRE(r.symbol >= 0);
      REQUIRE(static_cast<size_t>(r.symbol) < ix.symbols.size());
      CHECK(r.range.begin.line >= 1);
      CHECK(r.range.end.line >= r.range.begin.line);
      ++references;
    }
  }
  CHECK(references > 0);
}
