// Parse errors as a user expects them: an unknown command or option is named first (CLI11 would
// rather report a required option as missing), with the closest known name, and a pointer to
// `pvm help COMMAND`.
#pragma once

#include <CLI/CLI.hpp>

namespace pvm::cli {

// Prints the message for `error` (help and --version print what they ask for) and returns the
// exit status: 0 for help and version, kExitUsage otherwise.
int report_parse_error(CLI::App& app, const CLI::ParseError& error);

// The known name closest to `word`, or "" when none is close enough to be a typo of it.
std::string closest_name(const std::string& word, const std::vector<std::string>& names);

}  // namespace pvm::cli
