// Teltonika codec 8E decoding, the VM against the hand-written baseline on the same frame,
// to messages in memory and to JSON. bench/run.sh prints the ratios.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "baseline_teltonika.h"
#include "pvm/compiler/compile.h"
#include "pvm/vm.h"
#include "sample_packets.h"

namespace {

using pvm::bench::BaselineTeltonika;

constexpr int kRecords = 4;

std::shared_ptr<const pvm::Program> teltonika() {
  static std::shared_ptr<const pvm::Program> program = [] {
    pvm::compiler::CompileOptions options;
    auto result = pvm::compiler::compile_file(PVM_STDLIB_DIR "/teltonika.pvm", options);
    std::string error;
    auto p = result.ok ? pvm::Program::load(std::move(result.module), error) : nullptr;
    if (!p) {
      std::fprintf(stderr, "cannot load teltonika.pvm: %s\n", error.c_str());
      std::exit(1);
    }
    return p;
  }();
  return program;
}

// A session that has seen the IMEI handshake, so messages carry the ident as in production.
std::unique_ptr<pvm::Session> logged_in_session() {
  auto s = std::make_unique<pvm::Session>(teltonika(), pvm::SessionOptions{});
  const std::vector<uint8_t> login = {0x00, 0x0F, '3', '5', '6', '3', '0', '7', '0', '4', '2', '4', '4', '1', '0', '1', '3'};
  s->feed(login, [](const pvm::FrameResult&) {});
  return s;
}

const std::vector<uint8_t>& frame() {
  static const std::vector<uint8_t> f = pvm::bench::codec8e_frame(kRecords);
  return f;
}

// The comparison is only fair if both produce the same messages: checked once at start-up.
void check_same_output() {
  static bool done = false;
  if (done) return;
  done = true;
  std::string vm_json, base_json;
  auto s = logged_in_session();
  s->feed(frame(), [&](const pvm::FrameResult& r) {
    if (r.error) std::fprintf(stderr, "%s\n", r.error->format("teltonika.pvm").c_str());
    for (auto& m : r.messages) pvm::append_json(vm_json, m), vm_json += '\n';
  });
  BaselineTeltonika b;
  b.decode(frame());
  for (auto& m : b.messages()) pvm::append_json(base_json, m), base_json += '\n';
  if (vm_json != base_json || vm_json.empty()) {
    std::fprintf(stderr, "the VM and the baseline disagree:\nvm:   %s\nbase: %s\n", vm_json.c_str(), base_json.c_str());
    std::exit(1);
  }
}

void BM_Vm_Decode(benchmark::State& state) {
  check_same_output();
  auto s = logged_in_session();
  size_t messages = 0;
  for (auto _ : state)
    s->feed(frame(), [&](const pvm::FrameResult& r) { messages += r.messages.size(); });
  benchmark::DoNotOptimize(messages);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kRecords);
}

void BM_Baseline_Decode(benchmark::State& state) {
  check_same_output();
  BaselineTeltonika b;
  size_t messages = 0;
  for (auto _ : state) messages += b.decode(frame());
  benchmark::DoNotOptimize(messages);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kRecords);
}

void BM_Vm_DecodeJson(benchmark::State& state) {
  check_same_output();
  auto s = logged_in_session();
  std::string out;
  for (auto _ : state) {
    out.clear();
    s->feed(frame(), [&](const pvm::FrameResult& r) {
      for (auto& m : r.messages) pvm::append_json(out, m), out += '\n';
    });
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kRecords);
}

void BM_Baseline_DecodeJson(benchmark::State& state) {
  check_same_output();
  BaselineTeltonika b;
  std::string out;
  for (auto _ : state) {
    out.clear();
    b.decode(frame());
    for (auto& m : b.messages()) pvm::append_json(out, m), out += '\n';
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kRecords);
}

void BM_Compile_Teltonika(benchmark::State& state) {
  pvm::compiler::CompileOptions options;
  for (auto _ : state) {
    auto r = pvm::compiler::compile_file(PVM_STDLIB_DIR "/teltonika.pvm", options);
    benchmark::DoNotOptimize(r.ok);
  }
}

}  // namespace

BENCHMARK(BM_Vm_Decode);
BENCHMARK(BM_Baseline_Decode);
BENCHMARK(BM_Vm_DecodeJson);
BENCHMARK(BM_Baseline_DecodeJson);
BENCHMARK(BM_Compile_Teltonika)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
