// The optimizer: lowering emits straightforward code (every value in a fresh register, every
// inlined argument and result copied), and these passes make it do the same work with fewer
// instructions and registers before it is printed.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "lower/code.h"

namespace pvm::compiler::code {

// Runs every pass below until none changes anything (a bounded number of rounds).
void optimize(Function& f);

// Drops instructions no path from the entry reaches.
bool drop_unreachable(Function& f);
// Jumps to a jump go to its target; a jump to the next instruction goes.
bool thread_jumps(Function& f);
// `op t, ...; mov v, t` with t used only there becomes `op v, ...`.
bool coalesce_moves(Function& f);
// After `mov d, s`, reads of d read s while both keep their values.
bool propagate_copies(Function& f);
// Instructions without effects whose result no path reads.
bool drop_dead(Function& f);
// A constant load in a loop, into a register nothing else writes, moves before the loop; a load
// of a constant an earlier load of the same block holds is read from that register.
bool hoist_constants(Function& f);
// `cmp b, x, y; jt/jf b, L` with b read nowhere else becomes one compare-and-jump (jlt.i x, y, L).
bool fuse_compares(Function& f);
// An add, subtract, multiply, divide, remainder, and, right shift or compare-and-jump reading a
// register that holds a known int constant on every path takes the constant as its operand
// instead (add.k, mul.k, div.k, mod.k, and.k, shr.k, jlt.k).
bool use_immediates(Function& f);
// A backward `jmp L`, where L is a conditional jump, becomes the negated jump to the instruction
// after L followed by a jump where L would have gone: one jump per pass of a loop instead of two.
bool rotate_loops(Function& f);
// A forward `jmp L`, where L is a loop's latch (a conditional jump back, or one pure instruction
// and then it), becomes a copy of the latch and a jump to where the latch falls through: the
// cases of a `match` inside a loop go back to the top without a jump to the latch first.
bool copy_loop_tails(Function& f);
// `rd.X r; set S, r` becomes `rdset.X r, S`, and `i2f t, x; div.f q, t, d; set.f S, q` (or u2f),
// with t and q read nowhere else, becomes `setdiv.i S, x, d` (setdiv.u): one dispatch each.
bool fuse_sets(Function& f);
// `rd.unbe t, n; u2i x, t` with t read nowhere else becomes `rd.unbe.i x, n` (rd.unle alike):
// `int(unsigned(n))`, the id of an IO element in a loop over thousands, in one dispatch.
bool fuse_unsigned_reads(Function& f);
// `add.k a, a, 1` followed directly by `jlt.i a, b, L` (or `jlt.k a, K, L`) becomes
// `loop.i a, b, L` (loop.k): the latch of a `repeat` loop in one dispatch. It runs after the
// passes that look for jlt.i and jlt.k.
bool fuse_loops(Function& f);
// A register number within its class for every virtual register the code uses (registers whose
// values are never live at once share a number), and the count of each class. A register some
// path reads before writing it (a variable assigned on some paths only) is live from the entry,
// so it gets a number nothing else used before: it reads as the zero the VM starts every register
// with, as the language defines.
struct Allocation {
  std::array<uint32_t, bc::kRegClassCount> count{};
  std::vector<uint32_t> number;  // by virtual register id
};
Allocation allocate_registers(const Function& f);

}  // namespace pvm::compiler::code
