// The second pass of the source index, on the checked tree: the types of variables, the values
// of constants and options, and for every read its width and, where the input cannot change
// it, its offset in the frame.
#include <charconv>
#include <optional>

#include "index/index_context.h"
#include "parse/parser.h"

namespace pvm::compiler {

namespace {

std::string quoted(std::string_view s) {
  constexpr size_t kMax = 60;  // a detail is one line
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + (s.size() > kMax ? "...\"" : "\"");
}

// The value of a constant expression as it would be written, "" when it is not constant.
std::string value_text(const Expr& e) {
  if (e.type == Type::Str && e.kind == ExprKind::Str) return quoted(e.text);
  if (!e.is_const) return "";
  switch (e.type) {
    case Type::Int:
      return std::to_string(e.const_int);
    case Type::UInt:
      return std::to_string(static_cast<uint64_t>(e.const_int));
    case Type::Bool:
      return e.const_int ? "true" : "false";
    case Type::Float: {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, e.const_float);
      return std::string(buf, r.ptr);
    }
    default:
      return "";
  }
}

// Where the cursor is, as frame offsets; nullopt where the input decides.
struct Cursor {
  std::optional<int64_t> pos;
  std::optional<int64_t> base;  // where the current view starts
};

Cursor merge(const std::vector<Cursor>& ends) {
  if (ends.empty()) return {};
  Cursor c = ends[0];
  for (const Cursor& e : ends) {
    if (e.pos != c.pos) c.pos.reset();
    if (e.base != c.base) c.base.reset();
  }
  return c;
}

// What a call of a function does to the caller's cursor.
struct Consumption {
  bool moves = false;            // it reads, skips or seeks
  std::optional<int64_t> bytes;  // how far, when the input cannot change it
};

class Types {
 public:
  Types(const Program& p, IndexContext& cx) : prog_(p), cx_(cx), out_(cx.out) {
    for (const auto& it : p.items)
      if (it->kind == ItemKind::Fn || it->kind == ItemKind::Table) fns_.emplace(it->name, it.get());
  }

  void run() {
    for (const auto& up : prog_.items) {
      const Item& it = *up;
      item_ = &it;
      toks_ = cx_.tokens(it.file);
      if (!toks_) continue;
      details(it);
      const bool entry = it.kind == ItemKind::Framing || it.kind == ItemKind::Packet;
      Cursor c;
      if (entry) c = {0, 0};
      record_ = true;
      if (it.value) expr(*it.value, c);
      block(it.body, c);
      for (const MatchArm& a : it.arms) {
        Cursor arm = c;
        block(a.body, arm);
      }
    }
  }

 private:
  int symbol_of(const Item& it) const {
    auto s = cx_.item_symbols.find(&it);
    return s == cx_.item_symbols.end() ? -1 : s->second;
  }

  void details(const Item& it) {
    const int id = symbol_of(it);
    if (id < 0) return;
    std::string& d = out_.symbols[id].detail;
    if (it.kind == ItemKind::Const && it.value) {
      std::string v = value_text(*it.value);
      d = "const " + it.name + (v.empty() ? "" : " = " + v) + " (" + std::string(type_name(it.value->type)) +
          ")";
    } else if (it.kind == ItemKind::Option && it.value) {
      std::string v = value_text(*it.value);
      d += v.empty() ? "" : " = " + v;
    } else if (it.kind == ItemKind::Enum) {
      for (size_t i = 0; i < out_.symbols.size(); ++i)
        if (out_.symbols[i].parent == id && out_.symbols[i].kind == SymbolKind::EnumMember)
          for (const EnumMember& m : it.members)
            if (out_.symbols[i].name == it.name + "." + m.name && m.value) {
              std::string v = value_text(*m.value);
              out_.symbols[i].detail = it.name + "." + m.name + (v.empty() ? "" : " = " + v);
            }
    }
  }

