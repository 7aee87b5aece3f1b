// Positions in LSP are a 0-based line and a count of UTF-16 code units; the compiler's are a
// 1-based line and a 1-based byte column. A LineIndex converts between the two for one text.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "json_rpc.h"
#include "pvm/compiler/diagnostic.h"
#include "pvm/compiler/index.h"

namespace pvm::lsp {

class LineIndex {
 public:
  explicit LineIndex(std::string_view text);  // the text must outlive the index

  // Byte offset of an LSP position; past the end of its line (or the text) it is clamped there.
  size_t offset(uint32_t line, uint32_t character) const;
  compiler::SourcePos source_pos(uint32_t line, uint32_t character) const;
  json position(compiler::SourcePos pos) const;  // {"line", "character"}
  json range(const compiler::SourceRange& r) const;
  json range(compiler::SourcePos begin, compiler::SourcePos end) const;
  std::string_view line_text(uint32_t line0) const;  // without its newline

 private:
  std::string_view text_;
  std::vector<size_t> starts_;
};

// UTF-16 code units in a UTF-8 text (a byte that starts no valid character counts as one).
uint32_t utf16_length(std::string_view utf8);

// Reads {"line": N, "character": N} (each a non-negative integer); false when it is not that.
bool read_position(const json& j, uint32_t& line, uint32_t& character);

}  // namespace pvm::lsp
