// pvm encode: builds the bytes of a command to a device from NAME=VALUE arguments.
#include <iostream>
#include <memory>

#include "commands.h"
#include "decode_run.h"
#include "file_io.h"
#include "program_loader.h"

namespace pvm::cli {
namespace {

struct EncodeArgs {
  std::string protocol;
  std::string command;
  std::vector<std::string> args;
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
  if (resolve_protocol(args.protocol, "", path, error)) program = load_program(path, std::cerr, error);
  if (!program) {
    std::cerr << "pvm encode: " << error << "\n";
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
  cmd->footer("Exit status: 0 on success, 1 when the protocol rejects the command, 2 for usage errors.");
  cmd->callback([args, &status] { status = run_encode(*args); });
}

}  // namespace pvm::cli
