// The text form of assembly literals and names, read and written in one place so that what
// the disassembler prints is exactly what the assembler reads back.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pvm::compiler::asm_syntax {

// -5, 0x10, -0x10. Values from 2^63 to 2^64-1 wrap to their two's complement, so a uint64
// constant (ldu) can be written as itself.
bool parse_int(std::string_view text, int64_t& out);
// A decimal immediate or .loc position, 0..2^32-1.
bool parse_u32(std::string_view text, uint32_t& out);
// 2.5, -1e-7, 5, inf, -inf, nan: anything the disassembler prints for a float.
bool parse_float(std::string_view text, double& out);
// The body of x"..": pairs of hex digits, either case.
bool parse_hex(std::string_view hex, std::string& out);

// Reads a double-quoted string starting at text[pos] == '"' and decodes \\ \" \n \r \t \xNN;
// leaves pos after the closing quote. On failure `error` says why and pos is where.
bool read_string(std::string_view text, size_t& pos, std::string& out, std::string& error);

// An identifier that needs no quotes: [A-Za-z_][A-Za-z0-9_.]*.
bool is_plain_name(std::string_view text);

std::string quote(std::string_view s);
std::string hex_literal(std::string_view bytes);  // x"0a0b"
std::string float_literal(double v);              // shortest text that reads back exactly
std::string name_literal(std::string_view name);  // bare when plain, quoted otherwise

}  // namespace pvm::compiler::asm_syntax
