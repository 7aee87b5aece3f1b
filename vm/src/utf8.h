// UTF-8 well-formedness, shared by the JSON writer and printable().
#pragma once

#include <cstddef>

namespace pvm::detail {

inline bool utf8_continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// Length of the valid UTF-8 sequence starting at s[0] (a byte >= 0x80), or 0 when it is not one
// (overlong forms, surrogates and code points above U+10FFFF are not).
inline size_t utf8_length(const unsigned char* s, size_t left) {
  const unsigned char c = s[0];
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && utf8_continuation(s[1]) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || !utf8_continuation(s[1]) || !utf8_continuation(s[2])) return 0;
    if (c == 0xE0 && s[1] < 0xA0) return 0;  // overlong
    if (c == 0xED && s[1] > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || !utf8_continuation(s[1]) || !utf8_continuation(s[2]) || !utf8_continuation(s[3])) return 0;
    if (c == 0xF0 && s[1] < 0x90) return 0;  // overlong
    if (c == 0xF4 && s[1] > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace pvm::detail
