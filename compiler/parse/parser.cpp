#include "parse/parser.h"

#include <array>

namespace pvm::compiler {

namespace {

constexpr std::array<std::string_view, 26> kFixedReads = {
    "u8",    "i8",    "u16",   "u16be", "u16le", "i16",   "i16be", "i16le", "u32",
    "u32be", "u32le", "i32",   "i32be", "i32le", "u64",   "u64be", "u64le", "i64",
    "i64be", "i64le", "f32",   "f32be", "f32le", "f64",   "f64be", "f64le"};
constexpr std::array<std::string_view, 7> kSizedReads = {"bytes", "text", "bcd", "unsigned", "signed", "until", "field"};
constexpr std::array<std::string_view, 2> kBareReads = {"cstr", "rest"};
constexpr std::array<std::string_view, 3> kCursorNames = {"pos", "size", "remaining"};

template <size_t N>
bool in(const std::array<std::string_view, N>& set, std::string_view s) {
  for (auto v : set)
    if (v == s) return true;
  return false;
}

struct ParseError {};

class Parser {
 public:
  Parser(const SourceFile& src, const std::vector<Token>& toks, std::vector<Diagnostic>& diags)
      : src_(src), t_(toks), diags_(diags) {}

  Program run() {
    Program p;
    skip_newlines();
    while (!at(Tok::End)) {
      try {
        p.items.push_back(item());
      } catch (ParseError&) {
        recover_item();
      }
      skip_newlines();
    }
    // The byteorder line holds for the whole file, also for the items above it.
    for (auto& it : p.items)
      if (it->kind != ItemKind::ByteOrder) it->little_endian = little_;
    return p;
  }

 private:
  // ---- token helpers
  const Token& cur() const { return t_[i_]; }
  const Token& peek(size_t k = 1) const { return t_[std::min(i_ + k, t_.size() - 1)]; }
  bool at(Tok k) const { return cur().kind == k; }
  bool at_ident(std::string_view s) const { return cur().kind == Tok::Ident && cur().text == s; }
  const Token& advance() {
    const Token& t = t_[i_];
    if (i_ + 1 < t_.size()) ++i_;
    return t;
  }
  bool accept(Tok k) {
    if (!at(k)) return false;
    advance();
    return true;
  }
  bool accept_ident(std::string_view s) {
    if (!at_ident(s)) return false;
    advance();
    return true;
  }
  [[noreturn]] void fail(std::string msg, std::string hint = {}) {
    diags_.push_back(src_.diag("syntax", cur().pos, std::move(msg), std::move(hint)));
    throw ParseError{};
  }
  // An error about a token already consumed, reported where that token is.
  [[noreturn]] void fail_at(SourcePos pos, std::string msg) {
    diags_.push_back(src_.diag("syntax", pos, std::move(msg)));
    throw ParseError{};
  }
  std::string shown(const Token& t) const {
    if (t.kind == Tok::Ident) return "'" + t.text + "'";
    if (t.kind == Tok::Var) return "'$" + t.text + "'";
    if (t.kind == Tok::Param) return "'#" + t.text + "'";
    return std::string(tok_name(t.kind));
  }
  const Token& expect(Tok k, const char* what) {
    if (!at(k)) fail(std::string("expected ") + std::string(tok_name(k)) + " " + what + ", found " + shown(cur()));
    return advance();
  }
  std::string expect_ident(const char* what) {
    if (!at(Tok::Ident)) fail(std::string("expected ") + what + ", found " + shown(cur()));
    return advance().text;
  }
  void skip_newlines() {
    while (at(Tok::Newline) || at(Tok::Semicolon)) advance();
  }
  void end_of_statement() {
    if (at(Tok::Newline) || at(Tok::Semicolon)) {
      skip_newlines();
      return;
    }
    if (at(Tok::RBrace) || at(Tok::End)) return;
    fail("expected the end of the statement, found " + shown(cur()), "put one statement on each line, or separate them with ';'");
  }
  void recover_item() {
    // Skip to the next line that starts at brace depth 0.
    int depth = 0;
    while (!at(Tok::End)) {
      if (at(Tok::LBrace)) ++depth;
      if (at(Tok::RBrace)) {
        if (--depth <= 0) {
          advance();
          if (depth == 0) return;
          depth = 0;
          continue;
        }
      }
      if (at(Tok::Newline) && depth <= 0) return;
      advance();
    }
  }
  // After a statement failed to parse: skip it, and remember that the item lost it and which
  // variables it named, so the checker does not report what the statement may have done.
  void lose_statement(size_t start) {
    recover_statement();
    damaged_ = true;
    for (size_t k = start; k < i_; ++k)
      if (t_[k].kind == Tok::Var) lost_vars_.insert(t_[k].text);
  }
  // The later phases walk the tree recursively: a bound on its depth keeps them, and the
  // parser, off the end of the stack. Each level of blocks, expressions and operator chains
  // counts; the bound is far above what a protocol needs.
  static constexpr int kMaxDepth = 256;
  class Depth {
   public:
    explicit Depth(Parser& p) : p_(p) {}
    ~Depth() { p_.depth_ -= n_; }
    void add() {
      ++n_;
      if (++p_.depth_ > kMaxDepth) p_.fail("this is nested too deeply", "split it up with functions or variables");
    }

