// What `pvm serve` does with a connection's bytes, short of sockets: a stdlib protocol chosen
// by the first byte, the stream cut into reads at fuzzer-chosen points (framing, partial frames,
// resynchronisation after junk), then the same bytes as datagrams; every frame's messages
// rendered as the sinks do (JSON lines, MQTT topics, spool records) and every error as the logs
// do. Nothing may crash, leak or read out of bounds, and every output must stay within its limit.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "pvm/vm.h"
#include "spool_format.h"
#include "stdlib_modules.h"
#include "topic.h"

namespace {

std::vector<std::shared_ptr<const pvm::Program>> load_stdlib() {
  std::vector<std::shared_ptr<const pvm::Program>> out;
  for (auto& module : pvm::fuzz::compile_stdlib()) {
    std::string error;
    if (auto p = pvm::Program::load(std::move(module), error)) out.push_back(std::move(p));
  }
  return out;
}

struct Sinks {
  std::string json;
  std::string topic;
  std::string spool;
  std::string log;

  void operator()(const pvm::FrameResult& r) {
    for (const pvm::Message& m : r.messages) {
      json.clear();
      pvm::append_json(json, m);
      if (json.size() > pvm::bc::kMaxMessageBytes) std::abort();  // the VM's bound must hold
      const pvm::Field* ident = m.find("ident");
      topic.clear();
      pvm::gateway::append_topic(topic, "pvm/{protocol}/{ident}", "p", ident != nullptr ? ident->s : "");
      spool.clear();
      pvm::gateway::append_spool_record(spool, topic, json);
    }
    if (r.error != nullptr) {
      log = r.error->format("p.pvm");
      for (unsigned char c : log)
        if (c < 0x20 || c == 0x7F) std::abort();  // a log line holds no control byte
    }
  }
};

// Loaded before the first input (LLVMFuzzerInitialize), so that compiling the stdlib is not
// timed as if it were the work of one input.
decltype(load_stdlib()) programs;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  programs = load_stdlib();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || programs.empty()) return 0;
  const auto& program = programs[data[0] % programs.size()];
  const size_t step = 1 + data[1] % 64;  // bytes per read
  std::span<const uint8_t> bytes(data + 2, size - 2);
  Sinks sinks;
  pvm::FrameCallback cb = std::ref(sinks);
  pvm::SessionOptions tcp;
  tcp.max_frame = 4096;
  pvm::Session stream(program, tcp);
  for (size_t at = 0; at < bytes.size(); at += step)
    stream.feed(bytes.subspan(at, std::min(step, bytes.size() - at)), cb);
  if (stream.buffered() > tcp.max_frame + step) std::abort();  // nothing beyond a frame is held
  stream.finish(cb);
  pvm::SessionOptions udp = tcp;
  udp.transport = pvm::Transport::Udp;
  pvm::Session datagrams(program, udp);
  for (size_t at = 0; at < bytes.size(); at += step * 8)
    datagrams.feed(bytes.subspan(at, std::min(step * 8, bytes.size() - at)), cb);
  return 0;
}
