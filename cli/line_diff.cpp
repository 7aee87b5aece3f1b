#include "line_diff.h"

#include <algorithm>

namespace pvm::cli {
namespace {

constexpr size_t kContext = 3;
// Above this many cells the longest-common-subsequence table is not worth its memory: the
// differing middle is shown as removed and added wholesale.
constexpr size_t kMaxTableCells = size_t{1} << 24;

struct Edit {
  char kind;        // ' ', '-' or '+'
  size_t old_line;  // index into expected (for ' ' and '-')
  size_t new_line;  // index into actual (for ' ' and '+')
};

std::vector<Edit> edit_script(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix])
    ++suffix;
  size_t n = a.size() - prefix - suffix, m = b.size() - prefix - suffix;

  std::vector<Edit> edits;
  for (size_t i = 0; i < prefix; ++i) edits.push_back({' ', i, i});
  if ((n + 1) * (m + 1) > kMaxTableCells) {
    for (size_t i = 0; i < n; ++i) edits.push_back({'-', prefix + i, 0});
    for (size_t j = 0; j < m; ++j) edits.push_back({'+', 0, prefix + j});
  } else {
    // lcs[i][j]: length of the common subsequence of the middles' tails from i and j.
    std::vector<uint32_t> lcs((n + 1) * (m + 1), 0);
    auto at = [&](size_t i, size_t j) -> uint32_t& { return lcs[i * (m + 1) + j]; };
    for (size_t i = n; i-- > 0;)
      for (size_t j = m; j-- > 0;)
        at(i, j) =
            a[prefix + i] == b[prefix + j] ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
    size_t i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[prefix + i] == b[prefix + j]) {
        edits.push_back({' ', prefix + i++, prefix + j++});
      } else if (j == m || (i < n && at(i + 1, j) >= at(i, j + 1))) {
        edits.push_back({'-', prefix + i++, 0});
      } else {
        edits.push_back({'+', 0, prefix + j++});
      }
    }
  }
  for (size_t k = 0; k < suffix; ++k) edits.push_back({' ', a.size() - suffix + k, b.size() - suffix + k});
  return edits;
}

std::string range(size_t start, size_t count) {
  // Unified diff numbers lines from 1; an empty range names the line before it.
  return std::to_string(count == 0 ? start : start + 1) + "," + std::to_string(count);
}

}  // namespace

std::string unified_diff(const std::vector<std::string>& expected, const std::vector<std::string>& actual) {
  std::vector<Edit> edits = edit_script(expected, actual);
  std::string out;
  size_t k = 0;
  while (k < edits.size()) {
    while (k < edits.size() && edits[k].kind == ' ') ++k;
    if (k == edits.size()) break;
    // A hunk: from kContext lines before this change to kContext lines after the last change
    // that is no more than 2 * kContext unchanged lines away from the previous one.
    size_t begin = k >= kContext ? k - kContext : 0;
    size_t end = k;
    size_t unchanged = 0;
    for (size_t e = k; e < edits.size(); ++e) {
      if (edits[e].kind == ' ') {
        if (++unchanged > 2 * kContext) break;
      } else {
        unchanged = 0;
        end = e + 1;
      }
    }
    size_t stop = std::min(edits.size(), end + kContext);

    size_t old_start = 0, new_start = 0, old_count = 0, new_count = 0;
    bool old_set = false, new_set = false;
    // Where each side starts: its first line in the hunk, or the line before when it has none.
    for (size_t e = begin; e < stop; ++e) {
      const Edit& ed = edits[e];
      if (ed.kind != '+') {
        if (!old_set) old_start = ed.old_line, old_set = true;
        ++old_count;
      }
      if (ed.kind != '-') {
        if (!new_set) new_start = ed.new_line, new_set = true;
        ++new_count;
      }
    }
    auto position_before = [&](bool old_side) {
      size_t pos = 0;
      for (size_t e = 0; e < begin; ++e) {
        if (old_side && edits[e].kind != '+') pos = edits[e].old_line + 1;
        if (!old_side && edits[e].kind != '-') pos = edits[e].new_line + 1;
      }
      return pos;
    };
    if (!old_set) old_start = position_before(true);
    if (!new_set) new_start = position_before(false);

    out += "@@ -" + range(old_start, old_count) + " +" + range(new_start, new_count) + " @@\n";
    for (size_t e = begin; e < stop; ++e) {
      const Edit& ed = edits[e];
      out += ed.kind;
      out += ed.kind == '+' ? actual[ed.new_line] : expected[ed.old_line];
      out += '\n';
    }
    k = stop;
  }
  return out;
}

}  // namespace pvm::cli
