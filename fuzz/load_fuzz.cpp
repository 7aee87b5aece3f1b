// Any bytes given to the loader must be rejected with a reason or load a module that verifies;
// a module that loads then runs on the same bytes as input without crashing.
//
// Mutated bytes almost never keep a valid CRC-32, and the loader checks it first: the fuzzer
// writes the magic, the version and the checksum over whatever the mutation made, so that
// mutations reach the body's parser and the verifier. The raw bytes go through once as they
// are, so that the checks of the header and the checksum are fuzzed too.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "pvm/bytecode/module.h"
#include "pvm/bytecode/serialize.h"
#include "pvm/vm.h"

namespace {

void load_and_run(std::span<const uint8_t> bytes) {
  std::string error;
  auto program = pvm::Program::load(bytes, error);
  if (!program) return;
  for (auto transport : {pvm::Transport::Tcp, pvm::Transport::Udp}) {
    pvm::SessionOptions options;
    options.transport = transport;
    options.fuel = 100000;
    pvm::Session session(program, options);
    session.feed(bytes, [](const pvm::FrameResult&) {});
    session.finish([](const pvm::FrameResult&) {});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  load_and_run(std::span<const uint8_t>(data, size));
  if (size < 12) return 0;
  std::vector<uint8_t> fixed(data, data + size);
  std::memcpy(fixed.data(), "PVMC", 4);
  for (int k = 0; k < 4; ++k) fixed[4 + k] = static_cast<uint8_t>(pvm::bc::kFormatVersion >> (8 * k));
  const uint64_t crc = pvm::bc::crc_compute(pvm::bc::Crc::Crc32, fixed.data(), size - 4);
  for (int k = 0; k < 4; ++k) fixed[size - 4 + k] = static_cast<uint8_t>(crc >> (8 * k));
  load_and_run(fixed);
  return 0;
}
