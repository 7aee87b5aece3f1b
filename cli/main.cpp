// pvm: compile protocol programs, assemble and disassemble modules, decode captures, encode
// commands and run golden tests.
#include <CLI/CLI.hpp>
#include <ios>

#include "commands.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);  // only iostreams write: decode output is not slowed by C stdio
  CLI::App app{"PVM: a language, compiler and verified bytecode VM for GPS-tracker protocols."};
  app.set_version_flag("--version", "pvm " PVM_VERSION);
  app.require_subcommand(1);
  int status = pvm::cli::kExitOk;
  pvm::cli::add_compile_command(app, status);
  pvm::cli::add_asm_commands(app, status);
  pvm::cli::add_decode_command(app, status);
  pvm::cli::add_encode_command(app, status);
  pvm::cli::add_test_command(app, status);
  pvm::cli::add_serve_command(app, status);
  pvm::cli::add_lsp_command(app, status);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version exit 0; every other parse error is a usage error.
    return app.exit(e) == 0 ? pvm::cli::kExitOk : pvm::cli::kExitUsage;
  }
  return status;
}