  // The first known type of a variable becomes its detail (a variable keeps that type).
  void typed_variable(const std::string& name, Type t) {
    if (t == Type::Unknown || t == Type::Void || !record_) return;
    auto vars = cx_.variables.find(item_);
    if (vars == cx_.variables.end()) return;
    auto v = vars->second.find(name);
    if (v == vars->second.end()) return;
    std::string& d = out_.symbols[v->second].detail;
    if (d == "$" + name) d += ": " + std::string(type_name(t));
  }

  static int64_t fixed_width(std::string_view read) {
    int bits = 0;
    std::from_chars(read.data() + 1, read.data() + read.size(), bits);
    return bits / 8;
  }

  void read(const Expr& e, Cursor& c) {
    for (const auto& a : e.args) expr(*a, c);
    int64_t width = -1;
    if (is_fixed_read(e.text)) {
      width = fixed_width(e.text);
    } else if (e.text != "until" && e.text != "field" && e.args.size() == 1 && e.args[0]->is_const &&
               e.args[0]->const_int >= 0) {
      width = e.args[0]->const_int;
    }
    std::optional<int64_t> offset;
    if (e.at) {
      expr(*e.at, c);
      if (e.at->is_const && c.base) offset = *c.base + e.at->const_int;
    } else {
      offset = c.pos;
      ++moves_;
      c.pos = c.pos && width >= 0 ? std::optional<int64_t>(*c.pos + width) : std::nullopt;
    }
    if (!record_ || !toks_) return;
    const int tok = toks_->at(e.pos);
    if (tok < 0) return;
    ReadSite r;
    r.file = toks_->source().name;
    r.range = toks_->range(tok);
    r.read = e.text;
    r.type = std::string(type_name(e.type));
    r.width = width;
    r.offset = offset && *offset >= 0 ? *offset : -1;
    r.little_endian = e.text.ends_with("le") || (!e.text.ends_with("be") && item_->little_endian);
    r.at = e.at != nullptr;
    out_.reads.push_back(std::move(r));
  }

  void call(const Expr& e, Cursor& c) {
    for (const auto& a : e.args) expr(*a, c);
    auto f = fns_.find(e.text);
    if (f == fns_.end()) return;
    const Consumption used = consumption(*f->second);
    if (!used.moves) return;
    ++moves_;
    c.pos = c.pos && used.bytes ? std::optional<int64_t>(*c.pos + *used.bytes) : std::nullopt;
  }

  // Walks a function from offset 0 without recording anything, to learn how far it moves.
  Consumption consumption(const Item& fn) {
    if (auto known = consumed_.find(&fn); known != consumed_.end()) return known->second;
    consumed_[&fn] = {true, std::nullopt};  // a recursive call moves by an unknown amount
    const bool saved_record = record_;
    const Item* saved_item = item_;
    const FileTokens* saved_toks = toks_;
    const uint64_t saved_moves = moves_;
    record_ = false;
    item_ = &fn;
    returns_.emplace_back();
    std::vector<Cursor> ends;
    const Cursor start{0, std::nullopt};
    Cursor c = start;
    if (!block(fn.body, c)) ends.push_back(c);
    bool has_default = fn.kind == ItemKind::Fn;
    for (const MatchArm& a : fn.arms) {
      has_default |= a.patterns.empty();
      Cursor arm = start;
      if (!block(a.body, arm)) ends.push_back(arm);
    }
    if (!has_default) ends.push_back(start);  // a key no entry has runs nothing
    for (const Cursor& r : returns_.back()) ends.push_back(r);
    returns_.pop_back();
    const Consumption result{moves_ != saved_moves, merge(ends).pos};
    record_ = saved_record;
    item_ = saved_item;
    toks_ = saved_toks;
    moves_ = saved_moves;
    return consumed_[&fn] = result;
  }

  void expr(const Expr& e, Cursor& c) {
    switch (e.kind) {
      case ExprKind::Read:
        return read(e, c);
      case ExprKind::Call:
        return call(e, c);
      case ExprKind::Var:
        typed_variable(e.text, e.type);
        break;
      case ExprKind::Binary:
        if (e.text == "&&" || e.text == "||") {  // the right side may not run
          expr(*e.args[0], c);
          const uint64_t before = moves_;
          Cursor right = c;
          expr(*e.args[1], right);
          if (moves_ != before) c.pos.reset();
          return;
        }
        break;
      default:
        break;
    }
    for (const auto& a : e.args) expr(*a, c);
    if (e.at) expr(*e.at, c);
  }

