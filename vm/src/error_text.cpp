// How traps and errors read in logs and reports.
#include <string>

#include "pvm/vm.h"

namespace pvm {

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
  std::string s = "offset " + std::to_string(offset);
  if (!value.empty()) s += " (byte " + std::to_string(value_offset) + " of " + printable(value) + ")";
  s += ": ";
  // `what` and `reason` may hold module strings and device bytes: escaped for terminals and logs.
  if (!what.empty()) s += printable(what) + ": ";
  // A warning (`warn`) is the only error without a trap.
  const std::string_view kind = trap == Trap::None ? "warning" : trap_name(trap);
  s += kind;
  if (!reason.empty() && reason != kind) s += ": " + printable(reason);
  if (line != 0) {
    // Each position names its file where it differs from the one before it.
    std::string_view last;
    const auto position = [&](std::string_view f, uint32_t l, uint32_t c) {
      if (f.empty()) f = source_file;
      if (f != last && !f.empty()) {
        s += printable(f);
        s += ':';
      }
      last = f;
      s += std::to_string(l) + ":" + std::to_string(c);
    };
    s += " (";
    position(file, line, col);
    for (const Call& call : via) {
      s += " via ";
      position(call.file, call.line, call.col);
    }
    s += ")";
  }
  return s;
}

}  // namespace pvm
