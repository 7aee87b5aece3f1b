// The opcode table as data: mnemonic, operand letters and documentation per opcode.
#include <string_view>
#include <unordered_map>

#include "pvm/bytecode/module.h"

namespace pvm::bc {
namespace {

constexpr OpInfo kOps[] = {
#define X(name, mnemonic, operands, doc) {mnemonic, operands, doc},
#include "pvm/bytecode/opcodes.def"
#undef X
};
static_assert(std::size(kOps) == kOpCount);

// An opcode word that is not in the table (only in unverified code) reads as no operands.
constexpr OpInfo kUnknown = {"", "", "not an opcode"};

}  // namespace

const OpInfo& op_info(Op op) {
  const auto i = static_cast<size_t>(op);
  return i < kOpCount ? kOps[i] : kUnknown;
}

bool op_from_mnemonic(std::string_view mnemonic, Op& out) {
  static const std::unordered_map<std::string_view, Op> by_name = [] {
    std::unordered_map<std::string_view, Op> m;
    for (size_t i = 0; i < kOpCount; ++i) m.emplace(kOps[i].mnemonic, static_cast<Op>(i));
    return m;
  }();
  const auto it = by_name.find(mnemonic);
  if (it == by_name.end()) return false;
  out = it->second;
  return true;
}

}  // namespace pvm::bc
