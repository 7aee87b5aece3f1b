// Helpers for the compiler tests: compile a source text and look at one phase's printout or at
// the diagnostics, as plain strings that checks compare directly.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "pvm/compiler/compile.h"

namespace ctest {

inline pvm::compiler::CompileResult compile(std::string_view source,
                                            pvm::compiler::Dump dump = pvm::compiler::Dump::None) {
  pvm::compiler::CompileOptions options;
  options.dump = dump;
  return pvm::compiler::compile_source("test.pvm", source, options);
}

inline std::string dump(std::string_view source, pvm::compiler::Dump phase) { return compile(source, phase).dump; }

// Every diagnostic rendered as the CLI prints it.
inline std::string rendered(const pvm::compiler::CompileResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += d.render();
  return out;
}

// "line:col kind" of each diagnostic, in the order reported.
inline std::vector<std::string> where(const pvm::compiler::CompileResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics)
    out.push_back(std::to_string(d.pos.line) + ":" + std::to_string(d.pos.col) + " " + d.kind);
  return out;
}

// The instruction lines of one function of the assembly ("    op a, b"), without .loc lines.
inline std::string function_code(const std::string& asm_text, std::string_view function) {
  const std::string header = ".func " + std::string(function) + "\n";
  size_t start = asm_text.find(header);
  if (start == std::string::npos) return "<no " + std::string(function) + ">";
  size_t end = asm_text.find("\n.end\n", start) + 1;
  std::string out;
  size_t line = start + header.size();
  while (line < end) {
    size_t next = asm_text.find('\n', line) + 1;
    std::string_view text(asm_text.data() + line, next - line);
    if (!text.starts_with(".loc ")) out += text;
    line = next;
  }
  return out;
}

}  // namespace ctest
