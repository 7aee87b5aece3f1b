// The parser: tokens to a syntax tree. It recovers at statement boundaries so one run
// reports every syntax error.
#pragma once

#include <vector>

#include "driver/source.h"
#include "lex/token.h"
#include "parse/ast.h"

namespace pvm::compiler {

Program parse(const SourceFile& src, const std::vector<Token>& tokens, std::vector<Diagnostic>& diags);

// Names that read from the input with a fixed width: u8, u16, u16le, u16be, ... f64be.
bool is_fixed_read(std::string_view name);
// Names that read from the input with an argument: bytes(n), text(n), bcd(n), unsigned(n), signed(n),
// and the text reads until(delimiter), field(delimiter).
bool is_sized_read(std::string_view name);
// Names that read without an argument and without a fixed width: cstr, rest.
bool is_bare_read(std::string_view name);

}  // namespace pvm::compiler
