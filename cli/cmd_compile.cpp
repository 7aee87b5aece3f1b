// pvm compile: .pvm source -> .pvmc module, assembly text, or a phase printout.
#include <filesystem>
#include <iostream>
#include <memory>

#include "commands.h"
#include "file_io.h"
#include "program_loader.h"
#include "pvm/bytecode/serialize.h"
#include "pvm/compiler/compile.h"

namespace pvm::cli {
namespace {

struct CompileArgs {
  std::string input;
  std::string output;
  std::string emit = "pvmc";
  std::string dump;
  std::vector<std::string> import_dirs;
};

int run_compile(const CompileArgs& args) {
  std::string source, error;
  if (!read_file(args.input, source, error)) {
    std::cerr << "pvm compile: " << error << "\n";
    return kExitUsage;
  }
  compiler::CompileOptions options = compile_options(args.import_dirs);
  static const std::pair<std::string_view, compiler::Dump> kDumps[] = {{"tokens", compiler::Dump::Tokens},
                                                                       {"ast", compiler::Dump::Ast},
                                                                       {"typed", compiler::Dump::Typed},
                                                                       {"asm", compiler::Dump::Asm}};
  for (const auto& [name, dump] : kDumps)
    if (args.dump == name) options.dump = dump;

  compiler::CompileResult result = args.input == "-" ? compiler::compile_source("<stdin>", source, options)
                                                     : compiler::compile_file(args.input, options);
  std::cerr << render_diagnostics(result.diagnostics);
  if (options.dump != compiler::Dump::None) {
    // A printout replaces the output file: it is for looking at one phase, not for building.
    std::cout << result.dump;
    return result.ok ? kExitOk : kExitFailed;
  }
  if (!result.ok) return kExitFailed;

  if (args.emit == "asm") {
    if (args.output.empty() || args.output == "-") {
      std::cout << result.asm_text;
      return kExitOk;
    }
    if (!write_file(args.output, result.asm_text, error)) {
      std::cerr << "pvm compile: " << error << "\n";
      return kExitUsage;
    }
    return kExitOk;
  }
  // A module the verifier rejects would fail on every load: say so now, naming the compiler.
  if (!Program::load(result.module, error)) {
    std::cerr << "pvm compile: internal error: the compiled module does not verify: " << error << "\n";
    return kExitFailed;
  }
  std::string out_path = args.output;
  if (out_path.empty())
    out_path =
        args.input == "-" ? "-" : std::filesystem::path(args.input).replace_extension(".pvmc").string();
  std::vector<uint8_t> bytes = bc::serialize(result.module);
  if (!write_file(out_path, {reinterpret_cast<const char*>(bytes.data()), bytes.size()}, error)) {
    std::cerr << "pvm compile: " << error << "\n";
    return kExitUsage;
  }
  return kExitOk;
}

}  // namespace

void add_compile_command(CLI::App& app, int& status) {
  auto args = std::make_shared<CompileArgs>();
  CLI::App* cmd =
      app.add_subcommand("compile", "Compile a .pvm program to a verified .pvmc module or to assembly");
  cmd->add_option("file", args->input, "The .pvm source file ('-': standard input)")
      ->type_name("FILE.pvm")
      ->required();
  cmd->add_option("-o,--output", args->output,
                  "Output file (default: FILE.pvmc beside the input; for --emit asm or input '-', standard\n"
                  "output; '-': standard output)")
      ->type_name("OUT");
  cmd->add_option("--emit", args->emit, "What to write: a pvmc module or asm text")
      ->check(CLI::IsMember({"pvmc", "asm"}))
      ->capture_default_str();
  cmd->add_option("--dump", args->dump,
                  "Print one phase's output to standard output instead of writing a file")
      ->check(CLI::IsMember({"tokens", "ast", "typed", "asm"}));
  cmd->add_option("-I,--import-dir", args->import_dirs,
                  "Folder searched for `use` imports after the importing file's own (repeatable; "
                  "stdlib-protocols is searched last)")
      ->type_name("DIR")
      ->allow_extra_args(false);
  cmd->footer(
      "Diagnostics go to standard error. Exit status: 0 on success, 1 on compile errors, 2 for usage\n"
      "errors (an unreadable input, an unwritable output).\n\n"
      "Examples:\n"
      "  pvm compile stdlib-protocols/teltonika.pvm -o teltonika.pvmc\n"
      "  pvm compile my_tracker.pvm --emit asm -o - | less\n"
      "  pvm compile my_tracker.pvm --dump typed");
  cmd->callback([args, &status] { status = run_compile(*args); });
}

}  // namespace pvm::cli
