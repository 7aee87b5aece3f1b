// Fewer, larger instructions for the interpreter to dispatch: a compare whose result only a jt or
// jf reads becomes one compare-and-jump; a register that holds a known int constant becomes the
// constant operand of an arithmetic instruction or a compare-and-jump (add.k, and.k, jlt.k, ...);
// a loop's jump back to its test becomes the test itself (per pass of `repeat`: add.k and jlt.i
// where there were add.i, jmp, lt.i, jf); a value read or scaled straight into a parameter is one
// instruction (rdset.*, setdiv.*), as is the latch of a `repeat` loop (loop.i, loop.k where there
// were add.k and jlt.i or jlt.k), and so is an unsigned read of a width known at run time into an
// int (rd.unbe.i).
#include <optional>

#include "lower/flow.h"
#include "lower/optimize.h"

namespace pvm::compiler::code {

namespace {

struct Fused {
  Op compare;
  Op when_true;   // the jump a jt after the compare becomes
  Op when_false;  // the jump a jf after it becomes
};
constexpr Fused kFused[] = {
    {Op::EqI, Op::JeqI, Op::JneI},
    {Op::NeI, Op::JneI, Op::JeqI},
    {Op::LtI, Op::JltI, Op::JgeI},
    {Op::LeI, Op::JleI, Op::JgtI},
};

// The jump taken exactly when `op` is not: a jump's negation.
Op negated(Op op) {
  switch (op) {
    case Op::Jt:
      return Op::Jf;
    case Op::Jf:
      return Op::Jt;
    case Op::JeqI:
      return Op::JneI;
    case Op::JneI:
      return Op::JeqI;
    case Op::JltI:
      return Op::JgeI;
    case Op::JgeI:
      return Op::JltI;
    case Op::JleI:
      return Op::JgtI;
    case Op::JgtI:
      return Op::JleI;
    case Op::JeqK:
      return Op::JneK;
    case Op::JneK:
      return Op::JeqK;
    case Op::JltK:
      return Op::JgeK;
    case Op::JgeK:
      return Op::JltK;
    case Op::JleK:
      return Op::JgtK;
    default:
      return Op::JleK;  // JgtK
  }
}

// The same test with its two operands swapped (a < b is b > a).
Op mirrored(Op op) {
  switch (op) {
    case Op::JltI:
      return Op::JgtI;
    case Op::JgtI:
      return Op::JltI;
    case Op::JleI:
      return Op::JgeI;
    case Op::JgeI:
      return Op::JleI;
    default:
      return op;  // == and != read the same either way
  }
}

// The compare-with-a-constant form of a compare-and-jump over two registers.
Op with_constant(Op op) {
  return static_cast<Op>(static_cast<int>(Op::JeqK) + (static_cast<int>(op) - static_cast<int>(Op::JeqI)));
}
static_assert(static_cast<int>(Op::JgtK) - static_cast<int>(Op::JeqK) ==
                  static_cast<int>(Op::JgtI) - static_cast<int>(Op::JeqI),
              "opcodes.def lists the .k jumps in the order of the register ones");

// The form of an int operation that takes its right operand as a constant, or op itself.
Op with_constant_operand(Op op) {
  switch (op) {
    case Op::MulI:
      return Op::MulK;
    case Op::DivI:
      return Op::DivK;
    case Op::ModI:
      return Op::ModK;
    case Op::AndI:
      return Op::AndK;
    case Op::ShrI:
      return Op::ShrK;
    default:
      return op;
  }
}

bool register_jump(Op op) {
  return op >= Op::JeqI && op <= Op::JgtI;
}

// The int constant each register holds wherever it is read, if it has one: every write of it is
// an ldk of one value and one of them runs on every path to the read (so no read sees the zero
// registers start with). Forward over the blocks: a register counts as written at a block's
// entry when it is written on every path into it.
class Constants {
 public:
  Constants(const Function& f, const Flow& flow) : flow_(flow), value_(f.regs.size()) {
    std::vector<bool> other(f.regs.size(), false);
    for (const auto& p : f.params) other[p.second.id] = true;
    for (const Line& ln : f.lines) {
      if (ln.kind != Line::Instr) continue;
      const Reg* w = written(ln);
      if (w == nullptr) continue;
      const int64_t* k = ln.op == Op::LdK ? std::get_if<int64_t>(&ln.ops[1]) : nullptr;
      if (k == nullptr || (value_[w->id] && *value_[w->id] != *k)) other[w->id] = true;
      if (k != nullptr) value_[w->id] = *k;
    }
    for (size_t r = 0; r < other.size(); ++r)
      if (other[r]) value_[r].reset();

    const size_t nb = flow.blocks.size();
    std::vector<std::vector<uint32_t>> preds(nb);
    for (uint32_t b = 0; b < nb; ++b)
      for (uint32_t s : flow.blocks[b].succ) preds[s].push_back(b);
    in_.assign(nb, Bits(f.regs.size()));
    std::vector<Bits> out(nb, Bits(f.regs.size()));
    for (uint32_t b = 1; b < nb; ++b) in_[b].fill();
    for (Bits& o : out) o.fill();
    for (bool changed = true; changed;) {
      changed = false;
      for (uint32_t b = 0; b < nb; ++b) {
        Bits now = in_[b];
        if (b > 0)
          for (uint32_t p : preds[b]) now.intersect(out[p]);
        if (b > 0 && preds[b].empty()) now = Bits(f.regs.size());  // unreachable: nothing known
        in_[b] = now;
        for (uint32_t i : flow.blocks[b].instrs)
          if (const Reg* w = written(f.lines[i]); w != nullptr && value_[w->id]) now.add(w->id);
        if (!(now == out[b])) {
          out[b] = now;
          changed = true;
        }
      }
    }
  }

