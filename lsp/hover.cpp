// Hover: what the name under the cursor is. A declared name shows its declaration; a read its
// type, width, byte order and offset in the frame; a #parameter its type, unit and meaning;
// builtins, CRC algorithms and keywords their one-line description.
#include <filesystem>

#include "pvm/compiler/language.h"
#include "requests.h"

namespace pvm::lsp {

namespace {

using compiler::LanguageWord;

std::string code(const std::string& text) {
  return "```pvm\n" + text + "\n```";
}

const LanguageWord* find_word(std::span<const LanguageWord> words, std::string_view name) {
  for (const LanguageWord& w : words)
    if (w.name == name) return &w;
  return nullptr;
}

std::string describe(const LanguageWord& w) {
  return code(std::string(w.signature)) + "\n\n" + std::string(w.summary);
}

std::string symbol_text(const compiler::SourceIndex& ix, const compiler::Symbol& s, const Document& doc) {
  std::string text = code(s.detail) + "\n\n" + std::string(symbol_kind_name(s.kind));
  if (s.kind == compiler::SymbolKind::Use) return code("use \"" + s.name + "\"") + "\n\n" + s.detail;
  if (s.kind == compiler::SymbolKind::Variable && s.parent >= 0) text += " of " + ix.symbols[s.parent].name;
  if (s.file != doc.file)
    text += ", declared in " + std::filesystem::path(s.file).filename().string() + ":" +
            std::to_string(s.selection.begin.line);
  else
    text += ", declared at line " + std::to_string(s.selection.begin.line);
  return text;
}

std::string read_text(const compiler::ReadSite& r) {
  std::string text = code(r.read) + "\n\n" + r.type;
  if (r.width >= 0) {
    text += ", " + std::to_string(r.width) + (r.width == 1 ? " byte" : " bytes");
  } else {
    text += ", as many bytes as the input says";
  }
  if (r.width > 1 && (r.type == "int" || r.type == "uint" || r.type == "float") && r.read != "bcd" &&
      r.read != "bytes" && r.read != "text")
    text += r.little_endian ? ", little-endian" : ", big-endian";
  if (r.offset >= 0)
    text += r.at ? ", at offset " + std::to_string(r.offset) + " of the frame without moving the cursor"
                 : ", at offset " + std::to_string(r.offset) + " of the frame";
  else
    text +=
        r.at ? "; reads without moving the cursor" : "; where it reads depends on the input or the caller";
  if (const LanguageWord* w = find_word(compiler::reads(), r.read)) text += "\n\n" + std::string(w->summary);
  return text;
}

std::string param_text(const compiler::SourceIndex& ix, const std::string& name,
                       const std::string& protocol) {
  const bool family = name.ends_with(".*");
  const std::string shown = family ? name.substr(0, name.size() - 2) + "[N]" : name;
  if (const compiler::StandardParam* p = compiler::find_standard_param(name)) {
    std::string text = code("#" + shown + ": " + std::string(p->type)) + "\n\n" + std::string(p->meaning);
    if (!p->unit.empty()) text += " (" + std::string(p->unit) + ")";
    return text + "\n\na standard parameter";
  }
  for (const compiler::Symbol& s : ix.symbols)
    if (s.kind == compiler::SymbolKind::Param && s.name == "#" + name) return code(s.detail);
  if ((!protocol.empty() && name.rfind(protocol + ".", 0) == 0) || name.rfind("custom.", 0) == 0 ||
      (family && (name == protocol + ".*" || name == "custom.*")))
    return code("#" + shown) + "\n\na parameter under the protocol's own prefix or custom.: any type";
  return {};
}

std::string word_text(const std::string& word) {
  if (word == "session.ident")
    return code("session.ident: str") +
           "\n\nthe device's identifier: once set (at login), the ident of every message of the connection";
  if (const LanguageWord* w = find_word(compiler::builtin_functions(), word)) return describe(*w);
  if (const LanguageWord* w = find_word(compiler::cursor_values(), word)) return describe(*w);
  for (const std::string& crc : compiler::crc_names())
    if (crc == word) return code("crc(" + crc + ", BYTES)") + "\n\na CRC algorithm for crc()";
  return {};
}

// The identifier (letters, digits, '_') under a cursor.
std::string word_under(const Document& doc, compiler::SourcePos pos) {
  LineIndex lines(doc.text);
  const std::string_view line = lines.line_text(pos.line - 1);
  auto ident = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  size_t at = pos.col - 1, start = at, end = at;
  while (start > 0 && start - 1 < line.size() && ident(line[start - 1])) --start;
  while (end < line.size() && ident(line[end])) ++end;
  return std::string(line.substr(start, end - start));
}

}  // namespace

json hover(const Workspace&, const Document& doc, const compiler::SourceIndex& ix, compiler::SourcePos pos) {
  std::string text;
  json range;
  LineIndex lines(doc.text);
  std::string protocol;
  for (const compiler::Symbol& s : ix.symbols)
    if (s.kind == compiler::SymbolKind::Protocol && protocol.empty()) protocol = s.name;

  if (const compiler::Reference* r = ix.reference_at(doc.file, pos)) {
    text = symbol_text(ix, ix.symbols[r->symbol], doc);
    range = lines.range(r->range);
  } else if (const compiler::ReadSite* r = ix.read_at(doc.file, pos)) {
    text = read_text(*r);
    range = lines.range(r->range);
  } else if (const compiler::ParamSite* p = ix.param_at(doc.file, pos)) {
    text = param_text(ix, p->name, protocol);
    range = lines.range(p->range);
  } else if (const compiler::WordSite* w = ix.word_at(doc.file, pos)) {
    text = word_text(w->word);
    range = lines.range(w->range);
  } else {
    const std::string word = word_under(doc, pos);
    if (const LanguageWord* k = find_word(compiler::keywords(), word))
      text = describe(*k);
    else if (const LanguageWord* rd = find_word(compiler::reads(), word))
      text = describe(*rd);
    else
      for (std::string_view t : compiler::type_names())
        if (t == word) text = code(word) + "\n\na type";
  }
  if (text.empty()) return nullptr;
  json out = {{"contents", {{"kind", "markdown"}, {"value", text}}}};
  if (!range.is_null()) out["range"] = range;
  return out;
}

}  // namespace pvm::lsp
