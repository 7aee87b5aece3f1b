// The .pvmtest golden test format (docs/testing.md): `key: value` header lines, then sections
// introduced by `--- name` lines. Parsing keeps enough of the text to write the file back with
// only the expected sections changed (pvm test --update).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pvm::cli {

struct PvmTestSection {
  std::string name;                // "program", "input", "messages", ...
  uint32_t first_line = 0;         // file line number of the section's first content line
  std::vector<std::string> lines;  // content, without trailing blank lines
};

struct PvmTestFile {
  std::vector<std::string> header_text;                      // header lines as written
  std::vector<std::pair<std::string, std::string>> headers;  // in order; "option" may repeat
  std::vector<PvmTestSection> sections;                      // in file order, each name once

  const PvmTestSection* section(std::string_view name) const;
  PvmTestSection* section(std::string_view name);
  // The last value of a header key, or `fallback`.
  std::string header(std::string_view key, std::string_view fallback = "") const;
};

// Sections whose content is output to compare, in the order --update adds missing ones.
inline constexpr std::string_view kExpectedSections[] = {"diagnostics", "asm",    "messages",
                                                         "replies",     "errors", "encoded"};
bool is_expected_section(std::string_view name);

// False with "line N: reason" on an unknown header key or section, a repeated section, or a
// header line without ':'.
bool parse_pvmtest(std::string_view text, PvmTestFile& out, std::string& error);
std::string write_pvmtest(const PvmTestFile& file);

// Splits text into lines (a final newline does not start another line; '\r' before '\n' goes).
std::vector<std::string> split_lines(std::string_view text);
std::string join_lines(const std::vector<std::string>& lines);

}  // namespace pvm::cli
