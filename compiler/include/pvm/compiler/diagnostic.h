// Diagnostics shared by every compiler phase and the assembler: where, what, and a hint.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pvm::compiler {

struct SourcePos {
  uint32_t line = 0;  // 1-based; 0 = unknown
  uint32_t col = 0;   // 1-based
};

enum class Severity : uint8_t { Error, Warning, Note };

struct Diagnostic {
  Severity severity = Severity::Error;
  std::string kind;  // stable id from diagnostics.def, e.g. "unknown-param"
  std::string file;
  SourcePos pos;
  std::string message;
  std::string hint;         // may be empty
  std::string source_line;  // the text of the line, for the caret display

  // file:line:col: error: message
  //    12 |     u32 ==> #position.latitud
  //       |             ^
  //   hint: did you mean 'position.latitude'?
  std::string render() const;
};

bool has_errors(const std::vector<Diagnostic>& diags);

}  // namespace pvm::compiler
