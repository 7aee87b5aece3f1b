// Control flow and liveness of a function's code, for the optimizer's passes.
#pragma once

#include <cstdint>
#include <vector>

#include "lower/code.h"

namespace pvm::compiler::code {

// A set of virtual registers (or of anything numbered), as bits.
class Bits {
 public:
  Bits() = default;
  explicit Bits(size_t n) : w_((n + 63) / 64, 0) {}
  bool has(uint32_t k) const { return (w_[k >> 6] >> (k & 63)) & 1; }
  void add(uint32_t k) { w_[k >> 6] |= uint64_t{1} << (k & 63); }
  void remove(uint32_t k) { w_[k >> 6] &= ~(uint64_t{1} << (k & 63)); }
  void fill() {
    for (uint64_t& w : w_) w = ~uint64_t{0};
  }
  // this |= o; true when it grew.
  bool unite(const Bits& o) {
    uint64_t grown = 0;
    for (size_t k = 0; k < w_.size(); ++k) {
      grown |= o.w_[k] & ~w_[k];
      w_[k] |= o.w_[k];
    }
    return grown != 0;
  }
  // this -= o.
  void subtract(const Bits& o) {
    for (size_t k = 0; k < w_.size(); ++k) w_[k] &= ~o.w_[k];
  }
  // this &= o; true when it shrank.
  bool intersect(const Bits& o) {
    uint64_t lost = 0;
    for (size_t k = 0; k < w_.size(); ++k) {
      lost |= w_[k] & ~o.w_[k];
      w_[k] &= o.w_[k];
    }
    return lost != 0;
  }
  template <typename F>
  void each(F&& f) const {
    for (size_t k = 0; k < w_.size(); ++k)
      for (uint64_t w = w_[k]; w != 0; w &= w - 1) f(static_cast<uint32_t>(k * 64 + __builtin_ctzll(w)));
  }
  bool operator==(const Bits&) const = default;

 private:
  std::vector<uint64_t> w_;
};

// Basic blocks: runs of instructions entered only at the top (a label) and left only at the
// bottom (a jump, a branch, a switch, an end, or falling into the next block).
struct Flow {
  struct Block {
    std::vector<uint32_t> instrs;  // indexes of Instr lines, in order
    std::vector<uint32_t> succ;
  };
  std::vector<Block> blocks;             // in code order; block 0 is the entry
  std::vector<uint32_t> block_of_label;  // by label id; UINT32_MAX for a label not in the code

  explicit Flow(const Function& f);
  std::vector<bool> reachable() const;
};

// Registers live on entry to and on exit from each block.
struct Liveness {
  std::vector<Bits> in, out;
  Liveness(const Function& f, const Flow& flow);
};

inline constexpr uint32_t kNoLine = UINT32_MAX;

// The index of the first instruction line at or after each label (kNoLine at the end).
std::vector<uint32_t> label_targets(const Function& f);

// Removes the lines marked in `gone`.
void erase_lines(Function& f, const std::vector<bool>& gone);

// Whether an instruction does nothing but write its destination: one whose result nobody reads
// can go. Reads move the cursor, and whatever can reject the frame stays.
bool is_pure(Op op);

}  // namespace pvm::compiler::code
