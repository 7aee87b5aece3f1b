// Lowering: the checked tree to PVM assembly text. Functions and tables are inlined at each
// call, so the bytecode needs no call stack and every loop is a counted or input-bounded one.
#pragma once

#include <string>

#include "check/checker.h"
#include "parse/ast.h"

namespace pvm::compiler {

std::string lower(const Program& program, const CheckedProgram& checked, const std::string& source_name);

}  // namespace pvm::compiler
