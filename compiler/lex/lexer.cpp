#include "lex/lexer.h"

#include <cerrno>
#include <cstdlib>

namespace pvm::compiler {

std::string_view tok_name(Tok t) {
  static constexpr std::string_view kNames[] = {
      "end of file", "newline", "name", "variable", "parameter", "integer", "float", "string", "bytes",
      "'{'", "'}'", "'('", "')'", "'['", "']'", "','", "':'", "';'", "'.'", "'='",
      "'=='", "'!='", "'<'", "'<='", "'>'", "'>='", "'+'", "'-'", "'*'", "'/'", "'%'",
      "'&'", "'|'", "'^'", "'~'", "'!'", "'&&'", "'||'", "'<<'", "'>>'", "'==>'", "'=>'", "'->'", "error"};
  return kNames[static_cast<int>(t)];
}

namespace {

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Lexer {
 public:
  Lexer(const SourceFile& src, std::vector<Diagnostic>& diags) : src_(src), s_(src.text), diags_(diags) {}

  std::vector<Token> run() {
    while (true) {
      skip_space_and_comments();
      if (i_ >= s_.size()) break;
      lex_one();
    }
    Token end = make(Tok::End, i_);
    end.length = 0;
    out_.push_back(end);
    return std::move(out_);
  }

 private:
  SourcePos pos_at(uint32_t off) const {
    // Lines and columns are counted once per token start; columns count bytes, tabs as one.
    uint32_t line = line_, col = col_ + (off - line_off_);
    return {line, col};
  }
  Token make(Tok k, uint32_t start) {
    Token t;
    t.kind = k;
    t.offset = start;
    t.length = static_cast<uint32_t>(i_ - start);
    t.pos = pos_at(start);
    return t;
  }
  void error(const char* kind, uint32_t at, std::string msg, std::string hint = {}) {
    diags_.push_back(src_.diag(kind, pos_at(at), std::move(msg), std::move(hint)));
  }
  void newline_at(uint32_t off) {
    ++line_;
    line_off_ = off + 1;
    col_ = 1;
  }

  void skip_space_and_comments() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\r') {
        ++i_;
      } else if (c == '\n') {
        if (depth_ == 0 && !out_.empty() && out_.back().kind != Tok::Newline) {
          Token t = make(Tok::Newline, i_);
          t.length = 1;
          out_.push_back(t);
        }
        newline_at(i_);
        ++i_;
      } else if (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '/') {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else if (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '*') {
        uint32_t start = i_;
        i_ += 2;
        while (i_ + 1 < s_.size() && !(s_[i_] == '*' && s_[i_ + 1] == '/')) {
          if (s_[i_] == '\n') newline_at(i_);
          ++i_;
        }
        if (i_ + 1 >= s_.size()) {
          error("bad-char", start, "unterminated block comment", "close it with */");
          i_ = static_cast<uint32_t>(s_.size());
        } else {
          i_ += 2;
        }
      } else {
        break;
      }
    }
  }

  void lex_one() {
    uint32_t start = i_;
    char c = s_[i_];
    if (is_ident_start(c)) {
      if (c == 'x' && i_ + 1 < s_.size() && s_[i_ + 1] == '"') return lex_bytes();
      while (i_ < s_.size() && is_ident(s_[i_])) ++i_;
      Token t = make(Tok::Ident, start);
      t.text = s_.substr(start, i_ - start);
      out_.push_back(std::move(t));
      return;
    }
    if (c == '$') {
      ++i_;
      while (i_ < s_.size() && is_ident(s_[i_])) ++i_;
      Token t = make(Tok::Var, start);
      t.text = s_.substr(start + 1, i_ - start - 1);
      if (t.text.empty()) error("bad-char", start, "'$' must be followed by a variable name");
      out_.push_back(std::move(t));
      return;
    }
    if (c == '#') {
      ++i_;
      // Parameter names: dotted tags of [A-Za-z0-9_-]; a '-' counts only when a letter follows.
      while (i_ < s_.size()) {
        char d = s_[i_];
        if (is_ident(d) || (d == '.' && i_ + 1 < s_.size() && is_ident(s_[i_ + 1])) ||
            (d == '-' && i_ + 1 < s_.size() && is_ident_start(s_[i_ + 1])))
          ++i_;
        else
          break;
      }
      Token t = make(Tok::Param, start);
      t.text = s_.substr(start + 1, i_ - start - 1);
      if (t.text.empty()) error("bad-char", start, "'#' must be followed by a parameter name");
      out_.push_back(std::move(t));
      return;
    }
    if (c >= '0' && c <= '9') return lex_number();
    if (c == '"') return lex_string();
    lex_punct();
  }