   private:
    Parser& p_;
    int n_ = 0;
  };

  void recover_statement() {
    int depth = 0;
    while (!at(Tok::End)) {
      if (at(Tok::LBrace)) ++depth;
      if (at(Tok::RBrace)) {
        if (depth == 0) return;
        --depth;
      }
      if ((at(Tok::Newline) || at(Tok::Semicolon)) && depth == 0) {
        skip_newlines();
        return;
      }
      advance();
    }
  }

  // ---- items
  Type type_name_to_type(const std::string& n) {
    if (n == "int") return Type::Int;
    if (n == "uint") return Type::UInt;
    if (n == "float") return Type::Float;
    if (n == "bool") return Type::Bool;
    if (n == "str") return Type::Str;
    if (n == "bytes") return Type::Bytes;
    return Type::Unknown;
  }
  Type parse_type() {
    SourcePos p = cur().pos;
    std::string n = expect_ident("a type (int, uint, float, bool, str, bytes)");
    Type t = type_name_to_type(n);
    if (t == Type::Unknown) {
      diags_.push_back(src_.diag("syntax", p, "unknown type '" + n + "'", "types are int, uint, float, bool, str and bytes"));
      throw ParseError{};
    }
    return t;
  }

  std::unique_ptr<Item> new_item(ItemKind k, SourcePos p) {
    auto it = std::make_unique<Item>();
    it->kind = k;
    it->pos = p;
    it->file = src_.name;
    return it;
  }

  std::vector<FnParam> fn_params() {
    std::vector<FnParam> ps;
    expect(Tok::LParen, "before the parameters");
    while (!at(Tok::RParen)) {
      FnParam fp;
      fp.pos = cur().pos;
      fp.name = expect(Tok::Var, "(a parameter like $name: int)").text;
      expect(Tok::Colon, "between a parameter and its type");
      fp.type = parse_type();
      ps.push_back(std::move(fp));
      if (!accept(Tok::Comma)) break;
    }
    expect(Tok::RParen, "after the parameters");
    return ps;
  }

  // { SEQUENCE => BYTE, ... }: the escapes of a `frame delimited` or `escape` declaration.
  void escapes(Item& it) {
    expect(Tok::LBrace, "to open the escapes");
    skip_newlines();
    while (!at(Tok::RBrace) && !at(Tok::End)) {
      ExprPtr sequence = expr();
      expect(Tok::Arrow, "after the escape sequence (x\"7d02\" => 0x7e)");
      it.escapes.emplace_back(std::move(sequence), expr());
      accept(Tok::Comma);
      skip_newlines();
    }
    expect(Tok::RBrace, "to close the escapes");
  }

