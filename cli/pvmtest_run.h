// Runs .pvmtest golden tests: builds the program, decodes the input, encodes the command, and
// compares every expected section with what came out.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pvm/vm.h"

namespace pvm::cli {

struct GoldenResult {
  bool passed = false;
  bool updated = false;  // --update rewrote the file
  std::string report;    // why it failed: setup problems and a diff per differing section
};

class GoldenRunner {
 public:
  // With `update`, the expected sections are rewritten with the actual output (missing ones
  // are added) and the test passes unless it could not run at all.
  GoldenResult run(const std::string& path, bool update);

 private:
  struct Built {
    bool compiled = true;  // false when the compiler reported errors
    std::vector<std::string> diagnostics;
    std::vector<std::string> asm_lines;  // when built from source
    std::shared_ptr<const Program> program;
    std::string error;  // why there is no program, other than compile errors
  };

  Built build_source(const std::string& file_name, const std::string& source, const std::string& dir);
  const Built& build_path(const std::string& path);

  std::map<std::string, Built> by_path_;  // stdlib protocols are compiled once per run
};

// Collects the .pvmtest files named by `paths` (files, or folders searched recursively), each
// folder's files sorted. False with a reason when a path does not exist.
bool collect_tests(const std::vector<std::string>& paths, std::vector<std::string>& files,
                   std::string& error);

// Splits "COMMAND NAME=VALUE ..." on blanks; double quotes group text with blanks and allow
// \" and \\ inside. False with a reason on an unterminated quote.
bool split_words(std::string_view text, std::vector<std::string>& words, std::string& error);

}  // namespace pvm::cli