  // Walks block b's instructions in order; f(line index, known) where known(reg) is the constant
  // the register holds before that instruction, if any.
  template <typename F>
  void walk(const Function& fn, uint32_t b, F&& f) const {
    Bits now = in_[b];
    for (uint32_t i : flow_.blocks[b].instrs) {
      const auto known = [&](const Reg& r) -> std::optional<int64_t> {
        if (r.cls == RegClass::Int && value_[r.id] && now.has(r.id)) return value_[r.id];
        return std::nullopt;
      };
      f(i, known);
      if (const Reg* w = written(fn.lines[i]); w != nullptr && value_[w->id]) now.add(w->id);
    }
  }

 private:
  const Flow& flow_;
  std::vector<std::optional<int64_t>> value_;
  std::vector<Bits> in_;
};

// How often each register is read: a register read once, by the next instruction, is a
// temporary nothing else needs.
std::vector<uint32_t> read_counts(const Function& f) {
  std::vector<uint32_t> reads(f.regs.size(), 0);
  for (const Line& ln : f.lines)
    if (ln.kind == Line::Instr) for_each_read(ln, [&](const Reg& r) { ++reads[r.id]; });
  return reads;
}

// Lines that stand for other lines, and labels placed after lines, applied at once.
struct LineEdits {
  explicit LineEdits(Function& fn) : f(fn), replace(fn.lines.size()), new_label(fn.lines.size(), kNoLine) {}

