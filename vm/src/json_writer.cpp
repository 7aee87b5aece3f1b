// The JSON writer: one message, one line. Hand-written because it runs once per message on
// the hot path: each field asks its buffer once for room enough for its name and a number and is
// written through a local pointer (writing through the buffer's own members made every byte
// stored reload them: a char store may alias anything); runs of plain characters are copied
// whole; numbers are written by to_chars, or, for the common decimals, in lanes.
#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>

#include "param_names.h"
#include "pvm/printable.h"
#include "pvm/vm.h"

namespace pvm {
namespace {

constexpr char kHex[] = "0123456789abcdef";

bool plain(unsigned char c) {
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

// How many characters from s[0] JSON takes as they are: eight at a time while a word holds no
// control character, no byte above 0x7F, no quote and no backslash, then one at a time.
size_t plain_run(const unsigned char* s, size_t n) {
  constexpr uint64_t kOnes = 0x0101010101010101;
  constexpr uint64_t kHigh = 0x8080808080808080;
  auto has_zero = [](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  size_t k = 0;
  for (; k + 8 <= n; k += 8) {
    uint64_t x;
    std::memcpy(&x, s + k, 8);
    const uint64_t special =
        ((x - kOnes * 0x20) & ~x) | x | has_zero(x ^ (kOnes * '"')) | has_zero(x ^ (kOnes * '\\'));
    if (special & kHigh) break;
  }
  while (k < n && plain(s[k])) ++k;
  return k;
}

// Writes text[k..] escaped at p until at least `budget` bytes of it are taken or it ends, never
// splitting a UTF-8 sequence, and returns where it stopped. Room: 6 bytes for each byte taken,
// and it takes at most budget + 3.
size_t escape_part(char*& p, std::string_view text, size_t k, size_t budget) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  const size_t stop = n - k > budget ? k + budget : n;
  while (k < stop) {
    const size_t run = k + plain_run(s + k, stop - k);
    std::memcpy(p, text.data() + k, run - k);
    p += run - k;
    k = run;
    if (k == stop) break;
    const unsigned char c = s[k];
    if (c == '"' || c == '\\') {
      *p++ = '\\';
      *p++ = static_cast<char>(c);
      ++k;
      continue;
    }
    if (c >= 0x80) {
      const size_t len = detail::utf8_length(s + k, n - k);
      if (len > 0) {
        std::memcpy(p, text.data() + k, len);
        p += len;
        k += len;
        continue;
      }
    }
    // A control character, or a byte that is not UTF-8: the code point of the byte's value.
    const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
    std::memcpy(p, escaped, 6);
    p += 6;
    ++k;
  }
  return k;
}

// A long text or byte string is written in parts, so that the room asked for stays small.
constexpr size_t kPart = 4096;

// `text` as a JSON string, quotes included.
void put_string(JsonBuffer& out, std::string_view text) {
  size_t k = 0;
  do {
    const size_t part = std::min(text.size() - k, kPart);
    char* const start = out.tail(6 * (part + 3) + 2);
    char* p = start;
    if (k == 0) *p++ = '"';
    k = escape_part(p, text, k, part);
    if (k == text.size()) *p++ = '"';
    out.advance(static_cast<size_t>(p - start));
  } while (k < text.size());
}

// Bytes as a JSON string of lowercase hex.
void put_hex(JsonBuffer& out, std::string_view bytes) {
  size_t k = 0;
  do {
    const size_t part = std::min(bytes.size() - k, kPart);
    char* const start = out.tail(2 * part + 2);
    char* p = start;
    if (k == 0) *p++ = '"';
    for (const size_t end = k + part; k < end; ++k) {
      const auto c = static_cast<unsigned char>(bytes[k]);
      *p++ = kHex[c >> 4];
      *p++ = kHex[c & 15];
    }
    if (k == bytes.size()) *p++ = '"';
    out.advance(static_cast<size_t>(p - start));
  } while (k < bytes.size());
}

// The 8 decimal digits of x < 10^8 as ASCII, the most significant in the lowest byte (first in
// memory): x splits into two 4-digit lanes, each lane into two 2-digit lanes, each of those into
// two digits, all lanes at once. x * 10486 >> 20 is x / 100 for every x < 10^4, and x * 103 >> 10
// is x / 10 for every x < 100; no product reaches the next lane.
uint64_t eight_digits(uint32_t x) {
  const uint64_t fours = x / 10000 | uint64_t{x % 10000} << 32;
  const uint64_t hundreds = (fours * 10486 >> 20) & 0x0000007F0000007F;
  const uint64_t twos = ((fours - 100 * hundreds) << 16) + hundreds;
  const uint64_t tens = (twos * 103 >> 10) & 0x000F000F000F000F;
  return tens + ((twos - 10 * tens) << 8) + 0x3030303030303030;
}

// Most floats a device sends are decimals of at most 15 significant digits (a coordinate scaled
// by 1e-7, millivolts by 1e-3). Such a value a, 1e-6 <= a < 1e15, is M / 10^K with M of exactly
// 15 digits for the right K; M is found by one multiplication (its error stays under 0.25) and
// checked by one division, which IEEE rounds exactly as a reader rounds the text. No other
// decimal of 15 or fewer significant digits lies within an ulp of a, so M without its trailing
// zeros is the shortest text. Writes it (as "123.45", "0.00012") with fixed-size stores, which
// need 32 bytes at p, and returns the end, or null when a needs more digits and the general
// algorithm must run.
char* format_short_decimal(char* p, double a) {
  static constexpr double kPow10[] = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0,  1e1,  1e2,  1e3,  1e4,
                                      1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  static constexpr double kScale[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9, 1e10,
                                      1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20};
  constexpr uint64_t kLow = 100'000'000'000'000;  // 15 digits: [kLow, 10 kLow)
  constexpr uint64_t kOnes = 0x0101010101010101;
  if (!(a >= 1e-6 && a < 1e15)) return nullptr;
  // floor(log10(a)): from the binary exponent, then one step up if a reaches the next power.
  const int e2 = static_cast<int>(std::bit_cast<uint64_t>(a) >> 52) - 1023;
  int e10 = (e2 * 78913) >> 18;  // floor(e2 * log10(2))
  if (e10 < -6) e10 = -6;
  if (a >= kPow10[e10 + 7]) ++e10;
  const int k = 14 - e10;
  const auto m = static_cast<uint64_t>(a * kScale[k] + 0.5);
  if (m < kLow || m >= 10 * kLow || static_cast<double>(m) / kScale[k] != a) return nullptr;
  // The 15 digits as 16 bytes in two words (the last byte 0), kept in registers: written with
  // fixed-size stores and never read back, as a load across two fresh stores stalls.
  const uint64_t high = eight_digits(static_cast<uint32_t>(m / 100'000'000));  // "0" and 7 digits
  const uint64_t low = eight_digits(static_cast<uint32_t>(m % 100'000'000));
  const uint64_t first = high >> 8 | low << 56;
  const uint64_t second = low >> 8;
  const auto store = [](char* at, uint64_t a, uint64_t b) {
    std::memcpy(at, &a, 8);
    std::memcpy(at + 8, &b, 8);
  };
  // How many are significant: the trailing zeros off ('0' bytes, from the top of the words).
  const uint64_t low_zeros = low ^ (kOnes * '0');
  const int zeros =
      low_zeros != 0 ? std::countl_zero(low_zeros) / 8 : 8 + std::countl_zero(high ^ (kOnes * '0')) / 8;
  const int n = 15 - zeros;
  if (e10 < 0) {  // "0.", then -e10 - 1 zeros (at most 5), then the digits
    std::memcpy(p, "0.00000", 8);
    p += 1 - e10;
    store(p, first, second);
    return p + n;
  }
  const int whole = e10 + 1;  // digits before the point: 1 to 15
  store(p, first, second);
  if (n <= whole) return p + whole;
  p[whole] = '.';
  // The digits after the point: the two words shifted down by `whole` bytes.
  const int bits = 8 * whole;
  if (whole < 8) {
    store(p + whole + 1, first >> bits | second << (64 - bits), second >> bits);
  } else {
    store(p + whole + 1, second >> (bits - 64), 0);
  }
  return p + n + 1;
}

// A finite double as JavaScript's Number.prototype.toString writes it: the fewest digits that
// read back to the same double, without an exponent from 1e-6 up to but not including 1e21
// (0.000001, 123456789012345680000; but 9.9e-7 and 1e+21), and "0" for both zeros.
// JSON readers in every language read that text back to the same double.
char* format_float(char* p, double v) {
  if (v == 0) {
    *p++ = '0';
    return p;
  }
  // Integral values below 2^53 are exactly their integer text, and no digit string with fewer
  // significant digits lies within half a unit of them; to_chars on the integer is much faster.
  if (std::fabs(v) < 0x1p53 && v == std::trunc(v))
    return std::to_chars(p, p + 24, static_cast<int64_t>(v)).ptr;
  if (v < 0) {
    *p++ = '-';
    v = -v;
  }
  if (char* end = format_short_decimal(p, v)) return end;
  // The shortest digits, as "d.ddde-07"; then placed as JavaScript places them.
  char sci[32];
  char* const sci_end = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific).ptr;
  char digits[20];
  int k = 0;
  const char* c = sci;
  for (; *c != 'e'; ++c)
    if (*c != '.') digits[k++] = *c;
  int exponent = 0;
  std::from_chars(c + (c[1] == '+' ? 2 : 1), sci_end, exponent);
  const int n = exponent + 1;  // the decimal point sits after n digits
  if (k <= n && n <= 21) {
    std::memcpy(p, digits, k);
    std::memset(p + k, '0', n - k);
    return p + n;
  }
  if (0 < n && n <= 21) {
    std::memcpy(p, digits, n);
    p[n] = '.';
    std::memcpy(p + n + 1, digits + n, k - n);
    return p + k + 1;
  }
  if (-6 < n && n <= 0) {
    p[0] = '0';
    p[1] = '.';
    std::memset(p + 2, '0', -n);
    std::memcpy(p + 2 - n, digits, k);
    return p + 2 - n + k;
  }
  *p++ = digits[0];
  if (k > 1) {
    *p++ = '.';
    std::memcpy(p, digits + 1, k - 1);
    p += k - 1;
  }
  *p++ = 'e';
  *p++ = exponent < 0 ? '-' : '+';
  return std::to_chars(p, p + 4, exponent < 0 ? -exponent : exponent).ptr;
}

// One field, after a comma unless it is the object's first. The name and a number, a bool or
// the opening of a text are written through one room; a text or bytes value then goes on.
void put_field(JsonBuffer& out, const Field& f, bool comma) {
  // A sign and format_short_decimal's stores (32 bytes) are the most a number, true or false take.
  constexpr size_t kValueRoom = 40;
  const size_t n = f.name.size() + 3;  // '"', the name, '":'
  char* const start = out.tail(1 + (f.name_quoted ? std::max(n, detail::kKeyPadding) : 6 * n) + kValueRoom);
  char* p = start;
  *p = ',';
  p += comma;
  if (f.name_quoted) {  // the key as the module keeps it, padding after it: one fixed-size move if short
    if (n <= detail::kKeyPadding) {
      std::memcpy(p, f.name.data() - 1, detail::kKeyPadding);
    } else {
      std::memcpy(p, f.name.data() - 1, n);
    }
    p += n;
  } else {
    *p++ = '"';
    escape_part(p, f.name, 0, f.name.size());
    *p++ = '"';
    *p++ = ':';
  }
  switch (f.type) {
    case ValueType::Int:
      p = std::to_chars(p, p + kValueRoom, f.i).ptr;
      break;
    case ValueType::UInt:
      p = std::to_chars(p, p + kValueRoom, f.u).ptr;
      break;
    case ValueType::Float:
      p = format_float(p, f.f);
      break;
    case ValueType::Bool:
      std::memcpy(p, f.b ? "true " : "false", 5);
      p += f.b ? 4 : 5;
      break;
    case ValueType::Str:
      out.advance(static_cast<size_t>(p - start));
      put_string(out, f.s);
      return;
    case ValueType::Bytes:
      out.advance(static_cast<size_t>(p - start));
      put_hex(out, f.s);
      return;
  }
  out.advance(static_cast<size_t>(p - start));
}

// The fields as members of an object, each after a comma but the first of the object.
void put_fields(JsonBuffer& out, std::span<const Field> fields, bool& first) {
  for (const Field& f : fields) {
    // JSON has no form for NaN or infinity; the field is left out, as an unsent one is.
    if (f.type == ValueType::Float && !std::isfinite(f.f)) continue;
    put_field(out, f, !first);
    first = false;
  }
}

// append_json and append_json_string into a std::string write into a per-thread buffer first.
// A message's JSON is bounded (the VM's limit), but a host may hand over anything: a buffer that
// grew past this is let go after use.
constexpr size_t kKeptScratch = 1 << 16;

void append_through_scratch(std::string& out, const auto& write) {
  thread_local JsonBuffer scratch;
  scratch.clear();
  write(scratch);
  out.append(scratch.view());
  if (scratch.size() > kKeptScratch) scratch = JsonBuffer();
}

}  // namespace

void JsonBuffer::grow(size_t n) {
  const size_t capacity = std::max({size_ + n, 2 * capacity_, size_t{4096}});
  auto data = std::make_unique_for_overwrite<char[]>(capacity);
  if (size_ > 0) std::memcpy(data.get(), data_.get(), size_);
  data_ = std::move(data);
  capacity_ = capacity;
}

void append_json_string(JsonBuffer& out, std::string_view text) {
  put_string(out, text);
}

void append_json_string(std::string& out, std::string_view text) {
  append_through_scratch(out, [&](JsonBuffer& scratch) { put_string(scratch, text); });
}

void append_json(JsonBuffer& out, const Message& message, std::string_view members) {
  out.push_back('{');
  bool first = true;
  size_t lead = 0;
  if (!members.empty()) {
    const std::span<const Field> fields = message.fields;
    while (lead < fields.size() && (fields[lead].name == "ident" || fields[lead].name == "protocol.id"))
      ++lead;
    put_fields(out, fields.first(lead), first);
    if (!first) out.push_back(',');
    out.append(members);
    first = false;
  }
  put_fields(out, message.fields.subspan(lead), first);
  out.push_back('}');
}

void append_json(std::string& out, const Message& message) {
  append_through_scratch(out, [&](JsonBuffer& scratch) { append_json(scratch, message); });
}

}  // namespace pvm
