// What a frame's work and memory cost, in one place: the fuel a built-in is charged for the
// bytes it walks, the memory a message field is counted for, and byte searches whose time is
// linear in their input (so that the charge is a true bound of the work).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "pvm/vm.h"

namespace pvm::detail {

// The first `needle` in `hay`, or npos. glibc's memmem runs in time linear in both lengths
// (Two-Way), where std::string_view::find may compare the needle at every offset.
inline size_t find_bytes(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return 0;
  const void* at = ::memmem(hay.data(), hay.size(), needle.data(), needle.size());
  return at == nullptr ? std::string_view::npos : static_cast<size_t>(static_cast<const char*>(at) - hay.data());
}

// Fuel for one search: every byte of both texts may be looked at.
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

// What one field costs its message and its frame: its JSON ("name":value,) and its record.
inline size_t field_json_bound(const Field& f) {
  size_t value = 24;  // the longest number, true or false
  if (f.type == ValueType::Str) value = json_text_bound(f.s);
  if (f.type == ValueType::Bytes) value = 2 * f.s.size() + 2;
  return json_text_bound(f.name) + 2 + value;
}

}  // namespace pvm::detail
