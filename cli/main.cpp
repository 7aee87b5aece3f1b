// pvm: compile protocol programs, assemble and disassemble modules, decode captures, encode
// commands and run golden tests.
#include <CLI/CLI.hpp>
#include <ios>

#include "cli_errors.h"
#include "commands.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);  // only iostreams write: decode output is not slowed by C stdio
  CLI::App app{"PVM: a language, compiler and verified bytecode VM for GPS-tracker protocols."};
  app.name("pvm");
  app.set_version_flag("--version", "pvm " PVM_VERSION);
  app.footer(
      "Run 'pvm help COMMAND' or 'pvm COMMAND --help' for a command's options. A file argument of '-'\n"
      "is standard input, an output of '-' standard output.\n\n"
      "Exit status: 0 on success, 1 when the work failed (compile errors, rejected frames, failing\n"
      "tests), 2 for usage errors (unknown command or option, unreadable input).\n\n"
      "Examples:\n"
      "  pvm decode -p teltonika examples/captures/teltonika.hex\n"
      "  pvm compile stdlib-protocols/teltonika.pvm --emit asm -o -\n"
      "  pvm serve --listen teltonika@tcp://0.0.0.0:5027 --sink jsonl:messages.jsonl");
  app.require_subcommand(1);
  int status = pvm::cli::kExitOk;
  pvm::cli::add_compile_command(app, status);
  pvm::cli::add_asm_commands(app, status);
  pvm::cli::add_decode_command(app, status);
  pvm::cli::add_encode_command(app, status);
  pvm::cli::add_test_command(app, status);
  pvm::cli::add_serve_command(app, status);
  pvm::cli::add_lsp_command(app, status);
  pvm::cli::add_help_command(app, status);
  pvm::cli::add_generate_command(app, status, PVM_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return pvm::cli::report_parse_error(app, e);
  }
  return status;
}
