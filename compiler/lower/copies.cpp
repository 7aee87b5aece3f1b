// The moves inlining and assignments leave: a value computed into a temporary and moved into a
// variable is computed into the variable; a register copied into another is read in its place.
#include "lower/flow.h"
#include "lower/optimize.h"

namespace pvm::compiler::code {

namespace {

constexpr uint32_t kNone = UINT32_MAX;

bool is_move(Op op) {
  return op >= Op::MovI && op <= Op::MovY;
}

// Whether the instruction would read register r as an operand while also writing it. Pure
// instructions read their operands before writing; others (rd.until reads its delimiter's length
// after setting the result) must not be given their own result as an operand.
bool reads_own_result(const Line& ln, uint32_t r) {
  if (is_pure(ln.op)) return false;
  bool reads = false;
  for_each_read(ln, [&](const Reg& x) { reads = reads || x.id == r; });
  return reads;
}

}  // namespace

bool coalesce_moves(Function& f) {
  std::vector<uint32_t> defs(f.regs.size(), 0), uses(f.regs.size(), 0);
  for (const auto& p : f.params) ++defs[p.second.id];  // written by the host at the entry
  for (const Line& ln : f.lines) {
    if (ln.kind != Line::Instr) continue;
    if (const Reg* w = written(ln)) ++defs[w->id];
    for_each_read(ln, [&](const Reg& r) { ++uses[r.id]; });
  }
  const Flow flow(f);
  std::vector<bool> gone(f.lines.size(), false);
  bool any = false;
  for (const Flow::Block& b : flow.blocks) {
    for (size_t j = 0; j < b.instrs.size(); ++j) {
      const Line& mov = f.lines[b.instrs[j]];
      if (!is_move(mov.op)) continue;
      const Reg d = std::get<Reg>(mov.ops[0]), s = std::get<Reg>(mov.ops[1]);
      if (d.id == s.id || defs[s.id] != 1 || uses[s.id] != 1) continue;
      // The instruction writing s, earlier in the block, with d untouched in between.
      for (size_t k = j; k-- > 0;) {
        if (gone[b.instrs[k]]) continue;
        Line& x = f.lines[b.instrs[k]];
        Reg* w = written(x);
        if (w != nullptr && w->id == s.id) {
          if (reads_own_result(x, d.id)) break;
          *w = d;
          gone[b.instrs[j]] = any = true;
          --defs[s.id];
          --uses[s.id];
          break;
        }
        bool touches = w != nullptr && w->id == d.id;
        for_each_read(x, [&](const Reg& r) { touches = touches || r.id == d.id; });
        if (touches) break;
      }
    }
  }
  if (any) erase_lines(f, gone);
  return any;
}

// Available copies: a copy `mov d, s` holds at a point when every path to it ran the move and
// wrote neither d nor s since. A forward must-analysis over the blocks, then one walk that
// rewrites reads.
bool propagate_copies(Function& f) {
  const Flow flow(f);
  struct Copy {
    uint32_t d, s;
  };
  std::vector<Copy> copies;
  std::vector<uint32_t> copy_at(f.lines.size(), kNone);
  std::vector<std::vector<uint32_t>> by_reg(f.regs.size());
  for (uint32_t i = 0; i < f.lines.size(); ++i) {
    const Line& ln = f.lines[i];
    if (ln.kind != Line::Instr || !is_move(ln.op)) continue;
    const Copy c{std::get<Reg>(ln.ops[0]).id, std::get<Reg>(ln.ops[1]).id};
    if (c.d == c.s) continue;
    copy_at[i] = static_cast<uint32_t>(copies.size());
    by_reg[c.d].push_back(copy_at[i]);
    by_reg[c.s].push_back(copy_at[i]);
    copies.push_back(c);
  }
  if (copies.empty()) return false;

  const size_t nb = flow.blocks.size(), nc = copies.size();
  std::vector<Bits> gen(nb, Bits(nc)), kill(nb, Bits(nc));
  std::vector<std::vector<uint32_t>> preds(nb);
  for (uint32_t b = 0; b < nb; ++b) {
    for (uint32_t s : flow.blocks[b].succ) preds[s].push_back(b);
    for (uint32_t i : flow.blocks[b].instrs) {
      if (const Reg* w = written(f.lines[i]))
        for (uint32_t k : by_reg[w->id]) {
          gen[b].remove(k);
          kill[b].add(k);
        }
      if (copy_at[i] != kNone) gen[b].add(copy_at[i]);
    }
  }
  std::vector<Bits> in(nb, Bits(nc)), out(nb, Bits(nc));
  for (uint32_t b = 1; b < nb; ++b) out[b].fill();
  for (bool changed = true; changed;) {
    changed = false;
    for (uint32_t b = 0; b < nb; ++b) {
      Bits now(nc);
      if (b != 0 && !preds[b].empty()) {
        now = out[preds[b][0]];
        for (size_t p = 1; p < preds[b].size(); ++p) now.intersect(out[preds[b][p]]);
      }
      in[b] = now;
      now.subtract(kill[b]);
      now.unite(gen[b]);
      if (!(now == out[b])) {
        out[b] = std::move(now);
        changed = true;
      }
    }
  }

  // src[d]: the register d equals at this point of the walk (kNone: none known).
  std::vector<uint32_t> src(f.regs.size(), kNone);
  std::vector<std::vector<uint32_t>> dests(f.regs.size());  // d with src[d] == s, by s (may be stale)
  std::vector<uint32_t> touched;
  const auto set = [&](uint32_t d, uint32_t s) {
    src[d] = s;
    dests[s].push_back(d);
    touched.push_back(d);
    touched.push_back(s);
  };
  const auto kill_reg = [&](uint32_t r) {
    src[r] = kNone;
    for (uint32_t d : dests[r])
      if (src[d] == r) src[d] = kNone;
    dests[r].clear();
  };
  bool rewrote = false;
  for (uint32_t b = 0; b < nb; ++b) {
    for (uint32_t r : touched) {
      src[r] = kNone;
      dests[r].clear();
    }
    touched.clear();
    // Copies from the analysis keep the sources they had when it ran: a source rewritten in
    // this walk was equal to it where the move ran, and only its own writes are tracked.
    in[b].each([&](uint32_t k) { set(copies[k].d, copies[k].s); });
    for (uint32_t i : flow.blocks[b].instrs) {
      Line& ln = f.lines[i];
      const Reg* dest = written(ln);
      for_each_read(ln, [&](Reg& r) {
        uint32_t x = r.id;
        for (int step = 0; step < 16 && src[x] != kNone; ++step) x = src[x];
        if (x == r.id || (dest != nullptr && x == dest->id && !is_pure(ln.op))) return;
        r.id = x;
        rewrote = true;
      });
      if (const Reg* w = written(ln)) {
        kill_reg(w->id);
        if (is_move(ln.op) && std::get<Reg>(ln.ops[1]).id != w->id) set(w->id, std::get<Reg>(ln.ops[1]).id);
      }
    }
  }
  return rewrote;
}

}  // namespace pvm::compiler::code
