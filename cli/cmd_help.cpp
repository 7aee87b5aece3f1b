// pvm help [COMMAND]: the same text as --help, for people who type it the other way round.
#include <iostream>
#include <memory>

#include "cli_errors.h"
#include "commands.h"

namespace pvm::cli {

void add_help_command(CLI::App& app, int& status) {
  auto topic = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("help", "Show the help of pvm or of one command");
  cmd->add_option("command", *topic, "A command (compile, decode, serve, ...)")->type_name("COMMAND");
  cmd->footer(
      "Exit status: 0, or 2 for a command that does not exist.\n\n"
      "Examples:\n"
      "  pvm help\n"
      "  pvm help decode");
  cmd->callback([&app, topic, &status] {
    if (topic->empty()) {
      std::cout << app.help();
      status = kExitOk;
      return;
    }
    std::vector<std::string> names;
    for (const CLI::App* sub :
         app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); })) {
      names.push_back(sub->get_name());
      if (sub->get_name() == *topic) {
        std::cout << sub->help("pvm");
        status = kExitOk;
        return;
      }
    }
    const std::string near = closest_name(*topic, names);
    std::cerr << "pvm help: unknown command '" << *topic << "'"
              << (near.empty() ? "" : " (did you mean '" + near + "'?)") << "\n";
    status = kExitUsage;
  });
}

}  // namespace pvm::cli
