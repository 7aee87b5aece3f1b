// pvm __generate: the man pages and shell completions, from the commands' own definitions. The
// build runs it (cli/CMakeLists.txt); it is hidden from help because users get its output.
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli_docs.h"
#include "commands.h"
#include "file_io.h"
#include "program_loader.h"

namespace pvm::cli {
namespace {

struct GenerateArgs {
  std::string kind;
  std::string output;
};

int run_generate(const CLI::App& app, const GenerateArgs& args, const std::string& version) {
  std::string error;
  if (args.kind == "man") {
    std::error_code ec;
    std::filesystem::create_directories(args.output, ec);
    bool ok = write_file(args.output + "/pvm.1", man_page(app, app, version), error);
    for (const CLI::App* cmd : visible_commands(app))
      ok = ok &&
           write_file(args.output + "/pvm-" + cmd->get_name() + ".1", man_page(app, *cmd, version), error);
    if (ok) return kExitOk;
  } else {
    const std::vector<std::string> protocols = stdlib_names();
    const std::string text =
        args.kind == "bash" ? bash_completion(app, protocols) : zsh_completion(app, protocols);
    if (write_file(args.output, text, error)) return kExitOk;
  }
  std::cerr << "pvm __generate: " << error << "\n";
  return kExitUsage;
}

}  // namespace

void add_generate_command(CLI::App& app, int& status, const std::string& version) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand("__generate", "Write the man pages or a shell completion script");
  cmd->group("");  // hidden
  cmd->add_option("kind", args->kind, "man, bash or zsh")
      ->required()
      ->check(CLI::IsMember({"man", "bash", "zsh"}));
  cmd->add_option("output", args->output,
                  "man: a folder for pvm.1 and pvm-COMMAND.1; bash, zsh: a file or '-'")
      ->required();
  cmd->callback([&app, args, &status, version] { status = run_generate(app, *args, version); });
}

}  // namespace pvm::cli
