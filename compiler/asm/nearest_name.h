// "Did you mean": the known name closest to a misspelt one.
#pragma once

#include <string_view>
#include <vector>

namespace pvm::compiler::asm_syntax {

// The candidate within a small edit distance of `name`, or "" when none is close enough to be
// a likely typo.
std::string_view nearest_name(std::string_view name, const std::vector<std::string_view>& candidates);

}  // namespace pvm::compiler::asm_syntax
