#include "pvm/compiler/diagnostic.h"

#include <algorithm>
#include <string_view>

#include "pvm/printable.h"

namespace pvm::compiler {

namespace {

// Bytes of a source line shown around the caret: a file that is not .pvm (a binary, a file a
// `use` should not have reached) shows no more than this of itself.
constexpr size_t kShownLineBytes = 160;

// Control bytes and invalid UTF-8 escaped, tabs kept so that the caret lines up.
std::string shown(std::string_view text) {
  std::string out;
  for (size_t tab; (tab = text.find('\t')) != std::string_view::npos; text.remove_prefix(tab + 1))
    out += printable(text.substr(0, tab)) + '\t';
  return out + printable(text);
}

}  // namespace

std::string Diagnostic::render() const {
  static constexpr const char* kSeverity[] = {"error", "warning", "note"};
  std::string out = printable(file);
  if (pos.line) out += ":" + std::to_string(pos.line) + ":" + std::to_string(pos.col);
  out += ": ";
  out += kSeverity[static_cast<int>(severity)];
  out += ": " + printable(message);
  if (!kind.empty()) out += " [" + kind + "]";
  out += "\n";
  if (pos.line && !source_line.empty()) {
    // A window of the line around the caret, escaped.
    const size_t caret = std::min<size_t>(pos.col == 0 ? 0 : pos.col - 1, source_line.size());
    const size_t from = caret > kShownLineBytes / 2 ? caret - kShownLineBytes / 2 : 0;
    const size_t to = std::min(source_line.size(), from + kShownLineBytes);
    const std::string before = shown(std::string_view(source_line).substr(from, caret - from));
    const std::string line = (from > 0 ? "..." : "") + before +
                             shown(std::string_view(source_line).substr(caret, to - caret)) +
                             (to < source_line.size() ? "..." : "");
    std::string num = std::to_string(pos.line);
    out += " " + num + " | " + line + "\n";
    out += " " + std::string(num.size(), ' ') + " | " + (from > 0 ? "   " : "");
    // Keep tabs, and one space per UTF-8 character, so the caret lines up in a terminal.
    for (const char c : before)
      if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) out += c == '\t' ? '\t' : ' ';
    out += "^\n";
  }
  if (!hint.empty()) out += "  hint: " + printable(hint) + "\n";
  return out;
}

bool has_errors(const std::vector<Diagnostic>& diags) {
  return std::any_of(diags.begin(), diags.end(), [](const Diagnostic& d) { return d.severity == Severity::Error; });
}

}  // namespace pvm::compiler
