// The subcommands of `pvm`. Each adds itself to the application; its callback runs the command
// and stores the process exit status in `status`.
#pragma once

#include <CLI/CLI.hpp>

namespace pvm::cli {

// Exit statuses shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // compile errors, rejected frames, failing tests
inline constexpr int kExitUsage = 2;   // bad arguments, unknown protocol, unreadable input

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
