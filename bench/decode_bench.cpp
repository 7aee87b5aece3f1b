// In process: the VM and the hand-written decoders on the same generated streams (bench/streams),
// decoding alone and decoding to JSON lines, per protocol and per engine. bench/run.sh turns the
// times into ratios. Before anything is timed, every protocol's JSON from the VM and from its
// hand-written decoder must be byte-identical, or the program stops.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "gt06.h"
#include "pvm/compiler/compile.h"
#include "pvm/vm.h"
#include "ruptela.h"
#include "streams.h"
#include "teltonika.h"
#include "wialon_ips.h"

namespace {

using pvm::baseline::JsonOut;

// The output is handed on (cleared) past this size, as a buffered writer would.
constexpr size_t kFlushBytes = 1 << 16;

// What runs the program. The JIT rows appear in a build with it (-DPVM_JIT=ON).
enum class Engine { Interpreter, Jit };
constexpr const char* engine_name(Engine e) {
  return e == Engine::Jit ? "jit" : "interpreter";
}

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "pvm_bench: %s\n", why.c_str());
  std::exit(1);
}

// The one place that knows how an engine is chosen.
std::shared_ptr<const pvm::Program> load(const std::string& protocol, Engine engine, std::string& why) {
  pvm::compiler::CompileOptions options;
  auto result = pvm::compiler::compile_file(std::string(PVM_STDLIB_DIR) + "/" + protocol + ".pvm", options);
  if (!result.ok) die("cannot compile " + protocol + ".pvm");
#if PVM_BENCH_JIT
  pvm::LoadOptions load_options;
  load_options.engine = engine == Engine::Jit ? pvm::Engine::Jit : pvm::Engine::Interpreter;
  auto program = pvm::Program::load(std::move(result.module), why, load_options);
  if (program && engine == Engine::Jit && program->engine() != pvm::Engine::Jit) {
    why = "the JIT did not compile " + protocol + ": " + program->jit_note();
    return nullptr;
  }
#else
  if (engine == Engine::Jit) {
    why = "built without the JIT";
    return nullptr;
  }
  auto program = pvm::Program::load(std::move(result.module), why);
#endif
  if (!program) die("cannot load " + protocol + ".pvm: " + why);
  return program;
}

struct Case {
  std::string protocol;
  std::vector<uint8_t> stream;
  size_t messages = 0;
};

std::vector<Case>& cases() {
  static std::vector<Case> all = [] {
    std::vector<Case> out;
    for (const auto& kind : pvm::bench::stream_kinds())
      out.push_back({std::string(kind.protocol), kind.make(1, kind.packets), 0});
    return out;
  }();
  return all;
}

// Runs the stream through the VM; with `json`, calls on_output with each full buffer.
template <typename OnOutput>
size_t vm_run(const std::shared_ptr<const pvm::Program>& program, const Case& c, bool json,
              pvm::JsonBuffer& out, OnOutput&& on_output) {
  size_t messages = 0;
  pvm::Session session(program, pvm::SessionOptions{});
  const pvm::FrameCallback on_frame = [&](const pvm::FrameResult& r) {
    if (r.error != nullptr) die(c.protocol + ": the VM rejected a frame: " + r.error->format(c.protocol));
    messages += r.messages.size();
    if (!json) return;
    for (const pvm::Message& m : r.messages) {
      pvm::append_json(out, m);
      out.push_back('\n');
    }
    if (out.size() >= kFlushBytes) {
      on_output(out.view());
      out.clear();
    }
  };
  session.feed(c.stream, on_frame);
  session.finish(on_frame);
  if (json) on_output(out.view());
  out.clear();
  return messages;
}

template <typename Decoder, typename OnOutput>
size_t baseline_run(const Case& c, bool json, JsonOut& out, OnOutput&& on_output) {
  Decoder decoder;
  pvm::baseline::StreamCounts counts;
  bool bad_framing = false;
  const size_t used = pvm::baseline::decode_frames(decoder, c.stream, counts, bad_framing, [&](bool ok) {
    if (!ok) die(c.protocol + ": the hand-written decoder rejected a frame");
    if (!json) return;
    decoder.write_json(out);
    if (out.size() >= kFlushBytes) {
      on_output(out.view());
      out.clear();
    }
  });
  if (bad_framing || used != c.stream.size()) die(c.protocol + ": the hand-written decoder lost the framing");
  if (json) on_output(out.view());
  out.clear();
  return counts.messages;
}

template <typename OnOutput>
size_t baseline_dispatch(const Case& c, bool json, JsonOut& out, OnOutput&& on_output) {
  if (c.protocol == "teltonika") return baseline_run<pvm::baseline::Teltonika>(c, json, out, on_output);
  if (c.protocol == "ruptela") return baseline_run<pvm::baseline::Ruptela>(c, json, out, on_output);
  if (c.protocol == "gt06") return baseline_run<pvm::baseline::Gt06>(c, json, out, on_output);
  if (c.protocol == "wialon_ips") return baseline_run<pvm::baseline::WialonIps>(c, json, out, on_output);
  die("no hand-written decoder for " + c.protocol);
}

