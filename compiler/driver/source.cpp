#include "driver/source.h"

namespace pvm::compiler {

SourceFile::SourceFile(std::string name_, std::string text_) : name(std::move(name_)), text(std::move(text_)) {
  line_starts.push_back(0);
  for (uint32_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') line_starts.push_back(i + 1);
}

std::string_view SourceFile::line(uint32_t line_no) const {
  if (line_no == 0 || line_no > line_starts.size()) return {};
  uint32_t start = line_starts[line_no - 1];
  uint32_t end = line_no < line_starts.size() ? line_starts[line_no] - 1 : static_cast<uint32_t>(text.size());
  std::string_view l(text.data() + start, end - start);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  return l;
}

Diagnostic SourceFile::diag(std::string kind, SourcePos pos, std::string message, std::string hint) const {
  Diagnostic d;
  d.kind = std::move(kind);
  d.file = name;
  d.pos = pos;
  d.message = std::move(message);
  d.hint = std::move(hint);
  d.source_line = std::string(line(pos.line));
  return d;
}

}  // namespace pvm::compiler
