// The first pass of the source index, on the tree as parsed: every declaration becomes a
// symbol, and every name in the program a reference to the symbol it means (the checker folds
// constants away, so names are resolved here, as the checker resolves them).
#include <functional>
#include <set>

#include "driver/front_end.h"
#include "index/index_context.h"

namespace pvm::compiler {

namespace {

class NameCollector {
 public:
  NameCollector(const Program& p, IndexContext& cx) : prog_(p), cx_(cx), out_(cx.out) {}

  void run() {
    for (const auto& it : prog_.items) declare(*it);
    for (const auto& it : prog_.items) uses(*it);
  }

 private:
  // ---- declarations
  int add_symbol(SymbolKind kind, std::string name, const FileTokens& toks, int name_first, int name_last,
                 SourceRange extent, std::string detail, int parent) {
    Symbol s;
    s.kind = kind;
    s.name = std::move(name);
    s.file = toks.source().name;
    s.selection = toks.range(name_first, name_last);
    s.extent = extent;
    s.detail = std::move(detail);
    s.parent = parent;
    out_.symbols.push_back(std::move(s));
    const int id = static_cast<int>(out_.symbols.size()) - 1;
    out_.references.push_back({id, out_.symbols[id].file, out_.symbols[id].selection, true});
    return id;
  }

  static std::string signature(const Item& it) {
    std::string s = "(";
    for (size_t i = 0; i < it.params.size(); ++i)
      s += (i ? ", $" : "$") + it.params[i].name + ": " + std::string(type_name(it.params[i].type));
    s += ")";
    if (it.kind == ItemKind::Fn && it.type != Type::Void) s += " -> " + std::string(type_name(it.type));
    return s;
  }

  void declare(const Item& it) {
    const FileTokens* toks = cx_.tokens(it.file);
    if (!toks) return;
    const int kw = toks->at(it.pos);
    if (kw < 0) return;
    const int name = kw + 1;
    const SourceRange extent = toks->range(kw, toks->declaration_end(kw));
    auto add = [&](SymbolKind k, std::string sym_name, std::string detail, int last = -1) {
      const int id = add_symbol(k, std::move(sym_name), *toks, name, last < 0 ? name : last, extent,
                                std::move(detail), -1);
      cx_.item_symbols[&it] = id;
      return id;
    };
    switch (it.kind) {
      case ItemKind::Protocol:
        add(SymbolKind::Protocol, it.name, "protocol " + it.name);
        break;
      case ItemKind::ByteOrder:
      case ItemKind::Frame:  // `frame delimited ...` declares no name of its own
        break;
      case ItemKind::Use: {
        std::string found = find_import(it.file, it.name, cx_.options.import_dirs);
        add(SymbolKind::Use, it.name, found.empty() ? "use \"" + it.name + "\" (not found)" : found);
        break;
      }
      case ItemKind::Const:
        consts_.emplace(it.name, add(SymbolKind::Const, it.name, "const " + it.name));
        break;
      case ItemKind::Escape:  // named in expressions as a constant is: unescape(b, NAME)
        consts_.emplace(it.name, add(SymbolKind::Const, it.name, "escape " + it.name));
        break;
      case ItemKind::Enum: {
        const int id = add(SymbolKind::Enum, it.name, "enum " + it.name);
        enums_.emplace(it.name, id);
        for (const EnumMember& m : it.members) {
          const int t = toks->at(m.pos);
          if (t < 0) continue;
          const std::string full = it.name + "." + m.name;
          members_.emplace(full,
                           add_symbol(SymbolKind::EnumMember, full, *toks, t, t, toks->range(t), full, id));
        }
        break;
      }
      case ItemKind::Option:
        options_.emplace(it.name, add(SymbolKind::Option, "option." + it.name,
                                      "option " + it.name + ": " + std::string(type_name(it.type))));
        break;
      case ItemKind::Session:
        sessions_.emplace(it.name, add(SymbolKind::Session, "session." + it.name,
                                       "session " + it.name + ": " + std::string(type_name(it.type))));
        break;
      case ItemKind::ParamDecl: {
        // `param #name.*` is the Param token and then '.' '*'.
        const bool family = it.name.ends_with(".*");
        params_.emplace(it.name, add(SymbolKind::Param, "#" + it.name,
                                     "param #" + it.name + ": " + it.param_type, family ? name + 2 : name));
        break;
      }
      case ItemKind::Framing:
        add(SymbolKind::Framing, "framing " + it.name, "framing " + it.name);
        break;
      case ItemKind::Packet:
        add(SymbolKind::Packet, "packet " + it.name, "packet " + it.name);
        break;
      case ItemKind::Command:
        add(SymbolKind::Command, it.name, "command " + it.name + signature(it));
        break;
      case ItemKind::Fn:
      case ItemKind::Table: {
        const bool fn = it.kind == ItemKind::Fn;
        const int id = add(fn ? SymbolKind::Fn : SymbolKind::Table, it.name,
                           (fn ? "fn " : "table ") + it.name + signature(it));
        fns_.emplace(it.name, id);
        break;
      }
    }
    // Parameters are the first variables of their item.
    auto sym = cx_.item_symbols.find(&it);
    if (sym == cx_.item_symbols.end()) return;
    for (const FnParam& p : it.params) {
      const int t = toks->at(p.pos);
      if (t < 0 || cx_.variables[&it].count(p.name)) continue;
      const std::string detail =
          "$" + p.name + ": " + std::string(type_name(p.type)) + " (parameter of " + it.name + ")";
      cx_.variables[&it][p.name] =
          add_symbol(SymbolKind::Variable, "$" + p.name, *toks, t, t, toks->range(t), detail, sym->second);
    }
  }

