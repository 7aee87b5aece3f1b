// The JIT decodes exactly as the interpreter does: every stdlib protocol is loaded twice, once per
// engine, and the same bytes go through both, as a TCP stream split at a fuzzer-chosen point, as a
// pre-cut frame and as UDP datagrams, strict and lenient. Each engine's account of every frame
// (messages with their types, replies, warnings, the error) must be the same text, or it traps.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "pvm/vm.h"
#include "stdlib_modules.h"

namespace {

// One protocol on each engine.
struct Pair {
  std::shared_ptr<const pvm::Program> interpreter;
  std::shared_ptr<const pvm::Program> jit;
};

std::vector<Pair> load_stdlib() {
  std::vector<Pair> out;
  for (auto& module : pvm::fuzz::compile_stdlib()) {
    std::string error;
    Pair pair;
    pair.interpreter = pvm::Program::load(module, error, {pvm::Engine::Interpreter, ""});
    pair.jit = pvm::Program::load(std::move(module), error, {pvm::Engine::Jit, ""});
    if (!pair.interpreter || !pair.jit) continue;
    // Both runs would be the interpreter's: nothing to compare.
    if (pair.jit->engine() != pvm::Engine::Jit) {
      std::fprintf(stderr, "jit_diff_fuzz: the JIT is not used for %s: %s\n",
                   std::string(pair.jit->protocol()).c_str(), pair.jit->jit_note().c_str());
      continue;
    }
    out.push_back(std::move(pair));
  }
  return out;
}

constexpr double kReceived = 1700000000.5;  // the same `now` for both engines

void append_hex(std::string& out, std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
}

void append_error(std::string& out, const char* kind, const pvm::Error& e, const std::string& source) {
  out += kind;
  out += ' ';
  out += pvm::trap_name(e.trap);
  out += ' ' + std::to_string(e.offset) + ' ' + e.format(source) + '\n';
}

// Appends a frame as text: where it is, its messages (JSON and each field's type), replies,
// warnings and error.
void append_frame(std::string& out, const pvm::FrameResult& f, const std::string& source) {
  out += "frame " + std::to_string(f.offset) + ' ';
  append_hex(out, f.bytes);
  out += '\n';
  for (const pvm::Message& m : f.messages) {
    out += "message ";
    pvm::append_json(out, m);
    out += " types ";
    for (const pvm::Field& field : m.fields) out += static_cast<char>('0' + static_cast<int>(field.type));
    out += '\n';
  }
  for (const auto& reply : f.replies) {
    out += "reply ";
    append_hex(out, reply);
    out += '\n';
  }
  for (const pvm::Error& w : f.warnings) append_error(out, "warning", w, source);
  if (f.error) append_error(out, "error", *f.error, source);
}

void append_end(std::string& out, const pvm::Session& session) {
  out += "end " + std::string(session.ident()) + ' ' + std::to_string(session.stream_offset()) + ' ' +
         std::to_string(session.buffered()) + '\n';
}

// What one engine makes of the bytes.
std::string transcript(const std::shared_ptr<const pvm::Program>& program, std::span<const uint8_t> bytes,
                       size_t split) {
  std::string out;
  const std::string source = program->source_name();
  const pvm::FrameCallback on_frame = [&](const pvm::FrameResult& f) { append_frame(out, f, source); };
  for (bool lenient : {false, true}) {
    pvm::SessionOptions tcp;
    tcp.lenient_checks = lenient;
    pvm::Session stream(program, tcp);
    stream.feed(bytes.subspan(0, split), on_frame, kReceived);
    stream.feed(bytes.subspan(split), on_frame, kReceived);
    stream.finish(on_frame);
    stream.feed_frame(bytes, on_frame, kReceived);
    append_end(out, stream);
    pvm::SessionOptions udp = tcp;
    udp.transport = pvm::Transport::Udp;
    pvm::Session datagrams(program, udp);
    datagrams.feed(bytes.subspan(0, split), on_frame, kReceived);
    datagrams.feed(bytes.subspan(split), on_frame, kReceived);
    datagrams.feed(bytes, on_frame, kReceived);
    append_end(out, datagrams);
  }
  return out;
}

// The first line where the transcripts part, for the report before the trap.
std::pair<std::string, std::string> first_difference(const std::string& a, const std::string& b) {
  size_t i = std::mismatch(a.begin(), a.end(), b.begin(), b.end()).first - a.begin();
  const size_t start = a.rfind('\n', i == 0 ? 0 : i - 1);
  const size_t from = start == std::string::npos ? 0 : start + 1;
  return {a.substr(from, a.find('\n', i) - from), b.substr(from, b.find('\n', i) - from)};
}

// Loaded before the first input (LLVMFuzzerInitialize), so that compiling the stdlib is not
// timed as if it were the work of one input.
decltype(load_stdlib()) pairs;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pairs = load_stdlib();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::span<const uint8_t> bytes(data + 1, size - 1);
  const size_t split = std::min<size_t>(data[0] % size, bytes.size());
  for (const Pair& pair : pairs) {
    const std::string interpreted = transcript(pair.interpreter, bytes, split);
    const std::string compiled = transcript(pair.jit, bytes, split);
    if (interpreted == compiled) continue;
    const auto [a, b] = first_difference(interpreted, compiled);
    std::fprintf(
        stderr,
        "jit_diff_fuzz: %s: the interpreter and the JIT differ\n  interpreter: %s\n  jit:         %s\n",
        std::string(pair.jit->protocol()).c_str(), a.c_str(), b.c_str());
    __builtin_trap();
  }
  return 0;
}
