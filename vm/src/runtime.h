// What the interpreter works on: registers, views, the session's persistent state, and the
// scratch space a frame fills (messages, replies, arena strings) that the host then reads.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "arena.h"
#include "escapes.h"
#include "message_builder.h"
#include "param_names.h"
#include "patterns.h"
#include "pvm/bytecode/module.h"
#include "pvm/vm.h"

namespace pvm::detail {

class Tracer;
class JitCode;

// One register: 16 bytes whatever its class. Str and Bytes registers view bytes owned by the
// module, the frame or the arena, so moving them never copies.
struct Value {
  union {
    int64_t i;
    uint64_t u;
    double f;
    bool b;
    struct {
      const uint8_t* p;
      uint32_t n;
    } s;
  };
};
static_assert(sizeof(Value) == 16);

// Where a view's bytes came from, for error offsets: bytes of the frame map to stream offsets
// one to one; bytes built while decoding (concatenated, unescaped, from the session) all map to
// the stream offset of the `within` that entered them. `name` (a string index, kNoName for the
// frame itself) names a bytes value in errors: "offset 31 (byte 5 of $body)".
struct ViewOrigin {
  static constexpr uint32_t kNoName = UINT32_MAX;
  uint64_t base = 0;  // stream offset of data[0] (in_frame), or of the within statement
  uint32_t name = kNoName;
  bool in_frame = true;
};

// A saved view: the bytes it reads (`data`), the window [begin, end) and the cursor in offsets
// of `data`, and where the bytes came from.
struct View {
  const uint8_t* data = nullptr;
  uint32_t begin = 0;
  uint32_t end = 0;
  uint32_t cursor = 0;
  ViewOrigin origin;
};

struct SlotValue {
  int64_t i = 0;
  std::string s;
};

struct OptionValue {
  bool set = false;  // false: the module's default applies
  int64_t i = 0;
  std::string s;
};

// What outlives a frame: the session slots as of the last successful frame, and the options.
struct SessionData {
  std::vector<SlotValue> slots;
  std::vector<OptionValue> options;  // empty until an option is set
  size_t slot_bytes = 0;             // the str and bytes slots' sizes together
  Tracer* tracer = nullptr;          // Session::set_trace's, for trace_run
};

// Reused from frame to frame (and shared by the sessions of a thread), so that a warmed-up
// frame allocates nothing.
struct Scratch {
  Arena arena;
  std::vector<Value> regs;
  std::array<View, bc::kMaxViewDepth + 1> views;  // the parents of the current view
  ViewOrigin origin;                              // the current view's, read only on push, pop and traps
  MessageBuilder builder;
  std::vector<uint8_t> out;
  bool out_open = false;
  std::vector<std::vector<uint8_t>> replies;  // the first reply_count are this frame's
  size_t reply_count = 0;
  std::vector<Error> warnings;
  Error error;
  // Slot writes wait here until the frame succeeds.
  std::vector<SlotValue> pending;
  std::vector<uint8_t> dirty;
  std::vector<uint32_t> dirty_list;
  size_t slot_bytes = 0;  // SessionData::slot_bytes with this frame's writes
  // The frame's copy of slot 0 for messages' "ident" field; stale after sset of slot 0.
  std::string_view ident;
  bool ident_fresh = false;
  std::vector<Message> messages;  // filled by publish()
  // The groups of the last successful re.match; they view the matched text.
  std::array<std::string_view, kMaxGroups> groups{};
  size_t group_count = 0;
  Tracer* tracer = nullptr;  // during run_traced: where its steps go
};

struct RunInput {
  const bc::Module* module = nullptr;
  const Patterns* patterns = nullptr;  // every re.match pattern of the module, compiled
  const ParamNames* names = nullptr;   // every string of the module as a parameter name
  const Escapes* escapes = nullptr;    // the module's delimited framings
  const bc::Function* function = nullptr;
  std::span<const uint8_t> frame;
  uint64_t offset = 0;  // stream offset of frame[0]
  uint64_t fuel = bc::kDefaultFuel;
  bool lenient = false;
  SessionData* session = nullptr;
  uint32_t max_session_bytes = kDefaultMaxSessionBytes;
  double now = 0;  // the frame's receive time, Unix seconds
  std::span<const std::pair<uint32_t, Value>> args;  // registers set after zeroing (command parameters)
  const JitCode* jit = nullptr;  // the program's native code, for run_native
};

struct RunOutput {
  int64_t result = 0;     // the value of ret.i
  uint32_t consumed = 0;  // the root view's cursor at the end, sub-views closed
  uint32_t end_pc = 0;    // the instruction that ended the function
  uint64_t fuel_used = 0;  // also when it trapped
};

// Runs one function over one frame. False when it trapped: then scratch.error says why and the
// session is as it was. On success the slot writes wait in scratch until commit().
bool run(const RunInput& in, Scratch& scratch, RunOutput& out);
// Makes a successful frame's slot writes the session's, and exposes its messages.
void commit(Scratch& scratch, SessionData& session);
// Fills the source position and `what` of the instruction at `pc` from the line table.
void locate(const bc::Module& module, const bc::Function& function, uint32_t pc, Error& error);

}  // namespace pvm::detail
