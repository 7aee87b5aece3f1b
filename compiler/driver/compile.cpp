// The compiler driver: reads the file and what it uses, then runs each phase in turn.
#include "pvm/compiler/compile.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "check/checker.h"
#include "driver/front_end.h"
#include "driver/source.h"
#include "lex/lexer.h"
#include "lower/lower.h"
#include "parse/parser.h"
#include "pvm/compiler/asm.h"

namespace pvm::compiler {

namespace {

namespace fs = std::filesystem;

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

class Driver {
 public:
  Driver(const CompileOptions& o, const FrontEndHooks& hooks) : opts_(o), hooks_(hooks) {}

  CompileResult run(std::string_view name, std::string_view text) {
    CompileResult r;
    const SourceFile& main = add_source(std::string(name), std::string(text));
    std::vector<Token> tokens = lex(main, r.diagnostics);
    if (opts_.dump == Dump::Tokens) r.dump = dump_tokens(tokens);
    Program prog = parse(main, tokens, r.diagnostics);
    show_little_of_non_pvm(prog, r.diagnostics, 0);
    const std::string main_canonical = canonical_path(main.name);
    imported_.insert(main_canonical);
    sources_used_.push_back({"", main.name, main.name, main_canonical, std::string(text)});
    resolve_uses(prog, main.name, r.diagnostics, 0);
    r.sources = std::move(sources_used_);
    if (opts_.dump == Dump::Ast) r.dump = dump_ast(prog, false);
    std::map<std::string, const SourceFile*> by_name;
    for (auto& s : sources_) by_name[s->name] = s.get();
    if (hooks_.parsed) hooks_.parsed(prog, by_name);
    CheckedProgram checked = check(prog, by_name, r.diagnostics);
    if (hooks_.checked) hooks_.checked(prog);
    if (opts_.dump == Dump::Typed) r.dump = dump_ast(prog, true);
    if (has_errors(r.diagnostics)) return r;
    r.asm_text = lower(prog, checked, main.name, file_names_);
    if (opts_.dump == Dump::Asm) r.dump = r.asm_text;
    AsmResult a = assemble(r.asm_text, main.name + " (generated assembly)");
    for (auto& d : a.diagnostics) r.diagnostics.push_back(d);
    if (!a.ok) return r;
    r.module = std::move(a.module);
    r.ok = true;
    return r;
  }

 private:
  const SourceFile& add_source(std::string name, std::string text) {
    sources_.push_back(std::make_unique<SourceFile>(std::move(name), std::move(text)));
    return *sources_.back();
  }
  // A file in which not one declaration parses is not .pvm (a binary, a text file given by
  // mistake): of its diagnostics only the first is kept, so that no more of it than one line
  // is shown.
  static void show_little_of_non_pvm(const Program& prog, std::vector<Diagnostic>& diags, size_t first) {
    if (!prog.items.empty() || diags.size() <= first + 1) return;
    auto earliest =
        std::min_element(diags.begin() + static_cast<std::ptrdiff_t>(first), diags.end(),
                         [](const Diagnostic& a, const Diagnostic& b) {
                           return std::pair(a.pos.line, a.pos.col) < std::pair(b.pos.line, b.pos.col);
                         });
    Diagnostic kept = std::move(*earliest);
    kept.hint = "this does not read as a .pvm file; its other errors are not shown";
    diags.resize(first);
    diags.push_back(std::move(kept));
  }

