// The checker: resolves names, infers and checks types, and rejects programs that cannot run
// (unknown parameters, type mismatches, unreachable code, misplaced statements, recursion).
// It annotates the tree in place; lowering trusts what it wrote.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "driver/source.h"
#include "parse/ast.h"
#include "pvm/bytecode/module.h"

namespace pvm::compiler {

enum class ParamKind : uint8_t { Number, Integer, String, Bool, Any };

// A checked escape table: its declaration and its escapes, ready for the module.
struct CheckedEscapes {
  const Item* item = nullptr;
  std::vector<bc::Escape> escapes;
};

// What the checker learned about the program, for lowering.
struct CheckedProgram {
  std::string protocol;
  std::map<std::string, const Item*> fns;     // fn and table items by name
  std::map<std::string, const Item*> options;
  std::vector<const Item*> session;           // declared session variables (ident is implicit)
  std::vector<const Item*> entries;           // framing, packet and command items in order
  std::map<int64_t, CheckedEscapes> frames;   // frame delimited declarations by delimiter
  std::map<std::string, CheckedEscapes> escape_tables;  // escape declarations by name
};

// The byte count of a packing builtin (be16 2, le64 8, u8bytes 1), 0 for any other name.
int pack_width(std::string_view name);

// `sources` maps a file name to its text, for diagnostics in imported files.
CheckedProgram check(Program& program, const std::map<std::string, const SourceFile*>& sources,
                     std::vector<Diagnostic>& diags);

// Enum/const values after checking: the folded value of Name expressions lives on the Expr.
}  // namespace pvm::compiler
