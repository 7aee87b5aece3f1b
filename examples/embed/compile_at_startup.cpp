// A host that compiles its protocol from source when it starts, instead of loading a .pvmc:
//
//   pvm_embed_compile PROTOCOL.pvm IMPORT_DIR HEX...
//
// Compiles PROTOCOL.pvm (its `use` lines are found beside it, then in IMPORT_DIR, for example
// the stdlib-protocols folder), prints the diagnostics, loads the module into the VM (which
// verifies it as it would a file), and feeds each HEX argument to one TCP session as a segment.
// Messages are printed as JSON lines and replies as "reply: <hex>". Exit status: 0 when every
// frame decoded, 1 when one was rejected, 2 when the program does not compile.
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "pvm/compiler/compile.h"
#include "pvm/vm.h"

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: pvm_embed_compile PROTOCOL.pvm IMPORT_DIR HEX...\n";
    return 2;
  }
  pvm::compiler::CompileOptions options;
  options.import_dirs = {argv[2]};
  pvm::compiler::CompileResult compiled = pvm::compiler::compile_file(argv[1], options);
  for (const pvm::compiler::Diagnostic& d : compiled.diagnostics) std::cerr << d.render();
  if (!compiled.ok) return 2;
  std::string error;
  const std::shared_ptr<const pvm::Program> program = pvm::Program::load(std::move(compiled.module), error);
  if (program == nullptr) {
    std::cerr << argv[1] << ": " << error << "\n";
    return 2;
  }

  pvm::Session session(program, pvm::SessionOptions{});
  bool rejected = false;
  const std::string source = program->module().str(program->module().source);
  const pvm::FrameCallback on_frame = [&](const pvm::FrameResult& frame) {
    if (frame.error != nullptr) {
      rejected = true;
      std::cerr << "error: " << frame.error->format(source) << "\n";
      return;
    }
    std::string json;
    for (const pvm::Message& m : frame.messages) {
      json.clear();
      pvm::append_json(json, m);
      std::cout << json << "\n";
    }
    static constexpr char kHex[] = "0123456789abcdef";
    for (const std::vector<uint8_t>& reply : frame.replies) {
      std::cout << "reply: ";
      for (uint8_t b : reply) std::cout << kHex[b >> 4] << kHex[b & 15];
      std::cout << "\n";
    }
  };
  for (int i = 3; i < argc; ++i) {
    const std::string_view hex = argv[i];
    std::vector<uint8_t> bytes;
    for (size_t k = 0; k < hex.size(); k += 2) {
      const int high = hex_digit(hex[k]), low = k + 1 < hex.size() ? hex_digit(hex[k + 1]) : -1;
      if (high < 0 || low < 0) {
        std::cerr << "argument " << i << " is not hex\n";
        return 2;
      }
      bytes.push_back(static_cast<uint8_t>(high << 4 | low));
    }
    session.feed(bytes, on_frame);
  }
  session.finish(on_frame);
  return rejected ? 1 : 0;
}
