// Assembly text -> module. One pass over the lines builds each function's code; labels are
// resolved at the function's .end and session slots and options at the end of the file, so
// every name may be used before it is declared. Every error becomes a diagnostic and the pass
// goes on, so one run reports them all.
#include <algorithm>
#include <bit>
#include <map>
#include <optional>
#include <tuple>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "asm/line_lexer.h"
#include "asm/literals.h"
#include "asm/nearest_name.h"
#include "pvm/compiler/asm.h"

namespace pvm::compiler {
namespace {

using asm_syntax::Token;
using asm_syntax::TokKind;

// Where a diagnostic points.
struct Where {
  uint32_t line = 0;
  uint32_t col = 0;
  std::string_view text;  // the whole source line
};

struct Line {
  uint32_t number = 0;
  std::string_view text;
  std::vector<Token> tokens;

  Where at(uint32_t col) const { return {number, col, text}; }
  // Just past the last token, where a missing operand would have been.
  Where end() const { return at(tokens.empty() ? 1 : tokens.back().end); }
};

// Walks the tokens of one line.
class Cursor {
 public:
  Cursor(const Line& line, size_t k) : line_(line), k_(k) {}

  bool at_end() const { return k_ >= line_.tokens.size(); }
  const Token* peek() const { return at_end() ? nullptr : &line_.tokens[k_]; }
  const Token* next() { return at_end() ? nullptr : &line_.tokens[k_++]; }
  bool punct(char c) {
    const Token* t = peek();
    if (!t || t->kind != TokKind::Punct || t->text[0] != c) return false;
    ++k_;
    return true;
  }
  // Where the next token is, or the end of the line.
  Where here() const { return at_end() ? line_.end() : line_.at(line_.tokens[k_].col); }
  // Skips what is left of a bad operand, up to the comma that ends it.
  void skip_operand() {
    int depth = 0;
    for (; !at_end(); ++k_) {
      const Token& t = line_.tokens[k_];
      if (t.kind != TokKind::Punct) continue;
      if (t.text[0] == '{') ++depth;
      if (t.text[0] == '}') --depth;
      if (t.text[0] == ',' && depth <= 0) return;
    }
  }
  void skip_past_brace() {
    while (!at_end() && !(line_.tokens[k_].kind == TokKind::Punct && line_.tokens[k_].text[0] == '}')) ++k_;
    if (!at_end()) ++k_;
  }

 private:
  const Line& line_;
  size_t k_;
};

std::string describe(const Token* t) {
  if (!t) return "the end of the line";
  switch (t->kind) {
    case TokKind::Word:
    case TokKind::Punct:
      return "'" + t->text + "'";
    case TokKind::String:
      return "a string";
    case TokKind::Bytes:
      return "a bytes literal";
  }
  return {};
}

std::string_view letter_meaning(char letter) {
  switch (letter) {
    case 'i':
      return "an int register";
    case 'u':
      return "a uint register";
    case 'f':
      return "a float register";
    case 'b':
      return "a bool register";
    case 's':
      return "a str register";
    case 'y':
      return "a bytes register";
    case 'K':
      return "an int literal";
    case 'D':
      return "a float literal";
    case 'S':
      return "a string";
    case 'X':
      return "a bytes literal x\"..\"";
    case 'L':
      return "a label";
    case 'T':
      return "a switch table {key: label, ..., _: label}";
    case 'V':
      return "a session slot @name";
    case 'O':
      return "an option %name";
    case 'C':
      return "a CRC algorithm name";
    case 'n':
      return "a decimal immediate";
    case 'E':
      return "a delimiter of a .delimited declaration or the name of an .escape table";
    default:
      return "an operand";
  }
}

std::string usage(const bc::OpInfo& info) {
  std::string out = "usage: " + std::string(info.mnemonic);
  for (size_t k = 0; k < info.operands.size(); ++k) {
    out += k == 0 ? " <" : ", <";
    out += letter_meaning(info.operands[k]);
    out += ">";
  }
  return out;
}

std::string did_you_mean(std::string_view name, const std::vector<std::string_view>& known) {
  const std::string_view best = asm_syntax::nearest_name(name, known);
  return best.empty() ? std::string() : "did you mean '" + std::string(best) + "'?";
}

std::optional<bc::RegClass> class_of_letter(char letter) {
  const size_t k = bc::kRegClassLetters.find(letter);
  if (k == std::string_view::npos) return std::nullopt;
  return static_cast<bc::RegClass>(k);
}

char letter_of_class(bc::RegClass c) {
  return bc::kRegClassLetters[static_cast<size_t>(c)];
}

std::string_view class_word(bc::RegClass c) {
  static constexpr std::string_view kWords[] = {"int", "uint", "float", "bool", "str", "bytes"};
  return kWords[static_cast<size_t>(c)];
}

struct LabelDef {
  uint32_t pc = 0;
  uint32_t line = 0;
};

// A label operand waiting for the function's end.
struct LabelUse {
  enum class Slot : uint8_t { Code, Case, Default };
  std::string name;
  Where at;
  Slot slot = Slot::Code;
  uint32_t index = 0;  // code word, or switch table
  uint32_t case_index = 0;
};

// A session slot (@name) or option (%name) operand waiting for the end of the file.
struct NameUse {
  std::string name;
  Where at;
  char letter = 'V';
  size_t function = 0;
  uint32_t word = 0;
  std::optional<bc::RegClass> want;  // the class of the instruction's register, which must match
  std::string_view mnemonic;
};

struct OpenFunction {
  bc::Function f;
  std::string name;
  Where at;
  bool regs_seen = false;
  bool limit_reported = false;
  std::unordered_map<std::string, LabelDef> labels;
  std::vector<LabelUse> uses;
  std::map<std::tuple<uint32_t, uint32_t, uint32_t, uint32_t>, uint32_t> site_index;  // file line col parent
};

// An escape-table operand (E) waiting for the end of the file, where every .delimited and
// .escape is known: a delimiter, or the name of a table whose index goes into the word.
struct DelimiterUse {
  uint32_t value = 0;
  Where at;
  std::string name;  // a named table, or "" for a delimiter
  size_t function = 0;
  uint32_t word = 0;
};

class Assembler {
 public:
  explicit Assembler(std::string_view file) : file_(file) {}

