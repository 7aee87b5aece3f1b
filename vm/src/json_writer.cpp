// The JSON writer: one message, one line. Hand-written because it runs once per message on
// the hot path: output goes through a stack buffer appended to the string in blocks (appending
// to std::string piece by piece took 2.3 us for a 19-field message, the buffer 0.65 us), runs
// of plain characters are copied whole, and numbers go through to_chars.
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>

#include "pvm/printable.h"
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
      const size_t len = detail::utf8_length(s + k, n - k);
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

void put_float(Sink& out, double v) {
  char* p = out.room();
  char* end = std::to_chars(p, p + Sink::kRoom - 2, v).ptr;
  // A float stays a float for readers that type numbers by their text.
  bool integral = true;
  for (const char* c = p; c < end; ++c) integral = integral && *c != '.' && *c != 'e';
  if (integral) {
    *end++ = '.';
    *end++ = '0';
  }
  out.commit(end);
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
    put_escaped(out, f.name);
    out.put(':');
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
