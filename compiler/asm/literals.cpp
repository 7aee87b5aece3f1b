#include "asm/literals.h"

#include <charconv>
#include <limits>
#include <system_error>

namespace pvm::compiler::asm_syntax {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char kHexDigits[] = "0123456789abcdef";

bool parse_digits(std::string_view text, unsigned base, uint64_t& out) {
  if (text.empty()) return false;
  uint64_t v = 0;
  for (char c : text) {
    const int d = hex_digit(c);
    if (d < 0 || static_cast<unsigned>(d) >= base) return false;
    if (v > (std::numeric_limits<uint64_t>::max() - d) / base) return false;
    v = v * base + d;
  }
  out = v;
  return true;
}

}  // namespace

bool parse_int(std::string_view text, int64_t& out) {
  const bool negative = !text.empty() && text[0] == '-';
  if (negative || (!text.empty() && text[0] == '+')) text.remove_prefix(1);
  unsigned base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  uint64_t v = 0;
  if (!parse_digits(text, base, v)) return false;
  if (negative && v > (uint64_t{1} << 63)) return false;
  out = static_cast<int64_t>(negative ? 0 - v : v);
  return true;
}

bool parse_u32(std::string_view text, uint32_t& out) {
  uint64_t v = 0;
  if (!parse_digits(text, 10, v) || v > std::numeric_limits<uint32_t>::max()) return false;
  out = static_cast<uint32_t>(v);
  return true;
}

bool parse_float(std::string_view text, double& out) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  out = v;
  return true;
}

bool parse_hex(std::string_view hex, std::string& out) {
  if (hex.size() % 2 != 0) return false;
  std::string bytes;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    bytes += static_cast<char>(hi * 16 + lo);
  }
  out = std::move(bytes);
  return true;
}

bool read_string(std::string_view text, size_t& pos, std::string& out, std::string& error) {
  std::string s;
  size_t i = pos + 1;
  while (i < text.size() && text[i] != '"') {
    if (text[i] != '\\') {
      s += text[i++];
      continue;
    }
    if (i + 1 >= text.size()) break;
    const char e = text[i + 1];
    switch (e) {
      case '\\':
        s += '\\';
        break;
      case '"':
        s += '"';
        break;
      case 'n':
        s += '\n';
        break;
      case 'r':
        s += '\r';
        break;
      case 't':
        s += '\t';
        break;
      case 'x': {
        const int hi = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
        const int lo = i + 3 < text.size() ? hex_digit(text[i + 3]) : -1;
        if (hi < 0 || lo < 0) {
          pos = i;
          error = "\\x needs two hex digits";
          return false;
        }
        s += static_cast<char>(hi * 16 + lo);
        i += 2;
        break;
      }
      default:
        pos = i;
        error = std::string("unknown escape \\") + e;
        return false;
    }
    i += 2;
  }
  if (i >= text.size()) {
    error = "unterminated string";
    return false;
  }
  pos = i + 1;
  out = std::move(s);
  return true;
}

bool is_plain_name(std::string_view text) {
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (text.empty() || !alpha(text[0])) return false;
  for (char c : text) {
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '.') return false;
  }
  return true;
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c >= 0x20 && c < 0x7F) {
          out += ch;
        } else {
          out += "\\x";
          out += kHexDigits[c >> 4];
          out += kHexDigits[c & 0xF];
        }
    }
  }
  return out + "\"";
}

std::string hex_literal(std::string_view bytes) {
  std::string out = "x\"";
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out += kHexDigits[c >> 4];
    out += kHexDigits[c & 0xF];
  }
  return out + "\"";
}

std::string float_literal(double v) {
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, v);
  std::string out(buf, result.ptr);
  // "5" would read as an int elsewhere in the language; keep every float visibly a float.
  if (out.find_first_of(".en") == std::string::npos) out += ".0";
  return out;
}

std::string name_literal(std::string_view name) {
  return is_plain_name(name) ? std::string(name) : quote(name);
}

}  // namespace pvm::compiler::asm_syntax