  AsmResult run(std::string_view text);

 private:
  void statement(const Line& line, size_t k);
  void directive(const Line& line, size_t k);
  void label(const Line& line, size_t k);
  void instruction(const Line& line, size_t k);
  bool operand(Cursor& c, char letter, const bc::OpInfo& info, size_t n, uint32_t& word);
  bool reg_operand(Cursor& c, char letter, const bc::OpInfo& info, size_t n, uint32_t& word);
  bool table_operand(Cursor& c, uint32_t& word);
  bool name_operand(Cursor& c, char letter, const bc::OpInfo& info, uint32_t& word);

  void dir_protocol(const Where& at, Cursor& c);
  void dir_source(const Where& at, Cursor& c);
  void dir_session(const Where& at, Cursor& c);
  void dir_option(const Where& at, Cursor& c);
  void dir_func(const Where& at, Cursor& c);
  void dir_end(const Where& at, Cursor& c);
  void dir_regs(const Where& at, Cursor& c);
  void dir_param(const Where& at, Cursor& c);
  void dir_loc(const Where& at, Cursor& c);
  void dir_delimited(const Where& at, Cursor& c);
  void dir_escape(const Where& at, Cursor& c);
  bool want_escapes(Cursor& c, std::vector<bc::Escape>& out, std::string_view form);
  bool want_byte(Cursor& c, std::string_view what, uint8_t& out);
  bool want_file(Cursor& c, uint32_t& file);

  bool want_string(Cursor& c, std::string& out, std::string_view what);
  bool want_name(Cursor& c, std::string& out, std::string_view what);
  bool want_u32(Cursor& c, uint32_t& out, std::string_view what);
  bool want_end(Cursor& c, std::string_view directive);
  bool parse_register(const Token* t, bc::RegClass& cls, uint32_t& number);

  void close_function();
  void resolve_names();

  uint32_t intern_string(const std::string& s);
  uint32_t intern_int(int64_t v);
  uint32_t intern_float(double v);

  void error(std::string kind, const Where& at, std::string message, std::string hint = {});

  std::string file_;
  std::vector<Diagnostic> diags_;
  bc::Module m_;
  std::unordered_map<std::string, uint32_t> string_index_;
  std::unordered_map<int64_t, uint32_t> int_index_;
  std::unordered_map<uint64_t, uint32_t> float_index_;  // by bit pattern
  std::optional<uint32_t> protocol_line_, source_line_;
  std::unordered_map<std::string, uint32_t> session_index_, option_index_, function_line_;
  std::optional<OpenFunction> fn_;
  std::vector<NameUse> name_uses_;
  std::vector<DelimiterUse> delimiter_uses_;
  std::unordered_map<std::string, uint32_t> file_index_;  // path -> LineEntry::file
  bool string_limit_reported_ = false;
};

struct DirectiveEntry {
  std::string_view name;
  void (Assembler::*handle)(const Where&, Cursor&);
  bool in_function;  // only between .func and .end
};

AsmResult Assembler::run(std::string_view text) {
  uint32_t number = 0;
  for (size_t start = 0; start <= text.size();) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    Line line;
    line.number = ++number;
    line.text = text.substr(start, nl - start);
    if (!line.text.empty() && line.text.back() == '\r') line.text.remove_suffix(1);
    start = nl + 1;
    asm_syntax::LexError lex_error;
    if (!asm_syntax::lex_line(line.text, line.tokens, lex_error)) {
      error(lex_error.kind, line.at(lex_error.col), lex_error.message);
      continue;
    }
    statement(line, 0);
  }
  if (fn_) {
    error("asm-unterminated-function", fn_->at, "function '" + fn_->name + "' has no .end",
          "end every function with .end");
    close_function();
  }
  resolve_names();
  if (!protocol_line_) {
    error("asm-missing-protocol", {1, 1, text.substr(0, text.find('\n'))}, "the module names no protocol",
          "start the file with .protocol \"name\"");
  }
  if (!source_line_) m_.source = intern_string("");

  AsmResult result;
  std::stable_sort(diags_.begin(), diags_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.pos.line != b.pos.line ? a.pos.line < b.pos.line : a.pos.col < b.pos.col;
  });
  result.ok = !has_errors(diags_);
  if (result.ok) bc::canonicalize(m_);
  result.module = std::move(m_);
  result.diagnostics = std::move(diags_);
  return result;
}

void Assembler::statement(const Line& line, size_t k) {
  if (k >= line.tokens.size()) return;
  const Token& first = line.tokens[k];
  if (first.kind == TokKind::Word && first.text[0] == '.') {
    directive(line, k);
  } else if (k + 1 < line.tokens.size() && line.tokens[k + 1].kind == TokKind::Punct &&
             line.tokens[k + 1].text == ":") {
    label(line, k);
  } else if (first.kind == TokKind::Word) {
    instruction(line, k);
  } else {
    error("asm-syntax", line.at(first.col),
          "expected an instruction, a label or a directive, not " + describe(&first));
  }
}

