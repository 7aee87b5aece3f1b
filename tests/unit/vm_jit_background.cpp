// LoadOptions::jit_in_background: load returns at once, the interpreter runs while a thread
// compiles, and every session moves to the native code at its first frame after it is ready.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "vm_test_util.h"

namespace {

using vmtest::kJitSampleBody;
using vmtest::kJitSampleMessage;

std::shared_ptr<const pvm::Program> load_in_background(std::string_view body) {
  std::string error;
  pvm::LoadOptions options;
  options.engine = pvm::Engine::Jit;
  options.jit_in_background = true;
  auto program = pvm::Program::load(vmtest::assemble(vmtest::packet_module(body)), error, options);
  REQUIRE(program != nullptr);
  return program;
}

// A function long enough that LLVM takes a while over it (well over 100 ms): programs loaded
// after it wait their turn.
std::string long_body() {
  std::string body = "msg.new\n";
  for (int k = 0; k < 200; ++k) body += "rd.u8 i1\nadd.i i2, i2, i1\nmul.i i3, i2, i1\nxor.i i4, i4, i3\n";
  return body + "set.i \"x\", i4\nret";
}

std::string decode(pvm::Session& session) {
  vmtest::Collector c;
  session.feed_frame(vmtest::hex(vmtest::kJitSampleFrame), c.callback());
  REQUIRE(c.frames.size() == 1);
  return vmtest::outcome(c.frames[0]);
}

}  // namespace

TEST_SUITE("jit in background") {
  TEST_CASE("sessions run the interpreter while the code compiles, then move to it") {
    if (!pvm::jit_available()) return;
    const auto ahead = load_in_background(long_body());
    const auto program = load_in_background(kJitSampleBody);

    pvm::Session early(program, {});
    CHECK(decode(early) == kJitSampleMessage);
    // Behind the long compile, the program cannot have been compiled during that frame.
    REQUIRE(program->jit_compiling());
    CHECK(early.engine() == pvm::Engine::Interpreter);
    CHECK(program->engine() == pvm::Engine::Interpreter);

    program->wait_jit();
    CHECK_FALSE(program->jit_compiling());
    CHECK_FALSE(ahead->jit_compiling());  // compiled first
    INFO(program->jit_note());
    REQUIRE(program->engine() == pvm::Engine::Jit);
    CHECK(program->jit_note().empty());
    CHECK(early.engine() == pvm::Engine::Interpreter);  // until its next frame
    CHECK(decode(early) == kJitSampleMessage);
    CHECK(early.engine() == pvm::Engine::Jit);

    pvm::Session late(program, {});
    CHECK(late.engine() == pvm::Engine::Jit);
    CHECK(decode(late) == kJitSampleMessage);

    // A traced session runs the interpreter, native code or not, and goes back when untraced.
    size_t steps = 0;
    early.set_trace([&](const pvm::TraceEvent&) { ++steps; });
    CHECK(early.engine() == pvm::Engine::Interpreter);
    CHECK(decode(early) == kJitSampleMessage);
    CHECK(steps > 0);
    early.set_trace({});
    CHECK(early.engine() == pvm::Engine::Jit);
  }

  TEST_CASE("a session traced while the code compiles stays on the interpreter after") {
    if (!pvm::jit_available()) return;
    const auto ahead = load_in_background(long_body());
    const auto program = load_in_background(kJitSampleBody);
    pvm::Session traced(program, {});
    size_t steps = 0;
    traced.set_trace([&](const pvm::TraceEvent&) { ++steps; });
    program->wait_jit();
    REQUIRE(program->engine() == pvm::Engine::Jit);
    CHECK(decode(traced) == kJitSampleMessage);
    CHECK(traced.engine() == pvm::Engine::Interpreter);
    CHECK(steps > 0);
    traced.set_trace({});
    CHECK(traced.engine() == pvm::Engine::Jit);
    CHECK(decode(traced) == kJitSampleMessage);
  }

  TEST_CASE("programs dropped before their turn are skipped, the ones after still compile") {
    if (!pvm::jit_available()) return;
    const auto ahead = load_in_background(long_body());
    std::vector<std::shared_ptr<const pvm::Program>> kept;
    for (int k = 0; k < 6; ++k) {
      auto program = load_in_background("msg.new\nrdset.u8 i0, \"v" + std::to_string(k) + "\"\nret");
      if (k % 2 == 0) kept.push_back(std::move(program));  // the others are dropped at once
    }
    for (const auto& program : kept) {
      program->wait_jit();
      CHECK(program->engine() == pvm::Engine::Jit);
    }
    pvm::Session session(kept.back(), {});
    vmtest::Collector c;
    session.feed_frame(vmtest::hex("2a"), c.callback());
    REQUIRE(c.frames.size() == 1);
    CHECK(vmtest::outcome(c.frames[0]) == R"({"v4":42})");
    CHECK(session.engine() == pvm::Engine::Jit);
  }

  TEST_CASE("without jit_in_background, load compiles before it returns") {
    if (!pvm::jit_available()) return;
    std::string error;
    pvm::LoadOptions options;
    options.engine = pvm::Engine::Jit;
    auto program =
        pvm::Program::load(vmtest::assemble(vmtest::packet_module(kJitSampleBody)), error, options);
    REQUIRE(program != nullptr);
    CHECK_FALSE(program->jit_compiling());
    CHECK(program->engine() == pvm::Engine::Jit);
    pvm::Session session(program, {});
    CHECK(session.engine() == pvm::Engine::Jit);
  }
}
