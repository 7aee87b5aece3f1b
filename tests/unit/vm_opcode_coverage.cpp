// Fails when an opcode of opcodes.def is used by no VM test program, so a new opcode cannot
// land without a test of its semantics.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "pvm/bytecode/module.h"

namespace {

bool mnemonic_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
}

// True when `word` appears in `text` as a whole mnemonic (a "\n" escape before it counts as a break).
bool mentions(const std::string& text, std::string_view word) {
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    const bool starts =
        at == 0 || !mnemonic_char(text[at - 1]) || (text[at - 1] == 'n' && at >= 2 && text[at - 2] == '\\');
    const size_t end = at + word.size();
    const bool ends = end == text.size() || !mnemonic_char(text[end]);
    if (starts && ends) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("vm coverage: every opcode appears in a VM test") {
  std::string all;
  for (const auto& entry : std::filesystem::directory_iterator(PVM_SOURCE_DIR "/tests/unit")) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("vm_") || name == "vm_opcode_coverage.cpp") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    all += text.str();
  }
  for (size_t k = 0; k < pvm::bc::kOpCount; ++k) {
    const std::string_view m = pvm::bc::op_info(static_cast<pvm::bc::Op>(k)).mnemonic;
    INFO(m);
    CHECK(mentions(all, m));
  }
}