void Assembler::directive(const Line& line, size_t k) {
  static constexpr DirectiveEntry kDirectives[] = {
      {".protocol", &Assembler::dir_protocol, false},
      {".source", &Assembler::dir_source, false},
      {".session", &Assembler::dir_session, false},
      {".option", &Assembler::dir_option, false},
      {".delimited", &Assembler::dir_delimited, false},
      {".escape", &Assembler::dir_escape, false},
      {".func", &Assembler::dir_func, false},
      {".end", &Assembler::dir_end, true},
      {".regs", &Assembler::dir_regs, true},
      {".param", &Assembler::dir_param, true},
      {".loc", &Assembler::dir_loc, true},
  };
  const Token& name = line.tokens[k];
  for (const DirectiveEntry& d : kDirectives) {
    if (d.name != name.text) continue;
    if (d.in_function && !fn_) {
      error("asm-outside-function", line.at(name.col), name.text + " outside a function",
            "a function starts with .func name");
      return;
    }
    Cursor c(line, k + 1);
    (this->*d.handle)(line.at(name.col), c);
    return;
  }
  std::vector<std::string_view> known;
  for (const DirectiveEntry& d : kDirectives) known.push_back(d.name);
  error("asm-unknown-directive", line.at(name.col), "unknown directive " + name.text,
        did_you_mean(name.text, known));
}

void Assembler::label(const Line& line, size_t k) {
  const Token& name = line.tokens[k];
  if (!fn_) {
    error("asm-outside-function", line.at(name.col), "label outside a function");
    return;
  }
  if (name.kind != TokKind::Word || !asm_syntax::is_plain_name(name.text)) {
    error("asm-bad-label", line.at(name.col), describe(&name) + " cannot be a label",
          "a label is a name like L1 or loop.top");
  } else {
    const auto [it, added] =
        fn_->labels.try_emplace(name.text, LabelDef{static_cast<uint32_t>(fn_->f.code.size()), line.number});
    if (!added) {
      error("asm-duplicate-label", line.at(name.col), "label '" + name.text + "' is defined twice",
            "first defined on line " + std::to_string(it->second.line));
    }
  }
  statement(line, k + 2);
}

void Assembler::instruction(const Line& line, size_t k) {
  const Token& mnemonic = line.tokens[k];
  bc::Op op{};
  if (!bc::op_from_mnemonic(mnemonic.text, op)) {
    std::vector<std::string_view> known;
    for (size_t i = 0; i < bc::kOpCount; ++i) known.push_back(bc::op_info(static_cast<bc::Op>(i)).mnemonic);
    error("asm-unknown-opcode", line.at(mnemonic.col), "unknown opcode '" + mnemonic.text + "'",
          did_you_mean(mnemonic.text, known));
    return;
  }
  if (!fn_) {
    error("asm-outside-function", line.at(mnemonic.col), "instruction outside a function",
          "a function starts with .func name");
    return;
  }
  const bc::OpInfo& info = bc::op_info(op);
  std::vector<uint32_t>& code = fn_->f.code;
  if (code.size() + 1 + info.operands.size() > bc::kMaxCodeWords) {
    if (!fn_->limit_reported) {
      error("asm-limit", line.at(mnemonic.col),
            "function '" + fn_->name + "' exceeds " + std::to_string(bc::kMaxCodeWords) + " code words",
            "split the protocol's work across fewer or smaller paths");
    }
    fn_->limit_reported = true;
    return;
  }
  code.push_back(static_cast<uint32_t>(op));
  Cursor c(line, k + 1);
  for (size_t n = 0; n < info.operands.size(); ++n) {
    if (n > 0 && !c.punct(',') && !c.at_end()) {
      error("asm-bad-operand", c.here(), "expected ',' before operand " + std::to_string(n + 1), usage(info));
    }
    if (c.at_end()) {
      error("asm-operand-count", c.here(),
            std::string(info.mnemonic) + " takes " + std::to_string(info.operands.size()) + " operand" +
                (info.operands.size() == 1 ? "" : "s") + ", got " + std::to_string(n),
            usage(info));
      code.resize(code.size() + info.operands.size() - n, 0);
      return;
    }
    uint32_t word = 0;
    if (!operand(c, info.operands[n], info, n, word)) c.skip_operand();
    code.push_back(word);
  }
  if (!c.at_end()) {
    error("asm-operand-count", c.here(),
          std::string(info.mnemonic) + " takes " + std::to_string(info.operands.size()) + " operand" +
              (info.operands.size() == 1 ? "" : "s"),
          usage(info));
  }
}

