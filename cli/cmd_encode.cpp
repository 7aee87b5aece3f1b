// pvm encode: builds the bytes of a command to a device from NAME=VALUE arguments.
#include <algorithm>
#include <iostream>
#include <memory>

#include "cli_errors.h"
#include "commands.h"
#include "decode_run.h"
#include "file_io.h"
#include "program_loader.h"

namespace pvm::cli {
namespace {

constexpr std::string_view kCommandPrefix = "command.";

// The commands a program defines, as `command NAME(...)` in its source.
std::vector<std::string> command_names(const Program& program) {
  const bc::Module& m = program.module();
  std::vector<std::string> names;
  for (const bc::Function& f : m.functions) {
    const std::string& name = m.strings[f.name];
    if (name.compare(0, kCommandPrefix.size(), kCommandPrefix) == 0)
      names.push_back(name.substr(kCommandPrefix.size()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

// "codec12 text=VALUE": how to call one command.
std::string command_usage(const Program& program, const std::string& name) {
  const bc::Module& m = program.module();
  std::string out = name;
  const int index = m.find_function(std::string(kCommandPrefix) + name);
  if (index < 0) return out;
  for (const bc::Param& p : m.functions[static_cast<size_t>(index)].params)
    out += " " + m.strings[p.name] + "=VALUE";
  return out;
}

struct EncodeArgs {
  std::string protocol;
  std::string command;
  std::vector<std::string> args;
  ModuleCacheArgs module_cache;
};

int run_encode(const EncodeArgs& args) {
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& text : args.args) {
    std::pair<std::string, std::string> param;
    if (!split_assignment(text, param)) {
      std::cerr << "pvm encode: arguments are NAME=VALUE, not '" << text << "'\n";
      return kExitUsage;
    }
    params.push_back(std::move(param));
  }
  std::string path, error;
  std::shared_ptr<const Program> program;
  ModuleCache modules(args.module_cache.resolve());
  if (resolve_protocol(args.protocol, "", path, error))
    program = load_program(path, std::cerr, error, {}, &modules);
  if (std::string note = module_cache_line(modules); !note.empty()) std::cerr << note << "\n";
  if (!program) {
    std::cerr << "pvm encode: " << error << "\n";
    return kExitUsage;
  }
  if (!program->has_function("command." + args.command)) {
    std::vector<std::string> names = command_names(*program);
    std::cerr << "pvm encode: " << program->protocol() << " has no command '" << args.command << "'";
    if (const std::string near = closest_name(args.command, names); !near.empty())
      std::cerr << " (did you mean '" << near << "'?)";
    if (names.empty()) {
      std::cerr << "; it defines no commands\n";
    } else {
      std::cerr << "; its commands:\n";
      for (const auto& name : names) std::cerr << "  " << command_usage(*program, name) << "\n";
    }
    return kExitUsage;
  }
  std::vector<uint8_t> bytes;
  if (!program->encode(args.command, params, bytes, error)) {
    std::cerr << "pvm encode: " << args.command << ": " << error << "\n";
    return kExitFailed;
  }
  std::cout << to_hex(bytes) << "\n";
  return kExitOk;
}

}  // namespace

void add_encode_command(CLI::App& app, int& status) {
  auto args = std::make_shared<EncodeArgs>();
  CLI::App* cmd = app.add_subcommand("encode", "Encode a command to a device and print its bytes as hex");
  cmd->add_option("-p,--protocol", args->protocol, "A stdlib protocol name, or a .pvm or .pvmc file")
      ->type_name("PROTOCOL")
      ->required();
  cmd->add_option("command", args->command, "The command the protocol defines")
      ->type_name("COMMAND")
      ->required();
  cmd->add_option("args", args->args, "The command's arguments")->type_name("NAME=VALUE");
  add_module_cache_options(*cmd, args->module_cache);
  cmd->footer(
      "An unknown COMMAND lists the commands the protocol defines and their arguments.\n"
      "Exit status: 0 on success, 1 when the protocol rejects the command or an argument, 2 for usage\n"
      "errors (unknown protocol or command, an argument not NAME=VALUE).\n\n"
      "Examples:\n"
      "  pvm encode -p teltonika codec12 text=getinfo\n"
      "  pvm encode -p gt06 list");
  cmd->callback([args, &status] { status = run_encode(*args); });
}

}  // namespace pvm::cli