  std::unique_ptr<Item> item() {
    SourcePos p = cur().pos;
    damaged_ = false;
    lost_vars_.clear();
    if (!at(Tok::Ident)) fail("expected a declaration, found " + shown(cur()),
                              "a file holds protocol, byteorder, use, const, enum, option, session, param, escape, frame, framing, packet, command, fn and table declarations");
    std::string kw = cur().text;
    advance();
    std::unique_ptr<Item> it;
    if (kw == "protocol") {
      it = new_item(ItemKind::Protocol, p);
      it->name = expect_ident("the protocol name");
    } else if (kw == "byteorder") {
      it = new_item(ItemKind::ByteOrder, p);
      SourcePos at = cur().pos;
      std::string o = expect_ident("big or little");
      if (o != "big" && o != "little") fail_at(at, "byte order must be 'big' or 'little'");
      it->little_endian = o == "little";
      little_ = it->little_endian;
    } else if (kw == "use") {
      it = new_item(ItemKind::Use, p);
      it->name = expect(Tok::String, "(the file to use)").text;
    } else if (kw == "const") {
      it = new_item(ItemKind::Const, p);
      it->name = expect_ident("the constant's name");
      expect(Tok::Assign, "after the constant's name");
      it->value = expr();
    } else if (kw == "enum") {
      it = new_item(ItemKind::Enum, p);
      it->name = expect_ident("the enum's name");
      expect(Tok::LBrace, "to open the enum");
      skip_newlines();
      while (!at(Tok::RBrace) && !at(Tok::End)) {
        EnumMember m;
        m.pos = cur().pos;
        m.name = expect_ident("a member name");
        expect(Tok::Assign, "after the member name");
        m.value = expr();
        it->members.push_back(std::move(m));
        accept(Tok::Comma);
        skip_newlines();
      }
      expect(Tok::RBrace, "to close the enum");
    } else if (kw == "option" || kw == "session") {
      it = new_item(kw == "option" ? ItemKind::Option : ItemKind::Session, p);
      it->name = expect_ident(kw == "option" ? "the option's name" : "the session variable's name");
      expect(Tok::Colon, "before the type");
      it->type = parse_type();
      if (kw == "option") {
        expect(Tok::Assign, "before the option's default value");
        it->value = expr();
      }
    } else if (kw == "param") {
      it = new_item(ItemKind::ParamDecl, p);
      it->name = expect(Tok::Param, "(a parameter name like #gps.fuel.rate)").text;
      if (at(Tok::Dot) && peek().kind == Tok::Star) {  // #name.* declares name.1, name.2, ... for #name[INDEX]
        advance();
        advance();
        it->name += ".*";
      }
      expect(Tok::Colon, "before the parameter's type");
      it->param_type = expect_ident("number, integer, string, bool or any");
    } else if (kw == "framing" || kw == "packet") {
      it = new_item(kw == "framing" ? ItemKind::Framing : ItemKind::Packet, p);
      SourcePos at = cur().pos;
      it->name = expect_ident("the transport (tcp or udp)");
      if (it->name != "tcp" && it->name != "udp") fail_at(at, "the transport must be tcp or udp");
      // The runtime cuts only TCP streams into frames; a datagram is a frame already.
      if (kw == "framing" && it->name == "udp") fail_at(at, "udp needs no framing: each datagram is one frame");
      it->body = block(false);
    } else if (kw == "command") {
      it = new_item(ItemKind::Command, p);
      it->name = expect_ident("the command's name");
      it->params = fn_params();
      it->body = block(true);
    } else if (kw == "fn") {
      it = new_item(ItemKind::Fn, p);
      it->name = expect_ident("the function's name");
      it->params = fn_params();
      it->type = Type::Void;
      if (accept(Tok::RArrow)) it->type = parse_type();
      it->body = block(true);  // writes are checked where the function is called
    } else if (kw == "frame") {
      // frame delimited 0x7e escape { x"7d02" => 0x7e, x"7d01" => 0x7d }, or escape NAME
      it = new_item(ItemKind::Frame, p);
      if (!accept_ident("delimited")) fail("expected 'delimited' after 'frame'", "frame delimited 0x7e escape { x\"7d02\" => 0x7e, x\"7d01\" => 0x7d }");
      it->value = expr();
      if (!accept_ident("escape")) fail("expected 'escape { SEQUENCE => BYTE, ... }' or 'escape NAME' after the delimiter");
      if (at(Tok::Ident)) {
        it->name = cur().text;
        it->name_pos = cur().pos;
        advance();
      } else {
        escapes(*it);
      }
    } else if (kw == "escape") {
      // escape NAME { x"7d01" => 0x7d, x"7d02" => 0x5b }
      it = new_item(ItemKind::Escape, p);
      it->name = expect_ident("the escape table's name");
      escapes(*it);
    } else if (kw == "table") {
      it = new_item(ItemKind::Table, p);
      it->name = expect_ident("the table's name");
      it->params = fn_params();
      it->arms = arms(true);
    } else {
      diags_.push_back(src_.diag("syntax", p, "unknown declaration '" + kw + "'",
                                 "a file holds protocol, byteorder, use, const, enum, option, session, param, escape, frame, framing, packet, command, fn and table declarations"));
      throw ParseError{};
    }
    it->little_endian = little_;
    it->damaged = damaged_;
    it->lost_vars = lost_vars_;
    if (!at(Tok::End)) end_of_statement();
    return it;
  }