bool Assembler::operand(Cursor& c, char letter, const bc::OpInfo& info, size_t n, uint32_t& word) {
  if (class_of_letter(letter)) return reg_operand(c, letter, info, n, word);
  if (letter == 'T') return table_operand(c, word);
  if (letter == 'V' || letter == 'O') return name_operand(c, letter, info, word);
  const Where at = c.here();
  const Token* t = c.next();
  const auto bad = [&](std::string why = {}) {
    error("asm-bad-operand", at,
          "operand " + std::to_string(n + 1) + " of " + std::string(info.mnemonic) + " must be " +
              std::string(letter_meaning(letter)) + ", not " + describe(t) + why,
          usage(info));
    return false;
  };
  const bool is_word = t->kind == TokKind::Word;
  switch (letter) {
    case 'K': {
      int64_t v = 0;
      if (!is_word || !asm_syntax::parse_int(t->text, v)) return bad();
      word = intern_int(v);
      return true;
    }
    case 'D': {
      double v = 0;
      if (!is_word || !asm_syntax::parse_float(t->text, v)) return bad();
      word = intern_float(v);
      return true;
    }
    case 'S':
    case 'X':
      if (t->kind != (letter == 'S' ? TokKind::String : TokKind::Bytes)) return bad();
      if (t->text.size() > bc::kMaxStringBytes) {
        error("asm-limit", at,
              "a constant of " + std::to_string(t->text.size()) + " bytes; the limit is " +
                  std::to_string(bc::kMaxStringBytes));
        return false;
      }
      word = intern_string(t->text);
      return true;
    case 'L':
      if (!is_word || !asm_syntax::is_plain_name(t->text)) return bad();
      fn_->uses.push_back({t->text, at, LabelUse::Slot::Code, static_cast<uint32_t>(fn_->f.code.size()), 0});
      return true;
    case 'C': {
      bc::Crc crc{};
      if (!is_word || !bc::crc_from_name(t->text, crc)) {
        std::vector<std::string_view> known;
        for (size_t i = 0; i < bc::kCrcCount; ++i) known.push_back(bc::crc_name(static_cast<bc::Crc>(i)));
        std::string hint = is_word ? did_you_mean(t->text, known) : std::string();
        if (hint.empty()) {
          hint = "known:";
          for (std::string_view k : known) hint += " " + std::string(k);
        }
        error("asm-unknown-crc", at, describe(t) + " is not a CRC algorithm", hint);
        return false;
      }
      word = static_cast<uint32_t>(crc);
      return true;
    }
    case 'n':
      if (!is_word || !asm_syntax::parse_u32(t->text, word)) return bad(" (0 to 4294967295)");
      return true;
    case 'E': {
      int64_t v = 0;
      if (is_word && asm_syntax::is_plain_name(t->text) && !asm_syntax::parse_int(t->text, v)) {
        delimiter_uses_.push_back({0, at, t->text, m_.functions.size(), static_cast<uint32_t>(fn_->f.code.size())});
        return true;
      }
      if (!is_word || !asm_syntax::parse_int(t->text, v) || v < 0 || v > 255) return bad(" (0 to 0xff, or a name)");
      word = static_cast<uint32_t>(v);
      delimiter_uses_.push_back({word, at, {}, 0, 0});
      return true;
    }
    default:
      return bad();
  }
}

bool Assembler::parse_register(const Token* t, bc::RegClass& cls, uint32_t& number) {
  if (!t || t->kind != TokKind::Word || t->text.size() < 2) return false;
  const auto c = class_of_letter(t->text[0]);
  if (!c || !asm_syntax::parse_u32(std::string_view(t->text).substr(1), number)) return false;
  cls = *c;
  return true;
}

bool Assembler::reg_operand(Cursor& c, char letter, const bc::OpInfo& info, size_t n, uint32_t& word) {
  const Where at = c.here();
  const Token* t = c.next();
  const bc::RegClass want = *class_of_letter(letter);
  bc::RegClass got{};
  uint32_t number = 0;
  const std::string what = "operand " + std::to_string(n + 1) + " of " + std::string(info.mnemonic);
  if (!parse_register(t, got, number)) {
    error("asm-bad-operand", at,
          what + " must be " + std::string(letter_meaning(letter)) + ", not " + describe(t), usage(info));
    return false;
  }
  if (got != want) {
    error("asm-register-class", at,
          what + " must be " + std::string(letter_meaning(letter)) + ", not the " +
              std::string(class_word(got)) + " register " + t->text,
          usage(info));
    return false;
  }
  const bc::Function& f = fn_->f;
  const uint16_t count = f.reg_count[static_cast<size_t>(want)];
  if (number >= count) {
    error("asm-register-range", at,
          t->text + " is out of range: the function has " + std::to_string(count) + " " +
              std::string(class_word(want)) + " register" + (count == 1 ? "" : "s"),
          fn_->regs_seen ? "raise the count in .regs" : "declare the registers with .regs before the code");
    return false;
  }
  word = f.reg_base(want) + number;
  return true;
}

bool Assembler::table_operand(Cursor& c, uint32_t& word) {
  struct Case {
    int64_t key;
    std::string label;
    Where at;  // of the key
    Where label_at;
  };
  const Where open_at = c.here();
  if (!c.punct('{')) {
    error("asm-bad-operand", open_at, "expected a switch table, not " + describe(c.peek()),
          "a switch table is {key: label, ..., _: label}");
    return false;
  }
  std::vector<Case> cases;
  std::optional<Case> fallback;
  bool ok = true;
  const auto fail = [&](std::string message) {
    error("asm-bad-operand", c.here(), std::move(message), "a switch table is {key: label, ..., _: label}");
    c.skip_past_brace();
    return false;
  };
  while (!c.punct('}')) {
    if (c.at_end()) return fail("unterminated switch table");
    const Where key_at = c.here();
    const Token* key = c.next();
    Case entry{0, {}, key_at, {}};
    const bool is_default = key->kind == TokKind::Word && key->text == "_";
    if (!is_default && (key->kind != TokKind::Word || !asm_syntax::parse_int(key->text, entry.key))) {
      c.skip_past_brace();
      error("asm-bad-operand", key_at, "a switch key must be an int literal or _, not " + describe(key));
      return false;
    }
    if (!c.punct(':')) return fail("expected ':' after the switch key");
    entry.label_at = c.here();
    const Token* label = c.next();
    if (!label || label->kind != TokKind::Word || !asm_syntax::is_plain_name(label->text)) {
      return fail("expected a label after ':', not " + describe(label));
    }
    entry.label = label->text;
    if (is_default) {
      if (fallback) {
        error("asm-duplicate-key", key_at, "the switch table has two defaults (_)");
        ok = false;
      }
      fallback = entry;
    } else {
      cases.push_back(entry);
    }
    if (!c.punct(',') && !(c.peek() && c.peek()->kind == TokKind::Punct && c.peek()->text == "}")) {
      return fail("expected ',' or '}' in the switch table, not " + describe(c.peek()));
    }
  }
  if (!fallback) {
    error("asm-bad-operand", open_at, "the switch table has no default", "add _: label as the last entry");
    return false;
  }
  std::stable_sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) { return a.key < b.key; });
  for (size_t k = 1; k < cases.size(); ++k) {
    if (cases[k].key == cases[k - 1].key) {
      error("asm-duplicate-key", cases[k].at,
            "switch key " + std::to_string(cases[k].key) + " appears twice");
      ok = false;
    }
  }
  if (cases.size() > bc::kMaxSwitchCases) {
    error("asm-limit", open_at,
          "a switch table holds at most " + std::to_string(bc::kMaxSwitchCases) + " keys");
    ok = false;
  }
  if (!ok) return false;
  const auto table = static_cast<uint32_t>(fn_->f.tables.size());
  bc::SwitchTable& t = fn_->f.tables.emplace_back();
  for (size_t k = 0; k < cases.size(); ++k) {
    t.cases.emplace_back(cases[k].key, 0);
    fn_->uses.push_back(
        {cases[k].label, cases[k].label_at, LabelUse::Slot::Case, table, static_cast<uint32_t>(k)});
  }
  fn_->uses.push_back({fallback->label, fallback->label_at, LabelUse::Slot::Default, table, 0});
  word = table;
  return true;
}