  // The instruction line after line i, or kNoLine.
  uint32_t next_instr(uint32_t i) const {
    for (uint32_t k = i + 1; k < f.lines.size(); ++k)
      if (f.lines[k].kind == Line::Instr) return k;
    return kNoLine;
  }
  // A label for the instruction after line i: one already there, or a new one placed after i.
  uint32_t label_after(uint32_t i) {
    for (uint32_t k = i + 1; k < f.lines.size() && f.lines[k].kind != Line::Instr; ++k)
      if (f.lines[k].kind == Line::LabelDef) return f.lines[k].label;
    if (new_label[i] == kNoLine) new_label[i] = f.labels++;
    return new_label[i];
  }
  // False when there was nothing to do.
  bool apply() {
    bool any = false;
    for (const auto& r : replace) any = any || !r.empty();
    if (!any) return false;
    std::vector<Line> out;
    out.reserve(f.lines.size());
    for (uint32_t i = 0; i < f.lines.size(); ++i) {
      if (replace[i].empty()) out.push_back(std::move(f.lines[i]));
      for (Line& l : replace[i]) out.push_back(std::move(l));
      if (new_label[i] != kNoLine) {
        Line def{};
        def.kind = Line::LabelDef;
        def.label = new_label[i];
        out.push_back(std::move(def));
      }
    }
    f.lines = std::move(out);
    return true;
  }

