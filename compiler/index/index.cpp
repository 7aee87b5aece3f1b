// The source index: runs the compiler with a look at the tree after parsing and after checking.
#include "pvm/compiler/index.h"

#include <algorithm>

#include "driver/front_end.h"
#include "index/index_context.h"
#include "lex/lexer.h"

namespace pvm::compiler {

namespace {

bool before(SourcePos a, SourcePos b) {
  return a.line < b.line || (a.line == b.line && a.col < b.col);
}

template <typename Site>
const Site* site_at(const std::vector<Site>& sites, std::string_view file, SourcePos pos) {
  for (const Site& s : sites)
    if (s.file == file && s.range.contains(pos)) return &s;
  return nullptr;
}

}  // namespace

bool SourceRange::contains(SourcePos p) const {
  return begin.line != 0 && !before(p, begin) && !before(end, p);
}

std::string_view symbol_kind_name(SymbolKind k) {
  static constexpr std::string_view kNames[] = {
      "protocol",  "use",     "const",  "enum",    "enum member", "option", "session variable",
      "parameter", "framing", "packet", "command", "fn",          "table",  "variable"};
  return kNames[static_cast<int>(k)];
}

FileTokens::FileTokens(const SourceFile& src) : src_(&src) {
  std::vector<Diagnostic> ignored;  // the compile reports them
  toks_ = lex(src, ignored);
}

int FileTokens::at(SourcePos pos) const {
  auto it = std::lower_bound(toks_.begin(), toks_.end(), pos,
                             [](const Token& t, SourcePos p) { return before(t.pos, p); });
  if (it == toks_.end() || it->pos.line != pos.line || it->pos.col != pos.col) return -1;
  return static_cast<int>(it - toks_.begin());
}

SourceRange FileTokens::range(int i) const {
  return range(i, i);
}

SourceRange FileTokens::range(int first, int last) const {
  const Token* a = get(first);
  const Token* b = get(last);
  if (!a || !b) return {};
  // A token does not span lines (strings cannot hold a newline), so its end is on its line.
  return {a->pos, {b->pos.line, b->pos.col + b->length}};
}

int FileTokens::declaration_end(int first) const {
  int depth = 0;
  int last = first;
  for (int i = first; i < static_cast<int>(toks_.size()); ++i) {
    const Tok k = toks_[i].kind;
    if (k == Tok::End) break;
    if (depth == 0 && i > first && (k == Tok::Newline || k == Tok::Semicolon)) break;
    if (k == Tok::LBrace) ++depth;
    if (k == Tok::RBrace && --depth < 0) break;  // the item was cut short by a syntax error
    if (k != Tok::Newline) last = i;
  }
  return last;
}

const FileTokens* IndexContext::tokens(const std::string& file) const {
  auto f = files.find(file);
  return f == files.end() ? nullptr : &f->second;
}

const Reference* SourceIndex::reference_at(std::string_view file, SourcePos pos) const {
  return site_at(references, file, pos);
}
const ReadSite* SourceIndex::read_at(std::string_view file, SourcePos pos) const {
  return site_at(reads, file, pos);
}
const ParamSite* SourceIndex::param_at(std::string_view file, SourcePos pos) const {
  return site_at(params, file, pos);
}
const WordSite* SourceIndex::word_at(std::string_view file, SourcePos pos) const {
  return site_at(words, file, pos);
}

SourceIndex index_source(std::string_view file_name, std::string_view text, const CompileOptions& options) {
  SourceIndex out;
  IndexContext cx{out, options, {}, {}, {}};
  FrontEndHooks hooks;
  hooks.parsed = [&](const Program& program, const std::map<std::string, const SourceFile*>& sources) {
    // The indexed file first, then the files it uses.
    if (auto main = sources.find(std::string(file_name)); main != sources.end()) {
      out.files.push_back({main->first, main->second->text});
      cx.files.emplace(main->first, FileTokens(*main->second));
    }
    for (const auto& [name, src] : sources)
      if (cx.files.emplace(name, FileTokens(*src)).second) out.files.push_back({name, src->text});
    collect_names(program, cx);
  };
  hooks.checked = [&](const Program& program) { collect_types_and_reads(program, cx); };
  CompileOptions compile_options = options;
  compile_options.dump = Dump::None;
  out.diagnostics = compile_source(file_name, text, compile_options, hooks).diagnostics;
  return out;
}

}  // namespace pvm::compiler
