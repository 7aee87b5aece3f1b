// The interpreter's step build (interpreter_step.cpp): one instruction at a time over state that
// native code keeps between the calls. The JIT runs every instruction it does not compile, and
// the slow path of every one it does, through step(), so traps, fuel and limits stay the
// interpreter's own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "../runtime.h"

namespace pvm::detail {

// The interpreter's locals that native code also uses: the current view and the fuel left.
struct StepState {
  const uint8_t* data = nullptr;
  uint32_t vb = 0;  // the view's window [vb, ve) and cursor vc, in offsets of data
  uint32_t ve = 0;
  uint32_t vc = 0;
  uint32_t depth = 0;  // saved parent views in Scratch::views
  uint64_t fuel = 0;
  uint32_t pc = 0;  // the instruction to run; after it, the next one
};

// What native code is called with; `st` first, so that its fields' offsets are the context's.
// Native code finds every address it uses here (the helpers it calls, the module's names and
// strings), never as a constant: the same module compiles to the same bytes in every process,
// so that compiled code can be kept on disk (jit_cache.h).
struct StepContext {
  StepState st;
  const RunInput* in = nullptr;
  Scratch* scratch = nullptr;
  RunOutput* out = nullptr;
  const void* const* helpers = nullptr;  // the JIT's helper functions, by number
  const ParamName* names = nullptr;      // in.names
  const std::string* strings = nullptr;  // the module's strings
  const char* const* text = nullptr;     // and their bytes
  MessageBuilder::Hot* builder = nullptr;  // scratch->builder's, where native code adds fields
  View* views = nullptr;                   // scratch->views, the parents of the current view
  ViewOrigin* origin = nullptr;            // scratch->origin, the current view's
};
static_assert(offsetof(StepContext, st) == 0);

enum StepResult : int32_t { kStepNext = 0, kStepDone = 1, kStepTrapped = 2 };

// Prepares a run of in.function as detail::run does before its first instruction, and the state
// for the first step; false when the frame cannot run (scratch.error says why). The registers
// other than the arguments are left as they were: native code keeps its own, zero at the start,
// and hands step() the ones an instruction reads.
bool step_begin(const RunInput& in, Scratch& scratch, StepState& st);
// Runs the instruction at st.pc. On kStepDone the function ended as detail::run's true does;
// on kStepTrapped as its false does.
StepResult step(const RunInput& in, Scratch& scratch, RunOutput& out, StepState& st);

}  // namespace pvm::detail
