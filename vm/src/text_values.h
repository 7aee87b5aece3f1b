// Text to values, with one rule set shared by stoi/stof, Session::set_option and
// Program::encode: the whole text must be the value, nothing before or after it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pvm::detail {

// Optional sign, then decimal digits; false on anything else or on overflow.
bool parse_int(std::string_view text, int64_t& out);
// Optional '+', then decimal digits.
bool parse_uint(std::string_view text, uint64_t& out);
// Optional sign, digits with an optional fraction and exponent ("12", "-0.5", "1e7", ".5").
bool parse_float(std::string_view text, double& out);
// "true"/"1" or "false"/"0".
bool parse_bool(std::string_view text, bool& out);
// Pairs of hex digits, either case.
bool parse_hex(std::string_view text, std::vector<uint8_t>& out);

// The text quoted for an error message, cut short and with control bytes escaped: 'abc'.
std::string quote(std::string_view text);

}  // namespace pvm::detail
