// A build without LLVM: Engine::Jit loads the program for the interpreter, saying why.
#include "jit.h"

namespace pvm {

bool jit_available() {
  return false;
}

namespace detail {

struct JitCode::Impl {};

JitCode::JitCode(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JitCode::~JitCode() = default;

std::unique_ptr<JitCode> JitCode::compile(const bc::Module&, const std::string&, std::string& error) {
  error = "this pvm was built without the JIT (LLVM was not found when it was configured)";
  return nullptr;
}

bool JitCode::from_cache() const {
  return false;
}

const std::string& JitCode::cache_note() const {
  static const std::string kNone;
  return kNone;
}

bool JitCode::run(const RunInput& in, Scratch& scratch, RunOutput& out) const {
  return detail::run(in, scratch, out);
}

bool run_native(const RunInput& in, Scratch& scratch, RunOutput& out) {
  return in.jit->run(in, scratch, out);
}

}  // namespace detail
}  // namespace pvm