bool Assembler::name_operand(Cursor& c, char letter, const bc::OpInfo& info, uint32_t& word) {
  const char sigil = letter == 'V' ? '@' : '%';
  const Where at = c.here();
  std::string name;
  if (!c.punct(sigil)) {
    error("asm-bad-operand", at,
          std::string(info.mnemonic) + " needs " + std::string(letter_meaning(letter)) + ", not " +
              describe(c.peek()),
          usage(info));
    return false;
  }
  const Token* t = c.next();
  if (!t || (t->kind == TokKind::Word ? !asm_syntax::is_plain_name(t->text) : t->kind != TokKind::String)) {
    error("asm-bad-operand", at, std::string(1, sigil) + " must be followed by a name, not " + describe(t),
          usage(info));
    return false;
  }
  std::optional<bc::RegClass> want;
  for (char l : info.operands) {
    if (class_of_letter(l)) want = class_of_letter(l);
  }
  name_uses_.push_back({t->text, at, letter, m_.functions.size(), static_cast<uint32_t>(fn_->f.code.size()),
                        want, info.mnemonic});
  word = 0;
  return true;
}

bool Assembler::want_string(Cursor& c, std::string& out, std::string_view what) {
  const Where at = c.here();
  const Token* t = c.next();
  if (!t || t->kind != TokKind::String) {
    error("asm-bad-directive", at,
          "expected " + std::string(what) + " as a quoted string, not " + describe(t));
    return false;
  }
  out = t->text;
  return true;
}

bool Assembler::want_name(Cursor& c, std::string& out, std::string_view what) {
  const Where at = c.here();
  const Token* t = c.next();
  if (!t || (t->kind == TokKind::Word ? !asm_syntax::is_plain_name(t->text) : t->kind != TokKind::String)) {
    error("asm-bad-directive", at, "expected " + std::string(what) + ", not " + describe(t),
          "a name is an identifier or a quoted string");
    return false;
  }
  out = t->text;
  return true;
}

bool Assembler::want_u32(Cursor& c, uint32_t& out, std::string_view what) {
  const Where at = c.here();
  const Token* t = c.next();
  if (!t || t->kind != TokKind::Word || !asm_syntax::parse_u32(t->text, out)) {
    error("asm-bad-directive", at,
          "expected " + std::string(what) + " (a decimal number), not " + describe(t));
    return false;
  }
  return true;
}

bool Assembler::want_end(Cursor& c, std::string_view directive) {
  if (c.at_end()) return true;
  error("asm-bad-directive", c.here(),
        "unexpected " + describe(c.peek()) + " after " + std::string(directive));
  return false;
}

void Assembler::dir_protocol(const Where& at, Cursor& c) {
  std::string name;
  if (!want_string(c, name, "the protocol name") || !want_end(c, ".protocol")) return;
  if (protocol_line_) {
    error("asm-duplicate-directive", at, "a second .protocol",
          "the first is on line " + std::to_string(*protocol_line_));
    return;
  }
  protocol_line_ = at.line;
  m_.protocol = intern_string(name);
}

void Assembler::dir_source(const Where& at, Cursor& c) {
  std::string path;
  if (!want_string(c, path, "the source path") || !want_end(c, ".source")) return;
  if (source_line_) {
    error("asm-duplicate-directive", at, "a second .source",
          "the first is on line " + std::to_string(*source_line_));
    return;
  }
  source_line_ = at.line;
  m_.source = intern_string(path);
}

void Assembler::dir_session(const Where&, Cursor& c) {
  const Where name_at = c.here();
  std::string name;
  if (!want_name(c, name, "a session slot name")) return;
  const Where cls_at = c.here();
  const Token* cls = c.next();
  const auto rc = cls && cls->kind == TokKind::Word && cls->text.size() == 1 ? class_of_letter(cls->text[0])
                                                                             : std::nullopt;
  if (!rc) {
    error("asm-bad-directive", cls_at,
          "expected a register class (i, u, f, b, s or y), not " + describe(cls));
    return;
  }
  if (!want_end(c, ".session")) return;
  const auto [it, added] = session_index_.try_emplace(name, static_cast<uint32_t>(m_.session.size()));
  if (!added) {
    error("asm-duplicate-session", name_at, "session slot '" + name + "' is declared twice");
    return;
  }
  m_.session.push_back({intern_string(name), *rc});
}