// The hand-written decoders format floats with pvm::baseline::format_double; a change of the
// VM's number format must show here, named, rather than as a mismatch somewhere in a stream.
void check_number_format() {
  const double probes[] = {0.1,
                           1e-7,
                           1.5e-7,
                           0.00001234,
                           1e21,
                           1e22,
                           123456789012345678.0,
                           22949.0,
                           -0.0,
                           5e-324,
                           1.7976931348623157e308,
                           54.6671924,
                           1700000011.304};
  for (double v : probes) {
    pvm::Field f;
    f.name = "x";
    f.type = pvm::ValueType::Float;
    f.f = v;
    std::string vm;
    pvm::append_json(vm, pvm::Message{std::span<const pvm::Field>(&f, 1)});
    char buf[64];
    const std::string mine = "{\"x\":" + std::string(buf, pvm::baseline::format_double(buf, v)) + "}";
    if (vm != mine)
      die("the VM writes " + vm + " where bench/baselines/json_out.h (format_double) writes " + mine +
          ": update format_double to the VM's number format");
  }
}

std::vector<Engine> engines() {
#if PVM_BENCH_JIT
  return {Engine::Interpreter, Engine::Jit};
#else
  return {Engine::Interpreter};
#endif
}

void check_same_output() {
  check_number_format();
  for (Case& c : cases()) {
    std::string base_json;
    JsonOut out;
    const size_t base_messages =
        baseline_dispatch(c, true, out, [&](std::string_view chunk) { base_json += chunk; });
    for (Engine engine : engines()) {
      std::string why;
      auto program = load(c.protocol, engine, why);
      if (!program) continue;  // the JIT could not compile it: its rows say why
      std::string vm_json;
      pvm::JsonBuffer vm_out;
      const size_t vm_messages =
          vm_run(program, c, true, vm_out, [&](std::string_view chunk) { vm_json += chunk; });
      if (vm_json != base_json || vm_messages != base_messages || vm_messages == 0) {
        size_t at = 0;
        while (at < vm_json.size() && at < base_json.size() && vm_json[at] == base_json[at]) ++at;
        const size_t line = at == 0 ? 0 : vm_json.rfind('\n', at - 1) + 1;  // npos + 1 == 0
        die(c.protocol + ": the VM (" + engine_name(engine) +
            ") and the hand-written decoder disagree at byte " + std::to_string(at) +
            ":\nvm:   " + vm_json.substr(line, vm_json.find('\n', at) - line) +
            "\nbase: " + base_json.substr(line, base_json.find('\n', at) - line));
      }
    }
    c.messages = base_messages;
  }
}

void vm_benchmark(benchmark::State& state, const Case& c, Engine engine, bool json) {
  std::string why;
  const auto program = load(c.protocol, engine, why);
  if (!program) {
    state.SkipWithError(why.c_str());
    return;
  }
  pvm::JsonBuffer out;
  size_t sink = 0;
  for (auto _ : state) {
    sink += vm_run(program, c, json, out, [&](std::string_view chunk) { sink += chunk.size(); });
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * c.messages));
}

void baseline_benchmark(benchmark::State& state, const Case& c, bool json) {
  JsonOut out;
  size_t sink = 0;
  for (auto _ : state) {
    sink += baseline_dispatch(c, json, out, [&](std::string_view chunk) { sink += chunk.size(); });
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * c.messages));
}

void compile_benchmark(benchmark::State& state, const std::string& protocol) {
  pvm::compiler::CompileOptions options;
  for (auto _ : state) {
    auto r = pvm::compiler::compile_file(std::string(PVM_STDLIB_DIR) + "/" + protocol + ".pvm", options);
    benchmark::DoNotOptimize(r.ok);
  }
}

}  // namespace

// Names: MODE/PROTOCOL/IMPLEMENTATION, MODE decode (messages in memory) or json (JSON lines).
int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  check_same_output();
  for (const bool json : {false, true}) {
    const std::string mode = json ? "json/" : "decode/";
    for (const Case& c : cases()) {
      benchmark::RegisterBenchmark((mode + c.protocol + "/hand-written").c_str(), baseline_benchmark, c, json)
          ->Unit(benchmark::kMillisecond);
      for (Engine e : engines())
        benchmark::RegisterBenchmark((mode + c.protocol + "/" + engine_name(e)).c_str(), vm_benchmark, c, e,
                                     json)
            ->Unit(benchmark::kMillisecond);
    }
  }
  benchmark::RegisterBenchmark("compile/teltonika", compile_benchmark, std::string("teltonika"))
      ->Unit(benchmark::kMillisecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
