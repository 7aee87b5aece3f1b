// The outline: the document's declarations, enum members and the variables of each entry
// point or function under it.
#include "requests.h"

namespace pvm::lsp {

namespace {

// LSP SymbolKind values.
int lsp_kind(compiler::SymbolKind k) {
  using compiler::SymbolKind;
  switch (k) {
    case SymbolKind::Protocol:
      return 2;  // Module
    case SymbolKind::Use:
      return 1;  // File
    case SymbolKind::Const:
      return 14;  // Constant
    case SymbolKind::Enum:
      return 10;  // Enum
    case SymbolKind::EnumMember:
      return 22;  // EnumMember
    case SymbolKind::Option:
      return 7;  // Property
    case SymbolKind::Session:
      return 8;  // Field
    case SymbolKind::Param:
      return 20;  // Key
    case SymbolKind::Framing:
      return 12;  // Function
    case SymbolKind::Packet:
      return 24;  // Event
    case SymbolKind::Command:
      return 6;  // Method
    case SymbolKind::Fn:
      return 12;  // Function
    case SymbolKind::Table:
      return 23;  // Struct
    case SymbolKind::Variable:
      return 13;  // Variable
  }
  return 13;
}

}  // namespace

json document_symbols(const Document& doc, const compiler::SourceIndex& ix) {
  LineIndex lines(doc.text);
  auto symbol = [&](const compiler::Symbol& s) {
    return json{{"name", s.name},
                {"detail", s.detail},
                {"kind", lsp_kind(s.kind)},
                {"range", lines.range(s.extent)},
                {"selectionRange", lines.range(s.selection)}};
  };
  json out = json::array();
  for (size_t i = 0; i < ix.symbols.size(); ++i) {
    const compiler::Symbol& s = ix.symbols[i];
    if (s.file != doc.file || s.parent >= 0) continue;
    json item = symbol(s);
    json children = json::array();
    for (const compiler::Symbol& c : ix.symbols)
      if (c.parent == static_cast<int>(i) && c.file == doc.file) children.push_back(symbol(c));
    if (!children.empty()) item["children"] = std::move(children);
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace pvm::lsp
