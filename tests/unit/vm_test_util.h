// Helpers for the VM tests: assemble a module from text, feed it bytes, and collect each
// frame's JSON lines, replies and errors as plain strings that checks compare directly.
#pragma once

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pvm/compiler/asm.h"
#include "pvm/vm.h"

namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& lines) {
    std::string s = "{";
    for (const std::string& l : lines) s += "\n  " + l;
    s += "\n}";
    return String(s.c_str());
  }
};
}  // namespace doctest

namespace vmtest {

inline std::vector<uint8_t> hex(std::string_view text) {
  std::vector<uint8_t> out;
  int high = -1;
  for (char c : text) {
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0) continue;
    if (high < 0) {
      high = d;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | d));
      high = -1;
    }
  }
  return out;
}

inline std::string to_hex(std::span<const uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

// A packet function that reads, names and scales: a program for the tests of how the JIT is
// loaded (its cache, its background compile), with the frame it reads and what that gives.
inline constexpr std::string_view kJitSampleBody = R"(
    msg.new
    rdset.u16be i0, "n"
    rd.u8 i1
    ldd f0, 10.0
    setdiv.i "t", i1, f0
    ret)";
inline constexpr std::string_view kJitSampleFrame = "0102 7b";
inline constexpr std::string_view kJitSampleMessage = R"({"n":258,"t":12.3})";

// Registers enough for every test function.
inline constexpr std::string_view kRegs = "i=8 u=4 f=4 b=4 s=4 y=4";

// A module text: header, `extra` directives, and packet.tcp with `body`.
inline std::string packet_module(std::string_view body, std::string_view extra = "") {
  std::string t = ".protocol \"test\"\n.source \"test.pvm\"\n.session ident s\n";
  t += extra;
  t += "\n.func packet.tcp\n.regs ";
  t += kRegs;
  t += "\n";
  t += body;
  t += "\n.end\n";
  return t;
}

inline pvm::bc::Module assemble(std::string_view text) {
  pvm::compiler::AsmResult r = pvm::compiler::assemble(text, "test.pvma");
  std::string diags;
  for (const auto& d : r.diagnostics) diags += d.render() + "\n";
  INFO(diags);
  INFO(text);
  REQUIRE(r.ok);
  return std::move(r.module);
}

inline std::shared_ptr<const pvm::Program> load(std::string_view text) {
  std::string error;
  auto program = pvm::Program::load(assemble(text), error);
  INFO(error);
  REQUIRE(program != nullptr);
  return program;
}

struct Frame {
  uint64_t offset = 0;
  std::string bytes;  // hex
  std::vector<std::string> json;
  std::vector<std::string> replies;  // hex
  std::vector<pvm::Error> warnings;
  bool failed = false;
  pvm::Error error;
};

struct Collector {
  std::vector<Frame> frames;

  pvm::FrameCallback callback() {
    return [this](const pvm::FrameResult& r) {
      Frame f;
      f.offset = r.offset;
      f.bytes = to_hex(r.bytes);
      for (const pvm::Message& m : r.messages) {
        std::string line;
        pvm::append_json(line, m);
        f.json.push_back(line);
      }
      for (const auto& reply : r.replies) f.replies.push_back(to_hex(reply));
      f.warnings.assign(r.warnings.begin(), r.warnings.end());
      if (r.error != nullptr) {
        f.failed = true;
        f.error = *r.error;
      }
      frames.push_back(std::move(f));
    };
  }
};

// The messages of one frame as JSON lines joined by '\n' (without the "protocol.id" every
// test message carries), or "error: <formatted error>" when the frame was rejected.
inline std::string outcome(const Frame& f) {
  if (f.failed) return "error: " + f.error.format("test.pvm");
  std::string s;
  for (const std::string& line : f.json) {
    std::string l = line;
    const std::string_view head = "{\"protocol.id\":\"test\"";
    if (l.starts_with(head)) {
      l.erase(1, head.size() - 1);
      if (l.size() > 1 && l[1] == ',') l.erase(1, 1);
    }
    if (!s.empty()) s += '\n';
    s += l;
  }
  return s;
}

// Everything a frame gave, errors and warnings with their offsets, as one comparable text.
inline std::string describe(const Frame& f) {
  std::string s = "frame at " + std::to_string(f.offset) + " (" + f.bytes + ")\n";
  for (const std::string& line : f.json) s += "message " + line + "\n";
  for (const std::string& reply : f.replies) s += "reply " + reply + "\n";
  for (const pvm::Error& w : f.warnings)
    s += "warning at " + std::to_string(w.offset) + ": " + w.format("test.pvm") + "\n";
  if (f.failed) s += "error at " + std::to_string(f.error.offset) + ": " + f.error.format("test.pvm") + "\n";
  return s;
}

// The same module loaded for the JIT (once per program; kept, so that no address is reused).
inline std::shared_ptr<const pvm::Program> on_jit(const std::shared_ptr<const pvm::Program>& program) {
  static std::map<const pvm::Program*,
                  std::pair<std::shared_ptr<const pvm::Program>, std::shared_ptr<const pvm::Program>>>
      cache;
  auto& entry = cache[program.get()];
  if (!entry.first) {
    std::string error;
    pvm::LoadOptions options;
    options.engine = pvm::Engine::Jit;
    entry = {program, pvm::Program::load(program->module(), error, options)};
    REQUIRE(entry.second != nullptr);
    INFO(entry.second->jit_note());
    REQUIRE(entry.second->engine() == pvm::Engine::Jit);
  }
  return entry.second;
}

inline Frame decode_frame_with(const std::shared_ptr<const pvm::Program>& program, std::string_view input,
                               const pvm::SessionOptions& options) {
  pvm::Session session(program, options);
  Collector c;
  session.feed_frame(hex(input), c.callback());
  REQUIRE(c.frames.size() == 1);
  return c.frames[0];
}

// Decodes `input` (hex) as one frame. With the JIT built, the frame also runs on native code,
// which must give exactly the same frame: every VM test is a test of both engines.
inline Frame decode_frame(const std::shared_ptr<const pvm::Program>& program, std::string_view input,
                          pvm::SessionOptions options = {}) {
  Frame f = decode_frame_with(program, input, options);
  if (pvm::jit_available() && program->engine() == pvm::Engine::Interpreter)
    CHECK(describe(decode_frame_with(on_jit(program), input, options)) == describe(f));
  return f;
}

inline std::string run(std::string_view body, std::string_view input = "", std::string_view extra = "") {
  return outcome(decode_frame(load(packet_module(body, extra)), input));
}

}  // namespace vmtest
