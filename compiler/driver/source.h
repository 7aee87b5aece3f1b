// A source file held in memory, with line lookup for diagnostics.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pvm/compiler/diagnostic.h"

namespace pvm::compiler {

struct SourceFile {
  std::string name;
  std::string text;
  std::vector<uint32_t> line_starts;  // offsets of each line's first byte

  SourceFile(std::string name_, std::string text_);
  std::string_view line(uint32_t line_no) const;  // 1-based, without the newline
  Diagnostic diag(std::string kind, SourcePos pos, std::string message, std::string hint = {}) const;
};

}  // namespace pvm::compiler
