// Every stdlib protocol decodes any bytes, as a TCP stream (split at a fuzzer-chosen point),
// as a UDP datagram and as a pre-cut frame, without crashing or reading out of bounds.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "pvm/compiler/compile.h"
#include "pvm/vm.h"

namespace {

std::vector<std::shared_ptr<const pvm::Program>> load_stdlib() {
  std::vector<std::shared_ptr<const pvm::Program>> out;
  for (auto& entry : std::filesystem::directory_iterator(PVM_STDLIB_DIR)) {
    if (entry.path().extension() != ".pvm") continue;
    pvm::compiler::CompileOptions options;
    auto result = pvm::compiler::compile_file(entry.path().string(), options);
    if (!result.ok) continue;  // a library file (a table or functions) is no protocol
    std::string error;
    if (auto p = pvm::Program::load(std::move(result.module), error)) out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto programs = load_stdlib();
  if (size == 0) return 0;
  const size_t split = data[0] % size;
  std::span<const uint8_t> bytes(data + 1, size - 1);
  auto ignore = [](const pvm::FrameResult&) {};
  for (auto& program : programs) {
    for (bool lenient : {false, true}) {
      pvm::SessionOptions tcp;
      tcp.lenient_checks = lenient;
      pvm::Session stream(program, tcp);
      stream.feed(bytes.subspan(0, std::min(split, bytes.size())), ignore);
      stream.feed(bytes.subspan(std::min(split, bytes.size())), ignore);
      stream.finish(ignore);
      stream.feed_frame(bytes, ignore);
      pvm::SessionOptions udp = tcp;
      udp.transport = pvm::Transport::Udp;
      pvm::Session datagrams(program, udp);
      datagrams.feed(bytes, ignore);
    }
  }
  return 0;
}
