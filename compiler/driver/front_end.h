// The compiler driver's front end, for tools that look at the tree as well as the result
// (the source index behind `pvm lsp`): the same compile, with a look at the tree on the way.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "driver/source.h"
#include "parse/ast.h"
#include "pvm/compiler/compile.h"

namespace pvm::compiler {

struct FrontEndHooks {
  // After parsing, with the used files' items spliced in: every name still as written.
  // `sources` holds the text of the compiled file and of every file it uses, by name.
  std::function<void(const Program&, const std::map<std::string, const SourceFile*>& sources)> parsed;
  // After checking, whether or not it found errors: types filled in and constants folded.
  std::function<void(const Program&)> checked;
};

CompileResult compile_source(std::string_view file_name, std::string_view source,
                             const CompileOptions& options, const FrontEndHooks& hooks);

}  // namespace pvm::compiler
