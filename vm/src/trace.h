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
#include "trace_step.h"

namespace pvm::detail {

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

}  // namespace pvm::detail
