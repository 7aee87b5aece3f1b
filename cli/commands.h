// The subcommands of `pvm`. Each adds itself to the application; its callback runs the command
// and stores the process exit status in `status`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "module_cache.h"

namespace pvm::cli {

// Exit statuses shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // compile errors, rejected frames, failing tests
inline constexpr int kExitUsage = 2;   // bad arguments, unknown protocol, unreadable input

// --jit-cache DIR and --no-jit-cache on a command with --jit: where the JIT keeps compiled code
// between runs. `dir` ends as the directory given, "" with --no-jit-cache, and stays as the
// caller set it (default_jit_cache(), or "" to mean "not given") otherwise.
void add_jit_cache_options(CLI::App& cmd, std::string& dir, bool& off);
// $XDG_CACHE_HOME/pvm/jit, else $HOME/.cache/pvm/jit; "" when neither is set.
std::string default_jit_cache();

// --module-cache DIR and --no-module-cache on a command that compiles .pvm sources: where the
// modules compiled are kept between runs.
struct ModuleCacheArgs {
  std::string dir;  // "": not given
  bool off = false;
  // None with --no-module-cache, the directory given, else default_module_cache(): not named,
  // so that a default that cannot be used goes unsaid.
  ModuleCacheDir resolve() const;
};
void add_module_cache_options(CLI::App& cmd, ModuleCacheArgs& args);
// $XDG_CACHE_HOME/pvm/modules, else $HOME/.cache/pvm/modules; "" when neither is set.
std::string default_module_cache();

void add_compile_command(CLI::App& app, int& status);
void add_asm_commands(CLI::App& app, int& status);  // asm and disasm
void add_decode_command(CLI::App& app, int& status);
void add_encode_command(CLI::App& app, int& status);
void add_test_command(CLI::App& app, int& status);
void add_serve_command(CLI::App& app, int& status);
void add_lsp_command(CLI::App& app, int& status);
void add_help_command(CLI::App& app, int& status);
void add_generate_command(CLI::App& app, int& status, const std::string& version);  // hidden

}  // namespace pvm::cli