  // ---- statements
  Block block(bool write_ctx) {
    Depth depth(*this);
    depth.add();
    expect(Tok::LBrace, "to open a block");
    bool saved = write_;
    write_ = write_ctx || write_;
    Block b;
    skip_newlines();
    while (!at(Tok::RBrace) && !at(Tok::End)) {
      size_t start = i_;
      try {
        b.push_back(statement());
      } catch (ParseError&) {
        lose_statement(start);
      }
      skip_newlines();
    }
    write_ = saved;
    expect(Tok::RBrace, "to close the block");
    return b;
  }

  std::vector<MatchArm> arms(bool write_ctx) {
    Depth depth(*this);
    depth.add();
    expect(Tok::LBrace, "to open the arms");
    std::vector<MatchArm> out;
    skip_newlines();
    while (!at(Tok::RBrace) && !at(Tok::End)) {
      size_t start = i_;
      try {
        MatchArm a;
        a.pos = cur().pos;
        if (at_ident("_")) {
          advance();
        } else {
          do {
            skip_newlines();
            a.patterns.push_back(expr());
          } while (accept(Tok::Comma));
        }
        expect(Tok::Arrow, "after the pattern (PATTERN => statement)");
        if (at(Tok::LBrace)) {
          a.body = block(write_ctx);
        } else {
          bool saved = write_;
          write_ = write_ctx || write_;
          a.body.push_back(statement());
          write_ = saved;
        }
        out.push_back(std::move(a));
      } catch (ParseError&) {
        lose_statement(start);
      }
      skip_newlines();
    }
    expect(Tok::RBrace, "to close the arms");
    return out;
  }

  Target target() {
    Target t;
    t.pos = cur().pos;
    if (at(Tok::Var)) {
      t.kind = TargetKind::Var;
      t.name = advance().text;
    } else if (at(Tok::Param)) {
      t.kind = TargetKind::Param;
      t.name = advance().text;
      if (accept(Tok::LBracket)) {
        t.index = expr();
        expect(Tok::RBracket, "after the parameter index");
      }
    } else if (at_ident("session") && peek().kind == Tok::Dot) {
      advance();
      advance();
      t.kind = TargetKind::Session;
      t.name = expect_ident("a session variable");
    } else {
      fail("expected a target ($variable, #parameter or session.name), found " + shown(cur()));
    }
    return t;
  }

  // A statement that stores its value (`u16 + 1 ==> $x`) is a read, whatever it starts with.
  bool pipes_to_a_target() const {
    int depth = 0;
    for (size_t k = i_; k < t_.size(); ++k) {
      const Tok kind = t_[k].kind;
      if (kind == Tok::LParen || kind == Tok::LBracket) ++depth;
      if (kind == Tok::RParen || kind == Tok::RBracket) --depth;
      if (depth <= 0 && (kind == Tok::Newline || kind == Tok::Semicolon || kind == Tok::End ||
                         kind == Tok::LBrace || kind == Tok::RBrace))
        return false;
      if (depth == 0 && kind == Tok::Pipeline) return true;
    }
    return false;
  }

