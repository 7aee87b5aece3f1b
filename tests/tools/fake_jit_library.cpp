// Stand-ins for the JIT library that jit_library_test.py hands pvm through PVM_JIT_LIBRARY. With
// PVM_FAKE_ENTRY it exports pvm_jit_entry as the real one does, with a build digest no pvm has;
// without, it exports nothing the loader looks for. Neither may be used.
#include "jit/jit.h"

#ifdef PVM_FAKE_ENTRY
extern "C" __attribute__((visibility("default"))) const pvm::detail::JitEntry* pvm_jit_entry() {
  static const pvm::detail::JitEntry entry{
      "not the build of any pvm", nullptr, nullptr, nullptr, nullptr, nullptr};
  return &entry;
}
#else
extern "C" __attribute__((visibility("default"))) int pvm_something_else() {
  return 0;
}
#endif
