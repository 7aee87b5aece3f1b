// Collects the messages of one frame. Fields live in one vector reused from frame to frame;
// a per-message hash index finds a name already set (set replaces it in place) in O(1). The
// module's constant names come with their hash (ParamNames), so only names made at run time
// are hashed here.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "param_names.h"
#include "pvm/vm.h"
#include "work.h"

namespace pvm::detail {

class MessageBuilder {
 public:
  MessageBuilder();
  // Hot points into the builder's own vectors.
  MessageBuilder(const MessageBuilder&) = delete;
  MessageBuilder& operator=(const MessageBuilder&) = delete;

  void reset();
  bool is_open() const { return hot_.open; }
  // Starts a message (storing the open one first); false when the frame has too many.
  bool begin();
  // Stores the open message.
  void end();
  // The field named `name` in the open message, added at the end when new; null when the
  // message already has kMaxParamsPerMessage fields. The caller fills type and value.
  [[gnu::always_inline]] Field* set(std::string_view name) { return set(name, hash(name), false); }
  // The same for a name prepared in advance (a constant of the module, or one below).
  [[gnu::always_inline]] Field* set(const ParamName& name) { return set(name.name, name.hash, name.quoted); }
  const Field* find(const ParamName& name) const;
  // Counts a field set in the open message (work.h's field_raw_size).
  void add_raw(size_t n) { hot_.open_raw += n; }
  // Whether begin() can start another message in this frame.
  bool can_begin() const { return messages_.size() + (hot_.open ? 1 : 0) < bc::kMaxMessagesPerFrame; }
  // Room for `fields` more fields and one more message, so that adding them cannot fail. Grows
  // geometrically: reserving just enough would copy both vectors again for every message.
  void reserve(size_t fields) {
    if (hot_.capacity - hot_.count < fields) grow(hot_.count + fields);
    if (messages_.capacity() == messages_.size()) messages_.reserve(2 * messages_.size() + 1);
  }
  // Whether the open message's JSON stays within kMaxMessageBytes by its raw size alone (then
  // fits() looks at no field).
  bool fits_quickly() const { return hot_.open_raw * kJsonPerRawByte + 2 <= bc::kMaxMessageBytes; }
  // Whether the open message's JSON stays within kMaxMessageBytes. Looks at the fields' bytes
  // only when their raw size could escape beyond it; `scanned` says how many it looked at.
  bool fits(uint64_t& scanned) const;
  // What the open message holds for the frame's memory account: its fields and their bytes.
  size_t open_memory() const { return hot_.open_raw + (hot_.count - hot_.open_begin) * sizeof(Field); }
  // Spans over the stored messages; valid until the next reset().
  void publish(std::vector<Message>& out) const;

  static uint32_t hash(std::string_view name);

  // The names the VM gives every message.
  const ParamName ident = ident_param();
  const ParamName protocol_id = protocol_id_param();

  // Twice the most fields a message may hold, so linear probing stays short.
  static constexpr uint32_t kIndexSize = std::bit_ceil(2 * bc::kMaxParamsPerMessage);
  struct Slot {
    uint32_t stamp = 0;  // the message it belongs to; other stamps read as empty
    uint32_t hash = 0;
    uint32_t field = 0;
  };
  // What set() reads and writes, in one plain struct: native code (the JIT) adds a field of a
  // constant name through it by offset, as set() does when the name is new and there is room.
  struct Hot {
    Field* fields = nullptr;  // fields_.data(), and fields_.size() below
    Slot* index = nullptr;    // index_.data()
    uint64_t open_raw = 0;    // field_raw_size of the open message's fields
    uint32_t capacity = 0;
    uint32_t count = 0;  // fields in use, of all the frame's messages
    uint32_t open_begin = 0;
    uint32_t stamp = 0;
    // Below this count a new field goes in without a check more: the field vector has room and
    // the open message is not full. 0 while no message is open.
    uint32_t room = 0;
    bool open = false;
  };
  Hot* hot() { return &hot_; }

