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
#include "message_builder.h"
#include "param_names.h"
#include "patterns.h"
#include "pvm/bytecode/module.h"
#include "pvm/vm.h"

namespace pvm::detail {

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

// A window of the frame, in frame offsets: [begin, end) with the read position `cursor`.
struct View {
  uint32_t begin = 0;
  uint32_t end = 0;
  uint32_t cursor = 0;
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
};

// Reused from frame to frame (and shared by the sessions of a thread), so that a warmed-up
// frame allocates nothing.
struct Scratch {
  Arena arena;
  std::vector<Value> regs;
  std::array<View, bc::kMaxViewDepth + 1> views;
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
  // The frame's copy of slot 0 for messages' "ident" field; stale after sset of slot 0.
  std::string_view ident;
  bool ident_fresh = false;
  std::vector<Message> messages;  // filled by publish()
  // The groups of the last successful re.match; they view the matched text.
  std::array<std::string_view, kMaxGroups> groups{};
  size_t group_count = 0;
};

struct RunInput {
  const bc::Module* module = nullptr;
  const Patterns* patterns = nullptr;  // every re.match pattern of the module, compiled
  const ParamNames* names = nullptr;   // every string of the module as a parameter name
  const bc::Function* function = nullptr;
  std::span<const uint8_t> frame;
  uint64_t offset = 0;  // stream offset of frame[0]
  uint64_t fuel = bc::kDefaultFuel;
  bool lenient = false;
  SessionData* session = nullptr;
  std::span<const std::pair<uint32_t, Value>> args;  // registers set after zeroing (command parameters)
};

struct RunOutput {
  int64_t result = 0;     // the value of ret.i
  uint32_t consumed = 0;  // the root view's cursor at the end, sub-views closed
  uint32_t end_pc = 0;    // the instruction that ended the function
};

// Runs one function over one frame. False when it trapped: then scratch.error says why and the
// session is as it was. On success the slot writes wait in scratch until commit().
bool run(const RunInput& in, Scratch& scratch, RunOutput& out);
// Makes a successful frame's slot writes the session's, and exposes its messages.
void commit(Scratch& scratch, SessionData& session);
// Fills the source position and `what` of the instruction at `pc` from the line table.
void locate(const bc::Module& module, const bc::Function& function, uint32_t pc, Error& error);

}  // namespace pvm::detail
