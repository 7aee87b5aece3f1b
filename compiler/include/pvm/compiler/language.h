// Facts about the .pvm language for tools (completion and hover in an editor): its keywords,
// reads, builtin functions, CRC algorithms and standard parameter names, each with a one-line
// description. The compiler checks programs against the same lists.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pvm::compiler {

struct LanguageWord {
  std::string_view name;
  std::string_view signature;  // how it is written: "bytes(N)", "repeat N [as $i] { }"
  std::string_view summary;    // one sentence
};

std::span<const LanguageWord> keywords();           // declarations and statements
std::span<const LanguageWord> reads();              // u8 ... f64le, bytes(N), cstr, until(DELIM), ...
std::span<const LanguageWord> builtin_functions();  // len, str, crc, regex, ...
std::span<const LanguageWord> cursor_values();      // pos, size, remaining
std::span<const std::string_view> type_names();     // int, uint, float, bool, str, bytes
std::vector<std::string> crc_names();               // the algorithms crc() takes

struct StandardParam {
  std::string_view name;  // "position.latitude"; "din.*" stands for din.1, din.2, ...
  std::string_view type;  // number, integer, string or bool
  std::string_view unit;  // "km/h"; "" when the value has none
  std::string_view meaning;
};
std::span<const StandardParam> standard_params();

// The standard parameter a name means ("din.3" is "din.*"), or null.
const StandardParam* find_standard_param(std::string_view name);

}  // namespace pvm::compiler
