// Splits one line of assembly into tokens; a comment (;) ends the line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pvm::compiler::asm_syntax {

enum class TokKind : uint8_t {
  Word,    // mnemonic, directive, register, number, label or name: [A-Za-z0-9_.$+-]+
  String,  // text holds the decoded value
  Bytes,   // x"..": text holds the raw bytes
  Punct,   // one of , : { } @ % =
};

struct Token {
  TokKind kind = TokKind::Word;
  std::string text;
  uint32_t col = 0;  // 1-based
  uint32_t end = 0;  // column just past the token
};

struct LexError {
  uint32_t col = 0;
  std::string kind;  // asm-syntax, asm-bad-string, asm-bad-bytes
  std::string message;
};

// False on the first character or literal that cannot be read.
bool lex_line(std::string_view line, std::vector<Token>& out, LexError& error);

}  // namespace pvm::compiler::asm_syntax
