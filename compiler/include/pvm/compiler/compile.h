// The compiler driver: .pvm source -> diagnostics, assembly text and a module.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pvm/bytecode/module.h"
#include "pvm/compiler/diagnostic.h"

namespace pvm::compiler {

enum class Dump : uint8_t { None, Tokens, Ast, Typed, Asm };

struct CompileOptions {
  std::vector<std::string> import_dirs;  // searched for `use "file.pvm"` after the importing file's folder
  Dump dump = Dump::None;                // the phase printout to return in `dump`
};

// A file a compile looked for: the main file, or one a `use` names. With these a cache of compiled
// modules can tell that compiling again would give the same result: every `use` still finds the
// same file (find_import), that is still the same file (its canonical path decides whether it was
// already taken) and it still reads the same.
struct SourceUsed {
  std::string from;                 // the file whose `use` names it; "" for the main file
  std::string name;                 // as the `use` writes it; the main file's path
  std::string path;                 // the file found; "" when none was
  std::string canonical;            // `path` with every link followed; "" when not found or unreadable
  std::optional<std::string> text;  // what was read; none when it was not (already taken, or unreadable)
};

struct CompileResult {
  bool ok = false;
  std::vector<Diagnostic> diagnostics;  // all of them, errors and warnings
  std::string dump;                     // the requested phase printout
  std::string asm_text;                 // when ok
  bc::Module module;                    // when ok: assemble(asm_text)
  std::vector<SourceUsed> sources;      // in the order the compile looked for them, main file first
};

CompileResult compile_file(const std::string& path, const CompileOptions& options);
CompileResult compile_source(std::string_view file_name, std::string_view source, const CompileOptions& options);

// `path` with every link followed, as the compile takes a file once by it; `path` itself when that
// fails.
std::string canonical_path(const std::string& path);

// The file `use "NAME"` in `from` means: beside `from`, then in each import folder; "" when none.
// A file found outside the folder it was looked for in (by `..` or a link) is not taken, and
// sets `refused`.
std::string find_import(const std::string& from, const std::string& name,
                        const std::vector<std::string>& import_dirs, bool* refused = nullptr);

}  // namespace pvm::compiler
