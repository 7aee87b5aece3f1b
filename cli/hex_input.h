// The hex capture format shared by `pvm decode`, `.pvmtest` input sections and the test tools:
// one chunk of bytes per line, whitespace anywhere between digits, `#` to the end of a line is a
// comment, blank lines are skipped. A line `@ 1700000000.5` sets the receive time (Unix seconds)
// of the chunks after it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pvm::cli {

// Appends one chunk per non-blank line to `chunks`, its receive time to `times` (NaN before any
// `@` line: the wall clock) and its line number to `lines` when given. `first_line` numbers the
// first line of `text` (a .pvmtest input section starts deep in its file). On an odd digit
// count, a non-hex character or a bad time, returns false with "name:line: reason".
bool parse_hex_lines(std::string_view text, std::string_view name, uint32_t first_line,
                     std::vector<std::vector<uint8_t>>& chunks, std::vector<double>& times, std::string& error,
                     std::vector<uint32_t>* lines = nullptr);

}  // namespace pvm::cli