  bool at_target_assign() const {
    if (at(Tok::Var)) return peek().kind == Tok::Assign;
    if (at(Tok::Param)) {
      if (peek().kind == Tok::Assign) return true;
      if (peek().kind != Tok::LBracket) return false;
      int depth = 0;
      for (size_t k = i_ + 1; k < t_.size(); ++k) {
        if (t_[k].kind == Tok::LBracket) ++depth;
        if (t_[k].kind == Tok::RBracket && --depth == 0) return t_[k + 1].kind == Tok::Assign;
        if (t_[k].kind == Tok::End || t_[k].kind == Tok::Newline) return false;
      }
      return false;
    }
    return at_ident("session") && peek().kind == Tok::Dot && peek(2).kind == Tok::Ident && peek(3).kind == Tok::Assign;
  }

  std::string line_text(SourcePos p) const {
    std::string_view l = src_.line(p.line);
    size_t a = l.find_first_not_of(" \t");
    if (a == std::string_view::npos) return {};
    l.remove_prefix(a);
    size_t c = l.find("//");
    if (c != std::string_view::npos) l = l.substr(0, c);
    while (!l.empty() && (l.back() == ' ' || l.back() == '\t' || l.back() == '{')) l.remove_suffix(1);
    return std::string(l);
  }

  // The source text of tokens [first, end), as written.
  std::string source_between(size_t first, size_t end) const {
    if (end <= first) return {};
    const Token& last = t_[end - 1];
    return src_.text.substr(t_[first].offset, last.offset + last.length - t_[first].offset);
  }

  StmtPtr new_stmt(StmtKind k, SourcePos p) {
    auto s = std::make_unique<Stmt>();
    s->kind = k;
    s->pos = p;
    s->source_text = line_text(p);
    return s;
  }

  std::string opt_message() {
    if (accept(Tok::Comma)) return expect(Tok::String, "(the reason)").text;
    return {};
  }

  StmtPtr statement() {
    SourcePos p = cur().pos;
    if (at(Tok::Ident)) {
      const std::string& kw = cur().text;
      if (write_ && (is_fixed_read(kw) || kw == "bytes" || kw == "str") && !pipes_to_a_target() &&
          !(peek().kind == Tok::Ident && peek().text == "at") &&
          !(kw == "bytes" && peek().kind == Tok::LParen)) {
        auto s = new_stmt(StmtKind::Write, p);
        s->text = advance().text;
        s->expr = expr();
        end_of_statement();
        return s;
      }
      if (kw == "skip" || kw == "seek") {
        auto s = new_stmt(kw == "skip" ? StmtKind::Skip : StmtKind::Seek, p);
        advance();
        s->expr = expr();
        end_of_statement();
        return s;
      }
      if (kw == "expect" || kw == "check") {
        auto s = new_stmt(kw == "expect" ? StmtKind::Expect : StmtKind::Check, p);
        advance();
        s->expr = expr();
        s->text = opt_message();
        end_of_statement();
        return s;
      }
      if (kw == "fail" || kw == "warn") {
        auto s = new_stmt(kw == "fail" ? StmtKind::Fail : StmtKind::Warn, p);
        advance();
        // A literal reason is stored in the module; any other str is computed when it fails.
        if (at(Tok::String) && (peek().kind == Tok::Newline || peek().kind == Tok::Semicolon ||
                                peek().kind == Tok::RBrace || peek().kind == Tok::End))
          s->text = advance().text;
        else
          s->expr = expr();
        end_of_statement();
        return s;
      }
      if (kw == "break") {
        auto s = new_stmt(StmtKind::Break, p);
        advance();
        end_of_statement();
        return s;
      }
      if (kw == "if") return if_stmt();
      if (kw == "match") {
        auto s = new_stmt(StmtKind::Match, p);
        advance();
        s->expr = expr();
        s->arms = arms(false);
        end_of_statement();
        return s;
      }
      if (kw == "repeat") {
        auto s = new_stmt(StmtKind::Repeat, p);
        advance();
        if (accept_ident("until")) {
          if (!accept_ident("end")) fail("expected 'end' after 'repeat until'");
          s->until_end = true;
        } else {
          s->expr = expr();
          if (accept_ident("as")) s->var = expect(Tok::Var, "(the loop counter)").text;
        }
        s->body = block(false);
        end_of_statement();
        return s;
      }
      if (kw == "within") {
        auto s = new_stmt(StmtKind::Within, p);
        advance();
        const size_t first = i_;
        s->expr = expr();
        s->text = source_between(first, i_);  // names a bytes value in runtime errors
        s->body = block(false);
        end_of_statement();
        return s;
      }
      if (kw == "emit" || kw == "reply") {
        auto s = new_stmt(kw == "emit" ? StmtKind::Emit : StmtKind::Reply, p);
        advance();
        s->body = block(kw == "reply");
        end_of_statement();
        return s;
      }
      if (kw == "return") {
        auto s = new_stmt(StmtKind::Return, p);
        advance();
        if (!at(Tok::Newline) && !at(Tok::Semicolon) && !at(Tok::RBrace) && !at(Tok::End)) s->expr = expr();
        end_of_statement();
        return s;
      }
    }
    if (at_target_assign()) {
      auto s = new_stmt(StmtKind::Assign, p);
      s->targets.push_back(target());
      expect(Tok::Assign, "");
      s->expr = expr();
      end_of_statement();
      return s;
    }
    ExprPtr e = expr();
    if (at(Tok::Pipeline)) {
      auto s = new_stmt(StmtKind::Pipe, p);
      s->expr = std::move(e);
      while (accept(Tok::Pipeline)) s->targets.push_back(target());
      end_of_statement();
      return s;
    }
    if (e->kind == ExprKind::Call) {
      auto s = new_stmt(StmtKind::Call, p);
      s->expr = std::move(e);
      end_of_statement();
      return s;
    }
    diags_.push_back(src_.diag("syntax", p, "this expression's value is not used",
                               "send it somewhere with '==> $var' or '==> #param', or drop it (use 'skip N' to pass over bytes)"));
    throw ParseError{};
  }

