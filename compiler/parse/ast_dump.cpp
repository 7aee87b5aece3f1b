// Printouts of the tree for `pvm compile --dump ast|typed`, one node a line, indented.
#include <string>

#include "parse/ast.h"

namespace pvm::compiler {

std::string_view type_name(Type t) {
  static constexpr std::string_view kNames[] = {"?", "int", "uint", "float", "bool", "str", "bytes", "void"};
  return kNames[static_cast<int>(t)];
}

namespace {

class Dumper {
 public:
  explicit Dumper(bool types) : types_(types) {}
  std::string out;

  void line(int depth, const std::string& s) { out += std::string(depth * 2, ' ') + s + "\n"; }
  std::string at(SourcePos p) { return " @" + std::to_string(p.line) + ":" + std::to_string(p.col); }
  std::string typed(const Expr& e) { return types_ ? " : " + std::string(type_name(e.type)) : ""; }

  void expr(const Expr& e, int d) {
    static constexpr const char* kKinds[] = {"int", "float", "str", "bytes", "bool", "var", "param", "session",
                                             "option", "name", "call", "read", "unary", "binary"};
    std::string s = kKinds[static_cast<int>(e.kind)];
    switch (e.kind) {
      case ExprKind::Int: s += " " + std::to_string(e.int_value); break;
      case ExprKind::Float: s += " " + e.text; break;
      case ExprKind::Bool: s += e.bool_value ? " true" : " false"; break;
      case ExprKind::Str: s += " \"" + e.text + "\""; break;
      case ExprKind::Bytes: s += " (" + std::to_string(e.text.size()) + " bytes)"; break;
      default: s += " " + e.text;
    }
    line(d, s + typed(e) + at(e.pos));
    for (auto& a : e.args) expr(*a, d + 1);
    if (e.at) {
      line(d + 1, "at");
      expr(*e.at, d + 2);
    }
  }

  void target(const Target& t, int d) {
    static constexpr const char* kKinds[] = {"$", "#", "session."};
    line(d, "-> " + std::string(kKinds[static_cast<int>(t.kind)]) + t.name +
                (types_ ? " : " + std::string(type_name(t.type)) : ""));
    if (t.index) expr(*t.index, d + 1);
  }

  void block(const Block& b, int d) {
    for (auto& s : b) stmt(*s, d);
  }

  void arms(const std::vector<MatchArm>& as, int d) {
    for (auto& a : as) {
      line(d, a.patterns.empty() ? "arm _" : "arm");
      for (auto& p : a.patterns) expr(*p, d + 2);
      block(a.body, d + 1);
    }
  }

  void stmt(const Stmt& s, int d) {
    static constexpr const char* kKinds[] = {"pipe", "assign", "skip", "seek", "expect", "check", "fail", "warn", "if",
                                             "match", "repeat", "within", "emit", "reply", "return", "call", "write", "break"};
    std::string h = kKinds[static_cast<int>(s.kind)];
    if (!s.text.empty()) h += " \"" + s.text + "\"";
    if (s.until_end) h += " until end";
    if (!s.var.empty()) h += " as $" + s.var;
    line(d, h + at(s.pos));
    if (s.expr) expr(*s.expr, d + 1);
    for (auto& t : s.targets) target(t, d + 1);
    for (size_t i = 0; i < s.conds.size(); ++i) {
      line(d + 1, i == 0 ? "cond" : "else if");
      expr(*s.conds[i], d + 2);
      block(s.blocks[i], d + 2);
    }
    if (s.has_else) {
      line(d + 1, "else");
      block(s.else_block, d + 2);
    }
    arms(s.arms, d + 1);
    block(s.body, d + 1);
  }

  void item(const Item& it) {
    static constexpr const char* kKinds[] = {"protocol", "byteorder", "use", "const", "enum", "option", "session",
                                             "param", "framing", "packet", "command", "fn", "table", "frame delimited", "escape"};
    std::string h = std::string(kKinds[static_cast<int>(it.kind)]) + " " + it.name;
    if (it.kind == ItemKind::ByteOrder) h += it.little_endian ? "little" : "big";
    if (it.kind == ItemKind::ParamDecl) h += " : " + it.param_type;
    if (it.type != Type::Unknown) h += " : " + std::string(type_name(it.type));
    line(0, h + at(it.pos));
    for (auto& p : it.params) line(1, "param $" + p.name + " : " + std::string(type_name(p.type)));
    if (it.value) expr(*it.value, 1);
    for (auto& m : it.members) {
      line(1, "member " + m.name);
      expr(*m.value, 2);
    }
    for (auto& [sequence, byte] : it.escapes) {
      line(1, "escape");
      expr(*sequence, 2);
      expr(*byte, 2);
    }
    block(it.body, 1);
    arms(it.arms, 1);
  }

 private:
  bool types_;
};

}  // namespace

std::string dump_ast(const Program& p, bool with_types) {
  Dumper d(with_types);
  for (auto& it : p.items) d.item(*it);
  return d.out;
}

}  // namespace pvm::compiler
