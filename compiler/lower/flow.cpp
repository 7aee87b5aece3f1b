#include "lower/flow.h"

#include <algorithm>

namespace pvm::compiler::code {

namespace {

bool ends_block(Op op) {
  return bc::is_terminator(op) || bc::is_branch(op) || op == Op::Switch;
}

}  // namespace

Flow::Flow(const Function& f) {
  block_of_label.assign(f.labels, UINT32_MAX);
  std::vector<uint32_t> pending;  // labels naming the next instruction
  bool open = false;              // the last block can take more instructions
  for (uint32_t i = 0; i < f.lines.size(); ++i) {
    const Line& ln = f.lines[i];
    if (ln.kind == Line::LabelDef) {
      pending.push_back(ln.label);
      open = false;
    } else if (ln.kind == Line::Instr) {
      if (!open) {
        blocks.emplace_back();
        for (uint32_t l : pending) block_of_label[l] = static_cast<uint32_t>(blocks.size() - 1);
        pending.clear();
        open = true;
      }
      blocks.back().instrs.push_back(i);
      if (ends_block(ln.op)) open = false;
    }
  }
  for (uint32_t b = 0; b < blocks.size(); ++b) {
    const Line& last = f.lines[blocks[b].instrs.back()];
    std::vector<uint32_t>& succ = blocks[b].succ;
    for (const Operand& o : last.ops) {
      if (const Label* l = std::get_if<Label>(&o)) succ.push_back(block_of_label[l->id]);
      if (const SwitchOperand* sw = std::get_if<SwitchOperand>(&o)) {
        for (const auto& c : sw->cases) succ.push_back(block_of_label[c.second.id]);
        succ.push_back(block_of_label[sw->def.id]);
      }
    }
    if (!bc::is_terminator(last.op) && b + 1 < blocks.size()) succ.push_back(b + 1);
    std::sort(succ.begin(), succ.end());
    succ.erase(std::unique(succ.begin(), succ.end()), succ.end());
  }
}

std::vector<uint32_t> label_targets(const Function& f) {
  std::vector<uint32_t> at(f.labels, kNoLine);
  uint32_t next = kNoLine;
  for (size_t i = f.lines.size(); i-- > 0;) {
    const Line& ln = f.lines[i];
    if (ln.kind == Line::Instr)
      next = static_cast<uint32_t>(i);
    else if (ln.kind == Line::LabelDef)
      at[ln.label] = next;
  }
  return at;
}

std::vector<bool> Flow::reachable() const {
  std::vector<bool> seen(blocks.size(), false);
  std::vector<uint32_t> work;
  if (!blocks.empty()) {
    seen[0] = true;
    work.push_back(0);
  }
  while (!work.empty()) {
    const uint32_t b = work.back();
    work.pop_back();
    for (uint32_t s : blocks[b].succ)
      if (!seen[s]) {
        seen[s] = true;
        work.push_back(s);
      }
  }
  return seen;
}

Liveness::Liveness(const Function& f, const Flow& flow) : dense_(f.regs.size(), kNone) {
  const size_t n = flow.blocks.size();
  // The registers each block reads before writing them, found with the block that last wrote
  // or read each register, instead of sets of every register.
  std::vector<uint32_t> written_in(f.regs.size(), kNone), read_in(f.regs.size(), kNone);
  std::vector<std::vector<uint32_t>> exposed(n);
  for (uint32_t b = 0; b < n; ++b)
    for (uint32_t i : flow.blocks[b].instrs) {
      const Line& ln = f.lines[i];
      for_each_read(ln, [&](const Reg& r) {
        if (written_in[r.id] == b || read_in[r.id] == b) return;
        read_in[r.id] = b;
        exposed[b].push_back(r.id);
        if (dense_[r.id] == kNone) {
          dense_[r.id] = static_cast<uint32_t>(regs_.size());
          regs_.push_back(r.id);
        }
      });
      if (const Reg* w = written(ln)) written_in[w->id] = b;
    }
  const size_t g = regs_.size();
  std::vector<Bits> use(n, Bits(g)), def(n, Bits(g));
  for (uint32_t b = 0; b < n; ++b) {
    for (uint32_t r : exposed[b]) use[b].add(dense_[r]);
    for (uint32_t i : flow.blocks[b].instrs)
      if (const Reg* w = written(f.lines[i]); w != nullptr && dense_[w->id] != kNone)
        def[b].add(dense_[w->id]);
  }
  in_.assign(n, Bits(g));
  out_.assign(n, Bits(g));
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t b = n; b-- > 0;) {
      for (uint32_t s : flow.blocks[b].succ) out_[b].unite(in_[s]);
      if (in_[b].assign_live(use[b], out_[b], def[b])) changed = true;
    }
  }
}

void erase_lines(Function& f, const std::vector<bool>& gone) {
  size_t to = 0;
  for (size_t i = 0; i < f.lines.size(); ++i)
    if (!gone[i]) {
      if (to != i) f.lines[to] = std::move(f.lines[i]);
      ++to;
    }
  f.lines.resize(to);
}

bool is_pure(Op op) {
  switch (op) {
    case Op::LdK:
    case Op::LdU:
    case Op::LdD:
    case Op::LdB:
    case Op::LdS:
    case Op::LdY:
    case Op::MovI:
    case Op::MovU:
    case Op::MovF:
    case Op::MovB:
    case Op::MovS:
    case Op::MovY:
    case Op::AddI:
    case Op::SubI:
    case Op::MulI:
    case Op::NegI:
    case Op::AndI:
    case Op::OrI:
    case Op::XorI:
    case Op::NotI:
    case Op::ShlI:
    case Op::ShrI:
    case Op::AddK:
    case Op::MulK:
    case Op::AndK:
    case Op::ShrK:
    case Op::AddU:
    case Op::SubU:
    case Op::MulU:
    case Op::AndU:
    case Op::OrU:
    case Op::XorU:
    case Op::NotU:
    case Op::ShlU:
    case Op::ShrU:
    case Op::AddF:
    case Op::SubF:
    case Op::MulF:
    case Op::DivF:
    case Op::NegF:
    case Op::I2F:
    case Op::U2F:
    case Op::I2U:
    case Op::U2I:
    case Op::F2I:
    case Op::B2I:
    case Op::EqI:
    case Op::NeI:
    case Op::LtI:
    case Op::LeI:
    case Op::EqU:
    case Op::NeU:
    case Op::LtU:
    case Op::LeU:
    case Op::EqF:
    case Op::NeF:
    case Op::LtF:
    case Op::LeF:
    case Op::EqB:
    case Op::NeB:
    case Op::NotB:
    case Op::EqS:
    case Op::NeS:
    case Op::EqY:
    case Op::NeY:
    case Op::Pos:
    case Op::Size:
    case Op::Remain:
    case Op::LenS:
    case Op::LenY:
    case Op::SliceS:
    case Op::SliceY:
    case Op::YToS:
    case Op::SToY:
    case Op::GetI:
    case Op::Has:
    case Op::SGetI:
    case Op::Now:
    case Op::OptI:
    case Op::OptB:
    case Op::OptS:
    case Op::OutLen:
      return true;
    default:
      return false;
  }
}

}  // namespace pvm::compiler::code
