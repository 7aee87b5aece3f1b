// Any text given to the compiler must give diagnostics or a module, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pvm/compiler/compile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pvm::compiler::CompileOptions options;
  options.import_dirs.push_back(PVM_STDLIB_DIR);
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = pvm::compiler::compile_source("fuzz.pvm", text, options);
  (void)result;
  return 0;
}
