// Every protocol of the stdlib, compiled once per fuzzer process, in file-name order so that an
// input's first byte names the same protocol every run.
#pragma once

#include <algorithm>
#include <filesystem>
#include <vector>

#include "pvm/compiler/compile.h"

namespace pvm::fuzz {

inline std::vector<bc::Module> compile_stdlib() {
  std::vector<std::filesystem::path> paths;
  for (auto& entry : std::filesystem::directory_iterator(PVM_STDLIB_DIR))
    if (entry.path().extension() == ".pvm") paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  std::vector<bc::Module> out;
  for (const auto& path : paths) {
    compiler::CompileOptions options;
    auto result = compiler::compile_file(path.string(), options);
    if (result.ok) out.push_back(std::move(result.module));  // a library file is no protocol
  }
  return out;
}

}  // namespace pvm::fuzz
