// Small operations on bytes and registers that the interpreter and the JIT's native helpers
// share, so that both engines compute them with the same code.
#pragma once

#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "runtime.h"

namespace pvm::detail {

// A session slot as this frame sees it: its pending value once the frame set it.
inline const SlotValue& slot_value(const Scratch& sc, const SessionData& s, uint32_t slot) {
  return sc.dirty[slot] ? sc.pending[slot] : s.slots[slot];
}

// Marks a slot as set by this frame, which commit() applies; listed first, so that a failing
// heap leaves the slot unmarked, as it was.
inline void mark_dirty(Scratch& sc, uint32_t slot) {
  if (!sc.dirty[slot]) {
    sc.dirty_list.push_back(slot);
    sc.dirty[slot] = 1;
  }
}

// Fixed widths load with one memcpy and a byte swap, which compilers turn into one instruction.
template <typename T>
T load(const uint8_t* p, bool big) {
  T v;
  std::memcpy(&v, p, sizeof v);
  if ((std::endian::native == std::endian::big) != big) {
    if constexpr (sizeof(T) == 2) v = static_cast<T>(__builtin_bswap16(v));
    if constexpr (sizeof(T) == 4) v = __builtin_bswap32(v);
    if constexpr (sizeof(T) == 8) v = __builtin_bswap64(v);
  }
  return v;
}

// An unsigned integer of n bytes (0..8), most significant first (big) or least. Widths of 1, 2,
// 4 and 8 bytes, nearly all of them, are one load each: a byte loop was 5% of Teltonika's
// decode time.
inline uint64_t load_n(const uint8_t* p, uint32_t n, bool big) {
  switch (n) {
    case 1:
      return p[0];
    case 2:
      return load<uint16_t>(p, big);
    case 4:
      return load<uint32_t>(p, big);
    case 8:
      return load<uint64_t>(p, big);
    default:
      break;
  }
  uint64_t v = 0;
  for (uint32_t k = 0; k < n; ++k) v = v << 8 | p[big ? k : n - 1 - k];
  return v;
}

// The low `width` bytes of v, sign-extended (width 1..8).
inline int64_t sign_extend(uint64_t v, uint32_t width) {
  const uint32_t shift = 64 - 8 * width;
  return static_cast<int64_t>(v << shift) >> shift;
}

inline std::string_view text(const Value& v) {
  return {reinterpret_cast<const char*>(v.s.p), v.s.n};
}

// Registers are copied member by member, never as whole 16-byte values: reading a register
// just written by two narrower stores as one 16-byte load stalls on store forwarding (it was
// 12% of the time of a record loop that builds names with itos and cat.s).
inline void copy_view(Value& to, const Value& from) {
  to.s.p = from.s.p;
  to.s.n = from.s.n;
}

// b + c for str and bytes alike; false (nothing changed) when the arena is full. An empty side
// costs no copy.
inline bool concat(Scratch& sc, Value& out, const Value& b, const Value& c) {
  if (b.s.n == 0) {
    copy_view(out, c);
  } else if (c.s.n == 0) {
    copy_view(out, b);
  } else {
    uint8_t* p = sc.arena.alloc(size_t{b.s.n} + c.s.n);
    if (p == nullptr) return false;
    std::memcpy(p, b.s.p, b.s.n);
    std::memcpy(p + b.s.n, c.s.p, c.s.n);
    out.s = {p, b.s.n + c.s.n};
  }
  return true;
}

// What a reply of n bytes counts against the frame's memory.
inline size_t reply_memory(size_t n) {
  return n + sizeof(std::vector<uint8_t>);
}

// The name of setn.X: string `prefix` + decimal(n), as the module keeps it for the numbers it
// keeps (ParamNames::numbered), else joined in the frame's arena; false when the arena is full.
inline bool numbered_name(Scratch& sc, const ParamNames& names, uint32_t prefix, int64_t n, ParamName& out) {
  if (const ParamName* kept = names.numbered(prefix, n)) {
    out = *kept;
    return true;
  }
  char digits[24];
  const auto size = static_cast<size_t>(std::to_chars(digits, digits + sizeof digits, n).ptr - digits);
  const std::string_view base = names.data()[prefix].name;
  uint8_t* p = sc.arena.alloc(base.size() + size);
  if (p == nullptr) return false;
  std::memcpy(p, base.data(), base.size());
  std::memcpy(p + base.size(), digits, size);
  const std::string_view name(reinterpret_cast<const char*>(p), base.size() + size);
  out = {name, MessageBuilder::hash(name), false};
  return true;
}

// Closes the open output and keeps it as the frame's next reply; false when the frame's memory
// cannot hold it (the output is closed all the same).
inline bool store_reply(Scratch& sc) {
  sc.out_open = false;
  if (!sc.arena.account(reply_memory(sc.out.size()))) return false;
  if (sc.reply_count == sc.replies.size()) sc.replies.emplace_back();
  sc.replies[sc.reply_count++].assign(sc.out.begin(), sc.out.end());
  return true;
}

// Copies n bytes into the arena as a register's view; false (nothing changed) when it is full.
inline bool to_arena(Scratch& sc, Value& dst, const void* src, size_t n) {
  if (n == 0) {
    dst.s = {nullptr, 0};
    return true;
  }
  uint8_t* p = sc.arena.alloc(n);
  if (p == nullptr) return false;
  std::memcpy(p, src, n);
  dst.s = {p, static_cast<uint32_t>(n)};
  return true;
}

// The low `width` bytes of v appended to a reply, most significant first when `big`.
inline void append_int(std::vector<uint8_t>& out, uint64_t v, uint32_t width, bool big) {
  for (uint32_t k = 0; k < width; ++k)
    out.push_back(static_cast<uint8_t>(v >> (8 * (big ? width - 1 - k : k))));
}

// The session's ident copied for this frame's messages (a later sset of slot 0 cannot change the
// messages made before it); false (nothing changed) when the frame's memory is full.
inline bool copy_ident(Scratch& sc, std::string_view id) {
  Value copy;
  if (!to_arena(sc, copy, id.data(), id.size())) return false;
  sc.ident = text(copy);
  sc.ident_fresh = true;
  return true;
}

// itos and utos: the decimal text of v in the arena; false when it is full.
template <typename T>
bool decimal(Scratch& sc, Value& dst, T v) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return to_arena(sc, dst, buf, static_cast<size_t>(res.ptr - buf));
}

