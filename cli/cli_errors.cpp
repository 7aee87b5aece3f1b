#include "cli_errors.h"

#include <algorithm>
#include <iostream>

#include "commands.h"

namespace pvm::cli {
namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); }))
    names.push_back(sub->get_name());
  return names;
}

std::vector<std::string> option_names(const CLI::App& cmd) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : cmd.get_options()) {
    for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
    for (const auto& s : opt->get_snames()) names.push_back("-" + s);
  }
  return names;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

std::string closest_name(const std::string& word, const std::vector<std::string>& names) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& name : names) {
    const size_t d = edit_distance(word, name);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  return best;
}

int report_parse_error(CLI::App& app, const CLI::ParseError& error) {
  if (dynamic_cast<const CLI::Success*>(&error) != nullptr) {
    app.exit(error);
    return kExitOk;
  }
  // The command the user reached: pvm, or the subcommand parsed last.
  CLI::App* cmd = &app;
  while (!cmd->get_subcommands().empty()) cmd = cmd->get_subcommands().front();
  const std::string name = cmd == &app ? "pvm" : "pvm " + cmd->get_name();
  const std::string more = cmd == &app ? "Run 'pvm help' for the commands."
                                       : "Run 'pvm help " + cmd->get_name() + "' for its options.";

  std::vector<std::string> extras = cmd->remaining();
  if (cmd != &app)
    for (const auto& e : app.remaining())
      if (std::find(extras.begin(), extras.end(), e) == extras.end()) extras.push_back(e);
  for (const auto& arg : extras) {
    if (arg.size() > 1 && arg[0] == '-') {
      const std::string option = arg.substr(0, arg.find('='));
      const std::string near = closest_name(option, option_names(*cmd));
      std::cerr << name << ": unknown option '" << option << "'"
                << (near.empty() ? "" : " (did you mean '" + near + "'?)") << "\n"
                << more << "\n";
      return kExitUsage;
    }
  }
  if (cmd == &app) {
    if (extras.empty()) {
      std::cerr << app.help() << "\n";
      return kExitUsage;
    }
    const std::string near = closest_name(extras.front(), command_names(app));
    std::cerr << "pvm: unknown command '" << extras.front() << "'"
              << (near.empty() ? "" : " (did you mean '" + near + "'?)") << "\n"
              << "Commands: " << join(command_names(app)) << ".\n"
              << more << "\n";
    return kExitUsage;
  }
  if (!extras.empty()) {
    std::cerr << name << ": unexpected argument '" << extras.front() << "'\n" << more << "\n";
    return kExitUsage;
  }
  std::cerr << name << ": " << error.what() << "\n" << more << "\n";
  return kExitUsage;
}

}  // namespace pvm::cli
