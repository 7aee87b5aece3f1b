// Runs .pvmtest golden tests: builds the program, decodes the input, encodes the command, and
// compares every expected section with what came out.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "module_cache.h"
#include "pvm/vm.h"

namespace pvm::cli {

struct GoldenResult {
  bool passed = false;
  bool updated = false;  // --update rewrote the file
  std::string report;    // why it failed: setup problems and a diff per differing section
  std::string notes;     // for standard error: why the JIT does not run a program it was asked
                         // to, or why the module cache is not used
};

// What a program made of a test, by section: messages, replies, errors (rejected frames and
// warnings), frames (one JSON record per frame: where each output came from) and encoded.
using TestOutputs = std::map<std::string, std::vector<std::string>>;

// A diff per section where what the JIT made differs from what the interpreter made; empty when
// every section is the same.
std::string engine_diff(const TestOutputs& interpreter, const TestOutputs& jit);

struct GoldenOptions {
  // The expected sections are rewritten with the actual output (missing ones are added) and the
  // test passes unless it could not run at all.
  bool update = false;
  LoadOptions load;  // the engine that runs the programs (pvm test --jit), the JIT's cache
  // Every test also runs on the JIT, and fails unless both engines give the same output.
  bool compare_engines = false;
  ModuleCacheDir module_cache;  // where protocols compiled from .pvm files are kept between runs
};

class GoldenRunner {
 public:
  explicit GoldenRunner(GoldenOptions options = {}) : options_(options), modules_(options.module_cache) {}
  GoldenResult run(const std::string& path);

 private:
  struct Built {
    bool compiled = true;  // false when the compiler reported errors
    std::vector<std::string> diagnostics;
    std::vector<std::string> asm_lines;  // when compiled (a module from the cache has none)
    bool from_cache = false;             // the module came from the module cache
    std::shared_ptr<const Program> program;
    std::shared_ptr<const Program> jit;  // compare_engines: the same module loaded for the JIT
    std::string error;                   // why there is no program, other than compile errors
  };

  GoldenResult run_test(const std::string& path);
  Built build_source(const std::string& file_name, const std::string& source, const std::string& dir);
  const Built& build_path(const std::string& path, bool with_asm);
  void loaded(Built& built);
  void note_engine(const Program& program, const LoadOptions& options);

  GoldenOptions options_;
  ModuleCache modules_;
  std::map<std::string, Built> by_path_;  // stdlib protocols are compiled once per run
  std::string notes_;                     // for the result of the test being run
  std::set<std::string> noted_;           // each note once per run
};

// Collects the .pvmtest files named by `paths` (files, or folders searched recursively), each
// folder's files sorted. False with a reason when a path does not exist.
bool collect_tests(const std::vector<std::string>& paths, std::vector<std::string>& files,
                   std::string& error);

// Splits "COMMAND NAME=VALUE ..." on blanks; double quotes group text with blanks and allow
// \" and \\ inside. False with a reason on an unterminated quote.
bool split_words(std::string_view text, std::vector<std::string>& words, std::string& error);

}  // namespace pvm::cli
