#include "asm/line_lexer.h"

#include "asm/literals.h"

namespace pvm::compiler::asm_syntax {
namespace {

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '$' || c == '+' || c == '-';
}

bool is_punct(char c) {
  return c == ',' || c == ':' || c == '{' || c == '}' || c == '@' || c == '%' || c == '=';
}

uint32_t col_of(size_t i) {
  return static_cast<uint32_t>(i + 1);
}

}  // namespace

bool lex_line(std::string_view line, std::vector<Token>& out, LexError& error) {
  out.clear();
  size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
    } else if (c == ';') {
      break;
    } else if (c == '"') {
      Token t{TokKind::String, {}, col_of(i)};
      std::string why;
      if (!read_string(line, i, t.text, why)) {
        error = {col_of(i), "asm-bad-string", why};
        return false;
      }
      t.end = col_of(i);
      out.push_back(std::move(t));
    } else if (c == 'x' && i + 1 < line.size() && line[i + 1] == '"') {
      const size_t close = line.find('"', i + 2);
      if (close == std::string_view::npos) {
        error = {col_of(i), "asm-bad-bytes", "unterminated bytes literal"};
        return false;
      }
      Token t{TokKind::Bytes, {}, col_of(i)};
      if (!parse_hex(line.substr(i + 2, close - i - 2), t.text)) {
        error = {col_of(i), "asm-bad-bytes", "a bytes literal holds pairs of hex digits"};
        return false;
      }
      i = close + 1;
      t.end = col_of(i);
      out.push_back(std::move(t));
    } else if (is_word_char(c)) {
      const size_t start = i;
      while (i < line.size() && is_word_char(line[i])) ++i;
      out.push_back({TokKind::Word, std::string(line.substr(start, i - start)), col_of(start), col_of(i)});
    } else if (is_punct(c)) {
      out.push_back({TokKind::Punct, std::string(1, c), col_of(i), col_of(i + 1)});
      ++i;
    } else {
      error = {col_of(i), "asm-syntax", "unexpected character " + quote(std::string_view(&c, 1))};
      return false;
    }
  }
  return true;
}

}  // namespace pvm::compiler::asm_syntax
