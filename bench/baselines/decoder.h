// What every hand-written decoder offers, and the loop that cuts a TCP stream into its frames.
//
// A decoder is one device connection: it decodes a frame into plain records (typed members, no
// names, nothing looked up), holds the frame's reply, and writes the records as the JSON lines
// `pvm decode` writes. Each decoder handles exactly the packets of bench/streams (the kinds and
// IO elements listed in its header) with the framing, CRC and bounds checks of its .pvm program;
// a packet kind it does not handle is rejected, so a stream that changes cannot go unnoticed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "json_out.h"

namespace pvm::baseline {

// Big-endian reads that stop at the end of the frame: a read past it clears `ok` and returns 0,
// so a decoder checks once per record instead of once per field.
struct Reader {
  const uint8_t* p;
  const uint8_t* end;
  bool ok = true;

  size_t left() const { return static_cast<size_t>(end - p); }
  bool has(size_t n) const { return left() >= n; }
  template <typename T>
  T read() {
    if (left() < sizeof(T)) {
      ok = false;
      p = end;
      return 0;
    }
    T v;
    std::memcpy(&v, p, sizeof v);
    p += sizeof v;
    if constexpr (sizeof(T) == 2) v = __builtin_bswap16(v);
    if constexpr (sizeof(T) == 4) v = __builtin_bswap32(v);
    if constexpr (sizeof(T) == 8) v = __builtin_bswap64(v);
    return v;
  }
  uint8_t u8() { return read<uint8_t>(); }
  uint16_t u16() { return read<uint16_t>(); }
  uint32_t u32() { return read<uint32_t>(); }
  uint64_t u64() { return read<uint64_t>(); }
  uint64_t u24() { return uint64_t{u8()} << 16 | u16(); }
  // An unsigned value of 0 to 8 bytes.
  uint64_t width(int n) {
    switch (n) {
      case 1:
        return u8();
      case 2:
        return u16();
      case 4:
        return u32();
      case 8:
        return u64();
    }
    if (left() < static_cast<size_t>(n)) {
      ok = false;
      p = end;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = v << 8 | *p++;
    return v;
  }
  void skip(size_t n) {
    if (left() < n) {
      ok = false;
      p = end;
      return;
    }
    p += n;
  }
};

// The wire carries no signedness: a value sign-extended from its width in bytes.
inline int64_t sign_extend(uint64_t raw, int width) {
  const int shift = 64 - width * 8;
  return static_cast<int64_t>(raw << shift) >> shift;
}

// Seconds since 1970 of a Gregorian date and time (days counted from 0000-03-01, as
// lib/time.pvm counts them).
inline int64_t epoch_seconds(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t minute,
                             int64_t second) {
  const int64_t y = month <= 2 ? year - 1 : year;
  const int64_t era = y / 400;
  const int64_t year_of_era = y - era * 400;
  const int64_t day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return (era * 146097 + day_of_era - 719468) * 86400 + hour * 3600 + minute * 60 + second;
}

struct StreamCounts {
  uint64_t frames = 0;
  uint64_t messages = 0;
  uint64_t replies = 0;
  uint64_t rejected = 0;
};

// Decodes every whole frame at the start of `data`, calling on_frame(bool accepted) after each;
// returns the bytes consumed. A frame start the protocol cannot parse stops the loop with
// `bad_framing` set.
template <typename Decoder, typename OnFrame>
size_t decode_frames(Decoder& decoder, std::span<const uint8_t> data, StreamCounts& counts, bool& bad_framing,
                     OnFrame&& on_frame) {
  size_t at = 0;
  bad_framing = false;
  while (at < data.size()) {
    const int64_t length = Decoder::frame_length(data.data() + at, data.size() - at);
    if (length == 0) break;
    if (length < 0 || static_cast<uint64_t>(length) > Decoder::kMaxFrame) {
      bad_framing = true;
      break;
    }
    if (static_cast<size_t>(length) > data.size() - at) break;
    const bool ok = decoder.decode(data.data() + at, static_cast<size_t>(length));
    ++counts.frames;
    if (ok) {
      counts.messages += decoder.messages();
      counts.replies += decoder.reply().empty() ? 0 : 1;
    } else {
      ++counts.rejected;
    }
    on_frame(ok);
    at += static_cast<size_t>(length);
  }
  return at;
}

}  // namespace pvm::baseline
