#include "lower/optimize.h"

#include "lower/flow.h"

namespace pvm::compiler::code {

bool drop_unreachable(Function& f) {
  const Flow flow(f);
  const std::vector<bool> seen = flow.reachable();
  std::vector<bool> gone(f.lines.size(), false);
  bool any = false;
  for (size_t b = 0; b < flow.blocks.size(); ++b)
    if (!seen[b])
      for (uint32_t i : flow.blocks[b].instrs) gone[i] = any = true;
  if (any) erase_lines(f, gone);
  return any;
}

bool thread_jumps(Function& f) {
  const std::vector<uint32_t> at = label_targets(f);
  // A label naming `jmp L2` stands for L2 (a chain of them is followed a bounded number of steps).
  const auto final_label = [&](uint32_t l) {
    for (int step = 0; step < 16; ++step) {
      const uint32_t i = at[l];
      if (i == kNoLine || f.lines[i].op != Op::Jmp) break;
      const uint32_t next = std::get<Label>(f.lines[i].ops[0]).id;
      if (next == l) break;
      l = next;
    }
    return l;
  };
  bool changed = false;
  const auto retarget = [&](Label& l) {
    const uint32_t to = final_label(l.id);
    changed = changed || to != l.id;
    l.id = to;
  };
  for (Line& ln : f.lines) {
    if (ln.kind != Line::Instr) continue;
    for (Operand& o : ln.ops) {
      if (Label* l = std::get_if<Label>(&o)) retarget(*l);
      if (SwitchOperand* sw = std::get_if<SwitchOperand>(&o)) {
        for (auto& c : sw->cases) retarget(c.second);
        retarget(sw->def);
      }
    }
  }
  // A jump or branch to the instruction after it does nothing (a branch's condition has no
  // effect), unless it also writes a register (loop.i, loop.k).
  std::vector<bool> gone(f.lines.size(), false);
  bool any = false;
  uint32_t next = kNoLine;
  for (size_t i = f.lines.size(); i-- > 0;) {
    const Line& ln = f.lines[i];
    if (ln.kind != Line::Instr) continue;
    if (ln.op == Op::Jmp || (bc::is_branch(ln.op) && !bc::writes_register(ln.op))) {
      const Label& l = std::get<Label>(ln.ops.back());
      if (next != kNoLine && at[l.id] == next) {
        gone[i] = any = true;
        continue;
      }
    }
    next = static_cast<uint32_t>(i);
  }
  if (any) erase_lines(f, gone);
  return changed || any;
}

bool drop_dead(Function& f) {
  bool any = false;
  for (;;) {
    const Flow flow(f);
    const Liveness live(f, flow);
    std::vector<bool> gone(f.lines.size(), false);
    bool changed = false;
    Bits now(f.regs.size());  // live at the instruction, going backwards through a block
    for (size_t b = 0; b < flow.blocks.size(); ++b) {
      now.clear();
      live.each_out(b, [&](uint32_t r) { now.add(r); });
      const auto& instrs = flow.blocks[b].instrs;
      for (auto i = instrs.rbegin(); i != instrs.rend(); ++i) {
        const Line& ln = f.lines[*i];
        const Reg* w = written(ln);
        const bool self_move =
            w != nullptr && ln.op >= Op::MovI && ln.op <= Op::MovY && std::get<Reg>(ln.ops[1]).id == w->id;
        if (w != nullptr && is_pure(ln.op) && (self_move || !now.has(w->id))) {
          gone[*i] = changed = true;
          continue;
        }
        if (w != nullptr) now.remove(w->id);
        for_each_read(ln, [&](const Reg& r) { now.add(r.id); });
      }
    }
    if (!changed) return any;
    erase_lines(f, gone);
    any = true;
  }
}

void optimize(Function& f) {
  const auto simplify = [&f] {
    for (int round = 0; round < 8; ++round) {
      bool changed = thread_jumps(f);
      changed |= drop_unreachable(f);
      changed |= coalesce_moves(f);
      changed |= propagate_copies(f);
      changed |= drop_dead(f);
      changed |= hoist_constants(f);
      if (!changed) break;
    }
  };
  drop_unreachable(f);
  simplify();
  // Once the code is as short as it gets: fewer instructions to dispatch for the same work. The
  // constant loads these leave unread, and jumps to the next instruction, go in a last round
  // (liveness is most of the compile time of a large function: no other pass runs again).
  bool fused = fuse_compares(f);
  fused |= use_immediates(f);
  fused |= rotate_loops(f);
  fused |= copy_loop_tails(f);
  fused |= fuse_sets(f);
  fused |= fuse_unsigned_reads(f);
  fused |= fuse_loops(f);
  if (fused) {
    thread_jumps(f);
    drop_dead(f);
  }
}

}  // namespace pvm::compiler::code
