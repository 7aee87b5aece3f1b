#include "pvm/compiler/diagnostic.h"

#include <algorithm>

namespace pvm::compiler {

std::string Diagnostic::render() const {
  static constexpr const char* kSeverity[] = {"error", "warning", "note"};
  std::string out = file;
  if (pos.line) out += ":" + std::to_string(pos.line) + ":" + std::to_string(pos.col);
  out += ": ";
  out += kSeverity[static_cast<int>(severity)];
  out += ": " + message;
  if (!kind.empty()) out += " [" + kind + "]";
  out += "\n";
  if (pos.line && !source_line.empty()) {
    std::string num = std::to_string(pos.line);
    out += " " + num + " | " + source_line + "\n";
    out += " " + std::string(num.size(), ' ') + " | ";
    // Keep tabs, and one space per UTF-8 character, so the caret lines up in a terminal.
    for (uint32_t i = 1; i < pos.col && i - 1 < source_line.size(); ++i) {
      const char c = source_line[i - 1];
      if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) out += c == '\t' ? '\t' : ' ';
    }
    out += "^\n";
  }
  if (!hint.empty()) out += "  hint: " + hint + "\n";
  return out;
}

bool has_errors(const std::vector<Diagnostic>& diags) {
  return std::any_of(diags.begin(), diags.end(), [](const Diagnostic& d) { return d.severity == Severity::Error; });
}

}  // namespace pvm::compiler
