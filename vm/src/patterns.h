// The regular expressions of a module (the string operands of re.match), compiled with RE2
// once when the module loads, so that no frame ever compiles a pattern.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pvm/bytecode/module.h"

namespace re2 {
class RE2;
}

namespace pvm::detail {

// Groups a match keeps: the whole match and bc::kMaxRegexGroups captures; a pattern with more
// captures fails to load.
inline constexpr size_t kMaxGroups = bc::kMaxRegexGroups + 1;

struct Patterns {
  std::vector<std::unique_ptr<re2::RE2>> by_string;  // indexed by string-table index; null if unused
  std::vector<uint32_t> unit_cost;                   // fuel per text byte, by string index
  Patterns();
  ~Patterns();
  // Compiles every re.match pattern of the module; false with the function, offset and reason.
  bool compile(const bc::Module& module, std::string& error);
  // Matches `text` against the pattern at string index `s`; fills groups[0..count) on success.
  bool match(uint32_t s, std::string_view text, std::string_view* groups, size_t& count) const;
  // Fuel for matching n bytes: RE2 is linear in the text, but finding the groups may step
  // through the whole compiled pattern at each byte, so larger patterns cost more per byte.
  uint64_t cost(uint32_t s, size_t n) const { return s < unit_cost.size() ? uint64_t{unit_cost[s]} * n : n; }
};

}  // namespace pvm::detail