  // Walks a block; true when it always leaves by return, fail or break.
  bool block(const Block& b, Cursor& c) {
    for (const auto& s : b)
      if (stmt(*s, c)) return true;
    return false;
  }

  bool stmt(const Stmt& s, Cursor& c) {
    switch (s.kind) {
      case StmtKind::Skip:
      case StmtKind::Seek: {
        expr(*s.expr, c);
        ++moves_;
        const bool known =
            s.expr->is_const && (s.kind == StmtKind::Skip ? c.pos.has_value() : c.base.has_value());
        c.pos =
            known ? std::optional<int64_t>((s.kind == StmtKind::Skip ? *c.pos : *c.base) + s.expr->const_int)
                  : std::nullopt;
        return false;
      }
      case StmtKind::If: {
        std::vector<Cursor> ends;
        for (size_t i = 0; i < s.conds.size() && i < s.blocks.size(); ++i) {
          expr(*s.conds[i], c);
          Cursor branch = c;
          if (!block(s.blocks[i], branch)) ends.push_back(branch);
        }
        if (s.has_else) {
          Cursor branch = c;
          if (!block(s.else_block, branch)) ends.push_back(branch);
        } else {
          ends.push_back(c);
        }
        if (ends.empty()) return true;
        c = merge(ends);
        return false;
      }
      case StmtKind::Match: {
        expr(*s.expr, c);
        std::vector<Cursor> ends;
        bool has_default = false;
        for (const MatchArm& a : s.arms) {
          has_default |= a.patterns.empty();
          Cursor arm = c;
          if (!block(a.body, arm)) ends.push_back(arm);
        }
        if (!has_default) ends.push_back(c);
        if (ends.empty()) return true;
        c = merge(ends);
        return false;
      }
      case StmtKind::Repeat: {
        if (s.expr) expr(*s.expr, c);
        if (!s.var.empty()) typed_variable(s.var, Type::Int);
        const uint64_t before = moves_;
        Cursor body{std::nullopt, c.base};  // each pass starts where the last one ended
        block(s.body, body);
        if (moves_ != before || s.until_end) c.pos.reset();
        return false;
      }
      case StmtKind::Within: {
        expr(*s.expr, c);
        ++moves_;
        Cursor inner{c.pos, c.pos};
        block(s.body, inner);
        c.pos = c.pos && s.expr->is_const ? std::optional<int64_t>(*c.pos + s.expr->const_int) : std::nullopt;
        return false;
      }
      default:
        break;
    }
    // Every other statement: its value, its targets, and the blocks it holds, in order.
    if (s.expr) expr(*s.expr, c);
    for (const Target& t : s.targets) {
      if (t.index) expr(*t.index, c);
      if (t.kind == TargetKind::Var) typed_variable(t.name, t.type);
    }
    for (const auto& cond : s.conds) expr(*cond, c);
    for (const auto& b : s.blocks)
      if (block(b, c)) return true;
    if (block(s.else_block, c) || block(s.body, c)) return true;
    if (s.kind == StmtKind::Return && !returns_.empty()) returns_.back().push_back(c);
    return s.kind == StmtKind::Return || s.kind == StmtKind::Fail || s.kind == StmtKind::Break;
  }

  const Program& prog_;
  IndexContext& cx_;
  SourceIndex& out_;
  std::map<std::string, const Item*> fns_;
  std::map<const Item*, Consumption> consumed_;
  std::vector<std::vector<Cursor>> returns_;  // per function being measured: the cursor at each return
  const Item* item_ = nullptr;
  const FileTokens* toks_ = nullptr;
  bool record_ = true;
  uint64_t moves_ = 0;  // counts every step that moves the cursor
};

}  // namespace

void collect_types_and_reads(const Program& program, IndexContext& cx) {
  Types(program, cx).run();
}

}  // namespace pvm::compiler
