#include "text_values.h"

#include <charconv>
#include <system_error>

namespace pvm::detail {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool parse_int(std::string_view text, int64_t& out) {
  // from_chars takes '-' but not '+'; it is skipped here so "-+5" stays an error.
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  if (text.empty() || !(is_digit(text[0]) || (text[0] == '-' && text.size() > 1 && is_digit(text[1]))))
    return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool parse_uint(std::string_view text, uint64_t& out) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  if (text.empty() || !is_digit(text[0])) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool parse_float(std::string_view text, double& out) {
  std::string_view body = text;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
  // Digits or a point must come first: from_chars would also take "inf" and "nan".
  if (body.empty() || !(is_digit(body[0]) || (body[0] == '.' && body.size() > 1 && is_digit(body[1]))))
    return false;
  const auto [end, ec] =
      std::from_chars(body.data(), body.data() + body.size(), out, std::chars_format::general);
  if (ec != std::errc() || end != body.data() + body.size()) return false;
  if (text[0] == '-') out = -out;
  return true;
}

bool parse_bool(std::string_view text, bool& out) {
  if (text == "true" || text == "1") {
    out = true;
    return true;
  }
  if (text == "false" || text == "0") {
    out = false;
    return true;
  }
  return false;
}

bool parse_hex(std::string_view text, std::vector<uint8_t>& out) {
  if (text.size() % 2 != 0) return false;
  out.clear();
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    const int hi = hex_digit(text[i]);
    const int lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return true;
}

std::string quote(std::string_view text) {
  constexpr size_t kShown = 40;
  std::string q = "'";
  for (size_t i = 0; i < text.size() && i < kShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7F || c == '\'' || c == '\\') {
      constexpr char kHex[] = "0123456789abcdef";
      q += "\\x";
      q += kHex[c >> 4];
      q += kHex[c & 15];
    } else {
      q += static_cast<char>(c);
    }
  }
  if (text.size() > kShown) q += "...";
  q += "'";
  return q;
}

}  // namespace pvm::detail
