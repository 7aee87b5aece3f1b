// JSON lines written byte for byte as pvm::append_json writes them, for decoders whose field
// names are known when they are compiled: a name is a literal carrying its comma, quotes and
// colon (KEY("position.latitude")), so nothing is looked up or escaped at run time. Values the
// device chose (text) are escaped as the VM escapes them.
#pragma once

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

namespace pvm::baseline {

// ",\"name\":" for every field but the first ("ident").
#define KEY(name) ",\"" name "\":"

// Eight decimal digits of x < 10^8 in memory order, computed in lanes (x / 10^4 and x % 10^4,
// then hundreds, then tens) with multiply-shift divisions that are exact in these ranges.
inline uint64_t eight_digits(uint32_t x) {
  const uint64_t fours = x / 10000 | uint64_t{x % 10000} << 32;
  const uint64_t hundreds = (fours * 10486 >> 20) & 0x0000007F0000007F;
  const uint64_t twos = ((fours - 100 * hundreds) << 16) + hundreds;
  const uint64_t tens = (twos * 103 >> 10) & 0x000F000F000F000F;
  return tens + ((twos - 10 * tens) << 8) + 0x3030303030303030;
}

// The common case of format_double: a = M / 10^K with M of exactly 15 digits (a decimal of at
// most 15 significant digits, 1e-6 <= a < 1e15), found by one multiplication and confirmed by
// one correctly rounded division; no other decimal that short reads back as a, so M without its
// trailing zeros is the shortest text. Writes up to 32 bytes; null when a needs more digits.
inline char* format_short_decimal(char* p, double a) {
  static constexpr double kPow10[] = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0,  1e1,  1e2,  1e3,  1e4,
                                      1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  static constexpr double kScale[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9, 1e10,
                                      1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20};
  constexpr uint64_t kZeros = 0x3030303030303030;
  if (!(a >= 1e-6 && a < 1e15)) return nullptr;
  int e10 = std::max(-6, ((static_cast<int>(std::bit_cast<uint64_t>(a) >> 52) - 1023) * 78913) >> 18);
  if (a >= kPow10[e10 + 7]) ++e10;
  const int k = 14 - e10;
  const auto m = static_cast<uint64_t>(a * kScale[k] + 0.5);
  if (m < 100'000'000'000'000 || m >= 1'000'000'000'000'000 || static_cast<double>(m) / kScale[k] != a)
    return nullptr;
  // The 15 digits in two words, stored and never loaded back (a load across two fresh stores
  // stalls).
  const uint64_t high = eight_digits(static_cast<uint32_t>(m / 100'000'000));
  const uint64_t low = eight_digits(static_cast<uint32_t>(m % 100'000'000));
  const uint64_t w0 = high >> 8 | low << 56;
  const uint64_t w1 = low >> 8;
  const auto store = [](char* at, uint64_t a, uint64_t b) {
    std::memcpy(at, &a, 8);
    std::memcpy(at + 8, &b, 8);
  };
  const int n = 15 - ((low ^ kZeros) != 0 ? std::countl_zero(low ^ kZeros) / 8
                                          : 8 + std::countl_zero(high ^ kZeros) / 8);
  if (e10 < 0) {
    std::memcpy(p, "0.00000", 8);
    store(p + 1 - e10, w0, w1);
    return p + 1 - e10 + n;
  }
  const int whole = e10 + 1;
  store(p, w0, w1);
  if (n <= whole) return p + whole;
  p[whole] = '.';
  const int bits = 8 * whole;
  if (whole < 8) {
    store(p + whole + 1, w0 >> bits | w1 << (64 - bits), w1 >> bits);
  } else {
    store(p + whole + 1, w1 >> (bits - 64), 0);
  }
  return p + n + 1;
}

// A double as the VM writes it, which is how JavaScript writes numbers: the shortest digits that
// read back the same, without an exponent from 1e-6 up to 1e21, both zeros as "0". This is the
// one place to change when the VM's number format changes; the benchmarks and tests compare whole
// outputs and stop on a difference.
inline char* format_double(char* p, double v) {
  if (v == 0) {
    *p++ = '0';
    return p;
  }
  if (std::fabs(v) < 0x1p53 && v == std::trunc(v))
    return std::to_chars(p, p + 24, static_cast<int64_t>(v)).ptr;
  if (v < 0) {
    *p++ = '-';
    v = -v;
  }
  if (char* end = format_short_decimal(p, v)) return end;
  char sci[32];  // "d.ddde-07"
  const char* const sci_end = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific).ptr;
  const char* e = static_cast<const char*>(std::memchr(sci, 'e', static_cast<size_t>(sci_end - sci)));
  char digits[20];
  int k = 0;
  for (const char* c = sci; c < e; ++c)
    if (*c != '.') digits[k++] = *c;
  int exp10 = 0;
  std::from_chars(e + (e[1] == '+' ? 2 : 1), sci_end, exp10);
  const int point = exp10 + 1;  // digits before the decimal point
  if (point > 21 || point < -5) {
    *p++ = digits[0];
    if (k > 1) *p++ = '.';
    for (int i = 1; i < k; ++i) *p++ = digits[i];
    *p++ = 'e';
    *p++ = exp10 < 0 ? '-' : '+';
    return std::to_chars(p, p + 4, exp10 < 0 ? -exp10 : exp10).ptr;
  }
  if (point <= 0) {
    *p++ = '0';
    *p++ = '.';
    for (int i = point; i < 0; ++i) *p++ = '0';
    for (int i = 0; i < k; ++i) *p++ = digits[i];
    return p;
  }
  for (int i = 0; i < point || i < k; ++i) {
    if (i == point) *p++ = '.';
    *p++ = i < k ? digits[i] : '0';
  }
  return p;
}

class JsonOut {
 public:
  JsonOut() : buf_(1 << 16), p_(buf_.data()) {}

