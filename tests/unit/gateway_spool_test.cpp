// The spool's files: ACK once synced, segment rotation at its size, max_bytes, and the replay
// of what an earlier run left, a torn last record included. No broker is ever contacted.
#include <doctest/doctest.h>
#include <mosquitto.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "event_loop.h"
#include "pvm/gateway/limits.h"
#include "spooled_sink.h"

using namespace pvm::gateway;
namespace fs = std::filesystem;

namespace {

struct Recorder : DeliveryListener {
  size_t accepted_count = 0;
  void accepted(std::span<const Ticket> tickets) override { accepted_count += tickets.size(); }
  void failed(Ticket) override {}
};

struct SpoolFixture {
  fs::path dir = fs::temp_directory_path() / ("pvm_spool_test_" + std::to_string(::getpid()));
  EventLoop loop;
  SinkSpec spec;
  MqttOptions options;
  std::atomic<uint64_t> next_id{1};
  Recorder recorder;

  SpoolFixture() {
    mosquitto_lib_init();
    fs::remove_all(dir);
    fs::create_directories(dir);
    spec.kind = SinkKind::Mqtt;
    spec.host = "127.0.0.1";
    spec.port = 1;
  }
  ~SpoolFixture() {
    fs::remove_all(dir);
    mosquitto_lib_cleanup();
  }
  std::unique_ptr<SpooledSink> sink(uint64_t max_bytes, std::vector<std::string> replay = {}) {
    SpoolSetup setup{dir.string(), max_bytes, std::move(replay), &next_id};
    return std::make_unique<SpooledSink>(loop, spec, options, "test", recorder, 100, nullptr,
                                         std::move(setup));
  }
  std::vector<std::string> segments() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
  }
};

}  // namespace

TEST_CASE("gateway: the spool accepts once synced and rotates segments") {
  SpoolFixture f;
  auto sink = f.sink(1ull << 30);
  const std::string payload(1 << 20, 'x');  // a 1 MiB message: a segment holds 8
  for (uint64_t i = 0; i < 9; ++i) {
    sink->submit({"teltonika", "1", payload}, {1, i});
    sink->flush();
    CHECK(f.recorder.accepted_count == i + 1);  // accepted with the broker away
  }
  CHECK(f.segments().size() == 2);  // the 9th message began a second segment
  CHECK(fs::file_size(f.segments()[0]) >= kSpoolSegmentBytes);
  CHECK(sink->backlog_bytes() > 9 * payload.size());
}

TEST_CASE("gateway: the spool stops at max_bytes") {
  SpoolFixture f;
  auto sink = f.sink(kSpoolSegmentBytes);
  const std::string payload(1 << 20, 'x');
  int taken = 0;
  while (sink->ready() && taken < 20) {
    sink->submit({"teltonika", "1", payload}, {1, 0});
    sink->flush();
    ++taken;
  }
  CHECK(taken == 8);  // 8 records of a little over 1 MiB reach max_bytes
  CHECK_FALSE(sink->ready());
}

TEST_CASE("gateway: the spool replays what an earlier run left, up to a torn record") {
  SpoolFixture f;
  {
    auto sink = f.sink(1ull << 30);
    for (uint64_t i = 0; i < 3; ++i)
      sink->submit({"teltonika", "1", "{\"n\":" + std::to_string(i) + "}"}, {1, i});
    sink->flush();
  }  // a crash: nothing published
  const auto files = f.segments();
  REQUIRE(files.size() == 1);
  const auto whole = fs::file_size(files[0]);
  fs::resize_file(files[0], whole - 3);  // the last record torn
  auto again = f.sink(1ull << 30, files);
  const uint64_t record = whole / 3;
  CHECK(again->backlog_bytes() == 2 * record);
  CHECK(again->queued() == 0);
}
