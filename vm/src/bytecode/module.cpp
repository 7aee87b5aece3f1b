// Register numbering, function lookup and the canonical numbering of the constant pools.
#include "pvm/bytecode/module.h"

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace pvm::bc {

uint32_t Function::reg_total() const {
  uint32_t n = 0;
  for (uint16_t c : reg_count) n += c;
  return n;
}

uint32_t Function::reg_base(RegClass c) const {
  uint32_t n = 0;
  for (size_t k = 0; k < static_cast<size_t>(c); ++k) n += reg_count[k];
  return n;
}

RegClass Function::reg_class(uint32_t reg) const {
  for (size_t k = 0; k + 1 < kRegClassCount; ++k) {
    if (reg < reg_count[k]) return static_cast<RegClass>(k);
    reg -= reg_count[k];
  }
  return RegClass::Bytes;
}

int Module::find_function(std::string_view name) const {
  for (size_t i = 0; i < functions.size(); ++i) {
    const uint32_t n = functions[i].name;
    if (n < strings.size() && strings[n] == name) return static_cast<int>(i);
  }
  return -1;
}

namespace {

// Out-of-range references stay out of range, so the verifier still reports them.
constexpr uint32_t kInvalid = 0xFFFFFFFFu;

// Builds a new pool from the old one in order of first use, merging equal values.
// `Key` decides equality (floats compare by bit pattern so 0.0 and -0.0 stay apart).
template <typename T, typename Key, typename KeyOf>
class Renumber {
 public:
  Renumber(const std::vector<T>& old, KeyOf key_of)
      : old_(old), key_of_(key_of), map_(old.size(), kInvalid) {}

  void use(uint32_t& index) {
    if (index >= old_.size()) {
      index = kInvalid;
      return;
    }
    uint32_t& mapped = map_[index];
    if (mapped == kInvalid) {
      const auto [it, added] =
          by_value_.try_emplace(key_of_(old_[index]), static_cast<uint32_t>(pool_.size()));
      if (added) pool_.push_back(old_[index]);
      mapped = it->second;
    }
    index = mapped;
  }
  std::vector<T> take() { return std::move(pool_); }

 private:
  const std::vector<T>& old_;
  KeyOf key_of_;
  std::vector<uint32_t> map_;
  std::vector<T> pool_;
  std::unordered_map<Key, uint32_t> by_value_;
};

template <typename T, typename Key, typename KeyOf>
Renumber<T, Key, KeyOf> renumber(const std::vector<T>& old, KeyOf key_of) {
  return Renumber<T, Key, KeyOf>(old, key_of);
}

}  // namespace

void canonicalize(Module& m) {
  auto strings = renumber<std::string, std::string_view>(
      m.strings, [](const std::string& s) { return std::string_view(s); });
  auto ints = renumber<int64_t, int64_t>(m.ints, [](int64_t v) { return v; });
  auto floats = renumber<double, uint64_t>(m.floats, [](double v) { return std::bit_cast<uint64_t>(v); });

  strings.use(m.protocol);
  strings.use(m.source);
  for (SessionSlot& s : m.session) strings.use(s.name);
  for (OptionDef& o : m.options) {
    strings.use(o.name);
    // Only the field of the option's class means anything; the other is zeroed so that it
    // cannot make two equal programs differ.
    if (o.cls == RegClass::Str) {
      strings.use(o.str_default);
      o.int_default = 0;
    } else {
      o.str_default = 0;
    }
  }
  for (Function& f : m.functions) {
    strings.use(f.name);
    for (Param& p : f.params) strings.use(p.name);
    size_t pc = 0;
    while (pc < f.code.size() && f.code[pc] < kOpCount) {
      const std::string_view letters = op_info(static_cast<Op>(f.code[pc])).operands;
      ++pc;
      for (size_t k = 0; k < letters.size() && pc < f.code.size(); ++k, ++pc) {
        switch (letters[k]) {
          case 'S':
          case 'X':
            strings.use(f.code[pc]);
            break;
          case 'K':
            ints.use(f.code[pc]);
            break;
          case 'D':
            floats.use(f.code[pc]);
            break;
          default:
            break;
        }
      }
    }
    for (LineEntry& e : f.lines) strings.use(e.what);
  }
  m.strings = strings.take();
  m.ints = ints.take();
  m.floats = floats.take();
}

}  // namespace pvm::bc
