// The textual assembly: one instruction a line, labels, directives. assemble() and
// disassemble() round-trip: assembling the disassembly of a module gives the same bytes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pvm/bytecode/module.h"
#include "pvm/compiler/diagnostic.h"

namespace pvm::compiler {

struct AsmResult {
  bool ok = false;
  bc::Module module;  // canonicalized
  std::vector<Diagnostic> diagnostics;
};

AsmResult assemble(std::string_view text, std::string_view file_name);
std::string disassemble(const bc::Module& module);

}  // namespace pvm::compiler
