// How traps and errors read in logs and reports.
#include <string>

#include "pvm/vm.h"
#include "utf8.h"

namespace pvm {

std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t k = 0; k < text.size();) {
    const unsigned char c = s[k];
    size_t len = c < 0x80 ? 1 : detail::utf8_length(s + k, text.size() - k);
    // U+0080..U+009F are C1 controls (0xC2 0x80..0x9F): some terminals obey them.
    if (len == 2 && c == 0xC2 && s[k + 1] < 0xA0) len = 0;
    if (len == 0 || (len == 1 && (c < 0x20 || c == 0x7F))) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
      ++k;
      continue;
    }
    out.append(text.data() + k, len);
    k += len;
  }
  return out;
}

std::string_view trap_name(Trap t) {
  switch (t) {
    case Trap::None:
      return "none";
    case Trap::NeedMore:
      return "need more";
    case Trap::Truncated:
      return "truncated";
    case Trap::Rejected:
      return "rejected";
    case Trap::BadValue:
      return "bad value";
    case Trap::DivByZero:
      return "division by zero";
    case Trap::OutOfFuel:
      return "out of fuel";
    case Trap::Limit:
      return "limit";
    case Trap::BadFrame:
      return "bad frame";
    case Trap::Incomplete:
      return "incomplete";
  }
  return "unknown";
}

std::string Error::format(std::string_view source_file) const {
  std::string s = "offset " + std::to_string(offset) + ": ";
  // `what` and `reason` may hold module strings and device bytes: escaped for terminals and logs.
  if (!what.empty()) s += printable(what) + ": ";
  // A warning (`warn`) is the only error without a trap.
  const std::string_view kind = trap == Trap::None ? "warning" : trap_name(trap);
  s += kind;
  if (!reason.empty() && reason != kind) s += ": " + printable(reason);
  if (line != 0) {
    s += " (";
    if (!source_file.empty()) {
      s += printable(source_file);
      s += ':';
    }
    s += std::to_string(line) + ":" + std::to_string(col) + ")";
  }
  return s;
}

}  // namespace pvm