void Assembler::dir_option(const Where&, Cursor& c) {
  const Where name_at = c.here();
  std::string name;
  if (!want_name(c, name, "an option name")) return;
  const Where cls_at = c.here();
  const Token* cls = c.next();
  const auto rc = cls && cls->kind == TokKind::Word && cls->text.size() == 1 ? class_of_letter(cls->text[0])
                                                                             : std::nullopt;
  if (!rc || (*rc != bc::RegClass::Int && *rc != bc::RegClass::Bool && *rc != bc::RegClass::Str)) {
    error("asm-bad-directive", cls_at, "expected an option class (i, b or s), not " + describe(cls));
    return;
  }
  bc::OptionDef o;
  o.cls = *rc;
  const Where value_at = c.here();
  const Token* value = c.next();
  bool ok = value != nullptr;
  if (ok && o.cls == bc::RegClass::Str) {
    ok = value->kind == TokKind::String;
    if (ok) o.str_default = intern_string(value->text);
  } else if (ok && o.cls == bc::RegClass::Bool) {
    ok = value->kind == TokKind::Word && (value->text == "true" || value->text == "false");
    o.int_default = ok && value->text == "true";
  } else if (ok) {
    ok = value->kind == TokKind::Word && asm_syntax::parse_int(value->text, o.int_default);
  }
  if (!ok) {
    static constexpr std::string_view kWant[] = {"an int literal",  "", "", "true or false",
                                                 "a quoted string", ""};
    error("asm-bad-directive", value_at,
          "the default of a " + std::string(1, letter_of_class(o.cls)) + " option must be " +
              std::string(kWant[static_cast<size_t>(o.cls)]) + ", not " + describe(value));
    return;
  }
  if (!want_end(c, ".option")) return;
  const auto [it, added] = option_index_.try_emplace(name, static_cast<uint32_t>(m_.options.size()));
  if (!added) {
    error("asm-duplicate-option", name_at, "option '" + name + "' is declared twice");
    return;
  }
  o.name = intern_string(name);
  m_.options.push_back(o);
}

void Assembler::dir_func(const Where& at, Cursor& c) {
  if (fn_) {
    error("asm-unterminated-function", fn_->at, "function '" + fn_->name + "' has no .end",
          "end every function with .end before the next .func");
    close_function();
  }
  std::string name;
  // A function is opened even when its name is bad, so its body is still checked.
  const bool named = want_name(c, name, "a function name") && want_end(c, ".func");
  fn_.emplace();
  fn_->name = name;
  fn_->at = at;
  fn_->f.name = intern_string(name);
  if (!named) return;
  const auto [it, added] = function_line_.try_emplace(name, at.line);
  if (!added) {
    error("asm-duplicate-function", at, "function '" + name + "' is defined twice",
          "the first is on line " + std::to_string(it->second));
  }
  if (m_.functions.size() >= bc::kMaxFunctions) {
    error("asm-limit", at, "a module holds at most " + std::to_string(bc::kMaxFunctions) + " functions");
  }
}

void Assembler::dir_end(const Where&, Cursor& c) {
  want_end(c, ".end");
  close_function();
}

void Assembler::dir_regs(const Where& at, Cursor& c) {
  if (fn_->regs_seen) {
    error("asm-duplicate-directive", at, "a second .regs in function '" + fn_->name + "'");
    return;
  }
  if (!fn_->f.code.empty() || !fn_->f.params.empty()) {
    error("asm-misplaced-directive", at, ".regs after code or params",
          "put .regs right after .func: register operands are checked against it");
    return;
  }
  std::array<uint16_t, bc::kRegClassCount> counts{};
  uint32_t total = 0;
  for (size_t k = 0; k < bc::kRegClassCount; ++k) {
    const Where class_at = c.here();
    const Token* letter = c.next();
    uint32_t n = 0;
    if (!letter || letter->kind != TokKind::Word || letter->text != std::string(1, bc::kRegClassLetters[k]) ||
        !c.punct('=') || !want_u32(c, n, "a register count")) {
      error("asm-bad-directive", class_at, ".regs lists every class in order: i=N u=N f=N b=N s=N y=N");
      return;
    }
    if (n > 0xFFFF) {
      error("asm-limit", class_at, "at most 65535 registers of one class");
      return;
    }
    counts[k] = static_cast<uint16_t>(n);
    total += n;
  }
  if (!want_end(c, ".regs")) return;
  if (total > bc::kMaxRegisters) {
    error("asm-limit", at,
          std::to_string(total) + " registers, more than the " + std::to_string(bc::kMaxRegisters) +
              " a function may have");
    return;
  }
  fn_->regs_seen = true;
  fn_->f.reg_count = counts;
}

void Assembler::dir_param(const Where&, Cursor& c) {
  std::string name;
  if (!want_name(c, name, "a parameter name")) return;
  const Where at = c.here();
  const Token* t = c.next();
  bc::RegClass cls{};
  uint32_t number = 0;
  if (!parse_register(t, cls, number)) {
    error("asm-bad-directive", at, "expected the register that receives the parameter, not " + describe(t));
    return;
  }
  const uint16_t count = fn_->f.reg_count[static_cast<size_t>(cls)];
  if (number >= count) {
    error("asm-register-range", at,
          t->text + " is out of range: the function has " + std::to_string(count) + " " +
              std::string(class_word(cls)) + " register" + (count == 1 ? "" : "s"),
          "declare the registers with .regs before .param");
    return;
  }
  if (!want_end(c, ".param")) return;
  fn_->f.params.push_back({intern_string(name), fn_->f.reg_base(cls) + number});
}

