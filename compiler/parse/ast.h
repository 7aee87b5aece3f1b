// The syntax tree. The checker fills in the types and resolutions (the "typed AST");
// lowering reads them. One struct per node family keeps the tree easy to walk.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "pvm/compiler/diagnostic.h"

namespace pvm::compiler {

enum class Type : uint8_t { Unknown, Int, UInt, Float, Bool, Str, Bytes, Void };
std::string_view type_name(Type t);

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class ExprKind : uint8_t {
  Int, Float, Str, Bytes, Bool,
  Var,       // $name
  Param,     // #name (read of an int parameter of the current message)
  Session,   // session.name
  Option,    // option.name
  Name,      // a constant or enum member: NAME or Enum.MEMBER (text holds the dotted form)
  Call,      // name(args): builtin, fn or table
  Read,      // a read from the input: text = read name (u16le, bytes, text, cstr...), args, at
  Unary,     // op, args[0]
  Binary,    // op, args[0], args[1]
};

struct Expr {
  ExprKind kind;
  SourcePos pos;
  std::string text;  // name / operator / string value
  uint64_t int_value = 0;
  double float_value = 0;
  bool bool_value = false;
  std::vector<ExprPtr> args;
  ExprPtr at;  // Read: `at OFFSET`
  // Filled by the checker.
  Type type = Type::Unknown;
  bool is_const = false;  // value known at compile time (then const_int / const_float hold it)
  int64_t const_int = 0;
  double const_float = 0;
};

enum class TargetKind : uint8_t { Var, Param, Session };
struct Target {
  TargetKind kind = TargetKind::Var;
  SourcePos pos;
  std::string name;
  ExprPtr index;  // #name[index]: the parameter name gets ".<index>" appended
  Type type = Type::Unknown;  // filled by the checker
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Block = std::vector<StmtPtr>;

enum class StmtKind : uint8_t {
  Pipe,       // expr ==> target ==> target...
  Assign,     // target = expr
  Skip, Seek, // expr
  Expect, Check,  // expr, text = message
  Fail, Warn,     // text = message, or expr when the reason is computed
  If,         // conds[i] -> blocks[i]; else_block when has_else
  Match,      // expr, arms
  Repeat,     // expr (count) or until_end; var = counter name
  Within,     // expr = size or bytes value (text = its source), body
  Emit, Reply,  // body
  Return,     // optional expr
  Call,       // expr (a Call)
  Write,      // text = write type (u8, u16le, bytes, str...), expr
  Break,      // leave the innermost repeat
};

struct MatchArm {
  SourcePos pos;
  std::vector<ExprPtr> patterns;  // empty = the default arm `_`
  Block body;
};

struct Stmt {
  StmtKind kind;
  SourcePos pos;
  std::string source_text;  // the statement's first line, for runtime error messages
  std::string text;
  ExprPtr expr;
  std::vector<Target> targets;
  std::vector<ExprPtr> conds;
  std::vector<std::string> cond_texts;  // If: the source line of each `else if`, as source_text
  std::vector<Block> blocks;
  Block else_block;
  bool has_else = false;
  std::vector<MatchArm> arms;
  bool until_end = false;
  std::string var;
  Block body;
};

struct FnParam {
  SourcePos pos;
  std::string name;
  Type type = Type::Unknown;
};

enum class ItemKind : uint8_t { Protocol, ByteOrder, Use, Const, Enum, Option, Session, ParamDecl, Framing, Packet, Command, Fn, Table, Frame, Escape };

struct EnumMember {
  SourcePos pos;
  std::string name;
  ExprPtr value;
};

struct Item {
  ItemKind kind;
  SourcePos pos;
  std::string name;         // protocol/const/enum/option/session/param/fn/table/command name, transport, use path
  std::string file;         // the file the item came from (imports)
  bool little_endian = false;  // the byte order in force in the item's file
  Type type = Type::Unknown;   // const/option/session/param type, fn result
  std::string param_type;      // ParamDecl: number|integer|string|bool|any
  ExprPtr value;               // const value, option default
  std::vector<EnumMember> members;
  std::vector<FnParam> params;
  Block body;
  std::vector<MatchArm> arms;  // Table
  // Frame and Escape: sequence => byte. A Frame's value is the delimiter; a Frame that uses an
  // escape table by name has it in `name` (at `name_pos`) and no escapes of its own.
  std::vector<std::pair<ExprPtr, ExprPtr>> escapes;
  SourcePos name_pos;
  bool damaged = false;        // a statement in it could not be parsed and is missing
  std::set<std::string> lost_vars;  // variables named by such statements: they may be assigned there
};

struct Program {
  std::vector<std::unique_ptr<Item>> items;
};

std::string dump_ast(const Program& p, bool with_types);

}  // namespace pvm::compiler
