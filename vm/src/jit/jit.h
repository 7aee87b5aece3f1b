// The optional LLVM JIT (Engine::Jit): every function of a verified module compiled to native
// code when the program loads. Native code keeps the interpreter's guarantees by construction:
// the instructions it compiles (inline, or as calls of small helpers that share their code with
// the interpreter) take their slow paths (a failed bounds check, a zero divisor, fuel running
// out, a full message) by running that same instruction in the interpreter's step build, and
// every other instruction always runs there, so traps, fuel and limits are the interpreter's own.
#pragma once

#include <memory>
#include <string>

#include "../runtime.h"

namespace pvm::detail {

class JitCode {
 public:
  // Compiles every function of `module`, which must stay alive and unmoved as long as the code,
  // or loads the code compiled for it before from `cache_dir` (jit_cache.h; empty: no cache),
  // storing what it compiles there. Null with the reason when it cannot (a build without LLVM
  // says so).
  static std::unique_ptr<JitCode> compile(const bc::Module& module, const std::string& cache_dir,
                                          std::string& error);
  ~JitCode();

  // Whether the code came from the cache; why the cache was not used or not written, if so.
  bool from_cache() const;
  const std::string& cache_note() const;

  // Runs in.function as detail::run does, with the same results.
  bool run(const RunInput& in, Scratch& scratch, RunOutput& out) const;

  struct Impl;

 private:
  explicit JitCode(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// detail::run's signature for Session's runner: in.jit->run(...).
bool run_native(const RunInput& in, Scratch& scratch, RunOutput& out);

// What the JIT library (vm/CMakeLists.txt's pvm_jit, loaded by jit_loader.cpp the first time a
// program asks for the JIT) exports as pvm_jit_entry. The library holds its own copy of the VM's
// code, built from the same sources as the loader's (`build`, checked before anything else is
// used), so that every type passed here has the same layout on both sides.
struct JitEntry {
  const char* build;  // PVM_VM_BUILD
  // JitCode::compile: the native code of `module`, or null with the reason.
  void* (*compile)(const bc::Module& module, const std::string& cache_dir, std::string& error);
  void (*release)(void* code);
  bool (*from_cache)(const void* code);
  const std::string& (*cache_note)(const void* code);
  bool (*run)(const void* code, const RunInput& in, Scratch& scratch, RunOutput& out);
};
using JitEntryFn = const JitEntry* (*)();

}  // namespace pvm::detail
