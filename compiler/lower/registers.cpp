// Register allocation by linear scan: each virtual register occupies the span of code from the
// first to the last point where it is written or live, and registers of one class whose spans do
// not meet share a number. Inlining makes many short-lived registers (every arm of a match of
// packet types has its own), so functions need far fewer registers than they name.
#include <algorithm>

#include "lower/flow.h"
#include "lower/optimize.h"

namespace pvm::compiler::code {

Allocation allocate_registers(const Function& f) {
  const Flow flow(f);
  const Liveness live(f, flow);
  const size_t n = f.regs.size();
  std::vector<uint32_t> lo(n, UINT32_MAX), hi(n, 0);
  const auto extend = [&](uint32_t r, uint32_t point) {
    lo[r] = std::min(lo[r], point);
    hi[r] = std::max(hi[r], point);
  };
  // Parameters are written by the host before the first instruction, all at once.
  for (const auto& p : f.params) extend(p.second.id, 0);
  uint32_t point = 0;
  for (size_t b = 0; b < flow.blocks.size(); ++b) {
    const uint32_t first = point;
    for (uint32_t i : flow.blocks[b].instrs) {
      const Line& ln = f.lines[i];
      if (const Reg* w = written(ln)) extend(w->id, point);
      for_each_read(ln, [&](const Reg& r) { extend(r.id, point); });
      ++point;
    }
    live.each_in(b, [&](uint32_t r) { extend(r, first); });
    live.each_out(b, [&](uint32_t r) { extend(r, point - 1); });
  }

  std::vector<uint32_t> order;
  for (uint32_t r = 0; r < n; ++r)
    if (lo[r] != UINT32_MAX) order.push_back(r);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return lo[a] != lo[b] ? lo[a] < lo[b] : a < b; });

  Allocation a;
  a.number.assign(n, UINT32_MAX);
  std::array<std::vector<uint32_t>, bc::kRegClassCount> busy_until;  // by number, per class
  for (uint32_t r : order) {
    std::vector<uint32_t>& busy = busy_until[static_cast<size_t>(f.regs[r])];
    uint32_t k = 0;
    while (k < busy.size() && busy[k] >= lo[r]) ++k;
    if (k == busy.size()) busy.push_back(0);
    busy[k] = hi[r];
    a.number[r] = k;
  }
  for (size_t c = 0; c < bc::kRegClassCount; ++c) a.count[c] = static_cast<uint32_t>(busy_until[c].size());
  return a;
}

}  // namespace pvm::compiler::code
