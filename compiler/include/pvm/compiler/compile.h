// The compiler driver: .pvm source -> diagnostics, assembly text and a module.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pvm/bytecode/module.h"
#include "pvm/compiler/diagnostic.h"

namespace pvm::compiler {

enum class Dump : uint8_t { None, Tokens, Ast, Typed, Asm };

struct CompileOptions {
  std::vector<std::string> import_dirs;  // searched for `use "file.pvm"` after the importing file's folder
  Dump dump = Dump::None;                // the phase printout to return in `dump`
};

struct CompileResult {
  bool ok = false;
  std::vector<Diagnostic> diagnostics;  // all of them, errors and warnings
  std::string dump;                     // the requested phase printout
  std::string asm_text;                 // when ok
  bc::Module module;                    // when ok: assemble(asm_text)
};

CompileResult compile_file(const std::string& path, const CompileOptions& options);
CompileResult compile_source(std::string_view file_name, std::string_view source, const CompileOptions& options);

}  // namespace pvm::compiler
