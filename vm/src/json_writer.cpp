// The JSON writer: one message, one line. Hand-written because it runs once per message on
// the hot path: output goes through a stack buffer appended to the string in blocks (appending
// to std::string piece by piece took 2.3 us for a 19-field message, the buffer 0.65 us), runs
// of plain characters are copied whole, and numbers go through to_chars.
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>

#include "pvm/vm.h"

namespace pvm {
namespace {

constexpr char kHex[] = "0123456789abcdef";

class Sink {
 public:
  explicit Sink(std::string& out) : out_(out) {}
  ~Sink() { flush(); }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  void put(char c) {
    if (used_ == sizeof buf_) flush();
    buf_[used_++] = c;
  }
  void put(const char* p, size_t n) {
    if (n > sizeof buf_ - used_) {
      flush();
      if (n > sizeof buf_) {
        out_.append(p, n);
        return;
      }
    }
    std::memcpy(buf_ + used_, p, n);
    used_ += n;
  }
  void put(std::string_view s) { put(s.data(), s.size()); }
  // Room for n bytes written directly with commit(); n must be at most kRoom.
  static constexpr size_t kRoom = 64;
  char* room() {
    if (sizeof buf_ - used_ < kRoom) flush();
    return buf_ + used_;
  }
  void commit(char* end) { used_ = static_cast<size_t>(end - buf_); }

 private:
  void flush() {
    out_.append(buf_, used_);
    used_ = 0;
  }
  std::string& out_;
  char buf_[1024];
  size_t used_ = 0;
};

bool plain(unsigned char c) {
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

bool continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// Length of the valid UTF-8 sequence starting at s[0] (a byte >= 0x80), or 0 when it is not one
// (overlong forms, surrogates and code points above U+10FFFF are not).
size_t utf8_length(const unsigned char* s, size_t left) {
  const unsigned char c = s[0];
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && continuation(s[1]) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || !continuation(s[1]) || !continuation(s[2])) return 0;
    if (c == 0xE0 && s[1] < 0xA0) return 0;  // overlong
    if (c == 0xED && s[1] > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || !continuation(s[1]) || !continuation(s[2]) || !continuation(s[3])) return 0;
    if (c == 0xF0 && s[1] < 0x90) return 0;  // overlong
    if (c == 0xF4 && s[1] > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

void put_escaped(Sink& out, std::string_view text) {
  out.put('"');
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t k = 0;
  while (k < n) {
    size_t run = k;
    while (run < n && plain(s[run])) ++run;
    out.put(text.data() + k, run - k);
    k = run;
    if (k == n) break;
    const unsigned char c = s[k];
    if (c == '"' || c == '\\') {
      const char escaped[2] = {'\\', static_cast<char>(c)};
      out.put(escaped, 2);
      ++k;
      continue;
    }
    if (c >= 0x80) {
      const size_t len = utf8_length(s + k, n - k);
      if (len > 0) {
        out.put(text.data() + k, len);
        k += len;
        continue;
      }
    }
    // A control character, or a byte that is not UTF-8: the code point of the byte's value.
    const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
    out.put(escaped, 6);
    ++k;
  }
  out.put('"');
}

template <typename T>
void put_number(Sink& out, T v) {
  char* p = out.room();
  out.commit(std::to_chars(p, p + Sink::kRoom, v).ptr);
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

void put_float(Sink& out, double v) {
  char* p = out.room();
  out.commit(format_float(p, v));
}

void put_hex(Sink& out, std::string_view bytes) {
  out.put('"');
  for (unsigned char c : bytes) {
    const char digits[2] = {kHex[c >> 4], kHex[c & 15]};
    out.put(digits, 2);
  }
  out.put('"');
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  Sink sink(out);
  put_escaped(sink, text);
}

void append_json(std::string& result, const Message& message) {
  Sink out(result);
  out.put('{');
  bool first = true;
  for (const Field& f : message.fields) {
    // JSON has no form for NaN or infinity; the field is left out, as an unsent one is.
    if (f.type == ValueType::Float && !std::isfinite(f.f)) continue;
    if (!first) out.put(',');
    first = false;
    if (f.name_quoted) {
      out.put(f.name.data() - 1, f.name.size() + 3);
    } else {
      put_escaped(out, f.name);
      out.put(':');
    }
    switch (f.type) {
      case ValueType::Int:
        put_number(out, f.i);
        break;
      case ValueType::UInt:
        put_number(out, f.u);
        break;
      case ValueType::Float:
        put_float(out, f.f);
        break;
      case ValueType::Bool:
        out.put(f.b ? std::string_view("true") : std::string_view("false"));
        break;
      case ValueType::Str:
        put_escaped(out, f.s);
        break;
      case ValueType::Bytes:
        put_hex(out, f.s);
        break;
    }
  }
  out.put('}');
}

}  // namespace pvm