  Function& f;
  std::vector<std::vector<Line>> replace;  // when not empty, these lines stand for the line
  std::vector<uint32_t> new_label;         // a label to place after the line
};

}  // namespace

bool fuse_compares(Function& f) {
  const Flow flow(f);
  const Liveness live(f, flow);
  std::vector<bool> gone(f.lines.size(), false);
  bool any = false;
  for (uint32_t b = 0; b < flow.blocks.size(); ++b) {
    const auto& instrs = flow.blocks[b].instrs;
    if (instrs.size() < 2) continue;
    Line& jump = f.lines[instrs.back()];
    const Line& compare = f.lines[instrs[instrs.size() - 2]];
    if (jump.op != Op::Jt && jump.op != Op::Jf) continue;
    const uint32_t flag = std::get<Reg>(jump.ops[0]).id;
    if (live.out_has(b, flag) || written(compare) == nullptr || written(compare)->id != flag) continue;
    for (const Fused& fu : kFused) {
      if (compare.op != fu.compare) continue;
      jump.op = jump.op == Op::Jt ? fu.when_true : fu.when_false;
      jump.ops = {compare.ops[1], compare.ops[2], jump.ops[1]};
      gone[instrs[instrs.size() - 2]] = any = true;
      break;
    }
  }
  if (any) erase_lines(f, gone);
  return any;
}

bool use_immediates(Function& f) {
  const Flow flow(f);
  const Constants constants(f, flow);
  bool any = false;
  for (uint32_t b = 0; b < flow.blocks.size(); ++b)
    constants.walk(f, b, [&](uint32_t i, const auto& known) {
      Line& ln = f.lines[i];
      if (ln.op == Op::AddI || ln.op == Op::SubI) {
        const Reg& x = std::get<Reg>(ln.ops[1]);
        const Reg& y = std::get<Reg>(ln.ops[2]);
        if (const auto k = known(y)) {
          // Two's complement: b - K is b + (0 - K), wrapping alike.
          const uint64_t bits = static_cast<uint64_t>(*k);
          ln.ops = {ln.ops[0], x, static_cast<int64_t>(ln.op == Op::SubI ? 0 - bits : bits)};
          ln.op = Op::AddK;
          any = true;
        } else if (const auto kx = known(x); kx && ln.op == Op::AddI) {
          ln.ops = {ln.ops[0], y, *kx};
          ln.op = Op::AddK;
          any = true;
        }
      } else if (const Op k = with_constant_operand(ln.op); k != ln.op) {
        const Reg& x = std::get<Reg>(ln.ops[1]);
        const Reg& y = std::get<Reg>(ln.ops[2]);
        const bool commutes = ln.op == Op::MulI || ln.op == Op::AndI;
        if (const auto c = known(y)) {
          ln.ops = {ln.ops[0], x, *c};
          ln.op = k;
          any = true;
        } else if (const auto cx = known(x); cx && commutes) {
          ln.ops = {ln.ops[0], y, *cx};
          ln.op = k;
          any = true;
        }
      } else if (register_jump(ln.op)) {
        const Reg& x = std::get<Reg>(ln.ops[0]);
        const Reg& y = std::get<Reg>(ln.ops[1]);
        if (const auto k = known(y)) {
          ln.ops = {x, *k, ln.ops[2]};
          ln.op = with_constant(ln.op);
          any = true;
        } else if (const auto kx = known(x)) {
          ln.ops = {y, *kx, ln.ops[2]};
          ln.op = with_constant(mirrored(ln.op));
          any = true;
        }
      }
    });
  return any;
}

bool rotate_loops(Function& f) {
  const std::vector<uint32_t> at = label_targets(f);
  LineEdits edits(f);
  for (uint32_t i = 0; i < f.lines.size(); ++i) {
    const Line& jmp = f.lines[i];
    if (jmp.kind != Line::Instr || jmp.op != Op::Jmp) continue;
    const uint32_t t = at[std::get<Label>(jmp.ops[0]).id];
    // A test before the jump that falls through to an instruction.
    if (t == kNoLine || t >= i || !bc::is_branch(f.lines[t].op) || edits.next_instr(t) == kNoLine) continue;
    Line back = f.lines[t];
    back.op = negated(back.op);
    back.ops.back() = Label{edits.label_after(t)};
    Line exit = jmp;
    exit.ops = {f.lines[t].ops.back()};
    edits.replace[i] = {std::move(back), std::move(exit)};
  }
  return edits.apply();
}

bool copy_loop_tails(Function& f) {
  const std::vector<uint32_t> at = label_targets(f);
  LineEdits edits(f);
  // The .loc in force at line i, if any.
  const auto loc_at = [&](uint32_t i) -> const Line* {
    for (uint32_t k = i + 1; k-- > 0;)
      if (f.lines[k].kind == Line::Loc) return &f.lines[k];
    return nullptr;
  };
  for (uint32_t i = 0; i < f.lines.size(); ++i) {
    const Line& jmp = f.lines[i];
    if (jmp.kind != Line::Instr || jmp.op != Op::Jmp) continue;
    const uint32_t a = at[std::get<Label>(jmp.ops[0]).id];
    if (a == kNoLine || a <= i) continue;
    const uint32_t b = bc::is_branch(f.lines[a].op) ? a
                       : is_pure(f.lines[a].op)     ? edits.next_instr(a)
                                                    : kNoLine;
    if (b == kNoLine || !bc::is_branch(f.lines[b].op)) continue;
    const uint32_t back = at[std::get<Label>(f.lines[b].ops.back()).id];
    if (back == kNoLine || back > a || edits.next_instr(b) == kNoLine) continue;
    // Lines a..b under their .loc, then the jump to where b falls through under the .loc that
    // held at the jmp again: every instruction keeps its source position.
    std::vector<Line>& out = edits.replace[i];
    if (const Line* loc = loc_at(a)) out.push_back(*loc);
    for (uint32_t k = a; k <= b; ++k)
      if (f.lines[k].kind != Line::LabelDef) out.push_back(f.lines[k]);
    if (const Line* loc = loc_at(i)) out.push_back(*loc);
    Line exit = jmp;
    exit.ops = {Label{edits.label_after(b)}};
    out.push_back(std::move(exit));
  }
  return edits.apply();
}

bool fuse_sets(Function& f) {
  const std::vector<uint32_t> reads = read_counts(f);
  const auto sets = [](const Line& ln, Op set, const Reg& value) {
    return ln.kind == Line::Instr && ln.op == set && std::get<Reg>(ln.ops[1]) == value;
  };
  std::vector<bool> gone(f.lines.size(), false);
  bool any = false;
  // Only instructions that follow each other with no label or .loc between them: nothing jumps
  // into the sequence, and an error in any part of it has the same source position.
  for (size_t i = 0; i + 1 < f.lines.size(); ++i) {
    Line& ln = f.lines[i];
    if (ln.kind != Line::Instr) continue;
    if (bc::is_fixed_read(ln.op)) {
      const Op fused = bc::read_set_of(ln.op);
      const Reg value = std::get<Reg>(ln.ops[0]);
      Line& set = f.lines[i + 1];
      if (!sets(set, bc::set_of(fused), value)) continue;
      ln.op = fused;
      ln.ops = {value, set.ops[0]};
      gone[i + 1] = any = true;
      ++i;
    } else if (ln.op == Op::I2F || ln.op == Op::U2F) {
      // i2f t, x; div.f q, t, d; set.f S, q with t and q read nowhere else; the load of a
      // constant divisor may stand between the first two.
      const Reg t = std::get<Reg>(ln.ops[0]);
      size_t k = i + 1;
      const bool load = k < f.lines.size() && f.lines[k].kind == Line::Instr && f.lines[k].op == Op::LdD &&
                        !(std::get<Reg>(f.lines[k].ops[0]) == t);
      k += load ? 1 : 0;
      if (k + 1 >= f.lines.size()) continue;
      const Line& div = f.lines[k];
      if (div.kind != Line::Instr || div.op != Op::DivF || !(std::get<Reg>(div.ops[1]) == t) ||
          reads[t.id] != 1)
        continue;
      const Reg q = std::get<Reg>(div.ops[0]);
      if (!sets(f.lines[k + 1], Op::SetF, q) || reads[q.id] != 1) continue;
      // The setdiv takes the divide's place, after the load if there is one.
      Operand divisor = div.ops[2];
      Line& fused = f.lines[k];
      fused.ops = {f.lines[k + 1].ops[0], ln.ops[1], std::move(divisor)};
      fused.op = ln.op == Op::I2F ? Op::SetDivI : Op::SetDivU;
      gone[i] = gone[k + 1] = any = true;
      i = k + 1;
    }
  }
  if (any) erase_lines(f, gone);
  return any;
}

bool fuse_unsigned_reads(Function& f) {
  const std::vector<uint32_t> reads = read_counts(f);
  std::vector<bool> gone(f.lines.size(), false);
  bool any = false;
  // As in fuse_sets, only two instructions with no label or .loc between them.
  for (size_t i = 0; i + 1 < f.lines.size(); ++i) {
    Line& read = f.lines[i];
    const Line& convert = f.lines[i + 1];
    if (read.kind != Line::Instr || (read.op != Op::RdUnBe && read.op != Op::RdUnLe) ||
        convert.kind != Line::Instr || convert.op != Op::U2I)
      continue;
    const Reg t = std::get<Reg>(read.ops[0]);
    if (!(std::get<Reg>(convert.ops[1]) == t) || reads[t.id] != 1) continue;
    read.op = read.op == Op::RdUnBe ? Op::RdUnBeI : Op::RdUnLeI;
    read.ops[0] = convert.ops[0];
    gone[i + 1] = any = true;
    ++i;
  }
  if (any) erase_lines(f, gone);
  return any;
}

bool fuse_loops(Function& f) {
  std::vector<bool> gone(f.lines.size(), false);
  bool any = false;
  // As in fuse_sets, only an add.k and a jump with no label or .loc between them.
  for (size_t i = 0; i + 1 < f.lines.size(); ++i) {
    const Line& add = f.lines[i];
    Line& jump = f.lines[i + 1];
    if (add.kind != Line::Instr || add.op != Op::AddK || jump.kind != Line::Instr ||
        (jump.op != Op::JltI && jump.op != Op::JltK))
      continue;
    const Reg a = std::get<Reg>(add.ops[0]);
    if (!(std::get<Reg>(add.ops[1]) == a) || std::get<int64_t>(add.ops[2]) != 1 ||
        !(std::get<Reg>(jump.ops[0]) == a))
      continue;
    jump.op = jump.op == Op::JltI ? Op::LoopI : Op::LoopK;
    gone[i] = any = true;
    ++i;
  }
  if (any) erase_lines(f, gone);
  return any;
}

}  // namespace pvm::compiler::code
