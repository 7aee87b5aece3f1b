// Go to definition, find references (across the workspace's .pvm files) and highlights. A
// symbol is known everywhere by the file and position of its declaration.
#include <map>
#include <set>

#include "requests.h"
#include "uri.h"

namespace pvm::lsp {

namespace {

// Converts ranges of the index's files to LSP locations, one LineIndex per file.
class Locations {
 public:
  Locations(const Workspace& ws, const compiler::SourceIndex& ix) : ws_(ws), ix_(ix) {}
  json operator()(const std::string& file, const compiler::SourceRange& range) {
    auto it = lines_.find(file);
    if (it == lines_.end()) {
      const std::string* text = indexed_text(ix_, file);
      if (!text) return nullptr;
      it = lines_.emplace(file, LineIndex(*text)).first;
    }
    return {{"uri", ws_.uri_of(file)}, {"range", it->second.range(range)}};
  }

 private:
  const Workspace& ws_;
  const compiler::SourceIndex& ix_;
  std::map<std::string, LineIndex> lines_;
};

std::string key(const compiler::Symbol& s) {
  return canonical_path(s.file) + ":" + std::to_string(s.selection.begin.line) + ":" +
         std::to_string(s.selection.begin.col);
}

// The name a symbol is written with in the source, for finding the files that may use it.
std::string bare_name(const compiler::Symbol& s) {
  const size_t dot = s.name.rfind('.');
  if (s.kind == compiler::SymbolKind::Use || s.kind == compiler::SymbolKind::Param ||
      dot == std::string::npos)
    return s.name.substr(s.kind == compiler::SymbolKind::Param ? 1 : 0);
  return s.name.substr(dot + 1);
}

}  // namespace

json definition(const Workspace& ws, const Document& doc, const compiler::SourceIndex& ix,
                compiler::SourcePos pos) {
  const compiler::Reference* r = ix.reference_at(doc.file, pos);
  if (!r) return nullptr;
  const compiler::Symbol& s = ix.symbols[r->symbol];
  if (s.kind == compiler::SymbolKind::Use) {  // the used file itself
    if (s.detail.empty() || s.detail.ends_with("(not found)")) return nullptr;
    json start = {{"line", 0}, {"character", 0}};
    return {{"uri", ws.uri_of(s.detail)}, {"range", {{"start", start}, {"end", start}}}};
  }
  return Locations(ws, ix)(s.file, s.selection);
}

json references(const Workspace& ws, const Document& doc, const compiler::SourceIndex& ix,
                compiler::SourcePos pos, bool include_declaration) {
  const compiler::Reference* at = ix.reference_at(doc.file, pos);
  if (!at) return nullptr;
  const compiler::Symbol& target = ix.symbols[at->symbol];
  json out = json::array();
  std::set<std::string> seen;  // a used file's references show up in the index of every file using it
  auto collect = [&](const compiler::SourceIndex& index) {
    Locations locations(ws, index);
    for (const compiler::Reference& r : index.references) {
      if (r.declaration && !include_declaration) continue;
      const compiler::Symbol& s = index.symbols[r.symbol];
      if (s.kind != target.kind || key(s) != key(target)) continue;
      const std::string where = canonical_path(r.file) + ":" + std::to_string(r.range.begin.line) + ":" +
                                std::to_string(r.range.begin.col);
      if (!seen.insert(where).second) continue;
      json loc = locations(r.file, r.range);
      if (!loc.is_null()) out.push_back(std::move(loc));
    }
  };
  collect(ix);
  // A variable lives in one entry point or function; anything else may be used by other files.
  if (target.kind != compiler::SymbolKind::Variable) {
    for (const WorkspaceSource& source : ws.sources_containing(bare_name(target), doc.file)) {
      if (canonical_path(source.file) == canonical_path(doc.file)) continue;
      collect(ws.index(source));
    }
  }
  return out;
}

json highlights(const Document& doc, const compiler::SourceIndex& ix, compiler::SourcePos pos) {
  const compiler::Reference* at = ix.reference_at(doc.file, pos);
  if (!at) return nullptr;
  LineIndex lines(doc.text);
  json out = json::array();
  for (const compiler::Reference& r : ix.references)
    if (r.symbol == at->symbol && r.file == doc.file)
      out.push_back({{"range", lines.range(r.range)}, {"kind", r.declaration ? 3 : 2}});
  return out;
}

}  // namespace pvm::lsp
