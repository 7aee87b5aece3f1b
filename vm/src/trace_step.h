// The interpreter's side of tracing (Session::set_trace): which instructions its traced build
// reports, and what it hands over. Kept apart from the tracer, so that the untraced build
// includes no more than these declarations.
#pragma once

#include <cstdint>

#include "runtime.h"

namespace pvm::detail {

// The instructions the traced interpreter reports, after they ran.
constexpr bool traced(bc::Op op) {
  switch (op) {
    case bc::Op::RdU8:
    case bc::Op::RdU16Be:
    case bc::Op::RdU16Le:
    case bc::Op::RdU32Be:
    case bc::Op::RdU32Le:
    case bc::Op::RdU64Be:
    case bc::Op::RdU64Le:
    case bc::Op::RdI8:
    case bc::Op::RdI16Be:
    case bc::Op::RdI16Le:
    case bc::Op::RdI32Be:
    case bc::Op::RdI32Le:
    case bc::Op::RdI64Be:
    case bc::Op::RdI64Le:
    case bc::Op::RdF32Be:
    case bc::Op::RdF32Le:
    case bc::Op::RdF64Be:
    case bc::Op::RdF64Le:
    case bc::Op::RdUnBe:
    case bc::Op::RdUnLe:
    case bc::Op::RdSnBe:
    case bc::Op::RdSnLe:
    case bc::Op::RdUnBeI:
    case bc::Op::RdUnLeI:
    case bc::Op::RdBytes:
    case bc::Op::RdStr:
    case bc::Op::RdCStr:
    case bc::Op::RdBcd:
    case bc::Op::RdRest:
    case bc::Op::RdUntil:
    case bc::Op::RdField:
    case bc::Op::Skip:
    case bc::Op::Seek:
    case bc::Op::ViewPush:
    case bc::Op::ViewBytes:
    case bc::Op::ViewPop:
    case bc::Op::MovI:
    case bc::Op::MovU:
    case bc::Op::MovF:
    case bc::Op::MovB:
    case bc::Op::MovS:
    case bc::Op::MovY:
    case bc::Op::SetI:
    case bc::Op::SetU:
    case bc::Op::SetF:
    case bc::Op::SetB:
    case bc::Op::SetS:
    case bc::Op::SetY:
    case bc::Op::SetDI:
    case bc::Op::SetDU:
    case bc::Op::SetDF:
    case bc::Op::SetDB:
    case bc::Op::SetDS:
    case bc::Op::SetDY:
    case bc::Op::SSetI:
    case bc::Op::SSetS:
    case bc::Op::SSetY:
      return true;
    default:
      return false;
  }
}

// The interpreter's state after a traced instruction.
struct TraceStep {
  bc::Op op;
  const uint32_t* ip;  // the instruction's words
  uint32_t pc;
  const Value* regs;
  const uint8_t* data;  // the current view's bytes
  uint32_t from;        // the cursor before the instruction (in the view it ran in)
  uint32_t to;          // and after, in offsets of `data`
  uint32_t views;       // views open after the instruction
  ViewOrigin origin;    // where the bytes of `data` came from
};

// Hands the tracer a step (trace.cpp): the hook of the traced build.
void trace_step(Tracer& tracer, const TraceStep& step);

// Runs one function as run() does, in the interpreter's traced build (interpreter_traced.cpp),
// which reports its steps to scratch.tracer.
bool run_traced(const RunInput& in, Scratch& scratch, RunOutput& out);
// run() for a traced session: run_traced with in.session->tracer, between its begin and end.
bool trace_run(const RunInput& in, Scratch& scratch, RunOutput& out);

}  // namespace pvm::detail