  size_t size() const { return static_cast<size_t>(p_ - buf_.data()); }
  std::string_view view() const { return {buf_.data(), size()}; }
  void clear() { p_ = buf_.data(); }

  // Room for n more bytes, written through the raw pointer by the calls below.
  void reserve(size_t n) {
    if (static_cast<size_t>(buf_.data() + buf_.size() - p_) >= n) return;
    const size_t used = size();
    buf_.resize((used + n) * 2);
    p_ = buf_.data() + used;
  }

  // Every call below reserves its own room, so a decoder may call them in any order.
  template <size_t N>
  void raw(const char (&text)[N]) {
    reserve(N);
    std::memcpy(p_, text, N - 1);
    p_ += N - 1;
  }
  void raw(std::string_view text) {
    reserve(text.size());
    std::memcpy(p_, text.data(), text.size());
    p_ += text.size();
  }
  void end_line() { raw("}\n"); }
  void raw_u64(uint64_t v) {
    reserve(24);
    p_ = std::to_chars(p_, p_ + 24, v).ptr;
  }
  void raw_i64(int64_t v) {
    reserve(24);
    p_ = std::to_chars(p_, p_ + 24, v).ptr;
  }
  void raw_f64(double v) {
    reserve(40);
    p_ = format_double(p_, v);
  }

  template <size_t N>
  void i64(const char (&key)[N], int64_t v) {
    reserve(N + 24);
    put_key(key);
    p_ = std::to_chars(p_, p_ + 24, v).ptr;
  }
  template <size_t N>
  void u64(const char (&key)[N], uint64_t v) {
    reserve(N + 24);
    put_key(key);
    p_ = std::to_chars(p_, p_ + 24, v).ptr;
  }
  template <size_t N>
  void f64(const char (&key)[N], double v) {
    if (!std::isfinite(v)) return;  // the VM leaves such a field out: JSON has no form for it
    reserve(N + 40);
    put_key(key);
    p_ = format_double(p_, v);
  }
  template <size_t N>
  void boolean(const char (&key)[N], bool v) {
    reserve(N + 8);
    put_key(key);
    if (v) {
      std::memcpy(p_, "true", 4);
      p_ += 4;
    } else {
      std::memcpy(p_, "false", 5);
      p_ += 5;
    }
  }
  // A number written as a JSON string ("sim.iccid":"8937...").
  template <size_t N>
  void u64_text(const char (&key)[N], uint64_t v) {
    reserve(N + 24);
    put_key(key);
    *p_++ = '"';
    p_ = std::to_chars(p_, p_ + 24, v).ptr;
    *p_++ = '"';
  }
  // 16 lowercase hex digits of a 64-bit value, as a JSON string.
  template <size_t N>
  void hex64(const char (&key)[N], uint64_t v) {
    reserve(N + 20);
    put_key(key);
    *p_++ = '"';
    for (int i = 0; i < 16; ++i) *p_++ = kHex[(v >> (60 - 4 * i)) & 15];
    *p_++ = '"';
  }
  template <size_t N>
  void hex(const char (&key)[N], const uint8_t* bytes, size_t n) {
    reserve(N + 2 * n + 2);
    put_key(key);
    put_hex(bytes, n);
  }
  template <size_t N>
  void str(const char (&key)[N], std::string_view text) {
    raw(key);
    string(text);
  }
  // Text known to need no escaping (digits the decoder checked, its own constants).
  template <size_t N>
  void plain_str(const char (&key)[N], std::string_view text) {
    reserve(N + text.size() + 2);
    put_key(key);
    *p_++ = '"';
    std::memcpy(p_, text.data(), text.size());
    p_ += text.size();
    *p_++ = '"';
  }
  void put_hex(const uint8_t* bytes, size_t n) {
    reserve(2 * n + 2);
    *p_++ = '"';
    for (size_t i = 0; i < n; ++i) {
      *p_++ = kHex[bytes[i] >> 4];
      *p_++ = kHex[bytes[i] & 15];
    }
    *p_++ = '"';
  }

  // What a gateway writes after a message's "protocol.id", as `pvm serve` does (the time the
  // bytes arrived and the peer, `,"server.timestamp":...,"peer":"..."`); empty for `pvm decode`'s
  // lines. The text must outlive the write_json calls that use it.
  void set_envelope(std::string_view text) { envelope_ = text; }
  void envelope() {
    if (!envelope_.empty()) raw(envelope_);  // memcpy must not be handed the null of an empty view
  }

  // A JSON string, escaped as the VM escapes: quotes, backslashes, control characters and bytes
  // that are not UTF-8 as \u00XX (the byte's value).
  void string(std::string_view text);
  // The same without the quotes, for names built from device text ("custom.<name>").
  void string_body(std::string_view text);

 private:
  static constexpr char kHex[] = "0123456789abcdef";
  template <size_t N>
  void put_key(const char (&key)[N]) {
    std::memcpy(p_, key, N - 1);
    p_ += N - 1;
  }

  std::vector<char> buf_;
  char* p_;
  std::string_view envelope_;
};

}  // namespace pvm::baseline
