// `pvm decode --trace`: each frame's fields as a protocol author checks them against a vendor
// document: every read, skip, seek and view with its stream offset and bytes, the .pvm line that
// read it and the value it became, nested by `within` and inlined call. As text for a terminal
// (--trace, --trace=text) and as JSON lines for tools (--trace=json).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "frame_report.h"
#include "pvm/vm.h"

namespace pvm::cli {

// Rows a frame's trace keeps; the ones after are counted, not kept (a loop the fuel allows can
// read far more often than a reader can follow).
inline constexpr size_t kMaxTraceRows = 1u << 16;
// Bytes of a field, or of a str or bytes value, a row keeps; `length` still counts them all.
inline constexpr size_t kMaxTraceRowBytes = 64;

// A value a row shows, copied: a str or bytes keeps at most kMaxTraceRowBytes.
struct TraceValue {
  bool set = false;
  Field field;  // its `s` is not kept: `text` is
  std::string text;
  bool cut = false;  // `text` is the start of a longer value
};

// One step of a frame's trace, copied out of its TraceEvent.
struct TraceRow {
  TraceEvent::Kind kind = TraceEvent::Kind::Read;
  uint32_t depth = 0;
  uint64_t offset = 0;
  uint32_t length = 0;         // stream bytes (on the wire)
  uint32_t size = 0;           // bytes as the program read them
  std::vector<uint8_t> bytes;  // the first kMaxTraceRowBytes of them
  bool at = false;
  bool in_frame = true;
  std::string view;  // the bytes value read by `within VALUE`, "" for the frame
  uint32_t view_offset = 0;
  std::string file;  // "" for the protocol's source
  uint32_t line = 0;
  uint32_t col = 0;
  std::string what;
  TraceValue value;    // what a Read read or a Store stored; for a Read whose statement stored
  TraceValue read;     // it on, the stored value, and `read` what was read
  std::string target;  // the parameter or session variable a Store set
};

// Collects the rows of the frame being decoded from a session's trace events (a function run
// begins a frame's rows anew), until the frame's FrameResult takes them.
class TraceCollector {
 public:
  void on_event(const TraceEvent& e);
  void clear();
  // Stream offset of the session's first byte (a session restarted after a capture's gap).
  void set_base(uint64_t base) { base_ = base; }

  const std::vector<TraceRow>& rows() const { return rows_; }
  uint64_t dropped() const { return dropped_; }
  std::string_view function() const { return function_; }  // the last run's, "" when none
  bool ended() const { return ended_; }
  uint64_t stopped() const { return stopped_; }  // where the last run's cursor stopped

 private:
  std::vector<TraceRow> rows_;
  uint64_t dropped_ = 0;
  std::string function_;
  bool ended_ = false;
  uint64_t stopped_ = 0;
  uint64_t base_ = 0;
};

// The frame's header as --output frames writes it, then one line per row: offset, length,
// bytes, source position, the statement indented by its depth, and the value; then its
// replies, warnings and error.
void append_trace_text(std::string& out, const FrameReport& report, const TraceCollector& trace,
                       const std::string& source);
// One JSON object per row ({"input":..,"frame":N,"event":"read",...}), then one for the frame's end.
void append_trace_json(std::string& out, const FrameReport& report, const TraceCollector& trace,
                       const std::string& source);

}  // namespace pvm::cli
