#include "json_out.h"

namespace pvm::baseline {
namespace {

bool continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// Length of the well-formed UTF-8 sequence at s (s[0] >= 0x80), 0 when there is none.
size_t utf8_sequence(const unsigned char* s, size_t left) {
  const unsigned char c = s[0];
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && continuation(s[1]) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || !continuation(s[1]) || !continuation(s[2])) return 0;
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F)) return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || !continuation(s[1]) || !continuation(s[2]) || !continuation(s[3])) return 0;
    if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F)) return 0;
    return 4;
  }
  return 0;
}

}  // namespace

void JsonOut::string(std::string_view text) {
  reserve(1);
  *p_++ = '"';
  string_body(text);
  reserve(1);
  *p_++ = '"';
}

void JsonOut::string_body(std::string_view text) {
  reserve(6 * text.size());
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t k = 0; k < n;) {
    // Eight bytes at a time while none is below 0x20, above 0x7F, a quote or a backslash.
    constexpr uint64_t kOnes = 0x0101010101010101, kHigh = 0x8080808080808080;
    for (uint64_t x; k + 8 <= n; k += 8) {
      std::memcpy(&x, s + k, 8);
      const uint64_t q = x ^ (kOnes * '"'), b = x ^ (kOnes * '\\');
      if ((((x - kOnes * 0x20) & ~x) | x | ((q - kOnes) & ~q) | ((b - kOnes) & ~b)) & kHigh) break;
      std::memcpy(p_, s + k, 8);
      p_ += 8;
    }
    if (k == n) break;
    const unsigned char c = s[k];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      *p_++ = static_cast<char>(c);
      ++k;
    } else if (c == '"' || c == '\\') {
      *p_++ = '\\';
      *p_++ = static_cast<char>(c);
      ++k;
    } else if (size_t len = c >= 0x80 ? utf8_sequence(s + k, n - k) : 0; len > 0) {
      std::memcpy(p_, s + k, len);
      p_ += len;
      k += len;
    } else {
      const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      std::memcpy(p_, escaped, 6);
      p_ += 6;
      ++k;
    }
  }
}

}  // namespace pvm::baseline