  // ---- uses
  void reference(int symbol, const FileTokens& toks, int first, int last = -1) {
    if (symbol < 0 || !toks.get(first)) return;
    out_.references.push_back(
        {symbol, toks.source().name, toks.range(first, last < 0 ? first : last), false});
  }
  void word(const FileTokens& toks, int first, int last, std::string w) {
    if (!toks.get(first)) return;
    out_.words.push_back({toks.source().name, toks.range(first, last), std::move(w)});
  }
  static int find(const std::map<std::string, int>& m, const std::string& name) {
    auto f = m.find(name);
    return f == m.end() ? -1 : f->second;
  }

  // A $variable: the first place it appears declares it, as the checker types it there.
  void variable(const std::string& name, int tok) {
    if (!toks_->get(tok) || !item_) return;
    auto& vars = cx_.variables[item_];
    auto v = vars.find(name);
    if (v != vars.end()) {
      reference(v->second, *toks_, tok);
      return;
    }
    auto parent = cx_.item_symbols.find(item_);
    vars[name] = add_symbol(SymbolKind::Variable, "$" + name, *toks_, tok, tok, toks_->range(tok), "$" + name,
                            parent == cx_.item_symbols.end() ? -1 : parent->second);
  }

  void param(const std::string& name, bool indexed, int tok) {
    if (!toks_->get(tok)) return;
    const std::string key = indexed ? name + ".*" : name;
    out_.params.push_back({toks_->source().name, toks_->range(tok), key});
    reference(find(params_, key), *toks_, tok);
  }

  void session_or_option(bool session, const std::string& name, int keyword_tok) {
    const int name_tok = keyword_tok + 2;  // session . NAME
    if (session && name == "ident") return word(*toks_, keyword_tok, name_tok, "session.ident");
    reference(find(session ? sessions_ : options_, name), *toks_, keyword_tok, name_tok);
  }

  void expr(const Expr& e) {
    const int tok = toks_->at(e.pos);
    switch (e.kind) {
      case ExprKind::Var:
        variable(e.text, tok);
        break;
      case ExprKind::Param:
        param(e.text, false, tok);
        break;
      case ExprKind::Session:
      case ExprKind::Option:
        session_or_option(e.kind == ExprKind::Session, e.text, tok);
        break;
      case ExprKind::Name: {
        const size_t dot = e.text.find('.');
        if (dot != std::string::npos) {
          if (int en = find(enums_, e.text.substr(0, dot)); en >= 0) {
            reference(en, *toks_, tok);
            reference(find(members_, e.text), *toks_, tok + 2);
          }
        } else if (int c = find(consts_, e.text); c >= 0) {
          reference(c, *toks_, tok);
        } else {
          word(*toks_, tok, tok, e.text);  // a CRC algorithm, or an unknown name
        }
        break;
      }
      case ExprKind::Call:
        if (int f = find(fns_, e.text); f >= 0)
          reference(f, *toks_, tok);
        else
          word(*toks_, tok, tok, e.text);
        break;
      default:
        break;
    }
    for (const auto& a : e.args) expr(*a);
    if (e.at) expr(*e.at);
  }

  void target(const Target& t) {
    const int tok = toks_->at(t.pos);
    switch (t.kind) {
      case TargetKind::Var:
        variable(t.name, tok);
        break;
      case TargetKind::Param:
        param(t.name, t.index != nullptr, tok);
        break;
      case TargetKind::Session:
        session_or_option(true, t.name, tok);
        break;
    }
    if (t.index) expr(*t.index);
  }

  void block(const Block& b) {
    for (const auto& s : b) stmt(*s);
  }

  void arms(const std::vector<MatchArm>& arms) {
    for (const MatchArm& a : arms) {
      for (const auto& p : a.patterns) expr(*p);
      block(a.body);
    }
  }

  void stmt(const Stmt& s) {
    if (s.expr) expr(*s.expr);
    for (const Target& t : s.targets) target(t);
    for (size_t i = 0; i < s.conds.size(); ++i) {
      expr(*s.conds[i]);
      if (i < s.blocks.size()) block(s.blocks[i]);
    }
    for (size_t i = s.conds.size(); i < s.blocks.size(); ++i) block(s.blocks[i]);
    block(s.else_block);
    if (!s.var.empty()) {  // repeat N as $i: the variable follows 'as'
      for (int t = toks_->at(s.pos); toks_->get(t) && toks_->get(t)->kind != Tok::LBrace; ++t)
        if (toks_->get(t)->kind == Tok::Var && toks_->get(t)->text == s.var) {
          variable(s.var, t);
          break;
        }
    }
    block(s.body);
    arms(s.arms);
  }

  void uses(const Item& it) {
    toks_ = cx_.tokens(it.file);
    if (!toks_) return;
    item_ = &it;
    if (it.value) expr(*it.value);
    for (const EnumMember& m : it.members)
      if (m.value) expr(*m.value);
    block(it.body);
    arms(it.arms);
    item_ = nullptr;
  }

  const Program& prog_;
  IndexContext& cx_;
  SourceIndex& out_;
  std::map<std::string, int> consts_, enums_, members_, options_, sessions_, params_, fns_;
  const FileTokens* toks_ = nullptr;
  const Item* item_ = nullptr;
};

}  // namespace

void collect_names(const Program& program, IndexContext& cx) {
  NameCollector(program, cx).run();
}

}  // namespace pvm::compiler