// Where a view over the n bytes at p (view.bytes, its name string `name`) entered at cursor `vc`
// of the current view, whose origin is `current`, says its bytes are: a zero-copy slice of the
// frame at its own stream offset, other bytes at the offset where the view was entered.
inline ViewOrigin bytes_view_origin(const RunInput& in, const ViewOrigin& current, uint32_t vc,
                                    const uint8_t* p, uint32_t n, uint32_t name) {
  const uint8_t* const frame = in.frame.data();
  ViewOrigin o{current.in_frame ? current.base + vc : current.base, name, false};
  if (n > 0 && p >= frame && p + n <= frame + in.frame.size()) {
    o.base = in.offset + static_cast<uint64_t>(p - frame);
    o.in_frame = true;
  }
  return o;
}

// Whether two str or bytes registers hold the same bytes.
inline bool same_bytes(const Value& a, const Value& b) {
  return a.s.n == b.s.n && (a.s.n == 0 || std::memcmp(a.s.p, b.s.p, a.s.n) == 0);
}

// re.group: group k of the last successful re.match; empty when it took no part or there is none.
inline std::string_view match_group(const Scratch& sc, int64_t k) {
  return k >= 0 && static_cast<uint64_t>(k) < sc.group_count ? sc.groups[k] : std::string_view{};
}

// opt.i and opt.b: option o as the session set it, else the module's default.
inline int64_t option_int(const bc::Module& m, const SessionData& s, uint32_t o) {
  return o < s.options.size() && s.options[o].set ? s.options[o].i : m.options[o].int_default;
}

// opt.s: the same for a str option.
inline const std::string& option_str(const bc::Module& m, const SessionData& s, uint32_t o) {
  return o < s.options.size() && s.options[o].set ? s.options[o].s : m.strings[m.options[o].str_default];
}

}  // namespace pvm::detail