  void lex_number() {
    uint32_t start = i_;
    bool is_float = false;
    int base = 10;
    if (s_[i_] == '0' && i_ + 1 < s_.size() && (s_[i_ + 1] == 'x' || s_[i_ + 1] == 'X')) {
      base = 16;
      i_ += 2;
      while (i_ < s_.size() && (hex_digit(s_[i_]) >= 0 || s_[i_] == '_')) ++i_;
    } else if (s_[i_] == '0' && i_ + 1 < s_.size() && (s_[i_ + 1] == 'b' || s_[i_ + 1] == 'B')) {
      base = 2;
      i_ += 2;
      while (i_ < s_.size() && (s_[i_] == '0' || s_[i_] == '1' || s_[i_] == '_')) ++i_;
    } else {
      while (i_ < s_.size() && ((s_[i_] >= '0' && s_[i_] <= '9') || s_[i_] == '_')) ++i_;
      if (i_ + 1 < s_.size() && s_[i_] == '.' && s_[i_ + 1] >= '0' && s_[i_ + 1] <= '9') {
        is_float = true;
        ++i_;
        while (i_ < s_.size() && ((s_[i_] >= '0' && s_[i_] <= '9') || s_[i_] == '_')) ++i_;
      }
      if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
        uint32_t save = i_;
        ++i_;
        if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
        if (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
          is_float = true;
          while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        } else {
          i_ = save;
        }
      }
    }
    if (i_ < s_.size() && is_ident(s_[i_])) {
      while (i_ < s_.size() && is_ident(s_[i_])) ++i_;
      error("bad-number", start, "malformed number '" + s_.substr(start, i_ - start) + "'");
    }
    Token t = make(is_float ? Tok::Float : Tok::Int, start);
    t.text = s_.substr(start, i_ - start);
    std::string digits;
    for (char d : t.text)
      if (d != '_') digits += d;
    if (is_float) {
      t.float_value = std::strtod(digits.c_str(), nullptr);
    } else {
      const char* p = digits.c_str() + (base == 10 ? 0 : 2);
      if (!*p) {
        error("bad-number", start, "number '" + t.text + "' has no digits");
      } else {
        errno = 0;
        t.int_value = std::strtoull(p, nullptr, base);
        if (errno == ERANGE) error("bad-number", start, "number '" + t.text + "' does not fit in 64 bits");
      }
    }
    out_.push_back(std::move(t));
  }

  void lex_string() {
    uint32_t start = i_;
    ++i_;
    std::string value;
    while (true) {
      if (i_ >= s_.size() || s_[i_] == '\n') {
        error("bad-string", start, "unterminated string", "close it with '\"' on the same line");
        break;
      }
      char c = s_[i_++];
      if (c == '"') break;
      if (c != '\\') {
        value += c;
        continue;
      }
      if (i_ >= s_.size()) continue;
      char e = s_[i_++];
      switch (e) {
        case 'n': value += '\n'; break;
        case 'r': value += '\r'; break;
        case 't': value += '\t'; break;
        case '0': value += '\0'; break;
        case '\\': value += '\\'; break;
        case '"': value += '"'; break;
        case 'x': {
          int h = i_ + 1 < s_.size() ? hex_digit(s_[i_]) : -1, l = h >= 0 ? hex_digit(s_[i_ + 1]) : -1;
          if (h < 0 || l < 0) {
            error("bad-string", i_ - 2, "\\x needs two hex digits");
          } else {
            value += static_cast<char>(h * 16 + l);
            i_ += 2;
          }
          break;
        }
        default:
          error("bad-string", i_ - 2, std::string("unknown escape '\\") + e + "'",
                "use \\n \\r \\t \\0 \\\\ \\\" or \\xNN");
      }
    }
    Token t = make(Tok::String, start);
    t.text = std::move(value);
    out_.push_back(std::move(t));
  }

  void lex_bytes() {
    uint32_t start = i_;
    i_ += 2;
    std::string hex;
    while (i_ < s_.size() && s_[i_] != '"' && s_[i_] != '\n') {
      char c = s_[i_++];
      if (c == ' ' || c == '_') continue;
      if (hex_digit(c) < 0) error("bad-bytes", i_ - 1, std::string("'") + c + "' is not a hex digit");
      hex += c;
    }
    if (i_ >= s_.size() || s_[i_] != '"')
      error("bad-bytes", start, "unterminated bytes literal", "close it with '\"'");
    else
      ++i_;
    if (hex.size() % 2) error("bad-bytes", start, "bytes literal has an odd number of hex digits");
    Token t = make(Tok::Bytes, start);
    for (size_t k = 0; k + 1 < hex.size(); k += 2)
      t.text += static_cast<char>(std::max(0, hex_digit(hex[k])) * 16 + std::max(0, hex_digit(hex[k + 1])));
    out_.push_back(std::move(t));
  }

  void lex_punct() {
    uint32_t start = i_;
    auto peek = [&](size_t k) { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; };
    Tok k = Tok::Error;
    size_t n = 1;
    switch (s_[i_]) {
      // No expression holds a brace, so one closes any parenthesis left open: newlines count
      // again and an unclosed '(' costs one error, not one for every later line.
      case '{': k = Tok::LBrace; depth_ = 0; break;
      case '}': k = Tok::RBrace; depth_ = 0; break;
      case '(': k = Tok::LParen; ++depth_; break;
      case ')': k = Tok::RParen; if (depth_) --depth_; break;
      case '[': k = Tok::LBracket; ++depth_; break;
      case ']': k = Tok::RBracket; if (depth_) --depth_; break;
      case ',': k = Tok::Comma; break;
      case ':': k = Tok::Colon; break;
      case ';': k = Tok::Semicolon; break;
      case '.': k = Tok::Dot; break;
      case '+': k = Tok::Plus; break;
      case '*': k = Tok::Star; break;
      case '/': k = Tok::Slash; break;
      case '%': k = Tok::Percent; break;
      case '^': k = Tok::Caret; break;
      case '~': k = Tok::Tilde; break;
      case '-': if (peek(1) == '>') { k = Tok::RArrow; n = 2; } else { k = Tok::Minus; } break;
      case '&': if (peek(1) == '&') { k = Tok::AndAnd; n = 2; } else { k = Tok::Amp; } break;
      case '|': if (peek(1) == '|') { k = Tok::OrOr; n = 2; } else { k = Tok::Pipe; } break;
      case '!': if (peek(1) == '=') { k = Tok::Ne; n = 2; } else { k = Tok::Bang; } break;
      case '<':
        if (peek(1) == '=') { k = Tok::Le; n = 2; } else if (peek(1) == '<') { k = Tok::Shl; n = 2; } else { k = Tok::Lt; }
        break;
      case '>':
        if (peek(1) == '=') { k = Tok::Ge; n = 2; } else if (peek(1) == '>') { k = Tok::Shr; n = 2; } else { k = Tok::Gt; }
        break;
      case '=':
        if (peek(1) == '=' && peek(2) == '>') { k = Tok::Pipeline; n = 3; }
        else if (peek(1) == '=') { k = Tok::Eq; n = 2; }
        else if (peek(1) == '>') { k = Tok::Arrow; n = 2; }
        else { k = Tok::Assign; }
        break;
      default: break;
    }
    i_ += static_cast<uint32_t>(n);
    if (k == Tok::Error) {
      // A multi-byte UTF-8 character is one bad character, not one per byte.
      if (static_cast<unsigned char>(s_[start]) >= 0xC0)
        while (i_ < s_.size() && (static_cast<unsigned char>(s_[i_]) & 0xC0) == 0x80) ++i_;
      std::string shown;
      for (uint32_t at = start; at < i_; ++at) {
        unsigned char c = static_cast<unsigned char>(s_[at]);
        static constexpr char kHex[] = "0123456789abcdef";
        if (c >= 0x20 && c < 0x7f) shown += static_cast<char>(c);
        else shown += std::string("\\x") + kHex[c >> 4] + kHex[c & 15];
      }
      error("bad-char", start, "unexpected character '" + shown + "'");
      return;
    }
    out_.push_back(make(k, start));
  }

  const SourceFile& src_;
  const std::string& s_;
  std::vector<Diagnostic>& diags_;
  std::vector<Token> out_;
  uint32_t i_ = 0, line_ = 1, col_ = 1, line_off_ = 0, depth_ = 0;
};

}  // namespace

std::vector<Token> lex(const SourceFile& src, std::vector<Diagnostic>& diags) { return Lexer(src, diags).run(); }

std::string dump_tokens(const std::vector<Token>& tokens) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const Token& t : tokens) {
    out += std::to_string(t.pos.line) + ":" + std::to_string(t.pos.col) + " " + std::string(tok_name(t.kind));
    if (t.kind == Tok::Ident || t.kind == Tok::Var || t.kind == Tok::Param || t.kind == Tok::Int ||
        t.kind == Tok::Float) {
      out += " " + t.text;
    } else if (t.kind == Tok::String) {
      // Escaped, so that one token stays one line.
      out += " \"";
      for (unsigned char c : t.text) {
        if (c == '"' || c == '\\') out += std::string("\\") + static_cast<char>(c);
        else if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
        else out += std::string("\\x") + kHex[c >> 4] + kHex[c & 15];
      }
      out += "\"";
    } else if (t.kind == Tok::Bytes) {
      out += " x\"";
      for (unsigned char c : t.text) out += std::string(1, kHex[c >> 4]) + kHex[c & 15];
      out += "\"";
    }
    out += "\n";
  }
  return out;
}

}  // namespace pvm::compiler
