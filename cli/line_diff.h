// A unified-style diff of two line lists, for showing why a golden test failed.
#pragma once

#include <string>
#include <vector>

namespace pvm::cli {

// "@@ -a,b +c,d @@" hunks with three lines of context; lines only in `expected` start with '-',
// lines only in `actual` with '+'. Empty when the lists are equal.
std::string unified_diff(const std::vector<std::string>& expected, const std::vector<std::string>& actual);

}  // namespace pvm::cli
