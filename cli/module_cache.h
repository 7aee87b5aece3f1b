// Compiled modules kept in a directory between runs (`--module-cache`), so that a command loading
// a .pvm compiled before takes the module instead of compiling again. A file is named by a digest
// of the compiler's sources, the .pvm's path and the import folders; it records every file the
// compile took (compiler::SourceUsed) with a digest of what it read, and is used only while each
// `use` still finds the same file and every file still reads the same: what it holds is then what
// compiling now would give. Only compiles without diagnostics are kept, so warnings show on every
// run. The directory is trusted as the JIT's is (bc::CacheDir); a module from it is verified when
// it loads, as every module is.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pvm/bytecode/cache_dir.h"
#include "pvm/compiler/compile.h"

namespace pvm::cli {

struct ModuleCacheDir {
  std::string path;    // "": no cache
  bool named = false;  // the user named it: then a directory that cannot be used is worth a word
};

class ModuleCache {
 public:
  static constexpr size_t kMaxFiles = 128;              // the least recently used go first
  static constexpr size_t kMaxBytes = size_t{8} << 20;  // a file; GT06's module is 0.2 MiB

  using Compile =
      std::function<compiler::CompileResult(const std::string& path, const compiler::CompileOptions&)>;

  // `compile` compiles what the cache does not hold (tests put another compiler in its place).
  explicit ModuleCache(ModuleCacheDir dir = {}, Compile compile = compiler::compile_file);

  // Compiles `path` with `import_dirs`, or takes the module that gave before for the same files.
  // `from_cache` says which; from the cache the result holds `ok` and the module (no asm_text).
  compiler::CompileResult compile(const std::string& path, const std::vector<std::string>& import_dirs,
                                  bool& from_cache);
  // Why a directory the user named could not be used or written, the first time; "" otherwise.
  std::string take_note();

 private:
  bool usable();
  std::optional<bc::Module> lookup(const std::string& name, const std::string& path,
                                   const std::vector<std::string>& import_dirs) const;
  void store(const std::string& name, const compiler::CompileResult& result);
  void note(const std::string& why);

  ModuleCacheDir dir_;
  Compile compile_;
  bc::CacheDir files_;
  std::optional<bool> opened_;  // whether the directory could be used, once tried
  std::string note_;
  bool noted_ = false;
};

}  // namespace pvm::cli
