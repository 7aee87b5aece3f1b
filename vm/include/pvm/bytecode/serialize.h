// The .pvmc file format: "PVMC", a format version, the module's sections, and a CRC-32 of
// everything before it. Loading checks the structure only; pvm::verify checks the code.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "pvm/bytecode/module.h"

namespace pvm::bc {

// Raised whenever what a module's bytes mean changes, opcode numbers included (opcodes.def): a
// .pvmc of another version is refused rather than run as different code.
inline constexpr uint32_t kFormatVersion = 5;

std::vector<uint8_t> serialize(const Module& m);
// False with a reason ("truncated string table at byte 120", "checksum mismatch") on bad input.
bool deserialize(std::span<const uint8_t> bytes, Module& out, std::string& error);

}  // namespace pvm::bc
