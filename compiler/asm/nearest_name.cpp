#include "asm/nearest_name.h"

#include <algorithm>
#include <numeric>

namespace pvm::compiler::asm_syntax {
namespace {

// Levenshtein distance where swapping two neighbouring characters also counts as one edit,
// the commonest typo.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> before(b.size() + 1), prev(b.size() + 1), row(b.size() + 1);
  std::iota(row.begin(), row.end(), size_t{0});
  for (size_t i = 1; i <= a.size(); ++i) {
    before.swap(prev);
    prev.swap(row);
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      row[j] = std::min({prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        row[j] = std::min(row[j], before[j - 2] + 1);
    }
  }
  return row[b.size()];
}

}  // namespace

std::string_view nearest_name(std::string_view name, const std::vector<std::string_view>& candidates) {
  // Names are short; a longer input would only cost time for a suggestion nobody needs.
  if (name.size() > 64) return {};
  const size_t allowed = std::max<size_t>(1, name.size() / 3);
  std::string_view best;
  size_t best_distance = allowed + 1;
  for (std::string_view c : candidates) {
    if (c.size() > 64) continue;
    const size_t d = edit_distance(name, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace pvm::compiler::asm_syntax
