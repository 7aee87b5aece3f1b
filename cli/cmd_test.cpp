// pvm test: runs .pvmtest golden tests and shows a diff for each one that fails.
#include <iostream>
#include <memory>

#include "commands.h"
#include "pvmtest_run.h"

namespace pvm::cli {
namespace {

struct TestArgs {
  bool update = false;
  bool jit = false;
  bool compare_engines = false;
  std::string jit_cache = default_jit_cache();
  bool no_jit_cache = false;
  ModuleCacheArgs module_cache;
  std::vector<std::string> paths;
};

int run_tests(const TestArgs& args) {
  std::vector<std::string> files;
  std::string error;
  if (!collect_tests(args.paths, files, error)) {
    std::cerr << "pvm test: " << error << "\n";
    return kExitUsage;
  }
  GoldenOptions options;
  options.update = args.update;
  options.load.engine = args.jit ? Engine::Jit : Engine::Interpreter;
  options.compare_engines = args.compare_engines;
  if (!args.no_jit_cache) options.load.jit_cache = args.jit_cache;
  options.module_cache = args.module_cache.resolve();
  GoldenRunner runner(options);
  size_t passed = 0, failed = 0;
  for (const auto& file : files) {
    GoldenResult result = runner.run(file);
    std::cerr << result.notes;
    if (result.passed) {
      ++passed;
      std::cout << (result.updated ? "UPDATED " : "PASS ") << file << "\n";
    } else {
      ++failed;
      std::cout << "FAIL " << file << "\n" << result.report;
    }
  }
  std::cout << passed << " passed, " << failed << " failed\n";
  return failed ? kExitFailed : kExitOk;
}

}  // namespace

void add_test_command(CLI::App& app, int& status) {
  auto args = std::make_shared<TestArgs>();
  CLI::App* cmd =
      app.add_subcommand("test", "Run .pvmtest golden tests (files, or folders searched recursively)");
  CLI::Option* update =
      cmd->add_flag("--update", args->update, "Rewrite the expected sections with the actual output");
  CLI::Option* jit =
      cmd->add_flag("--jit", args->jit,
                    "Run the programs as native code (where this pvm has no JIT or it cannot\n"
                    "compile a program, a line on standard error says why and the interpreter runs)");
  cmd->add_flag("--compare-engines", args->compare_engines,
                "Run every test on the interpreter and on the JIT as well: a test fails, with a diff,\n"
                "unless both give the same messages, replies, errors and warnings, frame by frame")
      ->excludes(update)
      ->excludes(jit);
  add_jit_cache_options(*cmd, args->jit_cache, args->no_jit_cache);
  add_module_cache_options(*cmd, args->module_cache);
  cmd->add_option("paths", args->paths, "Test files or folders")->type_name("FILE.pvmtest|DIR")->required();
  cmd->footer(
      "Prints PASS or FAIL per test (with a diff of each differing section), then 'N passed, N failed'.\n"
      "The format is described in docs/testing.md. Exit status: 0 when all pass, 1 otherwise, 2 for usage "
      "errors.\n\n"
      "Examples:\n"
      "  pvm test stdlib-protocols\n"
      "  pvm test --compare-engines stdlib-protocols/tests/teltonika_codec8.pvmtest\n"
      "  pvm test --update my_tracker.pvmtest");
  cmd->callback([args, &status] { status = run_tests(*args); });
}

}  // namespace pvm::cli
