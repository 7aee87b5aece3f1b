// pvm asm / pvm disasm: between assembly text and .pvmc modules. Assembling the disassembly of a
// module gives back the same bytes.
#include <filesystem>
#include <iostream>
#include <memory>

#include "commands.h"
#include "file_io.h"
#include "program_loader.h"
#include "pvm/bytecode/serialize.h"
#include "pvm/compiler/asm.h"

namespace pvm::cli {
namespace {

struct AsmArgs {
  std::string input;
  std::string output;
};

int run_asm(const AsmArgs& args) {
  std::string text, error;
  if (!read_file(args.input, text, error)) {
    std::cerr << "pvm asm: " << error << "\n";
    return kExitUsage;
  }
  compiler::AsmResult result = compiler::assemble(text, args.input == "-" ? "<stdin>" : args.input);
  std::cerr << render_diagnostics(result.diagnostics);
  if (!result.ok) return kExitFailed;
  std::string out_path = args.output;
  if (out_path.empty())
    out_path =
        args.input == "-" ? "-" : std::filesystem::path(args.input).replace_extension(".pvmc").string();
  std::vector<uint8_t> bytes = bc::serialize(result.module);
  if (!write_file(out_path, {reinterpret_cast<const char*>(bytes.data()), bytes.size()}, error)) {
    std::cerr << "pvm asm: " << error << "\n";
    return kExitUsage;
  }
  return kExitOk;
}

int run_disasm(const AsmArgs& args) {
  std::string bytes, error;
  if (!read_file(args.input, bytes, error)) {
    std::cerr << "pvm disasm: " << error << "\n";
    return kExitUsage;
  }
  bc::Module module;
  if (!bc::deserialize({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, module, error)) {
    std::cerr << "pvm disasm: " << (args.input == "-" ? "<stdin>" : args.input) << ": " << error << "\n";
    return kExitUsage;
  }
  std::string text = compiler::disassemble(module);
  if (args.output.empty()) {
    std::cout << text;
  } else if (!write_file(args.output, text, error)) {
    std::cerr << "pvm disasm: " << error << "\n";
    return kExitUsage;
  }
  return kExitOk;
}

}  // namespace

void add_asm_commands(CLI::App& app, int& status) {
  auto asm_args = std::make_shared<AsmArgs>();
  CLI::App* assemble = app.add_subcommand("asm", "Assemble PVM assembly text into a .pvmc module");
  assemble->add_option("file", asm_args->input, "The assembly file ('-': standard input)")
      ->type_name("FILE.pasm")
      ->required();
  assemble
      ->add_option("-o,--output", asm_args->output,
                   "Output module (default: FILE.pvmc beside the input; '-' or input '-': standard output)")
      ->type_name("OUT");
  assemble->footer(
      "Diagnostics go to standard error. Exit status: 0 on success, 1 on assembly errors, 2 for usage\n"
      "errors (an unreadable input, an unwritable output).\n\n"
      "Examples:\n"
      "  pvm asm teltonika.pasm -o teltonika.pvmc\n"
      "  pvm compile teltonika.pvm --emit asm -o - | pvm asm - -o teltonika.pvmc");
  assemble->callback([asm_args, &status] { status = run_asm(*asm_args); });

  auto disasm_args = std::make_shared<AsmArgs>();
  CLI::App* disassemble = app.add_subcommand("disasm", "Print a .pvmc module as assembly text");
  disassemble->add_option("file", disasm_args->input, "The .pvmc module ('-': standard input)")
      ->type_name("FILE.pvmc")
      ->required();
  disassemble
      ->add_option("-o,--output", disasm_args->output, "Output file (default and '-': standard output)")
      ->type_name("OUT");
  disassemble->footer(
      "Exit status: 0 on success, 2 for a file that is not a valid module or cannot be read or written.\n\n"
      "Examples:\n"
      "  pvm disasm teltonika.pvmc | less\n"
      "  pvm disasm teltonika.pvmc -o teltonika.pasm && pvm asm teltonika.pasm -o again.pvmc");
  disassemble->callback([disasm_args, &status] { status = run_disasm(*disasm_args); });
}

}  // namespace pvm::cli
