// The lexer: source text to tokens. Newlines are tokens (they end statements) except inside
// parentheses and brackets, where an expression may span lines.
#pragma once

#include <string_view>
#include <vector>

#include "driver/source.h"
#include "lex/token.h"

namespace pvm::compiler {

std::vector<Token> lex(const SourceFile& src, std::vector<Diagnostic>& diags);
std::string dump_tokens(const std::vector<Token>& tokens);

}  // namespace pvm::compiler
