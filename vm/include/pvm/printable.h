// Text for a terminal or a text log, and the UTF-8 check it rests on. Header-only, so that the
// compiler's diagnostics and the VM's errors escape device and file bytes the same way.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace pvm {
namespace detail {

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
    if (left < 4 || !utf8_continuation(s[1]) || !utf8_continuation(s[2]) || !utf8_continuation(s[3]))
      return 0;
    if (c == 0xF0 && s[1] < 0x90) return 0;  // overlong
    if (c == 0xF4 && s[1] > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace detail

// `text` safe for a terminal or a text log: control characters (C0, DEL, C1) and bytes that
// are not UTF-8 become \xNN; everything else is kept.
inline std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t k = 0; k < text.size();) {
    const unsigned char c = s[k];
    size_t len = c < 0x80 ? 1 : detail::utf8_length(s + k, text.size() - k);
    // U+0080..U+009F are C1 controls (0xC2 0x80..0x9F): some terminals obey them.
    if (len == 2 && c == 0xC2 && s[k + 1] < 0xA0) len = 0;
    if (len == 0 || (len == 1 && (c < 0x20 || c == 0x7F))) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
      ++k;
      continue;
    }
    out.append(text.data() + k, len);
    k += len;
  }
  return out;
}

}  // namespace pvm