  StmtPtr if_stmt() {
    auto s = new_stmt(StmtKind::If, cur().pos);
    advance();
    s->conds.push_back(expr());
    s->blocks.push_back(block(false));
    while (true) {
      size_t save = i_;
      skip_newlines();
      if (!at_ident("else")) {
        i_ = save;
        break;
      }
      const SourcePos at = cur().pos;
      advance();
      if (accept_ident("if")) {
        std::string text = line_text(at);  // `} else if ...`, from `else`
        text.erase(0, std::min(text.find("else"), text.size()));
        s->cond_texts.push_back(std::move(text));
        s->conds.push_back(expr());
        s->blocks.push_back(block(false));
      } else {
        s->has_else = true;
        s->else_block = block(false);
        break;
      }
    }
    end_of_statement();
    return s;
  }

  // ---- expressions
  ExprPtr new_expr(ExprKind k, SourcePos p) {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->pos = p;
    return e;
  }

  static int precedence(Tok k) {
    switch (k) {
      case Tok::OrOr: return 1;
      case Tok::AndAnd: return 2;
      case Tok::Eq: case Tok::Ne: case Tok::Lt: case Tok::Le: case Tok::Gt: case Tok::Ge: return 3;
      case Tok::Pipe: return 4;
      case Tok::Caret: return 5;
      case Tok::Amp: return 6;
      case Tok::Shl: case Tok::Shr: return 7;
      case Tok::Plus: case Tok::Minus: return 8;
      case Tok::Star: case Tok::Slash: case Tok::Percent: return 9;
      default: return 0;
    }
  }
  static std::string op_text(Tok k) {
    std::string_view n = tok_name(k);
    return std::string(n.substr(1, n.size() - 2));
  }

  ExprPtr expr(int min_prec = 1) {
    Depth depth(*this);
    depth.add();
    ExprPtr lhs = unary();
    while (true) {
      int prec = precedence(cur().kind);
      if (prec < min_prec || prec == 0) break;
      Tok op = cur().kind;
      SourcePos p = cur().pos;
      depth.add();  // each operator of a chain is one more level of the tree
      advance();
      ExprPtr rhs = expr(prec + 1);
      auto b = new_expr(ExprKind::Binary, p);
      b->text = op_text(op);
      b->args.push_back(std::move(lhs));
      b->args.push_back(std::move(rhs));
      lhs = std::move(b);
      if (prec == 3 && precedence(cur().kind) == 3)
        fail("comparisons do not chain", "combine them with && or ||");
    }
    return lhs;
  }

