// The delimited framings of a module (`frame delimited 0x7e escape { ... }`), as tables built
// once when the module loads: undoing the escapes of a frame, escaping a reply, and the builtins
// unescape() and escape().
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "pvm/bytecode/module.h"

namespace pvm::detail {

// Where a frame's escapes were undone, in frame order: (index in the unescaped frame of the
// byte an escape became, bytes the escape took beyond that one). It turns an offset in the
// unescaped frame back into one on the wire.
using EscapeMap = std::vector<std::pair<uint32_t, uint32_t>>;

class EscapeTable {
 public:
  // A named table has no delimiter; `delimiter` is then unused.
  EscapeTable(uint8_t delimiter, const std::vector<bc::Escape>& escapes);

  uint8_t delimiter() const { return delimiter_; }
  // Writes `in` with its escape sequences undone to `out` (room for in.size() bytes) and
  // returns how many bytes it wrote. A lead byte that starts no sequence is kept as it is.
  // With `map`, records each escape at its index in `out` plus `base`.
  size_t unescape(std::span<const uint8_t> in, uint8_t* out, EscapeMap* map = nullptr,
                  uint32_t base = 0) const;
  // The size of `in` escaped, and the escaping itself into `out` (room for that size).
  size_t escaped_size(std::span<const uint8_t> in) const;
  void escape(std::span<const uint8_t> in, uint8_t* out) const;

 private:
  uint8_t delimiter_;
  const std::vector<bc::Escape>* escapes_;
  std::array<int16_t, 256> sequence_of_;  // byte -> its escape (index in *escapes_), or -1
  std::array<bool, 256> lead_{};          // the first byte of some escape sequence
};

struct Escapes {
  std::vector<EscapeTable> tables;        // the delimited framings, then the named tables
  std::array<int16_t, 256> by_delimiter;  // delimiter -> index in tables, or -1
  size_t named_base = 0;                  // index in tables of the first named table

  explicit Escapes(const bc::Module& m);
  const EscapeTable* find(uint8_t delimiter) const {
    return by_delimiter[delimiter] < 0 ? nullptr : &tables[static_cast<size_t>(by_delimiter[delimiter])];
  }
  // The table of an E operand the verifier accepted.
  const EscapeTable& of(uint32_t operand) const {
    return operand < bc::kNamedEscapesBase ? *find(static_cast<uint8_t>(operand))
                                           : tables[named_base + operand - bc::kNamedEscapesBase];
  }
};

// "0x7e", as delimiters are written in .pvm files.
std::string byte_hex(uint8_t b);

// Escapes the bytes of `message` between its first and last byte, as a reply or command of a
// delimited framing goes on the wire; `scratch` is reused space.
void escape_inner(const EscapeTable& table, std::vector<uint8_t>& message, std::vector<uint8_t>& scratch);

// The wire offset of `offset` in a frame unescaped with `map` (offsets relative to the frame).
uint64_t wire_offset(const EscapeMap& map, uint64_t offset);

}  // namespace pvm::detail
