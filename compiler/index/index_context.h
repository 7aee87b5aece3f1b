// What the two passes of the source index share: the tokens of every file (the tree keeps only
// where a node starts; the tokens say where its name ends) and the symbols found so far.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "driver/source.h"
#include "lex/token.h"
#include "parse/ast.h"
#include "pvm/compiler/index.h"

namespace pvm::compiler {

class FileTokens {
 public:
  explicit FileTokens(const SourceFile& src);
  const SourceFile& source() const { return *src_; }
  // The index of the token that starts at `pos`, or -1.
  int at(SourcePos pos) const;
  const Token* get(int i) const { return i >= 0 && i < static_cast<int>(toks_.size()) ? &toks_[i] : nullptr; }
  SourceRange range(int i) const;  // of one token; an empty range at line 0 when there is none
  SourceRange range(int first, int last) const;
  // The last token of the declaration starting at token `first`: the statement ends at a newline
  // or ';' outside braces.
  int declaration_end(int first) const;

 private:
  const SourceFile* src_;
  std::vector<Token> toks_;
};

struct IndexContext {
  SourceIndex& out;
  const CompileOptions& options;
  std::map<std::string, FileTokens> files;
  std::map<const Item*, std::map<std::string, int>>
      variables;  // per entry point, fn or table: name -> symbol
  std::map<const Item*, int> item_symbols;
  const FileTokens* tokens(const std::string& file) const;
};

// Before checking: declarations, and every name used with what it refers to.
void collect_names(const Program& program, IndexContext& cx);
// After checking: the types of variables, the values of constants, and the reads' widths and offsets.
void collect_types_and_reads(const Program& program, IndexContext& cx);

}  // namespace pvm::compiler