  // Splices the items of every `use`d file into the program (each file once).
  void resolve_uses(Program& prog, const std::string& from, std::vector<Diagnostic>& diags, int depth) {
    std::vector<std::unique_ptr<Item>> added;
    for (auto& it : prog.items) {
      if (it->kind != ItemKind::Use) continue;
      bool refused = false;
      std::string found = find_import(from, it->name, opts_.import_dirs, &refused);
      const SourceFile* src = nullptr;
      for (auto& s : sources_)
        if (s->name == from) src = s.get();
      auto report = [&](const char* kind, std::string msg, std::string hint) {
        if (src) diags.push_back(src->diag(kind, it->pos, std::move(msg), std::move(hint)));
      };
      std::string text;
      if (found.empty() || !read_file(found, text)) {
        sources_used_.push_back({from, it->name, found, "", std::nullopt});
        if (found.empty() && refused)
          report("import-refused", "'" + it->name + "' is outside the folders a 'use' may read",
                 "a 'use' reads the using file's folder and below, each -I folder and the stdlib");
        else
          report("import-failed", "cannot read '" + it->name + "'",
                 "paths are relative to the using file, then to each -I folder");
        continue;
      }
      const std::string found_canonical = canonical_path(found);
      if (!imported_.insert(found_canonical).second) {
        sources_used_.push_back({from, it->name, found, found_canonical, std::nullopt});
        continue;
      }
      sources_used_.push_back({from, it->name, found, found_canonical, text});
      if (depth > 16) {
        report("import-failed", "'use' nests too deeply", "");
        continue;
      }
      const SourceFile& f = add_source(found, std::move(text));
      const size_t first = diags.size();
      // Errors name a used file as the `use` line does, from the using file's folder when it
      // was found there: stable wherever the files are.
      const auto from_name = file_names_.find(from);
      const fs::path from_dir = from_name == file_names_.end() ? fs::path() : fs::path(from_name->second).parent_path();
      file_names_[found] = (found == (fs::path(from).parent_path() / it->name).string() ? from_dir / it->name : fs::path(it->name)).generic_string();
      Program sub = parse(f, lex(f, diags), diags);
      show_little_of_non_pvm(sub, diags, first);
      resolve_uses(sub, f.name, diags, depth + 1);
      for (auto& s : sub.items) {
        if (s->kind == ItemKind::Protocol || s->kind == ItemKind::Framing || s->kind == ItemKind::Packet ||
            s->kind == ItemKind::Command || s->kind == ItemKind::Frame) {
          diags.push_back(f.diag("misplaced", s->pos, "a used file holds only const, enum, param, escape, fn and table declarations"));
          continue;
        }
        added.push_back(std::move(s));
      }
    }
    for (auto& a : added) prog.items.push_back(std::move(a));
  }

  const CompileOptions& opts_;
  const FrontEndHooks& hooks_;
  std::vector<std::unique_ptr<SourceFile>> sources_;
  std::set<std::string> imported_;
  std::vector<SourceUsed> sources_used_;
  std::map<std::string, std::string> file_names_;  // used file -> the name runtime errors give it
};

// Whether `file`, with every link followed, lies in `root` or below it.
bool inside(const fs::path& file, const fs::path& root) {
  std::error_code ec;
  const fs::path real = fs::canonical(file, ec);
  if (ec) return false;
  const fs::path base = fs::canonical(root.empty() ? fs::path(".") : root, ec);
  if (ec) return false;
  return std::mismatch(base.begin(), base.end(), real.begin(), real.end()).first == base.end();
}

}  // namespace

std::string canonical_path(const std::string& path) {
  std::error_code ec;
  const fs::path c = fs::weakly_canonical(path, ec);
  return ec ? path : c.string();
}

// A `use` reads only inside the using file's folder, the -I folders and the stdlib (and below
// them), wherever the path points and whatever links it goes through: a protocol from elsewhere
// must not read, or show in diagnostics, any other file of the machine.
std::string find_import(const std::string& from, const std::string& name,
                        const std::vector<std::string>& import_dirs, bool* refused) {
  std::vector<fs::path> dirs = {fs::path(from).parent_path()};
  for (auto& d : import_dirs) dirs.emplace_back(d);
  for (auto& d : dirs) {
    fs::path p = d / name;
    if (!fs::is_regular_file(p)) continue;  // a folder of that name is not the file
    if (inside(p, d)) return p.string();
    if (refused) *refused = true;
  }
  return {};
}

CompileResult compile_source(std::string_view file_name, std::string_view source,
                             const CompileOptions& options, const FrontEndHooks& hooks) {
  return Driver(options, hooks).run(file_name, source);
}

CompileResult compile_source(std::string_view file_name, std::string_view source,
                             const CompileOptions& options) {
  return compile_source(file_name, source, options, FrontEndHooks{});
}

CompileResult compile_file(const std::string& path, const CompileOptions& options) {
  std::string text;
  if (!read_file(path, text)) {
    CompileResult r;
    Diagnostic d;
    d.kind = "import-failed";
    d.file = path;
    d.message = "cannot read the file";
    r.diagnostics.push_back(std::move(d));
    return r;
  }
  return compile_source(path, text, options);
}

}  // namespace pvm::compiler
