// Tokens of the .pvm language.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pvm/compiler/diagnostic.h"

namespace pvm::compiler {

enum class Tok : uint8_t {
  End,
  Newline,
  Ident,    // name or keyword
  Var,      // $name (text without the sigil)
  Param,    // #dotted.name (text without the sigil)
  Int,      // text as written; value in int_value
  Float,
  String,   // text holds the decoded value
  Bytes,    // x"0102": text holds the raw bytes
  LBrace, RBrace, LParen, RParen, LBracket, RBracket,
  Comma, Colon, Semicolon, Dot, Assign,
  Eq, Ne, Lt, Le, Gt, Ge,
  Plus, Minus, Star, Slash, Percent,
  Amp, Pipe, Caret, Tilde, Bang, AndAnd, OrOr, Shl, Shr,
  Pipeline,  // ==>
  Arrow,     // =>
  RArrow,    // ->
  Error,
};

std::string_view tok_name(Tok t);

struct Token {
  Tok kind = Tok::End;
  SourcePos pos;
  uint32_t offset = 0;  // byte offset in the source
  uint32_t length = 0;
  std::string text;
  uint64_t int_value = 0;  // Int: the value (fits u64)
  double float_value = 0;
};

}  // namespace pvm::compiler