  ExprPtr unary() {
    Depth depth(*this);
    depth.add();
    if (at(Tok::Minus) || at(Tok::Bang) || at(Tok::Tilde)) {
      SourcePos p = cur().pos;
      std::string op = op_text(advance().kind);
      auto u = new_expr(ExprKind::Unary, p);
      u->text = op;
      u->args.push_back(unary());
      return u;
    }
    return primary();
  }

  std::vector<ExprPtr> call_args() {
    std::vector<ExprPtr> args;
    expect(Tok::LParen, "before the arguments");
    while (!at(Tok::RParen)) {
      args.push_back(expr());
      if (!accept(Tok::Comma)) break;
    }
    expect(Tok::RParen, "after the arguments");
    return args;
  }

  ExprPtr read_at(ExprPtr e) {
    if (accept_ident("at")) e->at = unary();
    return e;
  }

  ExprPtr primary() {
    const Token& t = cur();
    SourcePos p = t.pos;
    switch (t.kind) {
      case Tok::Int: {
        auto e = new_expr(ExprKind::Int, p);
        e->int_value = t.int_value;
        e->text = t.text;
        advance();
        return e;
      }
      case Tok::Float: {
        auto e = new_expr(ExprKind::Float, p);
        e->float_value = t.float_value;
        e->text = t.text;
        advance();
        return e;
      }
      case Tok::String: {
        auto e = new_expr(ExprKind::Str, p);
        e->text = t.text;
        advance();
        return e;
      }
      case Tok::Bytes: {
        auto e = new_expr(ExprKind::Bytes, p);
        e->text = t.text;
        advance();
        return e;
      }
      case Tok::Var: {
        auto e = new_expr(ExprKind::Var, p);
        e->text = t.text;
        advance();
        return e;
      }
      case Tok::Param: {
        auto e = new_expr(ExprKind::Param, p);
        e->text = t.text;
        advance();
        return e;
      }
      case Tok::LParen: {
        advance();
        ExprPtr e = expr();
        expect(Tok::RParen, "to close the parenthesis");
        return e;
      }
      case Tok::Ident: break;
      default:
        fail("expected a value, found " + shown(t));
    }
    std::string name = t.text;
    advance();
    if (name == "true" || name == "false") {
      auto e = new_expr(ExprKind::Bool, p);
      e->bool_value = name == "true";
      return e;
    }
    if ((name == "session" || name == "option") && at(Tok::Dot)) {
      advance();
      auto e = new_expr(name == "session" ? ExprKind::Session : ExprKind::Option, p);
      e->text = expect_ident(name == "session" ? "a session variable" : "an option");
      return e;
    }
    if (is_fixed_read(name) || is_bare_read(name)) {
      auto e = new_expr(ExprKind::Read, p);
      e->text = name;
      return read_at(std::move(e));
    }
    if (is_sized_read(name) && at(Tok::LParen)) {
      auto e = new_expr(ExprKind::Read, p);
      e->text = name;
      e->args = call_args();
      return read_at(std::move(e));
    }
    if (in(kCursorNames, name) || name == "now") {
      auto e = new_expr(ExprKind::Call, p);
      e->text = name;
      return e;
    }
    if (at(Tok::LParen)) {
      auto e = new_expr(ExprKind::Call, p);
      e->text = name;
      e->args = call_args();
      return e;
    }
    auto e = new_expr(ExprKind::Name, p);
    e->text = name;
    if (at(Tok::Dot) && peek().kind == Tok::Ident) {
      advance();
      e->text += "." + advance().text;
    }
    return e;
  }

  const SourceFile& src_;
  const std::vector<Token>& t_;
  std::vector<Diagnostic>& diags_;
  size_t i_ = 0;
  bool write_ = false;
  bool little_ = false;
  bool damaged_ = false;  // the item being parsed lost a statement to a syntax error
  std::set<std::string> lost_vars_;
  int depth_ = 0;  // levels of the tree above the token being parsed
};

}  // namespace

bool is_fixed_read(std::string_view name) { return in(kFixedReads, name); }
bool is_sized_read(std::string_view name) { return in(kSizedReads, name); }
bool is_bare_read(std::string_view name) { return in(kBareReads, name); }

Program parse(const SourceFile& src, const std::vector<Token>& tokens, std::vector<Diagnostic>& diags) {
  return Parser(src, tokens, diags).run();
}

}  // namespace pvm::compiler