// `in "FILE"` after a position: the used file it is in (0, the module's source, without it).
bool Assembler::want_file(Cursor& c, uint32_t& file) {
  file = 0;
  const Token* t = c.peek();
  if (!t || t->kind != TokKind::Word || t->text != "in") return true;
  c.next();
  std::string path;
  if (!want_string(c, path, "the file after 'in'")) return false;
  const auto [it, added] = file_index_.try_emplace(path, static_cast<uint32_t>(m_.files.size()) + 1);
  if (added) m_.files.push_back(intern_string(path));
  file = it->second;
  return true;
}

// .loc LINE COL ["what"] [in "FILE"] [via LINE COL [in "FILE"]]...: the code's position, and
// for inlined code each call it was inlined at, innermost first.
void Assembler::dir_loc(const Where&, Cursor& c) {
  bc::LineEntry e;
  if (!want_u32(c, e.line, "a line") || !want_u32(c, e.col, "a column")) return;
  std::string what;
  if (!c.at_end() && c.peek()->kind == TokKind::String && !want_string(c, what, "what the code does")) return;
  if (!want_file(c, e.file)) return;
  std::vector<bc::CallSite> chain;
  while (!c.at_end()) {
    const Where at = c.here();
    const Token* t = c.next();
    bc::CallSite site;
    if (t->kind != TokKind::Word || t->text != "via") {
      error("asm-bad-directive", at, "expected 'via' or the end of .loc, not " + describe(t),
            ".loc LINE COL \"what\" [in \"FILE\"] [via LINE COL [in \"FILE\"]]...");
      return;
    }
    if (!want_u32(c, site.line, "the line of a call") || !want_u32(c, site.col, "the column of a call") ||
        !want_file(c, site.file))
      return;
    chain.push_back(site);
  }
  // The outermost call first, so that each site's parent is already numbered.
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const auto key = std::make_tuple(it->file, it->line, it->col, e.site);
    const auto [found, added] = fn_->site_index.try_emplace(key, static_cast<uint32_t>(fn_->f.sites.size()) + 1);
    if (added) fn_->f.sites.push_back({it->file, it->line, it->col, e.site});
    e.site = found->second;
  }
  e.pc = static_cast<uint32_t>(fn_->f.code.size());
  e.what = intern_string(what);
  // A .loc with no code before the next one covers nothing (an error finds the later one), but
  // it is kept: it may be the statement of a call whose code the optimizer removed, whose text a
  // trace shows at the call.
  fn_->f.lines.push_back(e);
}

bool Assembler::want_byte(Cursor& c, std::string_view what, uint8_t& out) {
  const Where w = c.here();
  const Token* t = c.next();
  int64_t v = 0;
  if (!t || t->kind != TokKind::Word || !asm_syntax::parse_int(t->text, v) || v < 0 || v > 255) {
    error("asm-bad-directive", w, "expected " + std::string(what) + " (0 to 0xff), not " + describe(t));
    return false;
  }
  out = static_cast<uint8_t>(v);
  return true;
}

// {x"7d02": 0x7e, x"7d01": 0x7d}: the escapes of a .delimited or .escape declaration.
bool Assembler::want_escapes(Cursor& c, std::vector<bc::Escape>& out, std::string_view form) {
  if (!c.punct('{')) {
    error("asm-bad-directive", c.here(), "expected '{' before the escapes, not " + describe(c.peek()), std::string(form));
    return false;
  }
  while (!c.punct('}')) {
    const Where w = c.here();
    const Token* t = c.next();
    bc::Escape e;
    if (!t || t->kind != TokKind::Bytes) {
      error("asm-bad-directive", w, "expected an escape sequence x\"..\", not " + describe(t), std::string(form));
      return false;
    }
    e.sequence = t->text;
    if (!c.punct(':')) {
      error("asm-bad-directive", c.here(), "expected ':' after the sequence, not " + describe(c.peek()), std::string(form));
      return false;
    }
    if (!want_byte(c, "the escaped byte", e.byte)) return false;
    out.push_back(std::move(e));
    if (!c.punct(',') && !(c.peek() && c.peek()->kind == TokKind::Punct && c.peek()->text == "}")) {
      error("asm-bad-directive", c.here(), "expected ',' or '}', not " + describe(c.peek()), std::string(form));
      return false;
    }
  }
  return true;
}

// .delimited 0x7e {x"7d02": 0x7e, x"7d01": 0x7d}: a delimited framing and its escapes.
void Assembler::dir_delimited(const Where& at, Cursor& c) {
  const std::string_view form = ".delimited 0x7e {x\"7d02\": 0x7e, x\"7d01\": 0x7d}";
  bc::Delimited d;
  if (!want_byte(c, "the delimiter", d.delimiter) || !want_escapes(c, d.escapes, form)) return;
  if (!want_end(c, ".delimited")) return;
  if (const std::string why = bc::delimited_problem(d); !why.empty()) {
    error("asm-bad-directive", at, why);
    return;
  }
  if (m_.find_delimited(d.delimiter) != nullptr) {
    error("asm-duplicate-directive", at, "a second .delimited for delimiter " + std::to_string(d.delimiter));
    return;
  }
  m_.delimited.push_back(std::move(d));
}

