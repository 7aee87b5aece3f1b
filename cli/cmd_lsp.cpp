// pvm lsp: the language server on standard input and output, for editors.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "commands.h"
#include "program_loader.h"
#include "pvm/lsp/server.h"

namespace pvm::cli {
namespace {

struct LspArgs {
  std::vector<std::string> import_dirs;
  bool stdio = false;  // what editors' clients pass; standard input and output is the only transport
};

int run_lsp_command(const LspArgs& args) {
  // The protocol owns standard output: keep a private copy of it for the messages and point
  // file descriptor 1 at standard error, so that nothing else can ever write into the stream.
  const int protocol_fd = dup(STDOUT_FILENO);
  if (protocol_fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    std::cerr << "pvm lsp: cannot set up standard output\n";
    return kExitUsage;
  }
  std::unique_ptr<FILE, int (*)(FILE*)> out(fdopen(protocol_fd, "wb"), fclose);
  if (!out) return kExitUsage;
  lsp::ServerOptions options;
  options.import_dirs = compile_options(args.import_dirs).import_dirs;
  options.version = PVM_VERSION_TEXT;
  auto write = [&](std::string_view message) {
    fwrite(message.data(), 1, message.size(), out.get());
    fflush(out.get());
  };
  return lsp::run_server(std::cin, write, options) == 0 ? kExitOk : kExitFailed;
}

}  // namespace

void add_lsp_command(CLI::App& app, int& status) {
  auto args = std::make_shared<LspArgs>();
  CLI::App* cmd =
      app.add_subcommand("lsp", "Run the language server for editors (LSP over standard input and output)");
  cmd->footer(
      "Editors start it and talk to it; see docs/editors.md. It reports the compiler's diagnostics as you "
      "type,\n"
      "and gives hover, go to definition, references, completion and the outline.\n"
      "Exit status: 0 after the client's shutdown and exit, 1 when the input ended first.\n\n"
      "Examples:\n"
      "  pvm lsp\n"
      "  pvm lsp -I protocols/shared");
  cmd->add_option("-I,--import-dir", args->import_dirs,
                  "Folder searched for `use` imports after the importing file's own (repeatable; "
                  "the stdlib comes last)")
      ->type_name("DIR");
  cmd->add_flag("--stdio", args->stdio,
                "Talk over standard input and output (the default and only transport)");
  cmd->callback([args, &status] { status = run_lsp_command(*args); });
}

}  // namespace pvm::cli
