// Every stdlib protocol decodes any bytes, as a TCP stream (split at a fuzzer-chosen point),
// as a UDP datagram and as a pre-cut frame, without crashing or reading out of bounds.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "pvm/vm.h"
#include "stdlib_modules.h"

namespace {

std::vector<std::shared_ptr<const pvm::Program>> load_stdlib() {
  std::vector<std::shared_ptr<const pvm::Program>> out;
  for (auto& module : pvm::fuzz::compile_stdlib()) {
    std::string error;
    if (auto p = pvm::Program::load(std::move(module), error)) out.push_back(std::move(p));
  }
  return out;
}

// Loaded before the first input (LLVMFuzzerInitialize), so that compiling the stdlib is not
// timed as if it were the work of one input.
decltype(load_stdlib()) programs;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  programs = load_stdlib();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
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
