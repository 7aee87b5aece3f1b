// Constant loads: lowering loads every constant where it is used, so a loop over IO elements
// loads its scales and masks on every pass. A register that only ever holds one constant is
// loaded once before the loop instead, and a load of a constant an earlier load of the same block
// already holds is read from that register.
#include <bit>
#include <map>

#include "lower/flow.h"
#include "lower/optimize.h"

namespace pvm::compiler::code {

namespace {

bool is_constant_load(Op op) {
  return op == Op::LdK || op == Op::LdU || op == Op::LdD || op == Op::LdB || op == Op::LdS || op == Op::LdY;
}

// The loaded constant as text, equal for equal loads (a float by its bits: 0.0 and -0.0 differ).
std::string constant_key(const Line& ln) {
  std::string key(1, static_cast<char>(ln.op));
  const Operand& v = ln.ops[1];
  if (const int64_t* i = std::get_if<int64_t>(&v))
    key += std::to_string(*i);
  else if (const double* d = std::get_if<double>(&v))
    key += std::to_string(std::bit_cast<uint64_t>(*d));
  else if (const std::string* s = std::get_if<std::string>(&v))
    key += *s;
  else if (const Bytes* y = std::get_if<Bytes>(&v))
    key += y->value;
  return key;
}

// How many instructions write each register (the host writes parameters).
std::vector<uint32_t> def_counts(const Function& f) {
  std::vector<uint32_t> defs(f.regs.size(), 0);
  for (const auto& p : f.params) ++defs[p.second.id];
  for (const Line& ln : f.lines)
    if (ln.kind == Line::Instr)
      if (const Reg* w = written(ln)) ++defs[w->id];
  return defs;
}

}  // namespace

bool hoist_constants(Function& f) {
  const Flow flow(f);
  const Liveness live(f, flow);
  const std::vector<uint32_t> defs = def_counts(f);
  const size_t nb = flow.blocks.size();
  std::vector<std::vector<uint32_t>> preds(nb);
  for (uint32_t b = 0; b < nb; ++b)
    for (uint32_t s : flow.blocks[b].succ) preds[s].push_back(b);

  // Loops as lowering makes them: a header h entered from outside only by falling through from
  // block h-1, and a body of the blocks h..t (t the last block jumping back to h) that nothing
  // outside enters but through h. The innermost such loop around each block.
  std::vector<uint32_t> loop_of(nb, UINT32_MAX), loop_end(nb, 0);
  for (uint32_t t = 0; t < nb; ++t)
    for (uint32_t h : flow.blocks[t].succ)
      if (h <= t && h > 0) loop_end[h] = std::max(loop_end[h], t + 1);
  for (uint32_t h = 1; h < nb; ++h) {
    const uint32_t end = loop_end[h];
    if (end == 0) continue;
    bool ok = true;
    for (uint32_t b = h; b < end && ok; ++b)
      for (uint32_t p : preds[b]) ok = ok && ((p >= h && p < end) || (b == h && p == h - 1));
    const Line& before = f.lines[flow.blocks[h - 1].instrs.back()];
    for (const Operand& o : before.ops)
      ok = ok && !std::holds_alternative<Label>(o) && !std::holds_alternative<SwitchOperand>(o);
    if (!ok || bc::is_terminator(before.op)) continue;
    for (uint32_t b = h; b < end; ++b) loop_of[b] = h;  // later (inner) headers overwrite
  }

  // Loads to move to the end of block h-1 (after its last instruction), by h.
  std::map<uint32_t, std::vector<uint32_t>> moves;
  std::vector<bool> gone(f.lines.size(), false);
  for (uint32_t b = 0; b < nb; ++b) {
    const uint32_t h = loop_of[b];
    if (h == UINT32_MAX) continue;
    for (uint32_t i : flow.blocks[b].instrs) {
      const Line& ln = f.lines[i];
      if (!is_constant_load(ln.op)) continue;
      const uint32_t r = std::get<Reg>(ln.ops[0]).id;
      if (defs[r] != 1 || live.in_has(h, r)) continue;
      // Read only inside the loop: no exit leads to a read of it.
      bool inside = true;
      for (uint32_t k = h; k < loop_end[h] && inside; ++k)
        for (uint32_t s : flow.blocks[k].succ)
          inside = inside && ((s >= h && s < loop_end[h]) || !live.in_has(s, r));
      if (!inside) continue;
      moves[h].push_back(i);
      gone[i] = true;
    }
  }

  // Within a block, a load of a constant that a single-write register loaded earlier in it. Both
  // registers are written before every read (neither is live at the entry), so every read of the
  // later one comes after the earlier load too.
  std::vector<uint32_t> same(f.regs.size(), UINT32_MAX);
  bool merged = false;
  for (uint32_t b = 0; b < nb; ++b) {
    std::map<std::string, uint32_t> held;
    for (uint32_t i : flow.blocks[b].instrs) {
      const Line& ln = f.lines[i];
      if (!is_constant_load(ln.op) || gone[i]) continue;
      const uint32_t r = std::get<Reg>(ln.ops[0]).id;
      if (defs[r] != 1 || live.in_has(0, r)) continue;
      auto [at, fresh] = held.emplace(constant_key(ln), r);
      if (fresh) continue;
      same[r] = at->second;
      gone[i] = merged = true;
    }
  }
  if (moves.empty() && !merged) return false;
  if (merged)
    for (Line& ln : f.lines)
      if (ln.kind == Line::Instr)
        for_each_read(ln, [&](Reg& r) {
          if (same[r.id] != UINT32_MAX) r.id = same[r.id];
        });

  std::vector<Line> out;
  out.reserve(f.lines.size());
  std::map<uint32_t, uint32_t> insert_after;  // line index of the last instruction of h-1 -> h
  for (const auto& [h, loads] : moves) insert_after[flow.blocks[h - 1].instrs.back()] = h;
  for (uint32_t i = 0; i < f.lines.size(); ++i) {
    if (!gone[i]) out.push_back(f.lines[i]);
    if (auto it = insert_after.find(i); it != insert_after.end())
      for (uint32_t k : moves[it->second]) out.push_back(f.lines[k]);
  }
  f.lines = std::move(out);
  return true;
}

}  // namespace pvm::compiler::code
