// Whole-file reads and writes, and the lowercase hex every output of the CLI uses for bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pvm::cli {

// "-" reads standard input and writes standard output. False with a reason ("cannot read x: No
// such file or directory").
bool read_file(const std::string& path, std::string& out, std::string& error);
bool read_file(const std::string& path, std::vector<uint8_t>& out, std::string& error);
bool write_file(const std::string& path, std::string_view data, std::string& error);

std::string to_hex(std::span<const uint8_t> bytes);
void append_hex(std::string& out, std::span<const uint8_t> bytes);

// The file name without its folders: diagnostics of tests must not depend on where they run.
std::string base_name(std::string_view path);

}  // namespace pvm::cli
