// The compiler's diagnostics as LSP diagnostics. The compiler gives a position; the range is
// the word that starts there. An error in a used file is shown on the `use` line that brings
// it in, with the place itself as related information.
#include "requests.h"
#include "uri.h"

namespace pvm::lsp {

namespace {

bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
         c == '#' || c == '.';
}

// The word at a compiler position: to the end of the name there, or one character.
json word_range(const std::string& text, compiler::SourcePos pos) {
  LineIndex lines(text);
  if (pos.line == 0) return lines.range(compiler::SourcePos{1, 1}, compiler::SourcePos{1, 1});
  const std::string_view line = lines.line_text(pos.line - 1);
  size_t start = pos.col == 0 ? 0 : pos.col - 1, end = start;
  if (start < line.size()) {
    while (end < line.size() && word_char(line[end])) ++end;
    if (end == start) ++end;
    // Keep whole UTF-8 characters.
    while (end < line.size() && (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80) ++end;
  }
  return lines.range(pos, compiler::SourcePos{pos.line, static_cast<uint32_t>(end + 1)});
}

int severity(compiler::Severity s) {
  switch (s) {
    case compiler::Severity::Error:
      return 1;
    case compiler::Severity::Warning:
      return 2;
    case compiler::Severity::Note:
      return 3;
  }
  return 1;
}

std::string where(const compiler::Diagnostic& d) {
  return d.file + ":" + std::to_string(d.pos.line) + ":" + std::to_string(d.pos.col);
}

}  // namespace

const std::string* indexed_text(const compiler::SourceIndex& ix, const std::string& file) {
  for (const compiler::IndexedFile& f : ix.files)
    if (f.name == file) return &f.text;
  return nullptr;
}

json diagnostics(const Workspace& ws, const Document& doc, const compiler::SourceIndex& ix) {
  json out = json::array();
  auto related = [&](const compiler::Diagnostic& d) {
    const std::string* text = indexed_text(ix, d.file);
    static const std::string kEmpty;
    return json{
        {"location", {{"uri", ws.uri_of(d.file)}, {"range", word_range(text ? *text : kEmpty, d.pos)}}},
        {"message", d.message}};
  };
  // The `use` line of the document that brings in a used file (the first one, for files used
  // by used files).
  auto use_line = [&](const std::string& file) -> json {
    const compiler::Symbol* first = nullptr;
    for (const compiler::Symbol& s : ix.symbols) {
      if (s.kind != compiler::SymbolKind::Use || s.file != doc.file) continue;
      if (canonical_path(s.detail) == canonical_path(file)) return LineIndex(doc.text).range(s.selection);
      if (!first) first = &s;
    }
    if (first) return LineIndex(doc.text).range(first->selection);
    return LineIndex(doc.text).range(compiler::SourcePos{1, 1}, compiler::SourcePos{1, 1});
  };
  for (const compiler::Diagnostic& d : ix.diagnostics) {
    if (d.severity == compiler::Severity::Note && !out.empty()) {
      out.back()["relatedInformation"].push_back(related(d));
      continue;
    }
    json diag = {{"severity", severity(d.severity)}, {"source", "pvm"}};
    if (!d.kind.empty()) diag["code"] = d.kind;
    std::string message = d.message;
    if (!d.hint.empty()) message += "\nhint: " + d.hint;
    if (d.file == doc.file || d.file.empty()) {
      diag["range"] = word_range(doc.text, d.pos);
    } else {
      diag["range"] = use_line(d.file);
      message = "in " + where(d) + ": " + message;
      diag["relatedInformation"] = json::array({related(d)});
    }
    diag["message"] = message;
    out.push_back(std::move(diag));
  }
  return {{"uri", doc.uri}, {"version", doc.version}, {"diagnostics", std::move(out)}};
}

}  // namespace pvm::lsp
