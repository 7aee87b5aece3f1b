// Completion from what precedes the cursor on its line: '#' gives parameter names, '$' the
// variables of the entry point or function the cursor is in, "session." / "option." / "Enum."
// their members, "crc(" the algorithms, and anything else the language's words and the
// program's declarations.
#include <set>

#include "pvm/compiler/language.h"
#include "requests.h"

namespace pvm::lsp {

namespace {

// LSP CompletionItemKind values.
enum Kind : int {
  kFunction = 3,
  kField = 5,
  kVariable = 6,
  kModule = 9,
  kProperty = 10,
  kValue = 12,
  kEnum = 13,
  kKeyword = 14,
  kEnumMember = 20,
  kConstant = 21,
  kStruct = 22,
  kTypeParameter = 25,
};

bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Inside a // comment or a string, counting quotes from the start of the line.
bool in_comment_or_string(std::string_view before) {
  bool in_string = false;
  for (size_t i = 0; i < before.size(); ++i) {
    const char c = before[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '/' && i + 1 < before.size() && before[i + 1] == '/') {
      return true;
    }
  }
  return in_string;
}

class Items {
 public:
  Items(json range) : range_(std::move(range)) {}
  void add(const std::string& label, int kind, std::string_view detail, std::string_view doc = {},
           const std::string& insert = {}) {
    if (!labels_.insert(label).second) return;
    json item = {{"label", label}, {"kind", kind}};
    if (!detail.empty()) item["detail"] = std::string(detail);
    if (!doc.empty()) item["documentation"] = std::string(doc);
    if (!range_.is_null()) {
      item["textEdit"] = {{"range", range_}, {"newText", insert.empty() ? label : insert}};
      item["filterText"] = label;
    } else if (!insert.empty()) {
      item["insertText"] = insert;
    }
    items_.push_back(std::move(item));
  }
  json take() { return {{"isIncomplete", false}, {"items", std::move(items_)}}; }

 private:
  json range_;
  json items_ = json::array();
  std::set<std::string> labels_;
};

}  // namespace

json completion(const Document& doc, const compiler::SourceIndex& ix, uint32_t line, uint32_t character) {
  using compiler::SymbolKind;
  LineIndex lines(doc.text);
  const compiler::SourcePos cursor = lines.source_pos(line, character);
  const std::string_view text = lines.line_text(cursor.line - 1);
  const std::string_view before = text.substr(0, std::min<size_t>(cursor.col - 1, text.size()));
  if (in_comment_or_string(before)) return {{"isIncomplete", false}, {"items", json::array()}};

  // The word being typed, and what comes before it.
  size_t start = before.size();
  while (start > 0 && (ident_char(before[start - 1]) || before[start - 1] == '.')) --start;
  const std::string_view typed = before.substr(start);
  const char sigil = start > 0 ? before[start - 1] : '\0';
  auto range_from = [&](size_t byte_col0) {
    return lines.range(compiler::SourcePos{cursor.line, static_cast<uint32_t>(byte_col0 + 1)}, cursor);
  };
  auto symbols_of = [&](SymbolKind kind, auto&& each) {
    for (const compiler::Symbol& s : ix.symbols)
      if (s.kind == kind) each(s);
  };

  if (sigil == '#') {
    Items items(range_from(start));
    for (const compiler::StandardParam& p : compiler::standard_params()) {
      std::string name(p.name);
      std::string detail = std::string(p.type) + (p.unit.empty() ? "" : ", " + std::string(p.unit));
      if (name.ends_with(".*")) {
        std::string family = name.substr(0, name.size() - 2);
        items.add(family + "[]", kField, detail, p.meaning, family + "[");
      } else {
        items.add(name, kField, detail, p.meaning);
      }
    }
    symbols_of(SymbolKind::Param,
               [&](const compiler::Symbol& s) { items.add(s.name.substr(1), kField, s.detail); });
    return items.take();
  }
  if (sigil == '$') {
    Items items(range_from(start - 1));
    for (const compiler::Symbol& s : ix.symbols) {
      if (s.kind != SymbolKind::Variable || s.file != doc.file || s.parent < 0) continue;
      if (ix.symbols[s.parent].extent.contains(cursor)) items.add(s.name, kVariable, s.detail);
    }
    return items.take();
  }
  if (const size_t dot = typed.find('.'); dot != std::string_view::npos) {
    const std::string owner(typed.substr(0, dot));
    Items items(range_from(start + dot + 1));
    if (owner == "session") {
      items.add("ident", kField, "session.ident: str");
      symbols_of(SymbolKind::Session,
                 [&](const compiler::Symbol& s) { items.add(s.name.substr(8), kField, s.detail); });
    } else if (owner == "option") {
      symbols_of(SymbolKind::Option,
                 [&](const compiler::Symbol& s) { items.add(s.name.substr(7), kProperty, s.detail); });
    } else {
      symbols_of(SymbolKind::EnumMember, [&](const compiler::Symbol& s) {
        if (s.name.rfind(owner + ".", 0) == 0)
          items.add(s.name.substr(owner.size() + 1), kEnumMember, s.detail);
      });
    }
    return items.take();
  }

  Items items(range_from(start));
  // crc( NAME: the algorithms first.
  size_t open = start;
  while (open > 0 && before[open - 1] == ' ') --open;
  if (open >= 4 && before.substr(open - 4, 4) == "crc(")
    for (const std::string& crc : compiler::crc_names()) items.add(crc, kValue, "CRC algorithm");
  symbols_of(SymbolKind::Const, [&](const compiler::Symbol& s) { items.add(s.name, kConstant, s.detail); });
  symbols_of(SymbolKind::Enum, [&](const compiler::Symbol& s) { items.add(s.name, kEnum, s.detail); });
  symbols_of(SymbolKind::Fn, [&](const compiler::Symbol& s) { items.add(s.name, kFunction, s.detail); });
  symbols_of(SymbolKind::Table, [&](const compiler::Symbol& s) { items.add(s.name, kStruct, s.detail); });
  for (const auto& w : compiler::keywords()) items.add(std::string(w.name), kKeyword, w.signature, w.summary);
  for (const auto& w : compiler::reads()) items.add(std::string(w.name), kFunction, w.signature, w.summary);
  for (const auto& w : compiler::builtin_functions())
    items.add(std::string(w.name), kFunction, w.signature, w.summary);
  for (const auto& w : compiler::cursor_values())
    items.add(std::string(w.name), kVariable, w.signature, w.summary);
  for (std::string_view t : compiler::type_names()) items.add(std::string(t), kTypeParameter, "type");
  items.add("session", kModule, "session.NAME", "a session variable", "session.");
  items.add("option", kModule, "option.NAME", "an option", "option.");
  return items.take();
}

}  // namespace pvm::lsp