 private:
  Field* set(std::string_view name, uint32_t h, bool quoted);
  // Room for at least n fields in all; out of line, so that set() stays small.
  [[gnu::cold, gnu::noinline]] void grow(size_t n);
  void update_room() {
    hot_.room =
        hot_.open ? std::min(hot_.capacity, hot_.open_begin + static_cast<uint32_t>(bc::kMaxParamsPerMessage))
                  : 0;
  }
  // The slot holding `name`, or the empty slot where it would go.
  Slot& probe(std::string_view name, uint32_t h) const;

  // Every field of the frame's messages: the first hot_.count are in use, the rest is room kept
  // from frame to frame (a field is added with a store, not a call to vector growth).
  std::vector<Field> fields_;
  struct Range {
    uint32_t begin;
    uint32_t count;
  };
  std::vector<Range> messages_;
  std::vector<Slot> index_;
  Hot hot_;
};

// Defined here so that the interpreter inlines them: set() runs once per parameter, and calls
// to it cost 5% of the time of a 20-field record loop.

// Names are short dotted words; their first and last bytes and the length tell them apart well
// enough, and cost two fixed-size loads instead of a loop over every byte (a variable-length
// memcpy for names under 8 bytes was a library call, 7% of decode time).
inline uint32_t MessageBuilder::hash(std::string_view name) {
  uint64_t head = 0;
  uint64_t tail = 0;
  const size_t n = name.size();
  const char* p = name.data();
  if (n >= 8) {
    std::memcpy(&head, p, 8);
    std::memcpy(&tail, p + n - 8, 8);
  } else if (n >= 4) {
    uint32_t a;
    uint32_t b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    head = a;
    tail = b;
  } else if (n > 0) {
    head = static_cast<uint64_t>(static_cast<unsigned char>(p[0])) << 16 |
           static_cast<uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8 |
           static_cast<unsigned char>(p[n - 1]);
  }
  const uint64_t h = (head ^ std::rotl(tail, 29) ^ n) * 0x9E3779B97F4A7C15ull;
  // A product's bit k depends on the input's bits 0..k only: the index's slot (the low bits of
  // the result) takes the top bits too, which depend on all of them. Without them "gsm.mcc"
  // and "gsm.mnc", or "din.1" and "din.2", shared a slot in every message.
  return static_cast<uint32_t>(h >> 32) ^ static_cast<uint32_t>(h >> 53);
}

inline MessageBuilder::Slot& MessageBuilder::probe(std::string_view name, uint32_t h) const {
  for (uint32_t i = h;; ++i) {
    Slot& s = hot_.index[i & (kIndexSize - 1)];
    if (s.stamp != hot_.stamp) return s;
    if (s.hash == h && hot_.fields[s.field].name == name) return s;
  }
}

[[gnu::always_inline]] inline Field* MessageBuilder::set(std::string_view name, uint32_t h, bool quoted) {
  Slot& s = probe(name, h);
  if (s.stamp == hot_.stamp) return &hot_.fields[s.field];
  if (hot_.count >= hot_.room) [[unlikely]] {
    if (hot_.count - hot_.open_begin >= bc::kMaxParamsPerMessage) return nullptr;
    // The field first: should the heap fail, the index must not name a field that is not there.
    grow(hot_.count + 1);
  }
  Field& f = hot_.fields[hot_.count];
  f = Field();
  s = {hot_.stamp, h, hot_.count++};
  f.name = name;
  f.name_quoted = quoted;
  return &f;
}

inline const Field* MessageBuilder::find(const ParamName& name) const {
  if (!hot_.open) return nullptr;
  const Slot& s = probe(name.name, name.hash);
  return s.stamp == hot_.stamp ? &hot_.fields[s.field] : nullptr;
}

}  // namespace pvm::detail
