// Finds and loads the program a command runs: a stdlib protocol by name, a .pvm compiled on the
// fly, or a .pvmc loaded from disk. Modules are always verified before they run.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "module_cache.h"
#include "pvm/compiler/compile.h"
#include "pvm/vm.h"

namespace pvm::cli {

// The stdlib-protocols folder: $PVM_STDLIB, else the source tree this binary was built from,
// else stdlib-protocols beside the binary or in ../share/pvm.
std::string stdlib_dir();
// The protocols in stdlib_dir(), sorted.
std::vector<std::string> stdlib_names();

// Import folders for compiling: `extra` first, then the stdlib, so that any program can
// `use` the shared stdlib modules.
compiler::CompileOptions compile_options(std::vector<std::string> extra);

// A name such as "teltonika" becomes <stdlib>/teltonika.pvm. Anything ending in .pvm or .pvmc
// or holding a '/' is a path, relative to `base_dir` unless absolute. False with a reason when
// the stdlib has no such protocol.
bool resolve_protocol(std::string_view spec, const std::string& base_dir, std::string& path,
                      std::string& error);

// Loads a resolved path: a .pvmc is read, deserialized and verified; anything else is compiled
// with compile_options({}), its diagnostics rendered to `diagnostics`, or taken from `modules`
// when that holds what compiling would give. Null with a reason on failure.
std::shared_ptr<const Program> load_program(const std::string& path, std::ostream& diagnostics,
                                            std::string& error, const LoadOptions& options = {},
                                            ModuleCache* modules = nullptr);

// When `options` asked for the JIT and the interpreter runs all the same, the line that says
// why ("pvm: the JIT is not used for teltonika: ...; the interpreter runs"); when the JIT runs
// but its cache could not be used, the line that says why; else empty.
std::string jit_fallback_line(const Program& program, const LoadOptions& options);

// When a module cache directory the user named could not be used, the line that says why, once
// ("pvm: the module cache is not used: ..."); else empty.
std::string module_cache_line(ModuleCache& modules);

// Renders every diagnostic, each ending in a newline.
std::string render_diagnostics(const std::vector<compiler::Diagnostic>& diags);

}  // namespace pvm::cli
