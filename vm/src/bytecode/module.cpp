// Register numbering, function lookup and the canonical numbering of the constant pools.
#include "pvm/bytecode/module.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace pvm::bc {

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

const Delimited* Module::find_delimited(uint8_t delimiter) const {
  for (const Delimited& d : delimited)
    if (d.delimiter == delimiter) return &d;
  return nullptr;
}

bool Module::has_escapes(uint32_t operand) const {
  if (operand < kNamedEscapesBase) return find_delimited(static_cast<uint8_t>(operand)) != nullptr;
  return operand - kNamedEscapesBase < escape_tables.size();
}

namespace {

// The checks of escapes_problem() and delimited_problem(); `delimiter` < 0 when there is none.
std::string escape_problem(const std::vector<Escape>& escapes, int delimiter, size_t* at) {
  const auto blame = [&](const Escape& e, std::string why) {
    if (at != nullptr) *at = static_cast<size_t>(&e - escapes.data());
    return why;
  };
  if (at != nullptr) *at = escapes.size();
  const auto hex = [](uint8_t b) {
    static constexpr char kDigits[] = "0123456789abcdef";
    return std::string("0x") + kDigits[b >> 4] + kDigits[b & 15];
  };
  std::array<bool, 256> escaped{};
  for (const Escape& e : escapes) {
    if (e.sequence.size() < 2 || e.sequence.size() > 8)
      return blame(e,
                   "an escape sequence has 2 to 8 bytes, this one has " + std::to_string(e.sequence.size()));
    if (escaped[e.byte]) return blame(e, "two sequences stand for " + hex(e.byte));
    escaped[e.byte] = true;
  }
  if (delimiter >= 0 && !escaped[static_cast<uint8_t>(delimiter)])
    return "the delimiter " + hex(static_cast<uint8_t>(delimiter)) + " has no escape sequence";
  for (const Escape& e : escapes) {
    const auto lead = static_cast<uint8_t>(e.sequence[0]);
    if (!escaped[lead])
      return blame(e, "this sequence starts with " + hex(lead) +
                          ", which has no sequence of its own, so a literal " + hex(lead) +
                          " could not be told from it");
    if (delimiter >= 0 && e.sequence.find(static_cast<char>(delimiter)) != std::string::npos)
      return blame(e, "this sequence holds the delimiter " + hex(static_cast<uint8_t>(delimiter)));
    for (const Escape& other : escapes)
      if (&other != &e && other.sequence.starts_with(e.sequence))
        return blame(e, "this sequence is the start of another, so the bytes are ambiguous");
  }
  return {};
}

}  // namespace

std::string escapes_problem(const std::vector<Escape>& escapes, size_t* at) {
  return escape_problem(escapes, -1, at);
}

std::string delimited_problem(const Delimited& d, size_t* at) {
  return escape_problem(d.escapes, d.delimiter, at);
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
  // Files are numbered in order of first use by the line tables and call sites (0 is the source).
  std::vector<uint32_t> files;
  std::vector<uint32_t> file_map(m.files.size(), kInvalid);
  const auto use_file = [&](uint32_t& file) {
    if (file == 0) return;
    if (file > m.files.size()) {
      file = kInvalid;
      return;
    }
    uint32_t& mapped = file_map[file - 1];
    if (mapped == kInvalid) {
      uint32_t name = m.files[file - 1];
      strings.use(name);
      const auto same = std::find(files.begin(), files.end(), name);
      mapped = static_cast<uint32_t>(same - files.begin()) + 1;
      if (same == files.end()) files.push_back(name);
    }
    file = mapped;
  };
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
    // Sites are renumbered in order of first use, a site's callers before it, so a parent
    // always precedes its children.
    std::vector<CallSite> sites;
    std::vector<uint32_t> site_map(f.sites.size(), kInvalid);
    const auto use_site = [&](auto& self, uint32_t& site, size_t depth) -> void {
      if (site == 0) return;
      if (site > f.sites.size() || depth > f.sites.size()) {
        site = kInvalid;
        return;
      }
      uint32_t& mapped = site_map[site - 1];
      if (mapped == kInvalid) {
        CallSite c = f.sites[site - 1];
        self(self, c.parent, depth + 1);
        use_file(c.file);
        const auto same = std::find_if(sites.begin(), sites.end(), [&](const CallSite& x) {
          return x.file == c.file && x.line == c.line && x.col == c.col && x.parent == c.parent;
        });
        mapped = static_cast<uint32_t>(same - sites.begin()) + 1;
        if (same == sites.end()) sites.push_back(c);
      }
      site = mapped;
    };
    for (LineEntry& e : f.lines) {
      strings.use(e.what);
      use_file(e.file);
      use_site(use_site, e.site, 0);
    }
    f.sites = std::move(sites);
  }
  m.files = std::move(files);
  std::sort(m.delimited.begin(), m.delimited.end(),
            [](const Delimited& a, const Delimited& b) { return a.delimiter < b.delimiter; });
  const auto by_sequence = [](const Escape& a, const Escape& b) { return a.sequence < b.sequence; };
  for (Delimited& d : m.delimited) std::sort(d.escapes.begin(), d.escapes.end(), by_sequence);
  for (NamedEscapes& t : m.escape_tables) std::sort(t.escapes.begin(), t.escapes.end(), by_sequence);
  m.strings = strings.take();
  m.ints = ints.take();
  m.floats = floats.take();
}

void index_switches(Module& m) {
  constexpr uint64_t kMaxDense = 4096;
  for (Function& f : m.functions)
    for (SwitchTable& t : f.tables) {
      t.dense.clear();
      if (t.cases.empty()) continue;
      // The extremes of every key, not the first and last: this must hold for any table.
      const auto [lo, hi] = std::minmax_element(t.cases.begin(), t.cases.end());
      const uint64_t span = static_cast<uint64_t>(hi->first) - static_cast<uint64_t>(lo->first) + 1;
      // Up to 32 slots a case: an IO table such as Ruptela's (54 ids from 2 to 761) is one load
      // instead of a binary search of mispredicted branches, and the array (4 bytes a slot)
      // stays within eight times what its cases already hold.
      if (span == 0 || span > kMaxDense || span > std::max<uint64_t>(256, 32 * t.cases.size())) continue;
      t.dense_low = lo->first;
      t.dense.assign(span, t.default_target);
      // Backwards, so that of cases with one key (verified tables have none) the first wins.
      for (auto c = t.cases.rbegin(); c != t.cases.rend(); ++c)
        t.dense[static_cast<uint64_t>(c->first) - static_cast<uint64_t>(t.dense_low)] = c->second;
    }
}

}  // namespace pvm::bc
