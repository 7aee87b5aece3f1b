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
  void clear() {
    for (uint64_t& w : w_) w = 0;
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
  // this = use | (out - def), a block's transfer in liveness; true when it changed.
  bool assign_live(const Bits& use, const Bits& out, const Bits& def) {
    uint64_t changed = 0;
    for (size_t k = 0; k < w_.size(); ++k) {
      const uint64_t live = use.w_[k] | (out.w_[k] & ~def.w_[k]);
      changed |= live ^ w_[k];
      w_[k] = live;
    }
    return changed != 0;
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

// Registers live on entry to and on exit from each block. Only a register some block reads
// before writing it can be live there; the sets number just those (inlining leaves thousands of
// registers, nearly all used within one block, and sets of all of them for every block were most
// of the compile time of a large protocol).
class Liveness {
 public:
  Liveness(const Function& f, const Flow& flow);
  bool in_has(size_t block, uint32_t reg) const { return has(in_[block], reg); }
  bool out_has(size_t block, uint32_t reg) const { return has(out_[block], reg); }
  template <typename F>
  void each_in(size_t block, F&& f) const {
    in_[block].each([&](uint32_t k) { f(regs_[k]); });
  }
  template <typename F>
  void each_out(size_t block, F&& f) const {
    out_[block].each([&](uint32_t k) { f(regs_[k]); });
  }

 private:
  bool has(const Bits& set, uint32_t reg) const { return dense_[reg] != kNone && set.has(dense_[reg]); }
  static constexpr uint32_t kNone = UINT32_MAX;
  std::vector<uint32_t> dense_;  // a register's number in the sets, or kNone
  std::vector<uint32_t> regs_;   // and back
  std::vector<Bits> in_, out_;
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
