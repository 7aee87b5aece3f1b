#include "hex_input.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace pvm::cli {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

bool parse_hex_lines(std::string_view text, std::string_view name, uint32_t first_line,
                     std::vector<std::vector<uint8_t>>& chunks, std::vector<double>& times, std::string& error,
                     std::vector<uint32_t>* lines) {
  uint32_t line_no = first_line;
  double time = std::numeric_limits<double>::quiet_NaN();
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;

    const size_t first = line.find_first_not_of(" \t\r\v\f");
    if (first != std::string_view::npos && line[first] == '@') {
      std::string_view t = line.substr(first + 1, line.find('#') - first - 1);
      while (!t.empty() && is_space(t.front())) t.remove_prefix(1);
      while (!t.empty() && is_space(t.back())) t.remove_suffix(1);
      const auto res = std::from_chars(t.data(), t.data() + t.size(), time);
      if (t.empty() || res.ec != std::errc() || res.ptr != t.data() + t.size() || !std::isfinite(time)) {
        error = std::string(name) + ":" + std::to_string(line_no) + ": '@' takes a receive time in Unix seconds, like @ 1700000000.5";
        return false;
      }
      ++line_no;
      continue;
    }
    std::vector<uint8_t> bytes;
    bytes.reserve(line.size() / 2);
    int high = -1;  // the first digit of a byte whose second digit is still to come
    for (size_t i = 0; i < line.size() && line[i] != '#'; ++i) {
      char c = line[i];
      if (is_space(c)) continue;
      int v = hex_value(c);
      if (v < 0) {
        error = std::string(name) + ":" + std::to_string(line_no) + ": '" + c +
                "' is not a hex digit (column " + std::to_string(i + 1) + ")";
        return false;
      }
      if (high < 0) {
        high = v;
      } else {
        bytes.push_back(static_cast<uint8_t>(high << 4 | v));
        high = -1;
      }
    }
    if (high >= 0) {
      error = std::string(name) + ":" + std::to_string(line_no) + ": odd number of hex digits";
      return false;
    }
    if (!bytes.empty()) {
      chunks.push_back(std::move(bytes));
      if (lines) lines->push_back(line_no);
      times.push_back(time);
    }
    ++line_no;
  }
  return true;
}

}  // namespace pvm::cli
