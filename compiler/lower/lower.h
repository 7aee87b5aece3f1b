// Lowering: the checked tree to PVM assembly text. Functions and tables are inlined at each
// call, so the bytecode needs no call stack and every loop is a counted or input-bounded one.
#pragma once

#include <map>
#include <string>

#include "check/checker.h"
#include "parse/ast.h"

namespace pvm::compiler {

// `file_names` maps each used file (as items name it) to the name runtime errors give it
// ("lib/text.pvm"); code from the source itself names no file.
std::string lower(const Program& program, const CheckedProgram& checked, const std::string& source_name,
                  const std::map<std::string, std::string>& file_names = {});

}  // namespace pvm::compiler
