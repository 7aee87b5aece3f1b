// The language's words with a line each, for tools; see pvm/compiler/language.h.
#include <deque>

#include "parse/parser.h"
#include "pvm/bytecode/module.h"
#include "pvm/compiler/language.h"

namespace pvm::compiler {

namespace {

constexpr LanguageWord kKeywords[] = {
    {"protocol", "protocol NAME", "the protocol's name: protocol.id of every message"},
    {"byteorder", "byteorder big|little",
     "the default byte order of this file's reads and writes (big if absent)"},
    {"use", "use \"FILE.pvm\"",
     "splices in the fn, table, const, enum, param, option and session declarations of a file"},
    {"const", "const NAME = EXPR", "a compile-time int, float, bool or str"},
    {"enum", "enum Name { A = 1, B = 2 }", "named int constants, used as Name.A"},
    {"option", "option NAME: int|bool|str = DEFAULT",
     "a setting chosen per session (pvm decode --option NAME=VALUE)"},
    {"session", "session NAME: int|str|bytes",
     "a value kept across the frames of one connection; read and set as session.NAME"},
    {"param", "param #NAME: number|integer|string|bool|any",
     "declares a parameter name outside the standard schema"},
    {"framing", "framing tcp { ... return LENGTH }",
     "says how long the first frame of the buffered TCP bytes is"},
    {"frame", "frame delimited 0x7e escape { x\"7d02\" => 0x7e, ... }",
     "frames that start and end with a byte, with escapes the runtime undoes (and applies to replies)"},
    {"delimited", "frame delimited BYTE escape { ... } | escape NAME", "the byte that starts and ends such a frame"},
    {"escape", "escape NAME { x\"7d01\" => 0x7d, ... }",
     "an escape table for unescape(b, NAME) and escape(b, NAME), or for a frame delimited declaration"},
    {"packet", "packet tcp|udp { ... }", "decodes one frame (TCP) or one datagram (UDP)"},
    {"command", "command NAME($arg: TYPE, ...) { ... }", "writes the bytes of a command to the device"},
    {"fn", "fn NAME($a: TYPE, ...) -> TYPE { ... }", "a function, inlined at each call"},
    {"table", "table NAME($key: int, ...) { KEY => stmt  _ => stmt }",
     "a jump table from constant int keys to statements"},
    {"if", "if COND { } else if COND { } else { }", "runs a block when a bool condition holds"},
    {"else", "else { }", "the block of an if that runs when no condition held"},
    {"match", "match EXPR { P1, P2 => stmt  _ => stmt }",
     "runs the arm whose constant pattern equals the value"},
    {"repeat", "repeat N [as $i] { }  /  repeat until end { }",
     "a loop N times, or while the view has bytes left"},
    {"as", "repeat N as $i", "names the loop counter, counting from 0"},
    {"until", "repeat until end", "loops while the current view has bytes left"},
    {"end", "repeat until end", "the end of the current view"},
    {"within", "within N { }  /  within BYTES { }",
     "a sub-view of the next N bytes, or a view over a bytes value, with its own bounds"},
    {"emit", "emit { }", "makes one message from the parameters set inside"},
    {"reply", "reply { }", "one reply to the device, built with write statements"},
    {"skip", "skip N", "moves the cursor N bytes forward"},
    {"seek", "seek OFFSET", "moves the cursor to an offset of the current view"},
    {"expect", "expect COND, \"reason\"", "rejects the frame unless COND holds: the structure is wrong"},
    {"check", "check COND, \"reason\"",
     "an integrity check (CRC, length): rejects in strict mode, warns with --crc warn"},
    {"fail", "fail \"reason\"", "rejects the frame"},
    {"warn", "warn \"reason\"", "records a warning and goes on"},
    {"return", "return [EXPR]", "leaves the entry point or function"},
    {"break", "break", "leaves the innermost repeat"},
    {"at", "READ at OFFSET", "reads at an offset of the current view without moving the cursor"},
    {"true", "true", "the bool constant"},
    {"false", "false", "the bool constant"},
    {"tcp", "framing tcp / packet tcp", "the TCP transport: a byte stream cut into frames"},
    {"udp", "packet udp", "the UDP transport: each datagram is one frame"},
    {"big", "byteorder big", "most significant byte first"},
    {"little", "byteorder little", "least significant byte first"},
};

constexpr LanguageWord kSizedReads[] = {
    {"bytes", "bytes(N) -> bytes", "N bytes, without copying"},
    {"text", "text(N) -> str", "N bytes as text"},
    {"bcd", "bcd(N) -> int", "N bytes of packed BCD (12 34 is 1234)"},
    {"unsigned", "unsigned(N) -> uint", "an N-byte unsigned integer, N from 0 to 8"},
    {"signed", "signed(N) -> int", "an N-byte signed integer, N from 1 to 8"},
    {"until", "until(DELIM) -> str",
     "text up to DELIM, which is consumed; in framing, waits for more when DELIM is missing"},
    {"field", "field(DELIM) -> str",
     "text up to DELIM or the end of the view; DELIM is consumed when present"},
    {"cstr", "cstr -> str", "text up to and including a NUL byte"},
    {"rest", "rest -> bytes", "everything left in the view"},
};

constexpr LanguageWord kCursorValues[] = {
    {"pos", "pos -> int", "the cursor's offset in the current view"},
    {"size", "size -> int", "the size of the current view"},
    {"remaining", "remaining -> int", "the bytes left in the current view"},
    {"now", "now -> float", "the frame's receive time, Unix seconds"},
};

constexpr LanguageWord kBuiltins[] = {
#define X(name, signature, summary) {name, signature, summary},
#include "check/builtins.def"
#undef X
};

constexpr StandardParam kStandardParams[] = {
#define X(name, kind, unit, meaning) {name, kind##_type, unit, meaning},
#define Number_type "number"
#define Integer_type "integer"
#define String_type "string"
#define Bool_type "bool"
#include "check/standard_params.def"
#undef Number_type
#undef Integer_type
#undef String_type
#undef Bool_type
#undef X
};

constexpr std::string_view kTypeNames[] = {"int", "uint", "float", "bool", "str", "bytes"};

// u8, i8, u16, u16be, u16le, ... f64le with their type and width, built once.
std::vector<LanguageWord> make_reads() {
  static std::deque<std::string> storage;  // the views below point into it
  std::vector<LanguageWord> out;
  for (std::string_view base : {"u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64"}) {
    const int bits = std::stoi(std::string(base.substr(1)));
    const std::string what = base[0] == 'f'   ? "an IEEE 754 float (float)"
                             : base == "u64"  ? "an unsigned integer (uint)"
                             : base[0] == 'u' ? "an unsigned integer (int)"
                                              : "a signed integer (int)";
    for (std::string_view suffix : {"", "be", "le"}) {
      std::string name = std::string(base) + std::string(suffix);
      if (!is_fixed_read(name)) continue;
      const std::string order = bits == 8        ? ""
                                : suffix == "be" ? ", big-endian"
                                : suffix == "le" ? ", little-endian"
                                                 : ", in the file's byte order";
      const std::string& n = storage.emplace_back(name);
      const std::string& s = storage.emplace_back(name);
      const std::string& d = storage.emplace_back(what + " of " + std::to_string(bits / 8) + " byte" +
                                                  (bits == 8 ? "" : "s") + order);
      out.push_back({n, s, d});
    }
  }
  for (const LanguageWord& w : kSizedReads) out.push_back(w);
  return out;
}

}  // namespace

std::span<const LanguageWord> keywords() {
  return kKeywords;
}
std::span<const LanguageWord> reads() {
  static const std::vector<LanguageWord> all = make_reads();
  return all;
}
std::span<const LanguageWord> builtin_functions() {
  return kBuiltins;
}
std::span<const LanguageWord> cursor_values() {
  return kCursorValues;
}
std::span<const std::string_view> type_names() {
  return kTypeNames;
}
std::span<const StandardParam> standard_params() {
  return kStandardParams;
}

std::vector<std::string> crc_names() {
  std::vector<std::string> out;
  for (size_t i = 0; i < bc::kCrcCount; ++i) out.emplace_back(bc::crc_name(static_cast<bc::Crc>(i)));
  return out;
}

const StandardParam* find_standard_param(std::string_view name) {
  for (const StandardParam& p : kStandardParams)
    if (p.name == name) return &p;
  // An instance of a family: din.3 is din.*.
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == name.size() ||
      name.find_first_not_of("0123456789", dot + 1) != std::string_view::npos)
    return nullptr;
  const std::string family = std::string(name.substr(0, dot)) + ".*";
  for (const StandardParam& p : kStandardParams)
    if (p.name == family) return &p;
  return nullptr;
}

}  // namespace pvm::compiler
