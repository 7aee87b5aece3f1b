// Tracing a run for a reader (Session::set_trace): the interpreter's traced build hands the
// tracer each instruction that reads, moves the cursor, enters or leaves a view, or stores a
// value, and the tracer turns them into TraceEvents with stream offsets and source positions.
// Nothing here runs when a session is not traced.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "escapes.h"
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

class Tracer {
 public:
  // A frame that runs on the bytes of `unescaped` is a delimited frame whose escapes `escapes`
  // says where they were undone.
  Tracer(TraceCallback on_event, const std::vector<uint8_t>& unescaped, const EscapeMap& escapes)
      : on_event_(std::move(on_event)), unescaped_(unescaped), frame_escapes_(escapes) {}

  // A run of in.function over in.frame begins.
  void begin(const RunInput& in);
  void step(const TraceStep& s);
  void end(bool ok, const RunOutput& out, const Error& error);

 private:
  struct Pending {  // a step held back: a seek, and the read after it, may be a read `at`
    TraceStep step;
    Value value;  // a read's, copied: its register may change before the step is emitted
  };

  void handle(const TraceStep& s, const Value* value, bool at);
  void flush();
  const bc::LineEntry* entry_at(uint32_t pc) const;
  // Emits Call events for the calls `entry` is inlined in that the last event was not, then `e`.
  void emit(TraceEvent& e, const bc::LineEntry* entry, uint32_t views);
  std::string_view call_line(uint32_t site);
  uint64_t stream_offset(const ViewOrigin& origin, uint64_t at) const;
  uint32_t wire_length(const ViewOrigin& origin, uint64_t at, uint64_t n) const;

  TraceCallback on_event_;
  const std::vector<uint8_t>& unescaped_;
  const EscapeMap& frame_escapes_;
  const RunInput* in_ = nullptr;
  const EscapeMap* escapes_ = nullptr;
  std::vector<uint32_t> calls_;      // the inlined calls of the last event, outermost first
  std::vector<uint32_t> chain_;      // reused for the next event's calls
  std::vector<int32_t> call_lines_;  // per call site: the line entry saying its text (-1: none, -2: unknown)
  const bc::LineEntry* last_read_ = nullptr;  // the statement of the last Read, for its Store
  uint32_t read_reg_ = 0;                     // the register holding that Read's value, moved or not
  uint64_t stopped_ = 0;                      // where the cursor was after the last step in the frame
  Pending seek_{}, read_{};
  int pending_ = 0;     // 1: seek_ is held; 2: seek_ and read_ are
  std::string target_;  // a Store's value.name
  Error error_;         // an End's, at wire offsets
};

// Runs one function as run() does, in the interpreter's traced build (interpreter_traced.cpp),
// which reports its steps to scratch.tracer.
bool run_traced(const RunInput& in, Scratch& scratch, RunOutput& out);
// run() for a traced session: run_traced with in.session->tracer, between its begin and end.
bool trace_run(const RunInput& in, Scratch& scratch, RunOutput& out);

}  // namespace pvm::detail