// .escape NAME {x"7d01": 0x7d, x"7d02": 0x5b}: escapes that only unescape and escape use.
void Assembler::dir_escape(const Where& at, Cursor& c) {
  bc::NamedEscapes t;
  if (!want_name(c, t.name, "the table's name") ||
      !want_escapes(c, t.escapes, ".escape STAR {x\"7d01\": 0x7d, x\"7d05\": 0x2a}") || !want_end(c, ".escape"))
    return;
  if (const std::string why = bc::escapes_problem(t.escapes); !why.empty()) {
    error("asm-bad-directive", at, why);
    return;
  }
  for (const bc::NamedEscapes& other : m_.escape_tables) {
    if (other.name == t.name) {
      error("asm-duplicate-directive", at, "a second .escape " + t.name);
      return;
    }
  }
  m_.escape_tables.push_back(std::move(t));
}

void Assembler::close_function() {
  OpenFunction& o = *fn_;
  bc::Function& f = o.f;
  const auto end = static_cast<uint32_t>(f.code.size());
  for (const LabelUse& use : o.uses) {
    const auto it = o.labels.find(use.name);
    if (it == o.labels.end()) {
      std::vector<std::string_view> known;
      for (const auto& [name, def] : o.labels) known.push_back(name);
      std::sort(known.begin(), known.end());
      error("asm-unknown-label", use.at, "no label '" + use.name + "' in function '" + o.name + "'",
            did_you_mean(use.name, known));
      continue;
    }
    if (it->second.pc == end) {
      error("asm-dangling-label", use.at, "label '" + use.name + "' names no instruction",
            "it is at the end of the function (line " + std::to_string(it->second.line) + ")");
      continue;
    }
    const uint32_t target = it->second.pc;
    switch (use.slot) {
      case LabelUse::Slot::Code:
        f.code[use.index] = target;
        break;
      case LabelUse::Slot::Case:
        f.tables[use.index].cases[use.case_index].second = target;
        break;
      case LabelUse::Slot::Default:
        f.tables[use.index].default_target = target;
        break;
    }
  }
  // A trailing .loc describes no code.
  while (!f.lines.empty() && f.lines.back().pc == end) f.lines.pop_back();
  m_.functions.push_back(std::move(f));
  fn_.reset();
}

void Assembler::resolve_names() {
  for (const DelimiterUse& use : delimiter_uses_) {
    if (!use.name.empty()) {
      const auto it = std::find_if(m_.escape_tables.begin(), m_.escape_tables.end(),
                                   [&](const bc::NamedEscapes& t) { return t.name == use.name; });
      if (it == m_.escape_tables.end())
        error("asm-bad-operand", use.at, "no .escape declares table '" + use.name + "'",
              "declare it with .escape before or after the code");
      else
        m_.functions[use.function].code[use.word] =
            bc::kNamedEscapesBase + static_cast<uint32_t>(it - m_.escape_tables.begin());
      continue;
    }
    if (m_.find_delimited(static_cast<uint8_t>(use.value)) == nullptr)
      error("asm-bad-operand", use.at, "no .delimited declares delimiter " + std::to_string(use.value),
            "declare it with .delimited before or after the code");
  }
  for (const NameUse& use : name_uses_) {
    const bool slot = use.letter == 'V';
    const auto& index = slot ? session_index_ : option_index_;
    const std::string_view what = slot ? "session slot" : "option";
    const auto it = index.find(use.name);
    if (it == index.end()) {
      std::vector<std::string_view> known;
      for (const auto& [name, i] : index) known.push_back(name);
      std::sort(known.begin(), known.end());
      std::string hint = did_you_mean(use.name, known);
      if (hint.empty()) hint = slot ? "declare it with .session" : "declare it with .option";
      error(slot ? "asm-unknown-session" : "asm-unknown-option", use.at,
            "no " + std::string(what) + " '" + use.name + "'", hint);
      continue;
    }
    const bc::RegClass cls = slot ? m_.session[it->second].cls : m_.options[it->second].cls;
    if (use.want && *use.want != cls) {
      error(slot ? "asm-session-class" : "asm-option-class", use.at,
            std::string(use.mnemonic) + " needs " + std::string(class_word(*use.want)) + " " +
                std::string(what) + ", but '" + use.name + "' is " + std::string(class_word(cls)),
            "use the " + std::string(what) + " instruction of class " + std::string(1, letter_of_class(cls)));
      continue;
    }
    m_.functions[use.function].code[use.word] = it->second;
  }
}

uint32_t Assembler::intern_string(const std::string& s) {
  const auto [it, added] = string_index_.try_emplace(s, static_cast<uint32_t>(m_.strings.size()));
  if (added) m_.strings.push_back(s);
  if (m_.strings.size() > bc::kMaxStrings && !string_limit_reported_) {
    string_limit_reported_ = true;
    error("asm-limit", {}, "more than " + std::to_string(bc::kMaxStrings) + " distinct strings");
  }
  return it->second;
}

uint32_t Assembler::intern_int(int64_t v) {
  const auto [it, added] = int_index_.try_emplace(v, static_cast<uint32_t>(m_.ints.size()));
  if (added) m_.ints.push_back(v);
  return it->second;
}

uint32_t Assembler::intern_float(double v) {
  const auto [it, added] =
      float_index_.try_emplace(std::bit_cast<uint64_t>(v), static_cast<uint32_t>(m_.floats.size()));
  if (added) m_.floats.push_back(v);
  return it->second;
}

void Assembler::error(std::string kind, const Where& at, std::string message, std::string hint) {
  Diagnostic d;
  d.kind = std::move(kind);
  d.file = file_;
  d.pos = {at.line, at.col};
  d.message = std::move(message);
  d.hint = std::move(hint);
  d.source_line = std::string(at.text);
  diags_.push_back(std::move(d));
}

}  // namespace

AsmResult assemble(std::string_view text, std::string_view file_name) {
  return Assembler(file_name).run(text);
}

}  // namespace pvm::compiler
