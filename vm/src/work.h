// What a frame's work and memory cost, in one place: the fuel a built-in is charged for the
// bytes it walks, what a message field is counted for (its memory, and the bound of its JSON),
// and byte searches whose time is linear in their input (so that the charge is a true bound of
// the work).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "pvm/vm.h"

namespace pvm::detail {

// The first `needle` in `hay`, or npos. A needle of one or two bytes (";", "\r\n", the common
// delimiters) is found by memchr on its first byte, many bytes per step: glibc's memmem walks a
// two-byte needle one byte at a time. A longer one goes to memmem, which runs in time linear in
// both lengths (Two-Way), where std::string_view::find may compare the needle at every offset.
inline size_t find_bytes(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return 0;
  if (hay.size() < needle.size()) return std::string_view::npos;  // also an empty hay, maybe null
  if (needle.size() <= 2) {
    const char* p = hay.data();
    const char* const last = hay.data() + hay.size() - needle.size();  // the last place it fits
    while (p <= last) {
      p = static_cast<const char*>(std::memchr(p, needle[0], static_cast<size_t>(last - p) + 1));
      if (p == nullptr) return std::string_view::npos;
      if (needle.size() == 1 || p[1] == needle[1]) return static_cast<size_t>(p - hay.data());
      ++p;
    }
    return std::string_view::npos;
  }
  const void* at = ::memmem(hay.data(), hay.size(), needle.data(), needle.size());
  return at == nullptr ? std::string_view::npos
                       : static_cast<size_t>(static_cast<const char*>(at) - hay.data());
}

// rd.until and rd.field: where the delimiter is in the view's rest, or npos; an empty delimiter
// is never found.
inline size_t find_delimiter(std::string_view rest, std::string_view delimiter) {
  return delimiter.empty() ? std::string_view::npos : find_bytes(rest, delimiter);
}

// Fuel for one search that looked through `hay` bytes (up to the match, or all of them) for a
// needle of `needle` bytes: Two-Way looks at each of them a bounded number of times. Charged
// after the search, which is bounded by the text's size.
inline uint64_t search_cost(size_t hay, size_t needle) {
  return uint64_t{hay} + needle;
}

// The most bytes a field's value takes in the message's JSON (append_json): a text byte that
// is a control character or not ASCII counts as its longest escape, \u00XX; quotes and
// backslashes as two. Exact for ASCII text.
inline size_t json_text_bound(std::string_view s) {
  size_t n = s.size() + 2;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    n += (c < 0x20 || c >= 0x80) ? 5 : (c == '"' || c == '\\') ? 1 : 0;
  }
  return n;
}

// The most bytes one field takes in its message's JSON ("name":value,).
inline size_t field_json_bound(const Field& f) {
  size_t value = 32;  // the longest number, true or false
  if (f.type == ValueType::Str) value = json_text_bound(f.s);
  if (f.type == ValueType::Bytes) value = 2 * f.s.size() + 2;
  return json_text_bound(f.name) + 2 + value;
}

// What a field is counted for without looking at its bytes (the hot path): its name and value
// as they are, bytes as hex, numbers as 32. Its JSON is at most kJsonPerRawByte times this.
inline size_t field_raw_size(const Field& f) {
  const size_t value = f.type == ValueType::Str     ? f.s.size()
                       : f.type == ValueType::Bytes ? 2 * f.s.size()
                                                    : 32;
  return f.name.size() + value + 8;
}
inline constexpr size_t kJsonPerRawByte = 6;  // a byte escaped as \u00XX

// What get.i reads of a parameter: an int or uint as its bits, a bool as 0 or 1; 0 for any
// other value, or none.
inline int64_t param_int(const Field* f) {
  if (f == nullptr) return 0;
  if (f->type == ValueType::Int || f->type == ValueType::UInt) return f->i;
  return f->type == ValueType::Bool && f->b ? 1 : 0;
}

}  // namespace pvm::detail
