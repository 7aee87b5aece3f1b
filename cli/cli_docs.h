// Man pages and shell completions generated from the CLI11 definitions themselves, so that they
// never drift from what `pvm` accepts: `pvm __generate` writes them, the build runs it, and
// `cmake --install` installs the results.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace pvm::cli {

// pvm(1) when `cmd` is the application itself, pvm-NAME(1) for a subcommand.
std::string man_page(const CLI::App& app, const CLI::App& cmd, const std::string& version);
// A bash completion script (`complete -F _pvm pvm`); `protocols` are offered for -p.
std::string bash_completion(const CLI::App& app, const std::vector<std::string>& protocols);
// A zsh completion function (#compdef pvm).
std::string zsh_completion(const CLI::App& app, const std::vector<std::string>& protocols);

// The subcommands users see (not the hidden generator).
std::vector<const CLI::App*> visible_commands(const CLI::App& app);

}  // namespace pvm::cli
