#include "lower/lower.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <variant>

#include "lower/code.h"
#include "lower/optimize.h"
#include "parse/parser.h"
#include "pvm/bytecode/module.h"

namespace pvm::compiler {

namespace {

using bc::Op;
using bc::RegClass;

RegClass cls_of(Type t) {
  switch (t) {
    case Type::UInt: return RegClass::UInt;
    case Type::Float: return RegClass::Float;
    case Type::Bool: return RegClass::Bool;
    case Type::Str: return RegClass::Str;
    case Type::Bytes: return RegClass::Bytes;
    default: return RegClass::Int;
  }
}

using code::Bytes;
using code::Label;
using code::Line;
using code::Operand;
using code::Raw;
using code::Reg;
using code::SwitchOperand;

std::string operand_bytes(std::string_view b) {
  static const char* kHex = "0123456789abcdef";
  std::string s = "x\"";
  for (unsigned char c : b) {
    s += kHex[c >> 4];
    s += kHex[c & 15];
  }
  return s + "\"";
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// Builds one function's code with a fresh virtual register for every value, then prints it
// optimized (optimize.h), its registers numbered by the allocation.
class FunctionBuilder {
 public:
  Reg var(RegClass c) { return fn_.reg(c); }
  Reg temp(RegClass c) { return fn_.reg(c); }
  Label label() { return Label{fn_.labels++}; }
  void bind(Label l) {
    dead_ = false;
    Line ln;
    ln.kind = Line::LabelDef;
    ln.label = l.id;
    fn_.lines.push_back(std::move(ln));
  }
  void loc(const std::string& text) {
    if (dead_ || text == last_loc_) return;
    last_loc_ = text;
    Line ln;
    ln.kind = Line::Loc;
    ln.loc = text;
    fn_.lines.push_back(std::move(ln));
  }
  // Code after a jump, return or fail runs only if a label follows, so it is not emitted.
  void emit(Op op, std::vector<Operand> ops = {}) {
    if (dead_) return;
    dead_ = bc::is_terminator(op);
    Line ln;
    ln.kind = Line::Instr;
    ln.op = op;
    ln.ops = std::move(ops);
    fn_.lines.push_back(std::move(ln));
  }
  void add_param(const std::string& name, Reg r) { fn_.params.emplace_back(name, r); }

  std::string print(const std::string& header) {
    code::optimize(fn_);
    regs_ = code::allocate_registers(fn_);
    std::vector<bool> jumped(fn_.labels, false);  // labels are printed only where something jumps
    for (const Line& ln : fn_.lines)
      for (const Operand& o : ln.ops) {
        if (const Label* l = std::get_if<Label>(&o)) jumped[l->id] = true;
        if (const SwitchOperand* sw = std::get_if<SwitchOperand>(&o)) {
          for (auto& c : sw->cases) jumped[c.second.id] = true;
          jumped[sw->def.id] = true;
        }
      }
    std::string out = header;
    out += ".regs";
    for (size_t c = 0; c < bc::kRegClassCount; ++c)
      out += " " + std::string(1, bc::kRegClassLetters[c]) + "=" + std::to_string(regs_.count[c]);
    out += "\n";
    for (auto& p : fn_.params) out += ".param " + p.first + " " + reg_text(p.second) + "\n";
    for (const Line& ln : fn_.lines) {
      switch (ln.kind) {
        case Line::LabelDef:
          if (jumped[ln.label]) out += "L" + std::to_string(ln.label) + ":\n";
          break;
        case Line::Loc: out += ".loc " + ln.loc + "\n"; break;
        case Line::Instr: {
          out += "    " + std::string(bc::op_info(ln.op).mnemonic);
          for (size_t i = 0; i < ln.ops.size(); ++i) out += (i ? ", " : " ") + operand_text(ln.ops[i]);
          out += "\n";
          break;
        }
      }
    }
    return out + ".end\n";
  }

 private:
  std::string reg_text(const Reg& r) const {
    return std::string(1, bc::kRegClassLetters[static_cast<size_t>(r.cls)]) +
           std::to_string(regs_.number[r.id]);
  }
  std::string operand_text(const Operand& o) const {
    struct V {
      const FunctionBuilder& f;
      std::string operator()(const Reg& r) const { return f.reg_text(r); }
      std::string operator()(int64_t v) const { return std::to_string(v); }
      std::string operator()(double v) const {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.17g", v);
        std::string s = buf;
        if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
        return s;
      }
      std::string operator()(const std::string& s) const { return quote(s); }
      std::string operator()(const Bytes& b) const { return operand_bytes(b.value); }
      std::string operator()(const Label& l) const { return "L" + std::to_string(l.id); }
      std::string operator()(const SwitchOperand& sw) const {
        std::string s = "{";
        for (auto& [k, l] : sw.cases) s += std::to_string(k) + ": L" + std::to_string(l.id) + ", ";
        return s + "_: L" + std::to_string(sw.def.id) + "}";
      }
      std::string operator()(const Raw& r) const { return r.text; }
    };
    return std::visit(V{*this}, o);
  }

  code::Function fn_;
  code::Allocation regs_;
  bool dead_ = false;
  std::string last_loc_;
};

struct Loop {  // a repeat being lowered: where break goes
  Label end;
  int view_depth = 0;
};

struct Inline {  // an inlined function being lowered
  Label end;
  Reg result;
  bool has_result = false;
  int view_depth = 0;
};

class Lowerer {
 public:
  Lowerer(const CheckedProgram& cp, std::string source, const std::map<std::string, std::string>& file_names)
      : cp_(cp), source_(std::move(source)), file_names_(file_names) {}

  std::string run() {
    std::string out = "; PVM assembly of protocol " + cp_.protocol + "\n";
    out += ".protocol " + quote(cp_.protocol) + "\n";
    out += ".source " + quote(source_) + "\n";
    out += ".session ident s\n";
    for (auto* s : cp_.session) out += ".session " + s->name + " " + std::string(1, letter(cls_of(s->type))) + "\n";
    for (auto& [name, o] : cp_.options) {
      out += ".option " + name + " " + std::string(1, letter(cls_of(o->type))) + " ";
      const Expr& v = *o->value;
      if (o->type == Type::Bool) out += v.const_int ? "true" : "false";
      else if (o->type == Type::Int) out += std::to_string(v.const_int);
      else out += quote(v.text);
      out += "\n";
    }
    const auto escapes = [](const std::vector<bc::Escape>& list) {
      std::string text = " {";
      for (size_t k = 0; k < list.size(); ++k)
        text += (k ? ", " : "") + operand_bytes(list[k].sequence) + ": " + std::to_string(list[k].byte);
      return text + "}\n";
    };
    for (auto& [delimiter, f] : cp_.frames) out += ".delimited " + std::to_string(delimiter) + escapes(f.escapes);
    std::string code;
    for (const Item* e : cp_.entries) code += "\n" + entry(*e);
    // Only the tables the code names: a table may be there only for a framing to use.
    for (const std::string& name : used_escapes_) out += ".escape " + name + escapes(cp_.escape_tables.at(name).escapes);
    return out + code;
  }

 private:
  static char letter(RegClass c) { return bc::kRegClassLetters[static_cast<int>(c)]; }

  std::string entry(const Item& it) {
    FunctionBuilder fb;
    f_ = &fb;
    item_ = &it;
    scopes_.clear();
    scopes_.emplace_back();
    inlines_.clear();
    loops_.clear();
    view_depth_ = 0;
    std::string name;
    if (it.kind == ItemKind::Framing) name = "framing." + it.name;
    else if (it.kind == ItemKind::Packet) name = "packet." + it.name;
    else name = "command." + it.name;
    framing_ = it.kind == ItemKind::Framing;
    for (auto& p : it.params) {
      Reg r = fb.var(cls_of(p.type));
      scopes_.back()[p.name] = r;
      fb.add_param(p.name, r);
    }
    if (it.kind == ItemKind::Command) fb.emit(Op::OutNew);
    block(it.body);
    if (it.kind == ItemKind::Command) fb.emit(Op::OutEnd);
    if (framing_) fb.emit(Op::Fail, {std::string("framing ended without a length")});
    else fb.emit(Op::Ret);
    return fb.print(".func " + name + "\n");
  }

  // ---- registers and conversions
  std::map<std::string, Reg>& scope() { return scopes_.back(); }
  Reg var_reg(const std::string& name, Type t) {
    auto& s = scope();
    auto v = s.find(name);
    if (v != s.end()) return v->second;
    Reg r = f_->var(cls_of(t));
    s[name] = r;
    return r;
  }
  Reg convert(Reg r, Type from, Type to) {
    if (from == to || cls_of(from) == cls_of(to)) return r;
    Reg d = f_->temp(cls_of(to));
    if (to == Type::Float) f_->emit(from == Type::UInt ? Op::U2F : Op::I2F, {d, r});
    else if (to == Type::UInt && from == Type::Int) f_->emit(Op::I2U, {d, r});
    else if (to == Type::Int && from == Type::UInt) f_->emit(Op::U2I, {d, r});
    else if (to == Type::Int && from == Type::Bool) f_->emit(Op::B2I, {d, r});
    else if (to == Type::Int && from == Type::Float) f_->emit(Op::F2I, {d, r});
    else return r;
    return d;
  }
  void move(Reg dst, Reg src) {
    static constexpr Op kMov[] = {Op::MovI, Op::MovU, Op::MovF, Op::MovB, Op::MovS, Op::MovY};
    f_->emit(kMov[static_cast<int>(dst.cls)], {dst, src});
  }
  Reg int_const(int64_t v) {
    Reg r = f_->temp(RegClass::Int);
    f_->emit(Op::LdK, {r, v});
    return r;
  }

  // ---- statements
  void block(const Block& b) {
    for (auto& s : b) stmt(*s);
  }

  // `in "FILE"` for code of a used file, nothing for the source's own.
  std::string in_file(const std::string& file) const {
    if (file == source_) return {};
    auto f = file_names_.find(file);
    return " in " + quote(f == file_names_.end() ? file : f->second);
  }

  // LINE COL "what" [in "FILE"], then each call the code is inlined at, innermost first.
  std::string loc_text(const Stmt& s) const { return loc_text(s.pos, s.source_text); }
  std::string loc_text(SourcePos pos, const std::string& source_text) const {
    std::string t = std::to_string(pos.line) + " " + std::to_string(pos.col) + " " + quote(source_text) +
                    in_file(item_->file);
    for (auto c = calls_.rbegin(); c != calls_.rend(); ++c)
      t += " via " + std::to_string(c->pos.line) + " " + std::to_string(c->pos.col) + in_file(c->file);
    return t;
  }

  void stmt(const Stmt& s) {
    // The statement's position is restored after each inlined call, so that a failure later in
    // the statement names this statement rather than the callee's last one.
    locs_.push_back(loc_text(s));
    struct PopLoc {
      std::vector<std::string>& v;
      ~PopLoc() { v.pop_back(); }
    } pop{locs_};
    f_->loc(locs_.back());
    switch (s.kind) {
      case StmtKind::Pipe: {
        Reg v = expr(*s.expr);
        for (auto& t : s.targets) store(t, v, s.expr->type, std::nullopt);
        break;
      }
      case StmtKind::Assign: {
        // `#name[index] = value` reads left to right: the index first.
        std::optional<DynamicName> name;
        if (s.targets[0].index) name = param_name(s.targets[0]);
        Reg v = expr(*s.expr);
        store(s.targets[0], v, s.expr->type, name);
        break;
      }
      case StmtKind::Skip: f_->emit(Op::Skip, {as_int(*s.expr)}); break;
      case StmtKind::Seek: f_->emit(Op::Seek, {as_int(*s.expr)}); break;
      case StmtKind::Expect:
      case StmtKind::Check: {
        // The condition jumps past the rejection, which runs only when it does not hold.
        std::string why = s.text.empty() ? "failed: " + s.source_text : s.text;
        Label holds = f_->label();
        branch(*s.expr, true, holds);
        if (s.kind == StmtKind::Expect) {
          f_->emit(Op::Fail, {why});
        } else {
          Reg no = f_->temp(RegClass::Bool);
          f_->emit(Op::LdB, {no, int64_t{0}});
          f_->emit(Op::Check, {no, why});  // a warning where --crc warn lets the frame go on
        }
        f_->bind(holds);
        break;
      }
      case StmtKind::Fail:
        if (s.expr) f_->emit(Op::FailS, {expr(*s.expr)});
        else f_->emit(Op::Fail, {s.text});
        break;
      case StmtKind::Warn:
        if (s.expr) f_->emit(Op::WarnS, {expr(*s.expr)});
        else f_->emit(Op::Warn, {s.text});
        break;
      case StmtKind::Break: {
        const Loop& loop = loops_.back();
        for (int d = view_depth_; d > loop.view_depth; --d) f_->emit(Op::ViewPop);
        f_->emit(Op::Jmp, {loop.end});
        break;
      }
      case StmtKind::If: {
        Label end = f_->label();
        for (size_t i = 0; i < s.conds.size(); ++i) {
          Label next = f_->label();
          if (i > 0) {  // an `else if` is a statement of its own line: errors and calls in it name it
            locs_.push_back(loc_text(s.conds[i]->pos, s.cond_texts[i - 1]));
            f_->loc(locs_.back());
          }
          branch(*s.conds[i], false, next);
          if (i > 0) locs_.pop_back();
          block(s.blocks[i]);
          f_->emit(Op::Jmp, {end});
          f_->bind(next);
        }
        if (s.has_else) block(s.else_block);
        f_->bind(end);
        break;
      }
      case StmtKind::Match: match(*s.expr, s.arms, nullptr); break;
      case StmtKind::Repeat: repeat(s); break;
      case StmtKind::Within:
        if (s.expr->type == Type::Bytes) f_->emit(Op::ViewBytes, {expr(*s.expr), s.text});
        else f_->emit(Op::ViewPush, {as_int(*s.expr)});
        ++view_depth_;
        block(s.body);
        --view_depth_;
        f_->emit(Op::ViewPop);
        break;
      case StmtKind::Emit:
        f_->emit(Op::MsgNew);
        block(s.body);
        f_->emit(Op::MsgEnd);
        break;
      case StmtKind::Reply:
        f_->emit(Op::OutNew);
        block(s.body);
        f_->emit(Op::OutEnd);
        break;
      case StmtKind::Return: ret(s); break;
      case StmtKind::Call: expr(*s.expr); break;
      case StmtKind::Write: write(s); break;
    }
  }

  // Jumps to `target` when the bool `e` is `when` and falls through otherwise. `&&`, `||` and
  // `!` become jumps (each side still evaluated only when it decides), so a condition's parts
  // are compare-and-jumps rather than bools that are stored, moved and tested again.
  void branch(const Expr& e, bool when, Label target) {
    if (e.kind == ExprKind::Binary && (e.text == "&&" || e.text == "||")) {
      // a && b is false, and a || b true, as soon as one side is; the other outcome needs both.
      if ((e.text == "&&") != when) {
        branch(*e.args[0], when, target);
        branch(*e.args[1], when, target);
      } else {
        Label decided = f_->label();
        branch(*e.args[0], !when, decided);
        branch(*e.args[1], when, target);
        f_->bind(decided);
      }
      return;
    }
    if (e.kind == ExprKind::Unary && e.text == "!") return branch(*e.args[0], !when, target);
    f_->emit(when ? Op::Jt : Op::Jf, {expr(e), target});
  }

  void ret(const Stmt& s) {
    if (!inlines_.empty()) {
      // The value may inline further calls, which grow inlines_: look at the back afterwards.
      std::optional<Reg> v;
      if (s.expr) v = expr(*s.expr);
      const Inline& in = inlines_.back();
      if (v) move(in.result, convert(*v, s.expr->type, item_type_of_result()));
      for (int d = view_depth_; d > in.view_depth; --d) f_->emit(Op::ViewPop);
      f_->emit(Op::Jmp, {in.end});
      return;
    }
    if (framing_) f_->emit(Op::RetI, {as_int(*s.expr)});
    else f_->emit(Op::Ret);
  }
  Type item_type_of_result() const { return result_types_.back(); }

  void repeat(const Stmt& s) {
    Label top = f_->label(), end = f_->label();
    if (s.until_end) {
      Reg zero = f_->var(RegClass::Int), start = f_->var(RegClass::Int), now = f_->var(RegClass::Int);
      Reg more = f_->var(RegClass::Bool);
      f_->emit(Op::LdK, {zero, int64_t{0}});
      f_->bind(top);
      f_->emit(Op::Remain, {now});
      f_->emit(Op::LtI, {more, zero, now});
      f_->emit(Op::Jf, {more, end});
      f_->emit(Op::Pos, {start});
      loop_body(s.body, end);
      f_->loc(loc_text(s));  // a pass that reads nothing is the loop's fault, not its last statement's
      f_->emit(Op::Pos, {now});
      f_->emit(Op::NeI, {more, start, now});
      f_->emit(Op::Expect, {more, std::string("repeat until end read nothing in one pass")});
      f_->emit(Op::Jmp, {top});
      f_->bind(end);
      return;
    }
    Reg count = f_->var(RegClass::Int);
    move(count, as_int(*s.expr));
    Reg i = s.var.empty() ? f_->var(RegClass::Int) : var_reg(s.var, Type::Int);
    Reg one = f_->var(RegClass::Int), go = f_->var(RegClass::Bool);
    f_->emit(Op::LdK, {i, int64_t{0}});
    f_->emit(Op::LdK, {one, int64_t{1}});
    f_->bind(top);
    f_->emit(Op::LtI, {go, i, count});
    f_->emit(Op::Jf, {go, end});
    loop_body(s.body, end);
    f_->emit(Op::AddI, {i, i, one});
    f_->emit(Op::Jmp, {top});
    f_->bind(end);
  }

  void loop_body(const Block& body, Label end) {
    loops_.push_back(Loop{end, view_depth_});
    block(body);
    loops_.pop_back();
  }

  // Lowers a match (or a table, whose key is already in a register): an int switch through a
  // jump table, or a chain of string comparisons.
  void match(const Expr& subject, const std::vector<MatchArm>& arms, const Reg* key_reg) {
    Type t = key_reg ? Type::Int : subject.type;
    Reg key;
    key = key_reg ? *key_reg : expr(subject);
    if (t == Type::UInt) {
      key = convert(key, Type::UInt, Type::Int);
      t = Type::Int;
    }
    Reg held = f_->var(cls_of(t));
    move(held, key);
    Label end = f_->label();
    std::vector<Label> arm_labels;
    Label def = end;
    for (auto& a : arms) {
      arm_labels.push_back(f_->label());
      if (a.patterns.empty()) def = arm_labels.back();
    }
    if (t == Type::Str || t == Type::Bytes) {
      const bool str = t == Type::Str;
      Reg pat = f_->var(str ? RegClass::Str : RegClass::Bytes);
      Reg hit = f_->var(RegClass::Bool);
      for (size_t i = 0; i < arms.size(); ++i)
        for (auto& p : arms[i].patterns) {
          if (str) f_->emit(Op::LdS, {pat, p->text});
          else f_->emit(Op::LdY, {pat, Bytes{p->text}});
          f_->emit(str ? Op::EqS : Op::EqY, {hit, held, pat});
          f_->emit(Op::Jt, {hit, arm_labels[i]});
        }
      f_->emit(Op::Jmp, {def});
    } else {
      SwitchOperand sw;
      sw.def = def;
      for (size_t i = 0; i < arms.size(); ++i)
        for (auto& p : arms[i].patterns) sw.cases.emplace_back(p->const_int, arm_labels[i]);
      f_->emit(Op::Switch, {held, sw});
    }
    for (size_t i = 0; i < arms.size(); ++i) {
      f_->bind(arm_labels[i]);
      block(arms[i].body);
      f_->emit(Op::Jmp, {end});
    }
    f_->bind(end);
  }

  void write(const Stmt& s) {
    Reg v = expr(*s.expr);
    const std::string& w = s.text;
    if (w == "bytes") return f_->emit(Op::WrBytes, {v});
    if (w == "str") return f_->emit(Op::WrStr, {v});
    bool le = w.size() > 2 && w.substr(w.size() - 2) == "le" ? true
              : w.size() > 2 && w.substr(w.size() - 2) == "be" ? false
                                                                 : item_->little_endian;
    int bits = std::stoi(w.substr(1, w.size() > 3 && (w.back() == 'e') ? w.size() - 3 : std::string::npos));
    if (bits == 64) return f_->emit(le ? Op::WrU64Le : Op::WrU64Be, {convert(v, s.expr->type, Type::UInt)});
    Reg iv = convert(v, s.expr->type, Type::Int);
    switch (bits) {
      case 8: return f_->emit(Op::WrU8, {iv});
      case 16: return f_->emit(le ? Op::WrU16Le : Op::WrU16Be, {iv});
      default: return f_->emit(le ? Op::WrU32Le : Op::WrU32Be, {iv});
    }
  }

  // The name of `#name[index]`: an int index as the number setn.X joins to the name itself,
  // any other as the name's text.
  struct DynamicName {
    Reg reg;
    bool number;
  };
  DynamicName param_name(const Target& t) {
    if (t.index->type == Type::Int) return {as_int(*t.index), true};
    return {joined_name(t, to_str(*t.index)), false};
  }
  Reg joined_name(const Target& t, Reg index_text) {
    Reg base = f_->temp(RegClass::Str), name = f_->temp(RegClass::Str);
    f_->emit(Op::LdS, {base, t.name + "."});
    f_->emit(Op::CatS, {name, base, index_text});
    return name;
  }

  void store(const Target& t, Reg v, Type vt, std::optional<DynamicName> dyn_name) {
    switch (t.kind) {
      case TargetKind::Var: {
        Reg dst = var_reg(t.name, t.type);
        move(dst, convert(v, vt, t.type));
        break;
      }
      case TargetKind::Session: {
        bool is_str = t.type == Type::Str;
        const Op op = t.type == Type::Bytes ? Op::SSetY : is_str ? Op::SSetS : Op::SSetI;
        f_->emit(op, {Raw{"@" + t.name}, is_str || t.type == Type::Bytes ? v : convert(v, vt, Type::Int)});
        break;
      }
      case TargetKind::Param: {
        static constexpr Op kSet[] = {Op::SetI, Op::SetU, Op::SetF, Op::SetB, Op::SetS, Op::SetY};
        static constexpr Op kSetD[] = {Op::SetDI, Op::SetDU, Op::SetDF, Op::SetDB, Op::SetDS, Op::SetDY};
        int k = static_cast<int>(v.cls);
        if (!t.index) {
          f_->emit(kSet[k], {t.name, v});
          break;
        }
        static constexpr Op kSetN[] = {Op::SetNI, Op::SetNU, Op::SetNF, Op::SetNB, Op::SetNS, Op::SetNY};
        const DynamicName name = dyn_name ? *dyn_name : param_name(t);
        if (name.number) {
          f_->emit(kSetN[k], {t.name + ".", name.reg, v});
          break;
        }
        f_->emit(kSetD[k], {name.reg, v});
        break;
      }
    }
  }

  Reg to_str(const Expr& e) {
    Reg v = expr(e);
    if (e.type == Type::Str) return v;
    Reg s = f_->temp(RegClass::Str);
    f_->emit(e.type == Type::UInt ? Op::UToS : Op::IToS, {s, convert(v, e.type, e.type == Type::UInt ? Type::UInt : Type::Int)});
    return s;
  }

  // ---- expressions
  Reg as_int(const Expr& e) { return expr_as(e, Type::Int); }

  // A value in the type an operation needs; a constant is loaded in that type directly rather
  // than loaded and converted at run time.
  Reg expr_as(const Expr& e, Type to) {
    if (e.is_const && e.kind != ExprKind::Str && is_number(e.type) && is_number(to) && e.type != to) {
      Expr c;
      c.kind = ExprKind::Int;
      c.is_const = true;
      c.type = to;
      if (to == Type::Float) c.const_float = e.type == Type::Float ? e.const_float
                                             : e.type == Type::UInt ? static_cast<double>(static_cast<uint64_t>(e.const_int))
                                                                    : static_cast<double>(e.const_int);
      else if (e.type == Type::Float) return convert(expr(e), e.type, to);
      else c.const_int = e.const_int;
      return expr(c);
    }
    return convert(expr(e), e.type, to);
  }
  static bool is_number(Type t) { return t == Type::Int || t == Type::UInt || t == Type::Float; }

  Reg expr(const Expr& e) {
    if (e.is_const && e.kind != ExprKind::Str) {
      switch (e.type) {
        case Type::Int: return int_const(e.const_int);
        case Type::UInt: {
          Reg r = f_->temp(RegClass::UInt);
          f_->emit(Op::LdU, {r, e.const_int});
          return r;
        }
        case Type::Float: {
          Reg r = f_->temp(RegClass::Float);
          f_->emit(Op::LdD, {r, e.const_float});
          return r;
        }
        case Type::Bool: {
          Reg r = f_->temp(RegClass::Bool);
          f_->emit(Op::LdB, {r, int64_t{e.const_int ? 1 : 0}});
          return r;
        }
        default: break;
      }
    }
    switch (e.kind) {
      case ExprKind::Str: {
        Reg r = f_->temp(RegClass::Str);
        f_->emit(Op::LdS, {r, e.text});
        return r;
      }
      case ExprKind::Bytes: {
        Reg r = f_->temp(RegClass::Bytes);
        f_->emit(Op::LdY, {r, Bytes{e.text}});
        return r;
      }
      case ExprKind::Var: return var_reg(e.text, e.type);
      case ExprKind::Param: {
        Reg r = f_->temp(RegClass::Int);
        f_->emit(Op::GetI, {r, e.text});
        return r;
      }
      case ExprKind::Session: {
        Reg r = f_->temp(cls_of(e.type));
        f_->emit(e.type == Type::Str ? Op::SGetS : e.type == Type::Bytes ? Op::SGetY : Op::SGetI, {r, Raw{"@" + e.text}});
        return r;
      }
      case ExprKind::Option: {
        Reg r = f_->temp(cls_of(e.type));
        Op op = e.type == Type::Bool ? Op::OptB : e.type == Type::Str ? Op::OptS : Op::OptI;
        f_->emit(op, {r, Raw{"%" + e.text}});
        return r;
      }
      case ExprKind::Read: return read(e);
      case ExprKind::Call: return call(e);
      case ExprKind::Unary: return unary(e);
      case ExprKind::Binary: return binary(e);
      default: return int_const(e.const_int);
    }
  }

  // A read's size is evaluated before an `at` moves the cursor, so `bytes(pos - 8) at 8`
  // measures from where the cursor was.
  // `X at OFFSET` is one rdat.X where there is one and the offset moves no cursor (an offset
  // that reads would leave the cursor after its own read, where the seek back restores it).
  Reg read(const Expr& e) {
    Reg size;  // the byte count, or the delimiter of a text read
    if (!e.args.empty()) size = e.args[0]->type == Type::Str ? expr(*e.args[0]) : as_int(*e.args[0]);
    const Op op = read_op(e);
    Reg r = f_->temp(cls_of(e.type));
    std::vector<Operand> operands{r};
    if (!e.args.empty()) operands.push_back(size);
    if (e.at && bc::read_at_of(op) != op && keeps_cursor(*e.at)) {
      operands.push_back(as_int(*e.at));
      f_->emit(bc::read_at_of(op), std::move(operands));
      return r;
    }
    Reg saved;
    if (e.at) {
      saved = f_->temp(RegClass::Int);
      f_->emit(Op::Pos, {saved});
      f_->emit(Op::Seek, {as_int(*e.at)});
    }
    f_->emit(op, std::move(operands));
    if (e.at) f_->emit(Op::Seek, {saved});
    return r;
  }

  // Whether evaluating e leaves the cursor where it is: it reads nothing and calls no function.
  bool keeps_cursor(const Expr& e) const {
    if (e.kind == ExprKind::Read || (e.kind == ExprKind::Call && cp_.fns.contains(e.text))) return false;
    for (const ExprPtr& a : e.args)
      if (!keeps_cursor(*a)) return false;
    return !e.at || keeps_cursor(*e.at);
  }

  Op read_op(const Expr& e) const {
    const std::string& n = e.text;
    const bool little = item_->little_endian;
    if (n == "bytes") return Op::RdBytes;
    if (n == "text") return Op::RdStr;
    if (n == "bcd") return Op::RdBcd;
    if (n == "unsigned") return little ? Op::RdUnLe : Op::RdUnBe;
    if (n == "signed") return little ? Op::RdSnLe : Op::RdSnBe;
    if (n == "cstr") return Op::RdCStr;
    if (n == "until") return Op::RdUntil;
    if (n == "field") return Op::RdField;
    if (n == "rest") return Op::RdRest;
    // Fixed reads: u8, i16le, f64be, ...; no suffix means the file's byte order.
    std::string base = n, suffix;
    if (n.size() > 2 && (n.ends_with("le") || n.ends_with("be"))) {
      base = n.substr(0, n.size() - 2);
      suffix = n.substr(n.size() - 2);
    }
    if (base != "u8" && base != "i8") {
      if (suffix.empty()) suffix = little ? "le" : "be";
      base += suffix;
    }
    Op op = Op::RdU8;
    bc::op_from_mnemonic("rd." + base, op);
    return op;
  }

  Reg call(const Expr& e) {
    const std::string& n = e.text;
    if (n == "pos" || n == "size" || n == "remaining") {
      Reg r = f_->temp(RegClass::Int);
      f_->emit(n == "pos" ? Op::Pos : n == "size" ? Op::Size : Op::Remain, {r});
      return r;
    }
    if (n == "now") {
      Reg r = f_->temp(RegClass::Float);
      f_->emit(Op::Now, {r});
      return r;
    }
    auto fn = cp_.fns.find(n);
    if (fn != cp_.fns.end()) return inline_call(*fn->second, e);
    Reg r = f_->temp(cls_of(e.type));
    auto arg = [&](size_t i) { return expr(*e.args[i]); };
    Type a0 = e.args.empty() ? Type::Void : e.args[0]->type;
    if (n == "len") {
      f_->emit(a0 == Type::Str ? Op::LenS : Op::LenY, {r, arg(0)});
    } else if (n == "str") {
      if (a0 == Type::Str) return arg(0);
      Op op = a0 == Type::Int ? Op::IToS : a0 == Type::UInt ? Op::UToS : a0 == Type::Float ? Op::FToS : Op::YToS;
      f_->emit(op, {r, arg(0)});
    } else if (n == "hex") {
      if (a0 == Type::Bytes) f_->emit(Op::HexY, {r, arg(0)});
      else if (e.args.size() == 2) f_->emit(Op::HexW, {r, convert(arg(0), a0, Type::UInt), as_int(*e.args[1])});
      else f_->emit(Op::HexU, {r, convert(arg(0), a0, Type::UInt)});
    } else if (n == "dec") {
      f_->emit(Op::DecW, {r, convert(arg(0), a0, Type::Int), as_int(*e.args[1])});
    } else if (int width = pack_width(n); width != 0) {
      f_->emit(n.starts_with("le") ? Op::PackLe : Op::PackBe, {r, convert(arg(0), a0, Type::Int), int64_t{width}});
    } else if (n == "int" || n == "float") {
      if (a0 == Type::Str) f_->emit(n == "int" ? Op::SToI : Op::SToF, {r, arg(0)});
      else return convert(arg(0), a0, e.type);
    } else if (n == "uint") {
      return convert(arg(0), a0, Type::UInt);
    } else if (n == "slice") {
      f_->emit(a0 == Type::Str ? Op::SliceS : Op::SliceY, {r, arg(0), as_int(*e.args[1]), as_int(*e.args[2])});
    } else if (n == "asbytes") {
      f_->emit(Op::SToY, {r, arg(0)});
    } else if (n == "byte") {
      Reg b = arg(0);
      if (a0 == Type::Str) {
        Reg y = f_->temp(RegClass::Bytes);
        f_->emit(Op::SToY, {y, b});
        b = y;
      }
      f_->emit(Op::ByteY, {r, b, as_int(*e.args[1])});
    } else if ((n == "bit" || n == "bits") && constant_field(e)) {
      // A field at a constant place, in x's own class (an int is not converted): bit is
      // x & (1 << lo) != 0, bits (x >> lo) & mask, the mask keeping only bits lo..lo+width-1, which
      // an arithmetic shift of an int leaves as a logical one would (and a uint shifted by
      // 64 - width has nothing above them).
      const bool u = a0 == Type::UInt;
      const RegClass c = u ? RegClass::UInt : RegClass::Int;
      const int64_t lo = e.args[1]->const_int;
      const auto constant = [&](int64_t k) {
        Reg held = f_->temp(c);
        f_->emit(u ? Op::LdU : Op::LdK, {held, k});
        return held;
      };
      Reg v = arg(0);
      if (n == "bit") {
        Reg masked = f_->temp(c);
        f_->emit(u ? Op::AndU : Op::AndI, {masked, v, constant(int64_t{1} << lo)});
        f_->emit(u ? Op::NeU : Op::NeI, {r, masked, constant(0)});
        return r;
      }
      if (lo != 0) {
        Reg sh = f_->temp(c);
        f_->emit(u ? Op::ShrU : Op::ShrI, {sh, v, int_const(lo)});
        v = sh;
      }
      if (const int64_t width = e.args[2]->const_int; lo + width < 64 || !u) {
        Reg masked = f_->temp(c);
        f_->emit(u ? Op::AndU : Op::AndI, {masked, v, constant((int64_t{1} << width) - 1)});
        v = masked;
      }
      return convert(v, a0, Type::Int);
    } else if (n == "bit" || n == "bits") {
      // (x >> lo) & mask, computed on uint so the shift is logical.
      Reg x = convert(arg(0), a0, Type::UInt);
      Reg sh = f_->temp(RegClass::UInt);
      f_->emit(Op::ShrU, {sh, x, as_int(*e.args[1])});
      Reg width = n == "bit" ? int_const(1) : as_int(*e.args[2]);
      Reg one = f_->temp(RegClass::UInt), mask = f_->temp(RegClass::UInt), m1 = f_->temp(RegClass::UInt);
      f_->emit(Op::LdU, {one, int64_t{1}});
      f_->emit(Op::ShlU, {mask, one, width});
      f_->emit(Op::SubU, {m1, mask, one});
      Reg v = f_->temp(RegClass::UInt);
      f_->emit(Op::AndU, {v, sh, m1});
      if (n == "bits") return convert(v, Type::UInt, Type::Int);
      Reg zero = f_->temp(RegClass::UInt);
      f_->emit(Op::LdU, {zero, int64_t{0}});
      f_->emit(Op::NeU, {r, v, zero});
    } else if (n == "div") {
      bool u = e.type == Type::UInt;
      Type t = u ? Type::UInt : Type::Int;
      f_->emit(u ? Op::DivU : Op::DivI,
               {r, convert(arg(0), a0, t), convert(expr(*e.args[1]), e.args[1]->type, t)});
    } else if (n == "crc") {
      f_->emit(Op::Crc, {r, arg(1), Raw{e.args[0]->text}});
    } else if (n == "find") {
      f_->emit(Op::FindS, {r, arg(0), arg(1)});
    } else if (n == "trim" || n == "lower") {
      f_->emit(n == "trim" ? Op::TrimS : Op::LowerS, {r, arg(0)});
    } else if (n == "replace") {
      f_->emit(Op::ReplS, {r, arg(0), arg(1), arg(2)});
    } else if (n == "hexint") {
      f_->emit(Op::SToUHex, {r, arg(0)});
    } else if (n == "regex") {
      f_->emit(Op::ReMatch, {r, arg(0), e.args[1]->text});
    } else if (n == "group") {
      f_->emit(Op::ReGroup, {r, as_int(*e.args[0])});
    } else if (n == "unescape" || n == "escape") {
      const Expr& table = *e.args[1];  // a named table, or the delimiter of a framing
      const bool named = table.kind == ExprKind::Name && cp_.escape_tables.count(table.text) != 0;
      if (named) used_escapes_.insert(table.text);
      f_->emit(n == "unescape" ? Op::Unescape : Op::Escape,
               {r, arg(0), Raw{named ? table.text : std::to_string(table.const_int)}});
    } else if (n == "written") {
      f_->emit(Op::OutTail, {r, as_int(*e.args[0])});
    }
    return r;
  }

  // bit(x, lo) or bits(x, lo, width) with constants naming bits inside the 64 (width under 64,
  // so that the mask is a positive int).
  static bool constant_field(const Expr& e) {
    const Expr& lo = *e.args[1];
    if (!lo.is_const || lo.const_int < 0 || lo.const_int > 63) return false;
    if (e.text == "bit") return true;
    const Expr& width = *e.args[2];
    return width.is_const && width.const_int >= 1 && width.const_int <= 63 &&
           lo.const_int + width.const_int <= 64;
  }

  Reg inline_call(const Item& fn, const Expr& e) {
    // Arguments are evaluated in the caller's scope into the callee's parameter registers.
    std::map<std::string, Reg> callee;
    std::vector<Reg> args;
    for (size_t i = 0; i < fn.params.size() && i < e.args.size(); ++i) {
      Reg v = expr(*e.args[i]);
      Reg p = f_->var(cls_of(fn.params[i].type));
      move(p, convert(v, e.args[i]->type, fn.params[i].type));
      callee[fn.params[i].name] = p;
      args.push_back(p);
    }
    Inline in;
    in.end = f_->label();
    in.view_depth = view_depth_;
    Type result = fn.kind == ItemKind::Table ? Type::Void : fn.type;
    if (result != Type::Void) {
      in.result = f_->var(cls_of(result));
      in.has_result = true;
    }
    scopes_.push_back(std::move(callee));
    inlines_.push_back(in);
    result_types_.push_back(result);
    calls_.push_back({item_->file, e.pos});
    const Item* saved_item = item_;
    item_ = &fn;
    if (fn.kind == ItemKind::Table) {
      Reg key = args.empty() ? int_const(0) : convert(args[0], fn.params[0].type, Type::Int);
      Expr dummy;
      dummy.kind = ExprKind::Int;
      match(dummy, fn.arms, &key);
    } else {
      block(fn.body);
    }
    item_ = saved_item;
    calls_.pop_back();
    result_types_.pop_back();
    inlines_.pop_back();
    scopes_.pop_back();
    f_->bind(in.end);
    if (!locs_.empty()) f_->loc(locs_.back());
    return in.result;  // a void call's value is never used (the checker sees to it)
  }

  Reg unary(const Expr& e) {
    Reg a = expr(*e.args[0]);
    Reg r = f_->temp(cls_of(e.type));
    if (e.text == "!") f_->emit(Op::NotB, {r, a});
    else if (e.text == "-") f_->emit(e.type == Type::Float ? Op::NegF : Op::NegI, {r, a});
    else f_->emit(e.type == Type::UInt ? Op::NotU : Op::NotI, {r, a});
    return r;
  }

  Reg binary(const Expr& e) {
    const std::string& op = e.text;
    const Expr &a = *e.args[0], &b = *e.args[1];
    if (op == "&&" || op == "||") {
      Reg r = f_->temp(RegClass::Bool);
      Label done = f_->label();
      move(r, expr(a));
      f_->emit(op == "&&" ? Op::Jf : Op::Jt, {r, done});
      move(r, expr(b));
      f_->bind(done);
      return r;
    }
    bool cmp = op == "==" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=";
    Type operand = e.type;
    if (cmp) {
      operand = a.type == Type::Float || b.type == Type::Float ? Type::Float
                : a.type == Type::UInt && b.type == Type::UInt  ? Type::UInt
                : (a.type == Type::Int || a.type == Type::UInt) ? Type::Int
                                                                : a.type;
    } else if (op == "/") {
      operand = Type::Float;
    }
    // An int and a uint compare by value: as uints, then corrected when the int is negative.
    const bool mixed = cmp && operand == Type::Int && a.type != b.type;
    if (mixed) operand = Type::UInt;
    // Each side in the operand type; `raw` keeps a side as it was for the sign test below.
    auto side = [&](const Expr& s, Reg& raw) {
      if (s.is_const && is_number(s.type) && is_number(operand) && !(mixed && s.type == Type::Int && s.const_int < 0))
        return expr_as(s, operand);
      raw = expr(s);
      return convert(raw, s.type, operand);
    };
    Reg xa, yb;
    Reg x = side(a, xa);
    Reg y = (op == "<<" || op == ">>") ? (yb = as_int(b)) : side(b, yb);
    Reg r = f_->temp(cls_of(e.type));
    int k = operand == Type::UInt ? 1 : operand == Type::Float ? 2 : 0;
    if (cmp) {
      if (operand == Type::Str || operand == Type::Bytes || operand == Type::Bool) {
        bool s = operand == Type::Str, by = operand == Type::Bytes;
        Op eq = s ? Op::EqS : by ? Op::EqY : Op::EqB, ne = s ? Op::NeS : by ? Op::NeY : Op::NeB;
        f_->emit(op == "==" ? eq : ne, {r, x, y});
        return r;
      }
      static constexpr Op kEq[] = {Op::EqI, Op::EqU, Op::EqF}, kNe[] = {Op::NeI, Op::NeU, Op::NeF};
      static constexpr Op kLt[] = {Op::LtI, Op::LtU, Op::LtF}, kLe[] = {Op::LeI, Op::LeU, Op::LeF};
      if (op == "==") f_->emit(kEq[k], {r, x, y});
      else if (op == "!=") f_->emit(kNe[k], {r, x, y});
      else if (op == "<") f_->emit(kLt[k], {r, x, y});
      else if (op == "<=") f_->emit(kLe[k], {r, x, y});
      else if (op == ">") f_->emit(kLt[k], {r, y, x});
      else f_->emit(kLe[k], {r, y, x});
      const bool int_left = a.type == Type::Int;
      const Expr& int_side = int_left ? a : b;
      if (mixed && !(int_side.is_const && int_side.const_int >= 0)) {
        // A negative int is below every uint.
        const bool when_negative = op == "!=" || op[0] == (int_left ? '<' : '>');
        Reg negative = f_->temp(RegClass::Bool);
        Label done = f_->label();
        f_->emit(Op::LtI, {negative, int_left ? xa : yb, int_const(0)});
        f_->emit(Op::Jf, {negative, done});
        f_->emit(Op::LdB, {r, int64_t{when_negative ? 1 : 0}});
        f_->bind(done);
      }
      return r;
    }
    if (op == "+" && (e.type == Type::Str || e.type == Type::Bytes)) {
      f_->emit(e.type == Type::Str ? Op::CatS : Op::CatY, {r, x, y});
      return r;
    }
    static const std::map<std::string, std::array<Op, 3>> kArith = {
        {"+", {Op::AddI, Op::AddU, Op::AddF}}, {"-", {Op::SubI, Op::SubU, Op::SubF}},
        {"*", {Op::MulI, Op::MulU, Op::MulF}}, {"/", {Op::DivF, Op::DivF, Op::DivF}},
        {"%", {Op::ModI, Op::ModU, Op::ModI}}, {"&", {Op::AndI, Op::AndU, Op::AndI}},
        {"|", {Op::OrI, Op::OrU, Op::OrI}},    {"^", {Op::XorI, Op::XorU, Op::XorI}},
        {"<<", {Op::ShlI, Op::ShlU, Op::ShlI}}, {">>", {Op::ShrI, Op::ShrU, Op::ShrI}}};
    f_->emit(kArith.at(op)[k], {r, x, y});
    return r;
  }

  struct Call {  // a call being inlined: the caller's file and the call's position
    std::string file;
    SourcePos pos;
  };

  const CheckedProgram& cp_;
  std::set<std::string> used_escapes_;  // escape tables unescape() and escape() name
  std::string source_;
  const std::map<std::string, std::string>& file_names_;
  std::vector<Call> calls_;  // innermost last
  FunctionBuilder* f_ = nullptr;
  const Item* item_ = nullptr;
  bool framing_ = false;
  int view_depth_ = 0;
  std::vector<std::map<std::string, Reg>> scopes_;
  std::vector<Inline> inlines_;
  std::vector<Loop> loops_;
  std::vector<std::string> locs_;  // the .loc of each statement being lowered, innermost last
  std::vector<Type> result_types_;
};

}  // namespace

std::string lower(const Program& program, const CheckedProgram& checked, const std::string& source_name,
                  const std::map<std::string, std::string>& file_names) {
  (void)program;
  return Lowerer(checked, source_name, file_names).run();
}

}  // namespace pvm::compiler
