// Small operations on bytes and registers that the interpreter and the JIT's native helpers
// share, so that both engines compute them with the same code.
#pragma once

#include <cstdint>
#include <cstring>

#include "runtime.h"

namespace pvm::detail {

// An unsigned integer of n bytes (0..8), most significant first.
inline uint64_t load_be(const uint8_t* p, uint32_t n) {
  uint64_t v = 0;
  for (uint32_t k = 0; k < n; ++k) v = v << 8 | p[k];
  return v;
}

// An unsigned integer of n bytes (0..8), least significant first.
inline uint64_t load_le(const uint8_t* p, uint32_t n) {
  uint64_t v = 0;
  for (uint32_t k = n; k > 0; --k) v = v << 8 | p[k - 1];
  return v;
}

// The low `width` bytes of v, sign-extended (width 1..8).
inline int64_t sign_extend(uint64_t v, uint32_t width) {
  const uint32_t shift = 64 - 8 * width;
  return static_cast<int64_t>(v << shift) >> shift;
}

// Whether two str or bytes registers hold the same bytes.
inline bool same_bytes(const Value& a, const Value& b) {
  return a.s.n == b.s.n && (a.s.n == 0 || std::memcmp(a.s.p, b.s.p, a.s.n) == 0);
}

}  // namespace pvm::detail
