// The source index: what a program declares, where every name is used, the type of each
// variable, and what each read takes from the frame. Editors build on it (`pvm lsp`: hover,
// go to definition, references, outline, completion); it compiles the program as
// compile_source does and carries the same diagnostics.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pvm/compiler/compile.h"
#include "pvm/compiler/diagnostic.h"

namespace pvm::compiler {

// A stretch of one line or more; `end` is one past the last byte (columns count bytes).
struct SourceRange {
  SourcePos begin;
  SourcePos end;
  bool contains(SourcePos p) const;  // begin <= p <= end: a cursor right after a name is on it
};

enum class SymbolKind : uint8_t {
  Protocol,
  Use,
  Const,
  Enum,
  EnumMember,
  Option,
  Session,
  Param,
  Framing,
  Packet,
  Command,
  Fn,
  Table,
  Variable,  // a $variable or parameter of an entry point, function or table
};
std::string_view symbol_kind_name(SymbolKind k);  // "const", "enum member", "variable", ...

struct Symbol {
  SymbolKind kind = SymbolKind::Const;
  std::string name;       // as it is used: "HEADER", "Kind.LOGIN", "$lat", "#demo.extra", "session.count"
  std::string file;       // the file that declares it
  SourceRange selection;  // its name in the declaration
  SourceRange extent;     // the whole declaration, from its keyword to its last token
  std::string detail;     // its declaration in one line: "const HEADER = 30840 (int)", "$lat: float"
  int parent = -1;        // the enum of a member; the entry point, fn or table of a variable
};

struct Reference {
  int symbol = -1;  // index in SourceIndex::symbols
  std::string file;
  SourceRange range;
  bool declaration = false;  // the symbol's own name in its declaration
};

// A read from the input (u16le, bytes(4), cstr ...) where it is written.
struct ReadSite {
  std::string file;
  SourceRange range;           // the read's name
  std::string read;            // "u16le", "bytes"
  std::string type;            // of the value: "int", "uint", "float", "str", "bytes"
  int64_t width = -1;          // bytes it takes; -1 when the input decides
  int64_t offset = -1;         // where it reads in the frame; -1 when that depends on the input or the caller
  bool little_endian = false;  // for multi-byte numbers: the byte order in force
  bool at = false;             // `READ at OFFSET`: the cursor does not move
};

// A #parameter where it is written (set or read back).
struct ParamSite {
  std::string file;
  SourceRange range;  // from '#' to the end of the name
  std::string name;   // without '#'; an indexed family as "din.*"
};

// A name the program uses that the index knows no declaration of, with what it is: builtins
// and reads (for hover), session.ident.
struct WordSite {
  std::string file;
  SourceRange range;
  std::string word;  // "crc", "u16le", "session.ident", "arc"
};

struct IndexedFile {
  std::string name;  // as the compiler names it (diagnostics, Symbol::file)
  std::string text;
};

struct SourceIndex {
  std::vector<Diagnostic> diagnostics;  // as compile_source reports them
  std::vector<IndexedFile> files;       // the indexed file first, then every file it uses
  std::vector<Symbol> symbols;
  std::vector<Reference> references;  // every use of every symbol, declarations included
  std::vector<ReadSite> reads;
  std::vector<ParamSite> params;
  std::vector<WordSite> words;

  // The reference (or read, parameter, word) under a cursor, or null.
  const Reference* reference_at(std::string_view file, SourcePos pos) const;
  const ReadSite* read_at(std::string_view file, SourcePos pos) const;
  const ParamSite* param_at(std::string_view file, SourcePos pos) const;
  const WordSite* word_at(std::string_view file, SourcePos pos) const;
};

SourceIndex index_source(std::string_view file_name, std::string_view text, const CompileOptions& options);

}  // namespace pvm::compiler
