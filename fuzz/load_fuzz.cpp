// Any bytes given to the loader must be rejected with a reason or load a module that verifies;
// a module that loads then runs on the same bytes as input without crashing.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "pvm/vm.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string error;
  auto program = pvm::Program::load(std::span<const uint8_t>(data, size), error);
  if (!program) return 0;
  for (auto transport : {pvm::Transport::Tcp, pvm::Transport::Udp}) {
    pvm::SessionOptions options;
    options.transport = transport;
    options.fuel = 10000;
    pvm::Session session(program, options);
    session.feed(std::span<const uint8_t>(data, size), [](const pvm::FrameResult&) {});
    session.finish([](const pvm::FrameResult&) {});
  }
  return 0;
}
