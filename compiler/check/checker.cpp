#include "check/checker.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include <re2/re2.h>

#include "parse/parser.h"
#include "pvm/bytecode/module.h"
#include "pvm/compiler/language.h"

namespace pvm::compiler {

namespace {

struct StdParam {
  std::string_view name;
  ParamKind kind;
};
constexpr StdParam kStdParams[] = {
#define X(name, kind, unit, meaning) {name, ParamKind::kind},
#include "check/standard_params.def"
#undef X
};

// be16(x), le32(x), ...: the bytes of an integer; 0 for any other name.
}  // namespace

int pack_width(std::string_view name) {
  if (name == "u8bytes") return 1;
  if (name.size() != 4 || (!name.starts_with("be") && !name.starts_with("le"))) return 0;
  const std::string_view w = name.substr(2);
  return w == "16" ? 2 : w == "32" ? 4 : w == "64" ? 8 : 0;
}

namespace {

// "an int", "a str": a type name for a sentence.
std::string a_type(Type t) { return (t == Type::Int ? "an " : "a ") + std::string(type_name(t)); }

bool is_numeric(Type t) { return t == Type::Int || t == Type::UInt || t == Type::Float; }
bool is_integer(Type t) { return t == Type::Int || t == Type::UInt; }

// Levenshtein distance, for "did you mean" hints.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest(std::string_view name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(3, name.size() / 3) + 1;
  for (auto& c : candidates) {
    size_t d = edit_distance(name, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best.empty() ? "" : "did you mean '" + best + "'?";
}

enum class Body : uint8_t { Framing, Packet, Command, Fn };

struct Scope {
  Body body = Body::Packet;
  Type result = Type::Void;  // fn result / framing int
  std::map<std::string, Type> vars;
  int emit_depth = 0;
  int reply_depth = 0;
  int loop_depth = 0;
  bool write = false;  // reply or command body: write statements allowed
};

class Checker {
 public:
  Checker(Program& p, const std::map<std::string, const SourceFile*>& sources, std::vector<Diagnostic>& diags)
      : prog_(p), sources_(sources), diags_(diags) {}

  CheckedProgram run() {
    collect();
    for (Item* it : escape_items_) {
      item_ = it;
      escape_table(*it);
    }
    for (Item* it : frame_items_) {
      item_ = it;
      frame(*it);
    }
    for (auto& it : prog_.items) item(*it);
    check_recursion();
    for (const Item* entry : out_.entries)
      if (statements_in(entry->body) > kMaxInlined) {
        item_ = entry;
        err("too-large", entry->pos,
            "with its functions inlined this is more than " + std::to_string(kMaxInlined) + " statements",
            "functions are inlined at each call, so calls of calls multiply: call big functions from fewer places");
      }
    if (out_.protocol.empty() && !prog_.items.empty())
      error(*prog_.items.front(), "syntax", prog_.items.front()->pos, "the program has no 'protocol NAME' declaration",
            "start the file with 'protocol my_protocol'");
    return std::move(out_);
  }

 private:
  // ---- diagnostics
  const SourceFile* src_of(const Item& it) const {
    auto f = sources_.find(it.file);
    return f == sources_.end() ? nullptr : f->second;
  }
  void error(const Item& it, const char* kind, SourcePos pos, std::string msg, std::string hint = {}) {
    const SourceFile* s = src_of(it);
    if (s) {
      diags_.push_back(s->diag(kind, pos, std::move(msg), std::move(hint)));
    } else {
      Diagnostic d;
      d.kind = kind;
      d.file = it.file;
      d.pos = pos;
      d.message = std::move(msg);
      d.hint = std::move(hint);
      diags_.push_back(std::move(d));
    }
  }
  void err(const char* kind, SourcePos pos, std::string msg, std::string hint = {}) {
    error(*item_, kind, pos, std::move(msg), std::move(hint));
  }

  // ---- declarations
  void collect() {
    std::map<std::string, SourcePos> seen;
    std::map<std::string, SourcePos> byte_orders;  // by file
    for (auto& up : prog_.items) {
      Item& it = *up;
      item_ = &it;
      auto dup = [&](const std::string& key) {
        if (!seen.emplace(key, it.pos).second) {
          bool entry = it.kind == ItemKind::Framing || it.kind == ItemKind::Packet;  // named by the transport
          err("duplicate", it.pos, "'" + (entry ? key : it.name) + "' is declared twice");
          return true;
        }
        return false;
      };
      switch (it.kind) {
        case ItemKind::Protocol:
          if (!out_.protocol.empty()) err("duplicate", it.pos, "a file declares one protocol");
          out_.protocol = it.name;
          break;
        case ItemKind::Const:
          if (!dup("name:" + it.name)) consts_[it.name] = &it;
          break;
        case ItemKind::Enum:
          if (!dup("name:" + it.name)) enums_[it.name] = &it;
          break;
        case ItemKind::Fn:
        case ItemKind::Table:
          // A call of such a name is parsed as the read or the builtin: the function could never run.
          if (is_fixed_read(it.name) || is_sized_read(it.name) || is_bare_read(it.name) || it.name == "pos" ||
              it.name == "size" || it.name == "remaining" || it.name == "now" || it.name == "crc" || it.name == "true" ||
              it.name == "false")
            err("duplicate", it.pos, "'" + it.name + "' is already the name of a read or a builtin",
                "give the function another name");
          else if (!dup("name:" + it.name))
            out_.fns[it.name] = &it;
          break;
        case ItemKind::Option:
          if (!dup("option:" + it.name)) out_.options[it.name] = &it;
          break;
        case ItemKind::Session:
          if (it.name == "ident")
            err("duplicate", it.pos, "session.ident is built in", "remove this declaration");
          else if (!dup("session:" + it.name))
            out_.session.push_back(&it);
          if (it.type != Type::Int && it.type != Type::Str && it.type != Type::Bytes)
            err("type-mismatch", it.pos, "a session variable is an int, a str or bytes");
          break;
        case ItemKind::ParamDecl: {
          static const std::map<std::string, ParamKind> kKinds = {{"number", ParamKind::Number},
                                                                  {"integer", ParamKind::Integer},
                                                                  {"string", ParamKind::String},
                                                                  {"bool", ParamKind::Bool},
                                                                  {"any", ParamKind::Any}};
          auto k = kKinds.find(it.param_type);
          auto standard = std::find_if(std::begin(kStdParams), std::end(kStdParams),
                                       [&](const StdParam& p) { return p.name == it.name; });
          if (k == kKinds.end()) {
            err("syntax", it.pos, "unknown parameter type '" + it.param_type + "'", "use number, integer, string, bool or any");
          } else if (standard != std::end(kStdParams)) {
            std::string kind;
            for (auto& [n, pk] : kKinds)
              if (pk == standard->kind) kind = n;
            err("redundant", it.pos, "#" + it.name + " is a standard parameter",
                "the schema declares it as " + kind + "; remove this declaration");
          } else if (!dup("param:" + it.name)) {
            declared_params_[it.name] = k->second;
          }
          break;
        }
        case ItemKind::ByteOrder: {
          auto [first, fresh] = byte_orders.emplace(it.file, it.pos);
          if (!fresh)
            err("redundant", it.pos, "the byte order is already set at line " + std::to_string(first->second.line),
                "a file has one byteorder line, for all of its reads and writes");
          break;
        }
        case ItemKind::Frame:
          frame_items_.push_back(&it);
          break;
        case ItemKind::Escape:
          if (!dup("name:" + it.name)) {
            escape_names_.insert(it.name);
            escape_items_.push_back(&it);
          }
          break;
        case ItemKind::Framing:
        case ItemKind::Packet:
          dup(std::string(it.kind == ItemKind::Framing ? "framing " : "packet ") + it.name);
          out_.entries.push_back(&it);
          break;
        case ItemKind::Command:
          dup("command:" + it.name);
          out_.entries.push_back(&it);
          break;
        default:
          break;
      }
    }
  }

  // A constant byte, 0 to 0xff.
  bool byte_of(const Expr& e, const char* what, uint8_t& out) {
    if (e.type == Type::Unknown || !e.is_const) return false;  // reported by fold_const
    if (!is_integer(e.type) || e.const_int < 0 || e.const_int > 255) {
      err("type-mismatch", e.pos, std::string(what) + " is a byte, 0 to 0xff");
      return false;
    }
    out = static_cast<uint8_t>(e.const_int);
    return true;
  }

  // { SEQUENCE => BYTE, ... }: constant bytes and bytes; false when one is not.
  bool escapes_of(Item& it, Scope& s, std::vector<bc::Escape>& out) {
    bool ok = true;
    for (auto& [sequence, byte] : it.escapes) {
      fold_const(*sequence, s);
      fold_const(*byte, s);
      bc::Escape e;
      ok = byte_of(*byte, "an escaped value", e.byte) && ok;
      if (sequence->type != Type::Bytes) {
        if (sequence->type != Type::Unknown)
          err("type-mismatch", sequence->pos, "an escape sequence is bytes, like x\"7d02\"");
        ok = false;
        continue;
      }
      e.sequence = sequence->text;
      out.push_back(std::move(e));
    }
    return ok;
  }

  // escape NAME { SEQUENCE => BYTE, ... }: a table that undoes one way.
  void escape_table(Item& it) {
    Scope s;
    std::vector<bc::Escape> escapes;
    if (!escapes_of(it, s, escapes)) return;
    if (it.escapes.empty()) {
      err("bad-escape", it.pos, "the escape table " + it.name + " has no escapes",
          "escape NAME { x\"7d01\" => 0x7d, x\"7d02\" => 0x5b }");
      return;
    }
    size_t at = 0;
    if (std::string why = bc::escapes_problem(escapes, &at); !why.empty()) {
      err("bad-escape", at < it.escapes.size() ? it.escapes[at].first->pos : it.pos, why,
          "escape the first byte of each sequence too, each byte with one sequence");
      return;
    }
    out_.escape_tables[it.name] = {&it, std::move(escapes)};
  }

  // frame delimited D escape { SEQUENCE => BYTE, ... } or escape NAME: constants, and a table
  // that undoes one way.
  void frame(Item& it) {
    Scope s;
    fold_const(*it.value, s);
    bc::Delimited d;
    bool ok = byte_of(*it.value, "a delimiter", d.delimiter);
    if (it.name.empty()) {
      ok = escapes_of(it, s, d.escapes) && ok;
    } else if (auto t = out_.escape_tables.find(it.name); t != out_.escape_tables.end()) {
      d.escapes = t->second.escapes;
    } else {
      if (!escape_names_.count(it.name))  // a declared table with errors is reported already
        err("unknown-name", it.name_pos, "no escape table '" + it.name + "'", escape_tables_hint());
      ok = false;
    }
    if (!ok) return;
    size_t at = 0;
    if (std::string why = bc::delimited_problem(d, &at); !why.empty()) {
      const SourcePos where = !it.name.empty() ? it.name_pos : at < it.escapes.size() ? it.escapes[at].first->pos : it.value->pos;
      err("bad-escape", where, why,
          "escape the delimiter and the first byte of each sequence, each byte with one sequence");
      return;
    }
    const uint8_t delimiter = d.delimiter;
    auto [where, fresh] = out_.frames.emplace(delimiter, CheckedEscapes{&it, std::move(d.escapes)});
    if (!fresh)
      err("duplicate", it.value->pos, "delimiter " + it.value->text + " is declared twice",
          "the first is at line " + std::to_string(where->second.item->pos.line));
  }

  // The escape tables unescape() and escape() can name.
  std::string escape_tables_hint() const {
    std::string known;
    for (auto& [delim, f] : out_.frames) known += (known.empty() ? "" : ", ") + f.item->value->text;
    for (const std::string& name : escape_names_) known += (known.empty() ? "" : ", ") + name;
    return known.empty() ? "declare one: escape NAME { x\"7d01\" => 0x7d, x\"7d02\" => 0x5b }" : "declared: " + known;
  }

  void item(Item& it) {
    item_ = &it;
    switch (it.kind) {
      case ItemKind::Frame:  // checked first, by run(): unescape() and escape() calls need them
      case ItemKind::Escape:
        break;
      case ItemKind::Const:
        fold_named(it, it.pos);
        it.type = it.value->type;
        break;
      case ItemKind::Enum:
        fold_named(it, it.pos);
        break;
      case ItemKind::Option: {
        Scope s;
        fold_const(*it.value, s);
        if (it.type != Type::Int && it.type != Type::Bool && it.type != Type::Str)
          err("type-mismatch", it.pos, "an option is an int, a bool or a str");
        else if (it.value->type != it.type)
          err("type-mismatch", it.value->pos,
              "the default of option '" + it.name + "' is " + std::string(type_name(it.value->type)) + ", the option is " +
                  std::string(type_name(it.type)));
        break;
      }
      case ItemKind::Framing: {
        Scope s;
        s.body = Body::Framing;
        s.result = Type::Int;
        block(it.body, s);
        if (!always_exits(it.body) && !it.damaged)  // the lost statement may have returned
          err("missing-return", it.pos, "the framing function can end without 'return LENGTH'");
        break;
      }
      case ItemKind::Packet: {
        Scope s;
        s.body = Body::Packet;
        block(it.body, s);
        break;
      }
      case ItemKind::Command: {
        Scope s;
        s.body = Body::Command;
        s.write = true;
        params(it, s);
        block(it.body, s);
        break;
      }
      case ItemKind::Fn: {
        Scope s;
        s.body = Body::Fn;
        s.write = true;  // checked at each call
        s.result = it.type;
        params(it, s);
        block(it.body, s);
        if (it.type != Type::Void && !always_exits(it.body) && !it.damaged)
          err("missing-return", it.pos, "function '" + it.name + "' can end without returning " + a_type(it.type));
        break;
      }
      case ItemKind::Table: {
        Scope s;
        s.body = Body::Fn;
        s.write = true;
        params(it, s);
        if (it.params.empty() || !is_integer(it.params[0].type))
          err("type-mismatch", it.pos, "a table's first parameter is the int key it is indexed by");
        std::map<int64_t, SourcePos> keys;
        bool seen_default = false;
        for (auto& a : it.arms) {
          if (seen_default) err("unreachable", a.pos, "this entry comes after the default entry '_'");
          if (a.patterns.empty()) seen_default = true;
          for (auto& p : a.patterns) {
            fold_const(*p, s);
            if (p->kind != ExprKind::Str && !p->is_const) continue;  // reported by fold_const
            if (std::string why = pattern_mismatch(it.params.empty() ? Type::Int : it.params[0].type, *p); !why.empty()) {
              err("type-mismatch", p->pos, why);
              continue;
            }
            auto [where, fresh] = keys.emplace(p->const_int, p->pos);
            if (!fresh)
              err("duplicate", p->pos, "table '" + it.name + "' has two entries for " + std::to_string(p->const_int),
                  "the first is at line " + std::to_string(where->second.line));
          }
          Scope inner = s;
          block(a.body, inner);
        }
        break;
      }
      default:
        break;
    }
  }

  void params(Item& it, Scope& s) {
    for (auto& p : it.params) {
      if (s.vars.count(p.name)) error(it, "duplicate", p.pos, "parameter $" + p.name + " is declared twice");
      s.vars[p.name] = p.type;
    }
  }

  // ---- call graph: functions are inlined, so a cycle cannot be compiled.
  void collect_calls(const Block& b, std::set<std::string>& calls) {
    std::function<void(const Expr&)> ex = [&](const Expr& e) {
      if (e.kind == ExprKind::Call && out_.fns.count(e.text)) calls.insert(e.text);
      for (auto& a : e.args) ex(*a);
      if (e.at) ex(*e.at);
    };
    for (auto& s : b) {
      if (s->expr) ex(*s->expr);
      for (auto& c : s->conds) ex(*c);
      for (auto& t : s->targets)
        if (t.index) ex(*t.index);
      for (auto& bl : s->blocks) collect_calls(bl, calls);
      collect_calls(s->else_block, calls);
      collect_calls(s->body, calls);
      for (auto& a : s->arms) collect_calls(a.body, calls);
    }
  }
  void check_recursion() {
    std::map<std::string, std::set<std::string>> graph;
    for (auto& [name, it] : out_.fns) {
      collect_calls(it->body, graph[name]);
      for (auto& a : it->arms) collect_calls(a.body, graph[name]);
    }
    // Only the functions on a cycle are reported, not every caller that reaches one.
    std::set<std::string> seen;
    std::function<bool(const std::string&, const std::string&)> reaches = [&](const std::string& from,
                                                                               const std::string& to) {
      for (auto& c : graph[from]) {
        if (c == to) return true;
        if (seen.insert(c).second && reaches(c, to)) return true;
      }
      return false;
    };
    for (auto& [name, it] : out_.fns) {
      seen.clear();
      if (reaches(name, name)) {
        item_ = it;
        err("recursion", it->pos, "'" + name + "' calls itself, directly or through other functions",
            "functions are inlined; use 'repeat' for repetition");
      }
    }
  }

  // Functions are inlined at each call, so calls of calls multiply the code: N levels of two
  // calls make 2^N copies. Counting the statements first stops lowering from trying to build
  // what no module can hold (and from running out of memory on the way).
  static constexpr uint64_t kMaxInlined = 100000;
  uint64_t statements_in(const Block& b) {
    uint64_t n = 0;
    std::function<void(const Expr&)> calls = [&](const Expr& e) {
      if (auto f = out_.fns.find(e.text); e.kind == ExprKind::Call && f != out_.fns.end()) {
        auto [size, fresh] = inlined_.emplace(f->second, 0);  // 0 while counting: recursion is reported elsewhere
        if (fresh) {
          uint64_t total = statements_in(f->second->body);
          for (auto& a : f->second->arms) total = std::min(kMaxInlined + 1, total + statements_in(a.body));
          inlined_[f->second] = total;
        }
        n += inlined_[f->second];
      }
      for (auto& a : e.args) calls(*a);
      if (e.at) calls(*e.at);
    };
    for (auto& s : b) {
      ++n;
      if (s->expr) calls(*s->expr);
      for (auto& c : s->conds) calls(*c);
      for (auto& t : s->targets)
        if (t.index) calls(*t.index);
      for (auto& bl : s->blocks) n += statements_in(bl);
      n += statements_in(s->else_block) + statements_in(s->body);
      for (auto& a : s->arms) n += statements_in(a.body);
      n = std::min(n, kMaxInlined + 1);  // each term is at most this much, so nothing overflows
    }
    return n;
  }

  // What a function does that only some callers may do. A function is checked once, not per
  // caller, so these are checked where it is called.
  struct Effects {
    bool writes = false;        // bytes written outside a reply of its own: a reply or command must call it
    bool written = false;       // reads what was written (written()), likewise
    bool reads = false;         // input: a command has none
    bool emits = false;         // a message: only packets make them, and emits do not nest
    bool loose_params = false;  // sets parameters outside an emit of its own
    bool replies = false;
    bool session = false;       // changes the session: framing cannot
  };
  const Effects& effects(const Item& fn) {
    if (auto known = effects_.find(&fn); known != effects_.end()) return known->second;
    Effects fx;
    effects_[&fn] = fx;  // a recursive call adds nothing; recursion is reported anyway
    int reply_depth = 0;
    std::function<void(const Expr&, bool)> in_expr = [&](const Expr& e, bool in_emit) {
      if (e.kind == ExprKind::Read) fx.reads = true;
      if (e.kind == ExprKind::Call && e.text == "written" && reply_depth == 0) fx.written = true;
      if (e.kind == ExprKind::Call && (e.text == "pos" || e.text == "size" || e.text == "remaining")) fx.reads = true;
      if (auto callee = out_.fns.find(e.text); e.kind == ExprKind::Call && callee != out_.fns.end()) {
        const Effects& c = effects(*callee->second);
        fx.reads |= c.reads;
        fx.emits |= c.emits;
        fx.loose_params |= c.loose_params && !in_emit;
        fx.writes |= c.writes && reply_depth == 0;
        fx.written |= c.written && reply_depth == 0;
        fx.replies |= c.replies;
        fx.session |= c.session;
      }
      for (auto& a : e.args) in_expr(*a, in_emit);
      if (e.at) in_expr(*e.at, in_emit);
    };
    std::function<void(const Block&, bool)> in_block = [&](const Block& b, bool in_emit) {
      for (auto& s : b) {
        fx.reads |= s->kind == StmtKind::Skip || s->kind == StmtKind::Seek || s->kind == StmtKind::Within ||
                    (s->kind == StmtKind::Repeat && s->until_end);
        fx.emits |= s->kind == StmtKind::Emit;
        fx.replies |= s->kind == StmtKind::Reply;
        fx.writes |= s->kind == StmtKind::Write && reply_depth == 0;
        for (auto& t : s->targets) {
          fx.loose_params |= t.kind == TargetKind::Param && !in_emit;
          fx.session |= t.kind == TargetKind::Session;
          if (t.index) in_expr(*t.index, in_emit);
        }
        if (s->expr) in_expr(*s->expr, in_emit);
        for (auto& c : s->conds) in_expr(*c, in_emit);
        for (auto& bl : s->blocks) in_block(bl, in_emit);
        in_block(s->else_block, in_emit);
        reply_depth += s->kind == StmtKind::Reply;
        in_block(s->body, in_emit || s->kind == StmtKind::Emit);
        reply_depth -= s->kind == StmtKind::Reply;
        for (auto& a : s->arms) in_block(a.body, in_emit);
      }
    };
    in_block(fn.body, false);
    for (auto& a : fn.arms) in_block(a.body, false);
    return effects_[&fn] = fx;
  }

  // A call of a function that does what the calling place cannot.
  void check_call_place(const Item& fn, const Expr& call, const Scope& s) {
    const Effects& fx = effects(fn);
    const std::string name = fn.name + "()";
    const bool framing = s.body == Body::Framing, command = s.body == Body::Command;
    if (command && fx.reads) err("misplaced", call.pos, name + " reads input, which a command has none of", "commands only write bytes");
    if ((framing || command) && (fx.emits || fx.loose_params))
      err("misplaced", call.pos, name + " makes a message, which only packets do");
    if ((framing || command) && fx.replies) err("misplaced", call.pos, name + " replies, which only packets do");
    if (framing && fx.session) err("misplaced", call.pos, name + " changes the session, which framing cannot", "set it in the packet");
    if ((fx.writes || fx.written) && !s.write)
      err("misplaced", call.pos,
          name + (fx.writes ? " writes bytes, which belong" : " reads what was written, which is only known") +
              " in a reply or a command",
          "call it inside 'reply { ... }'");
    if (s.body == Body::Packet && s.emit_depth == 0 && fx.loose_params)
      err("misplaced", call.pos, name + " sets parameters outside an emit block", "call it inside 'emit { ... }'");
    if (s.emit_depth > 0 && fx.emits) err("misplaced", call.pos, name + " emits, and emit blocks do not nest");
    if (s.reply_depth > 0 && fx.replies) err("misplaced", call.pos, name + " replies, and reply blocks do not nest");
  }

  // Why a constant pattern or table key cannot match a value of type `t` ("" when it can).
  // They compare by value: a uint is never a negative int, an int never a uint above INT64_MAX.
  static std::string pattern_mismatch(Type t, const Expr& p) {
    if (t == Type::Unknown || p.type == Type::Unknown) return "";
    if (t == Type::Str || t == Type::Bytes)
      return p.type == t ? "" : "the value is " + a_type(t) + ", this pattern is " + a_type(p.type);
    if (!is_integer(t)) return "";  // the value's own type error is reported
    if (!is_integer(p.type)) return "the value is " + a_type(t) + ", this pattern is " + a_type(p.type);
    if (t == Type::UInt && p.type == Type::Int && p.const_int < 0) return "a uint is never negative";
    if (t == Type::Int && p.type == Type::UInt && p.const_int < 0) return "an int is never above 9223372036854775807";
    return "";
  }

  // ---- statements
  static bool exits(const Stmt& s) {
    if (s.kind == StmtKind::Return || s.kind == StmtKind::Fail || s.kind == StmtKind::Break) return true;
    if (s.kind == StmtKind::If && s.has_else) {
      for (auto& b : s.blocks)
        if (!always_exits(b)) return false;
      return always_exits(s.else_block);
    }
    if (s.kind == StmtKind::Match) {
      bool has_default = false;
      for (auto& a : s.arms) {
        if (a.patterns.empty()) has_default = true;
        if (!always_exits(a.body)) return false;
      }
      return has_default;
    }
    return false;
  }
  static bool always_exits(const Block& b) { return std::any_of(b.begin(), b.end(), [](auto& s) { return exits(*s); }); }

  void block(Block& b, Scope& s) {
    bool dead = false;
    for (auto& st : b) {
      if (dead) {
        err("unreachable", st->pos, "this statement can never run", "it follows a return or fail in the same block");
        dead = false;  // one report per block
      }
      stmt(*st, s);
      if (exits(*st)) dead = true;
    }
  }

  void require_input(const Scope& s, SourcePos pos) {
    if (s.body == Body::Command) err("misplaced", pos, "a command has no input to read", "commands only write bytes");
  }

  void stmt(Stmt& st, Scope& s) {
    switch (st.kind) {
      case StmtKind::Pipe:
      case StmtKind::Assign: {
        Type t = expr(*st.expr, s);
        for (auto& tg : st.targets) target(tg, t, s, st.expr->pos);
        break;
      }
      case StmtKind::Skip:
      case StmtKind::Seek:
        require_input(s, st.pos);
        want(*st.expr, s, Type::Int, st.kind == StmtKind::Skip ? "skip takes a byte count" : "seek takes an offset");
        break;
      case StmtKind::Expect:
      case StmtKind::Check:
        want(*st.expr, s, Type::Bool, "the condition must be a bool");
        break;
      case StmtKind::Fail:
      case StmtKind::Warn:
        if (st.expr) want(*st.expr, s, Type::Str, "a reason is a str");
        break;
      case StmtKind::Break:
        if (s.loop_depth == 0) err("misplaced", st.pos, "break is only meaningful inside repeat");
        break;
      case StmtKind::If:
        for (size_t i = 0; i < st.conds.size(); ++i) {
          want(*st.conds[i], s, Type::Bool, "an if condition must be a bool");
          block(st.blocks[i], s);
        }
        if (st.has_else) block(st.else_block, s);
        break;
      case StmtKind::Match: {
        Type t = expr(*st.expr, s);
        if (!is_integer(t) && t != Type::Str && t != Type::Bytes && t != Type::Unknown)
          err("type-mismatch", st.expr->pos, "match works on an int, a str or bytes, not " + std::string(type_name(t)));
        std::set<int64_t> ints;
        std::set<std::string> strs;
        bool seen_default = false;
        for (auto& a : st.arms) {
          if (seen_default) err("unreachable", a.pos, "this arm comes after the default arm '_'");
          if (a.patterns.empty()) seen_default = true;
          for (auto& p : a.patterns) {
            fold_const(*p, s);
            if (p->kind != ExprKind::Str && p->kind != ExprKind::Bytes && !p->is_const) continue;  // reported by fold_const
            if (std::string why = pattern_mismatch(t, *p); !why.empty()) {
              err("type-mismatch", p->pos, why);
              continue;
            }
            bool fresh = t == Type::Str || t == Type::Bytes ? strs.insert(p->text).second : ints.insert(p->const_int).second;
            if (!fresh) err("duplicate", p->pos, "this pattern already has an arm above");
          }
          block(a.body, s);
        }
        break;
      }
      case StmtKind::Repeat:
        if (st.until_end) {
          require_input(s, st.pos);
        } else {
          want(*st.expr, s, Type::Int, "repeat takes an int count");
          if (!st.var.empty()) {
            auto v = s.vars.find(st.var);
            if (v != s.vars.end() && v->second != Type::Int)
              err("type-mismatch", st.pos, "$" + st.var + " is " + std::string(type_name(v->second)) + ", a loop counter is an int");
            s.vars[st.var] = Type::Int;
          }
        }
        ++s.loop_depth;
        block(st.body, s);
        --s.loop_depth;
        break;
      case StmtKind::Within: {
        // A count is the next bytes of the current view; a bytes value is a view of its own.
        Type t = expr(*st.expr, s);
        if (t != Type::Bytes) require_input(s, st.pos);
        if (!is_integer(t) && t != Type::Bytes && t != Type::Unknown)
          err("type-mismatch", st.expr->pos,
              "within takes a byte count (an int) or a bytes value, this is " + std::string(type_name(t)),
              t == Type::Str ? "read a str's bytes with 'within asbytes(...)'" : "");
        block(st.body, s);
        break;
      }
      case StmtKind::Emit:
        if (s.body == Body::Framing || s.body == Body::Command)
          err("misplaced", st.pos, "emit belongs in a packet",
              s.body == Body::Framing ? "framing only finds where a frame ends" : "a command only writes bytes");
        if (s.emit_depth) err("misplaced", st.pos, "emit blocks do not nest");
        ++s.emit_depth;
        block(st.body, s);
        --s.emit_depth;
        break;
      case StmtKind::Reply: {
        if (s.body == Body::Framing || s.body == Body::Command) err("misplaced", st.pos, "reply belongs in a packet");
        if (s.reply_depth) err("misplaced", st.pos, "reply blocks do not nest");
        ++s.reply_depth;
        bool saved = s.write;
        s.write = true;
        block(st.body, s);
        s.write = saved;
        --s.reply_depth;
        std::function<void(const Block&)> no_return = [&](const Block& b) {
          for (auto& x : b) {
            if (x->kind == StmtKind::Return) err("misplaced", x->pos, "return inside reply would drop the reply");
            for (auto& bl : x->blocks) no_return(bl);
            no_return(x->else_block);
            no_return(x->body);
            for (auto& a : x->arms) no_return(a.body);
          }
        };
        no_return(st.body);
        break;
      }
      case StmtKind::Return: {
        Type want_t = s.result;
        if (s.body == Body::Packet || s.body == Body::Command) want_t = Type::Void;
        if (want_t == Type::Void) {
          if (st.expr) err("type-mismatch", st.expr->pos, "this return takes no value");
        } else if (!st.expr) {
          err("type-mismatch", st.pos, "return needs " + a_type(want_t));
        } else {
          Type t = expr(*st.expr, s);
          if (!assignable(t, want_t))
            err("type-mismatch", st.expr->pos,
                "return value is " + std::string(type_name(t)) + ", expected " + std::string(type_name(want_t)));
        }
        break;
      }
      case StmtKind::Call: {
        // A function may be called for what it does; a builtin only for its value.
        Type t = expr(*st.expr, s);
        if (!out_.fns.count(st.expr->text) && t != Type::Void && t != Type::Unknown)
          err("syntax", st.expr->pos, "this call's value is not used",
              "send it somewhere with '==> $var' or '==> #param', or leave the call out");
        break;
      }
      case StmtKind::Write: {
        if (!s.write) err("misplaced", st.pos, "writing bytes belongs in a reply or command");
        Type t = expr(*st.expr, s);
        Type need = st.text == "bytes" ? Type::Bytes : st.text == "str" ? Type::Str : Type::Int;
        if (need == Type::Int ? !is_integer(t) && t != Type::Unknown : t != need && t != Type::Unknown)
          err("type-mismatch", st.expr->pos,
              "'" + st.text + "' writes " + (need == Type::Int ? std::string("an int") : std::string(type_name(need))) +
                  ", not " + std::string(type_name(t)));
        if (st.text.rfind("f", 0) == 0) err("type-mismatch", st.pos, "writing floats is not supported");
        break;
      }
    }
  }

  static bool assignable(Type from, Type to) {
    if (from == Type::Unknown || to == Type::Unknown) return true;
    if (from == to) return true;
    if (to == Type::Float && is_integer(from)) return true;
    if (to == Type::UInt && from == Type::Int) return true;
    if (to == Type::Int && from == Type::UInt) return true;
    return false;
  }

  // Looks up a parameter name: the standard schema, a `param` declaration, or a free name
  // under the protocol's own prefix or custom.
  bool param_kind(const std::string& name, bool indexed, ParamKind& kind) {
    std::string key = indexed ? name + ".*" : name;
    for (auto& p : kStdParams)
      if (p.name == key) {
        kind = p.kind;
        return true;
      }
    auto d = declared_params_.find(key);
    if (d != declared_params_.end()) {
      kind = d->second;
      return true;
    }
    // A literal instance like sim.iccid.2 belongs to the pattern sim.iccid.*.
    size_t dot = name.rfind('.');
    if (!indexed && dot != std::string::npos && dot + 1 < name.size() &&
        name.find_first_not_of("0123456789", dot + 1) == std::string::npos)
      return param_kind(name.substr(0, dot), true, kind);
    if ((!out_.protocol.empty() && name.rfind(out_.protocol + ".", 0) == 0) || name.rfind("custom.", 0) == 0 ||
        (indexed && (name == out_.protocol || name == "custom"))) {
      kind = ParamKind::Any;
      return true;
    }
    return false;
  }

  void target(Target& tg, Type t, Scope& s, SourcePos value_pos) {
    switch (tg.kind) {
      case TargetKind::Var: {
        auto v = s.vars.find(tg.name);
        if (v == s.vars.end()) {
          if (t == Type::Void) err("type-mismatch", value_pos, "this call has no value to store");
          s.vars[tg.name] = t;
          tg.type = t;
        } else {
          tg.type = v->second;
          if (!assignable(t, v->second))
            err("type-mismatch", value_pos,
                "$" + tg.name + " holds " + std::string(type_name(v->second)) + ", this value is " + std::string(type_name(t)),
                "a variable keeps the type of its first assignment; convert with int(), float(), str()...");
        }
        break;
      }
      case TargetKind::Session: {
        tg.type = Type::Unknown;
        if (tg.name == "ident") tg.type = Type::Str;
        for (auto* it : out_.session)
          if (it->name == tg.name) tg.type = it->type;
        if (tg.type == Type::Unknown) {
          err("unknown-name", tg.pos, "no session variable '" + tg.name + "'", "declare it with 'session " + tg.name + ": int'");
          return;
        }
        if (s.body == Body::Framing) err("misplaced", tg.pos, "framing cannot change the session", "set it in the packet");
        if (!assignable(t, tg.type) || (tg.type == Type::Int && t == Type::Float))
          err("type-mismatch", value_pos,
              "session." + tg.name + " is " + std::string(type_name(tg.type)) + ", this value is " + std::string(type_name(t)),
              tg.type == Type::Bytes && t == Type::Str   ? "asbytes(...) gives a str's bytes"
              : tg.type == Type::Str && t == Type::Bytes ? "str(...) gives bytes as text"
                                                         : "");
        break;
      }
      case TargetKind::Param: {
        if (s.body == Body::Framing || s.body == Body::Command) {
          if (s.emit_depth == 0)  // else the emit around it was reported
            err("misplaced", tg.pos, "parameters belong to messages, which only packets emit");
        } else if (s.body == Body::Packet && s.emit_depth == 0) {
          err("misplaced", tg.pos, "#" + tg.name + " is set outside an emit block", "wrap the record's fields in 'emit { ... }'");
        }
        if (tg.index) {
          Type it = expr(*tg.index, s);
          if (!is_integer(it) && it != Type::Str && it != Type::Unknown)
            err("type-mismatch", tg.index->pos, "a parameter index is an int or a str");
        }
        ParamKind kind;
        if (!param_kind(tg.name, tg.index != nullptr, kind)) {
          // #name[INDEX] can only mean a name.* pattern, a plain #name only a plain name.
          std::vector<std::string> names;
          auto candidate = [&](std::string_view n) {
            bool pattern = n.ends_with(".*");
            if (pattern == (tg.index != nullptr)) names.emplace_back(pattern ? n.substr(0, n.size() - 2) : n);
          };
          for (auto& p : kStdParams) candidate(p.name);
          for (auto& [n, k] : declared_params_) candidate(n);
          std::string hint = closest(tg.name, names);
          if (hint.empty())
            hint = "declare it with 'param #" + tg.name + (tg.index ? ".*" : "") + ": number', or name it under '" +
                   (out_.protocol.empty() ? std::string("<protocol>") : out_.protocol) + ".' or 'custom.'";
          err("unknown-param", tg.pos, "unknown parameter '" + tg.name + (tg.index ? "[...]" : "") + "'", hint);
          return;
        }
        tg.type = t;
        bool ok = true;
        switch (kind) {
          case ParamKind::Number: ok = is_numeric(t); break;
          case ParamKind::Integer: ok = is_integer(t); break;
          case ParamKind::String: ok = t == Type::Str || t == Type::Bytes; break;
          case ParamKind::Bool: ok = t == Type::Bool; break;
          case ParamKind::Any: ok = t != Type::Void; break;
        }
        static constexpr const char* kKindNames[] = {"a number", "an integer", "a string", "a bool", "a value"};
        if (!ok && t != Type::Unknown)
          err("type-mismatch", value_pos,
              "#" + tg.name + " is " + kKindNames[static_cast<int>(kind)] + ", this value is " + std::string(type_name(t)));
        break;
      }
    }
  }

  // ---- expressions
  void want(Expr& e, Scope& s, Type t, const char* msg) {
    Type got = expr(e, s);
    if (got == Type::Unknown) return;
    bool ok = t == Type::Int ? is_integer(got) : got == t;
    if (!ok) err("type-mismatch", e.pos, std::string(msg) + ", this is " + std::string(type_name(got)));
  }

  void fold_const(Expr& e, Scope& s) {
    expr(e, s);
    bool known = e.type == Type::Str     ? fold_text(e, ExprKind::Str)
                 : e.type == Type::Bytes ? fold_text(e, ExprKind::Bytes)
                                         : e.is_const;
    if (!known && e.type != Type::Unknown)
      err("not-constant", e.pos, "this value must be known when the program is compiled");
  }

  // A str (or bytes) constant is a literal, a const of that type, or a '+' of those: it is
  // folded to a literal of `kind`.
  static bool fold_text(Expr& e, ExprKind kind) {
    if (e.kind == kind) return true;
    if (e.kind != ExprKind::Binary || e.text != "+" || !fold_text(*e.args[0], kind) || !fold_text(*e.args[1], kind))
      return false;
    e.kind = kind;
    e.text = e.args[0]->text + e.args[1]->text;
    e.args.clear();
    return true;
  }

  // Folds a const's value or an enum's members once, where first needed (a used file's enum
  // comes after its users); false when the values need themselves.
  bool fold_named(const Item& c, SourcePos use) {
    int& state = const_state_[&c];
    if (state == 1) {
      err("not-constant", use, "'" + c.name + "' is defined in terms of itself");
      return false;
    }
    if (state == 0) {
      state = 1;
      const Item* saved = item_;
      item_ = &c;
      Scope cs;
      if (c.kind == ItemKind::Const) fold_const(*c.value, cs);
      std::set<std::string> names;
      for (auto& m : c.members) {
        if (!names.insert(m.name).second) err("duplicate", m.pos, "enum member '" + m.name + "' is declared twice");
        fold_const(*m.value, cs);
        if (m.value->type != Type::Int && m.value->type != Type::Unknown)
          err("type-mismatch", m.value->pos, "an enum member is an int constant");
      }
      item_ = saved;
      const_state_[&c] = 2;
    }
    return true;
  }

  Type set(Expr& e, Type t) { return e.type = t; }

  Type expr(Expr& e, Scope& s) {
    switch (e.kind) {
      case ExprKind::Int:
        e.is_const = true;
        e.const_int = static_cast<int64_t>(e.int_value);
        return set(e, e.int_value > static_cast<uint64_t>(INT64_MAX) ? Type::UInt : Type::Int);
      case ExprKind::Float:
        e.is_const = true;
        e.const_float = e.float_value;
        return set(e, Type::Float);
      case ExprKind::Str: return set(e, Type::Str);
      case ExprKind::Bytes: return set(e, Type::Bytes);
      case ExprKind::Bool:
        e.is_const = true;
        e.const_int = e.bool_value;
        return set(e, Type::Bool);
      case ExprKind::Var: {
        auto v = s.vars.find(e.text);
        if (v == s.vars.end()) {
          if (item_->lost_vars.count(e.text)) return set(e, Type::Unknown);  // a statement lost to a syntax error may assign it
          std::vector<std::string> names;
          for (auto& [n, t] : s.vars) names.push_back("$" + n);
          std::string hint = closest("$" + e.text, names);
          err("unknown-var", e.pos, "$" + e.text + " is used before it is assigned",
              hint.empty() ? "assign it first, e.g. 'u8 ==> $" + e.text + "'" : hint);
          return set(e, Type::Unknown);
        }
        return set(e, v->second);
      }
      case ExprKind::Param: {
        ParamKind kind;
        if (!param_kind(e.text, false, kind) || (kind != ParamKind::Integer && kind != ParamKind::Any)) {
          err("type-mismatch", e.pos, "only integer parameters of the current message can be read, like #din",
              "keep other values in a $variable");
          return set(e, Type::Unknown);
        }
        if (s.body == Body::Framing || s.body == Body::Command) err("misplaced", e.pos, "there is no message here");
        return set(e, Type::Int);
      }
      case ExprKind::Session: {
        if (e.text == "ident") return set(e, Type::Str);
        for (auto* it : out_.session)
          if (it->name == e.text) return set(e, it->type);
        err("unknown-name", e.pos, "no session variable '" + e.text + "'", "declare it with 'session " + e.text + ": int'");
        return set(e, Type::Unknown);
      }
      case ExprKind::Option: {
        auto o = out_.options.find(e.text);
        if (o == out_.options.end()) {
          err("unknown-name", e.pos, "no option '" + e.text + "'", "declare it with 'option " + e.text + ": bool = false'");
          return set(e, Type::Unknown);
        }
        return set(e, o->second->type);
      }
      case ExprKind::Name: return name(e, s);
      case ExprKind::Read: return read(e, s);
      case ExprKind::Call: return call(e, s);
      case ExprKind::Unary: return unary(e, s);
      case ExprKind::Binary: return binary(e, s);
    }
    return Type::Unknown;
  }

  Type name(Expr& e, Scope& s) {
    auto dot = e.text.find('.');
    if (dot != std::string::npos) {
      auto en = enums_.find(e.text.substr(0, dot));
      if (en != enums_.end()) {
        if (!fold_named(*en->second, e.pos)) return set(e, Type::Unknown);
        for (auto& m : en->second->members)
          if (m.name == e.text.substr(dot + 1)) {
            e.is_const = true;
            e.const_int = m.value->const_int;
            return set(e, Type::Int);
          }
        std::vector<std::string> names;
        for (auto& m : en->second->members) names.push_back(m.name);
        err("unknown-name", e.pos, "enum " + en->first + " has no member '" + e.text.substr(dot + 1) + "'",
            closest(e.text.substr(dot + 1), names));
        return set(e, Type::Unknown);
      }
    }
    auto c = consts_.find(e.text);
    if (c != consts_.end()) {
      Expr& v = *c->second->value;
      if (!fold_named(*c->second, e.pos)) return set(e, Type::Unknown);
      e.is_const = v.is_const;
      e.const_int = v.const_int;
      e.const_float = v.const_float;
      if (v.kind == ExprKind::Str || v.type == Type::Str) e.text = v.text;
      e.kind = v.is_const ? e.kind : v.kind;
      if (v.type == Type::Str || v.type == Type::Bytes) {
        e.kind = v.type == Type::Str ? ExprKind::Str : ExprKind::Bytes;
        e.text = v.text;
      }
      (void)s;
      return set(e, v.type);
    }
    std::vector<std::string> names;
    for (auto& [n, it] : consts_) names.push_back(n);
    for (auto& [n, it] : enums_) names.push_back(n);
    err("unknown-name", e.pos, "unknown name '" + e.text + "'", closest(e.text, names));
    return set(e, Type::Unknown);
  }

  Type read(Expr& e, Scope& s) {
    require_input(s, e.pos);
    if (e.at) want(*e.at, s, Type::Int, "a read offset is an int");
    const std::string& n = e.text;
    const bool text_read = n == "until" || n == "field";
    for (auto& a : e.args) {
      if (text_read) want(*a, s, Type::Str, (n + "(...) takes the delimiter as a str").c_str());
      else want(*a, s, Type::Int, ("the size of " + n + "(...) is an int").c_str());
    }
    if (is_sized_read(n) && e.args.size() != 1)
      err("bad-arity", e.pos, n + (text_read ? "(...) takes one delimiter" : "(...) takes one size"));
    if (text_read) return set(e, Type::Str);
    if (n == "bytes" || n == "rest") return set(e, Type::Bytes);
    if (n == "text" || n == "cstr") return set(e, Type::Str);
    if (n == "bcd" || n == "signed") return set(e, Type::Int);
    if (n == "unsigned" || n.rfind("u64", 0) == 0) return set(e, Type::UInt);
    if (n[0] == 'f') return set(e, Type::Float);
    return set(e, Type::Int);
  }

  Type arity(Expr& e, size_t n) {
    if (e.args.size() != n) {
      err("bad-arity", e.pos, e.text + "() takes " + std::to_string(n) + " argument" + (n == 1 ? "" : "s") + ", got " +
                                  std::to_string(e.args.size()));
      return Type::Unknown;
    }
    return Type::Void;
  }

  Type call(Expr& e, Scope& s) {
    const std::string& n = e.text;
    if (n == "pos" || n == "size" || n == "remaining") {
      require_input(s, e.pos);
      return set(e, Type::Int);
    }
    if (n == "now") return set(e, Type::Float);
    if (n == "crc") {
      if (arity(e, 2) == Type::Unknown) return set(e, Type::Int);
      bc::Crc alg;
      if (e.args[0]->kind != ExprKind::Name || !bc::crc_from_name(e.args[0]->text, alg)) {
        std::string names;
        for (size_t i = 0; i < bc::kCrcCount; ++i)
          names += (i ? ", " : "") + std::string(bc::crc_name(static_cast<bc::Crc>(i)));
        err("unknown-name", e.args[0]->pos, "crc() needs an algorithm name first", "one of: " + names);
      }
      e.args[0]->type = Type::Void;
      want(*e.args[1], s, Type::Bytes, "crc() works on bytes");
      return set(e, Type::Int);
    }
    auto f = out_.fns.find(n);
    if (f != out_.fns.end()) {
      const Item& fn = *f->second;
      if (e.args.size() != fn.params.size()) {
        err("bad-arity", e.pos,
            n + "() takes " + std::to_string(fn.params.size()) +
                (fn.params.size() == 1 ? " argument, got " : " arguments, got ") + std::to_string(e.args.size()));
      }
      for (size_t i = 0; i < e.args.size(); ++i) {
        Type t = expr(*e.args[i], s);
        if (i < fn.params.size() && !assignable(t, fn.params[i].type))
          err("type-mismatch", e.args[i]->pos,
              "argument " + std::to_string(i + 1) + " of " + n + "() is " + std::string(type_name(fn.params[i].type)) +
                  ", this is " + std::string(type_name(t)));
      }
      check_call_place(fn, e, s);
      return set(e, fn.kind == ItemKind::Table ? Type::Void : fn.type);
    }
    if ((n == "unescape" || n == "escape") && e.args.size() == 2 && e.args[1]->kind == ExprKind::Name &&
        !consts_.count(e.args[1]->text) && e.args[1]->text.find('.') == std::string::npos) {
      // A table's name, not a value: a constant is the delimiter of a framing.
      want(*e.args[0], s, Type::Bytes, (n + "() takes (bytes, an escape table)").c_str());
      e.args[1]->type = Type::Void;
      if (!escape_names_.count(e.args[1]->text))
        err("unknown-name", e.args[1]->pos, "no escape table '" + e.args[1]->text + "'", escape_tables_hint());
      return set(e, Type::Bytes);
    }
    std::vector<Type> a;
    for (auto& x : e.args) a.push_back(expr(*x, s));
    auto bad = [&](const char* what) {
      err("type-mismatch", e.pos, n + "() " + what);
      return set(e, Type::Unknown);
    };
    auto any_unknown = std::any_of(a.begin(), a.end(), [](Type t) { return t == Type::Unknown; });
    if (n == "len") {
      if (arity(e, 1) == Type::Unknown || any_unknown) return set(e, Type::Int);
      if (a[0] != Type::Str && a[0] != Type::Bytes) return bad("takes a str or bytes");
      return set(e, Type::Int);
    }
    if (n == "str") {
      if (arity(e, 1) == Type::Unknown || any_unknown) return set(e, Type::Str);
      if (a[0] == Type::Bool || a[0] == Type::Void) return bad("takes a number, str or bytes");
      return set(e, Type::Str);
    }
    if (n == "hex") {
      if (e.args.size() > 2) {
        err("bad-arity", e.pos, "hex() takes 1 or 2 arguments, got " + std::to_string(e.args.size()));
        return set(e, Type::Str);
      }
      if (e.args.size() == 2) {  // hex(x, width): zero-padded to at least width digits
        if (any_unknown) return set(e, Type::Str);
        if (!is_integer(a[0]) || !is_integer(a[1])) return bad("takes (integer, int width)");
        return set(e, Type::Str);
      }
      if (arity(e, 1) == Type::Unknown || any_unknown) return set(e, Type::Str);
      if (a[0] != Type::Bytes && !is_integer(a[0])) return bad("takes bytes or an integer");
      return set(e, Type::Str);
    }
    if (n == "dec") {
      if (arity(e, 2) == Type::Unknown || any_unknown) return set(e, Type::Str);
      if (!is_integer(a[0]) || !is_integer(a[1])) return bad("takes (integer, int width)");
      return set(e, Type::Str);
    }
    if (pack_width(n) != 0) {
      if (arity(e, 1) == Type::Unknown || any_unknown) return set(e, Type::Bytes);
      if (!is_integer(a[0])) return bad("takes an integer");
      return set(e, Type::Bytes);
    }
    if (n == "int" || n == "uint" || n == "float") {
      Type r = n == "int" ? Type::Int : n == "uint" ? Type::UInt : Type::Float;
      if (arity(e, 1) == Type::Unknown || any_unknown) return set(e, r);
      bool ok = is_numeric(a[0]) || a[0] == Type::Str || (n == "int" && a[0] == Type::Bool);
      if (n == "uint" && (a[0] == Type::Float || a[0] == Type::Str)) ok = false;
      if (!ok) return bad("cannot convert this type");
      return set(e, r);
    }
    if (n == "slice") {
      if (arity(e, 3) == Type::Unknown || any_unknown) return set(e, a.empty() ? Type::Unknown : a[0]);
      if ((a[0] != Type::Str && a[0] != Type::Bytes) || !is_integer(a[1]) || !is_integer(a[2]))
        return bad("takes (str or bytes, int from, int to)");
      return set(e, a[0]);
    }
    if (n == "asbytes") {
      if (arity(e, 1) == Type::Unknown || any_unknown) return set(e, Type::Bytes);
      if (a[0] != Type::Str) return bad("takes a str");
      return set(e, Type::Bytes);
    }
    if (n == "byte") {
      if (arity(e, 2) == Type::Unknown || any_unknown) return set(e, Type::Int);
      if ((a[0] != Type::Bytes && a[0] != Type::Str) || !is_integer(a[1])) return bad("takes (bytes or str, int index)");
      return set(e, Type::Int);
    }
    if (n == "bit") {
      if (arity(e, 2) == Type::Unknown || any_unknown) return set(e, Type::Bool);
      if (!is_integer(a[0]) || !is_integer(a[1])) return bad("takes (integer, int bit number)");
      return set(e, Type::Bool);
    }
    if (n == "bits") {
      if (arity(e, 3) == Type::Unknown || any_unknown) return set(e, Type::Int);
      if (!is_integer(a[0]) || !is_integer(a[1]) || !is_integer(a[2])) return bad("takes (integer, int lowest bit, int width)");
      return set(e, Type::Int);
    }
    if (n == "div") {
      if (arity(e, 2) == Type::Unknown || any_unknown) return set(e, Type::Int);
      if (!is_integer(a[0]) || !is_integer(a[1])) return bad("takes two integers");
      return set(e, a[0] == Type::UInt && a[1] == Type::UInt ? Type::UInt : Type::Int);
    }
    if (n == "find") {
      if (arity(e, 2) == Type::Unknown || any_unknown) return set(e, Type::Int);
      if (a[0] != Type::Str || a[1] != Type::Str) return bad("takes (str text, str what)");
      return set(e, Type::Int);
    }
    if (n == "trim" || n == "lower") {
      if (arity(e, 1) == Type::Unknown || any_unknown) return set(e, Type::Str);
      if (a[0] != Type::Str) return bad("takes a str");
      return set(e, Type::Str);
    }
    if (n == "replace") {
      if (arity(e, 3) == Type::Unknown || any_unknown) return set(e, Type::Str);
      if (a[0] != Type::Str || a[1] != Type::Str || a[2] != Type::Str) return bad("takes (str text, str old, str new)");
      return set(e, Type::Str);
    }
    if (n == "hexint") {
      if (arity(e, 1) == Type::Unknown || any_unknown) return set(e, Type::UInt);
      if (a[0] != Type::Str) return bad("takes a str of hex digits");
      return set(e, Type::UInt);
    }
    if (n == "regex") {
      if (arity(e, 2) == Type::Unknown || any_unknown) return set(e, Type::Bool);
      if (a[0] != Type::Str) return bad("takes the str to match first");
      if (e.args[1]->kind != ExprKind::Str) {
        err("not-constant", e.args[1]->pos, "a regular expression is a constant str", "it is compiled once, when the module loads");
        return set(e, Type::Bool);
      }
      RE2 re(e.args[1]->text, RE2::Quiet);
      if (!re.ok())
        err("bad-regex", e.args[1]->pos, "bad regular expression: " + re.error(), "patterns use RE2 syntax (docs/language.md, Text)");
      else if (re.NumberOfCapturingGroups() > static_cast<int>(bc::kMaxRegexGroups))
        err("bad-regex", e.args[1]->pos,
            "a pattern has at most " + std::to_string(bc::kMaxRegexGroups) + " groups, this one has " +
                std::to_string(re.NumberOfCapturingGroups()),
            "split the pattern, or make groups non-capturing with (?:...)");
      return set(e, Type::Bool);
    }
    if (n == "group") {
      if (arity(e, 1) == Type::Unknown || any_unknown) return set(e, Type::Str);
      if (!is_integer(a[0])) return bad("takes the group number");
      return set(e, Type::Str);
    }
    if (n == "unescape" || n == "escape") {
      if (arity(e, 2) == Type::Unknown || any_unknown) return set(e, Type::Bytes);
      if (a[0] != Type::Bytes) return bad("takes (bytes, an escape table)");
      Expr& d = *e.args[1];
      if (!d.is_const || !is_integer(d.type) || !out_.frames.count(d.const_int))
        err("unknown-name", d.pos,
            n + "() needs an escape table: the name of an 'escape' declaration or the delimiter of a 'frame delimited' one",
            escape_tables_hint());
      return set(e, Type::Bytes);
    }
    if (n == "written") {
      if (!s.write) err("misplaced", e.pos, "written() is only known inside a reply or command");
      if (arity(e, 1) == Type::Unknown || any_unknown) return set(e, Type::Bytes);
      if (!is_integer(a[0])) return bad("takes an int offset");
      return set(e, Type::Bytes);
    }
    std::vector<std::string> names;
    for (const LanguageWord& b : builtin_functions()) names.emplace_back(b.name);
    for (auto& [fname, it] : out_.fns) names.push_back(fname);
    err("unknown-name", e.pos, "unknown function '" + n + "'", closest(n, names));
    return set(e, Type::Unknown);
  }

  Type unary(Expr& e, Scope& s) {
    Type t = expr(*e.args[0], s);
    Expr& a = *e.args[0];
    if (t == Type::Unknown) return set(e, t);
    if (e.text == "!") {
      if (t != Type::Bool) err("type-mismatch", e.pos, "'!' needs a bool, this is " + std::string(type_name(t)));
      e.is_const = a.is_const;
      e.const_int = !a.const_int;
      return set(e, Type::Bool);
    }
    if (e.text == "-") {
      if (t != Type::Int && t != Type::Float) {
        err("type-mismatch", e.pos, "'-' needs an int or a float, this is " + std::string(type_name(t)));
        return set(e, Type::Unknown);
      }
      e.is_const = a.is_const;
      e.const_int = static_cast<int64_t>(0ull - static_cast<uint64_t>(a.const_int));
      e.const_float = -a.const_float;
      return set(e, t);
    }
    if (!is_integer(t)) {
      err("type-mismatch", e.pos, "'~' needs an integer, this is " + std::string(type_name(t)));
      return set(e, Type::Unknown);
    }
    e.is_const = a.is_const;
    e.const_int = ~a.const_int;
    return set(e, t);
  }

  static double as_double(const Expr& c) {
    if (c.type == Type::Float) return c.const_float;
    return c.type == Type::UInt ? static_cast<double>(static_cast<uint64_t>(c.const_int)) : static_cast<double>(c.const_int);
  }

  // A comparison of two constant numbers (or bools) by value, as the lowered code compares.
  static bool compare_consts(const std::string& op, const Expr& a, const Expr& b) {
    int order;  // -1, 0, 1; for floats NaN compares unequal and unordered
    if (a.type == Type::Float || b.type == Type::Float) {
      double x = as_double(a), y = as_double(b);
      if (x != x || y != y) return op == "!=";
      order = (x > y) - (x < y);
    } else {
      // A negative int is below every uint; otherwise both compare as uints.
      bool a_neg = a.type == Type::Int && a.const_int < 0, b_neg = b.type == Type::Int && b.const_int < 0;
      uint64_t x = static_cast<uint64_t>(a.const_int), y = static_cast<uint64_t>(b.const_int);
      if (a_neg != b_neg) order = a_neg ? -1 : 1;
      else order = a_neg ? (a.const_int > b.const_int) - (a.const_int < b.const_int) : (x > y) - (x < y);
    }
    if (op == "==") return order == 0;
    if (op == "!=") return order != 0;
    if (op == "<") return order < 0;
    if (op == "<=") return order <= 0;
    if (op == ">") return order > 0;
    return order >= 0;
  }

  Type binary(Expr& e, Scope& s) {
    Type l = expr(*e.args[0], s), r = expr(*e.args[1], s);
    if (l == Type::Unknown || r == Type::Unknown) return set(e, Type::Unknown);
    const std::string& op = e.text;
    auto mismatch = [&]() {
      err("type-mismatch", e.pos,
          "'" + op + "' cannot combine " + std::string(type_name(l)) + " and " + std::string(type_name(r)));
      return set(e, Type::Unknown);
    };
    Expr &a = *e.args[0], &b = *e.args[1];
    bool both_const = a.is_const && b.is_const;
    if (op == "&&" || op == "||") {
      if (l != Type::Bool || r != Type::Bool) return mismatch();
      e.is_const = both_const;
      e.const_int = op == "&&" ? a.const_int && b.const_int : a.const_int || b.const_int;
      return set(e, Type::Bool);
    }
    if (op == "==" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=") {
      bool eq = op == "==" || op == "!=";
      bool numbers = is_numeric(l) && is_numeric(r);
      if (!numbers && !(eq && l == r && (l == Type::Str || l == Type::Bytes || l == Type::Bool))) return mismatch();
      if (both_const && (numbers || l == Type::Bool)) {
        e.is_const = true;
        e.const_int = compare_consts(op, a, b);
      }
      return set(e, Type::Bool);
    }
    if (op == "+" && l == r && (l == Type::Str || l == Type::Bytes)) return set(e, l);
    if (op == "+" || op == "-" || op == "*" || op == "/") {
      if (!is_numeric(l) || !is_numeric(r)) return mismatch();
      Type t = op == "/" || l == Type::Float || r == Type::Float ? Type::Float
               : l == Type::UInt && r == Type::UInt            ? Type::UInt
                                                               : Type::Int;
      if (both_const) {
        e.is_const = true;
        if (t == Type::Float) {
          double x = as_double(a), y = as_double(b);
          e.const_float = op == "+" ? x + y : op == "-" ? x - y : op == "*" ? x * y : x / y;
        } else {
          uint64_t x = static_cast<uint64_t>(a.const_int), y = static_cast<uint64_t>(b.const_int);
          e.const_int = static_cast<int64_t>(op == "+" ? x + y : op == "-" ? x - y : x * y);
        }
      }
      return set(e, t);
    }
    // % & | ^ << >>
    if (!is_integer(l) || !is_integer(r)) return mismatch();
    Type t = l == Type::UInt && (r == Type::UInt || op == "<<" || op == ">>") ? Type::UInt : Type::Int;
    if (both_const && t == Type::Int) {
      int64_t x = a.const_int, y = b.const_int;
      e.is_const = true;
      if (op == "%") {
        if (y == 0) {
          err("type-mismatch", e.pos, "division by zero");
          e.is_const = false;
        } else {
          e.const_int = y == -1 ? 0 : x % y;
        }
      } else if (op == "&") {
        e.const_int = x & y;
      } else if (op == "|") {
        e.const_int = x | y;
      } else if (op == "^") {
        e.const_int = x ^ y;
      } else if (op == "<<") {
        e.const_int = y < 0 || y > 63 ? 0 : static_cast<int64_t>(static_cast<uint64_t>(x) << y);
      } else {
        e.const_int = y < 0 || y > 63 ? (x < 0 ? -1 : 0) : x >> y;
      }
    }
    if (both_const && t == Type::UInt) {  // as the uint instructions compute: >> is logical
      uint64_t x = static_cast<uint64_t>(a.const_int), y = static_cast<uint64_t>(b.const_int);
      int64_t shift = b.const_int;
      e.is_const = true;
      if (op == "%" && y == 0) {
        err("type-mismatch", e.pos, "division by zero");
        e.is_const = false;
      } else {
        uint64_t v = op == "%"   ? x % y
                     : op == "&" ? x & y
                     : op == "|" ? x | y
                     : op == "^" ? x ^ y
                     : shift < 0 || shift > 63 ? 0
                     : op == "<<" ? x << shift
                                  : x >> shift;
        e.const_int = static_cast<int64_t>(v);
      }
    }
    return set(e, t);
  }

  Program& prog_;
  const std::map<std::string, const SourceFile*>& sources_;
  std::vector<Diagnostic>& diags_;
  CheckedProgram out_;
  const Item* item_ = nullptr;
  std::map<std::string, const Item*> consts_, enums_;
  std::map<const Item*, int> const_state_;  // const or enum: 1 while being folded, 2 once folded
  std::map<const Item*, Effects> effects_;
  std::map<const Item*, uint64_t> inlined_;  // statements of a function with its calls inlined
  std::map<std::string, ParamKind> declared_params_;
  std::vector<Item*> frame_items_;
  std::vector<Item*> escape_items_;      // the first escape declaration of each name
  std::set<std::string> escape_names_;  // every escape declaration's name, checked or not
};

}  // namespace

CheckedProgram check(Program& program, const std::map<std::string, const SourceFile*>& sources,
                     std::vector<Diagnostic>& diags) {
  return Checker(program, sources, diags).run();
}

}  // namespace pvm::compiler
