// Counters for /metrics. Each worker owns a shard and is its only writer, so updates are plain
// relaxed loads and stores (no locked instructions on the per-message path); the HTTP thread
// sums the shards when Prometheus scrapes.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pvm/vm.h"

namespace pvm::gateway {

class Counter {
 public:
  void add(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void set(int64_t v) { v_.store(v, std::memory_order_relaxed); }
  void add(int64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  int64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

// Why a frame or a connection failed: the VM's traps, then the gateway's own reasons.
enum class Reason : uint8_t {
  Truncated,
  Rejected,
  BadValue,
  DivByZero,
  OutOfFuel,
  Limit,
  BadFrame,
  Incomplete,
  IdleTimeout,      // no byte from the device within the idle timeout
  ConnectionLimit,  // accepted and closed at once: the worker holds max_connections
  Reset,            // the device reset the connection or a socket call failed
  SlowReader,       // the device does not read its replies
  SinkFailed,       // a sink refused a message for good: the frame is not ACKed
  UdpBacklog,       // a datagram dropped: the peer already has max_pending_frames waiting
  UdpEvicted,       // a UDP peer forgotten to make room: the worker holds max_udp_peers
  FrameTimeout,     // a frame begun and not finished within frame_timeout
  BufferLimit,      // closed to keep the worker's unfinished frames within max_buffered_bytes
  TlsFailed,        // a TLS handshake failed or did not finish in time, or a TLS error
  kCount,
};
inline constexpr size_t kReasonCount = static_cast<size_t>(Reason::kCount);
std::string_view reason_name(Reason reason);
Reason reason_of(Trap trap);

// Bucket bounds in seconds: decoding a frame takes microseconds, a sink or an ACK milliseconds.
using Bounds = std::array<double, 12>;
inline constexpr Bounds kDecodeBounds{0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.00005,
                                      0.0001,   0.00025,   0.0005,   0.001,   0.01,     0.1};
inline constexpr Bounds kLatencyBounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                       0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

class Histogram {
 public:
  explicit Histogram(const Bounds& bounds) : bounds_(bounds) {}
  void observe(double seconds);
  const Bounds& bounds() const { return bounds_; }
  uint64_t bucket(size_t i) const { return buckets_[i].get(); }  // bounds().size() is +Inf
  double sum() const { return static_cast<double>(sum_nanos_.get()) / 1e9; }

 private:
  const Bounds& bounds_;
  std::array<Counter, std::tuple_size_v<Bounds> + 1> buckets_;
  Counter sum_nanos_;
};

// One protocol on one transport, in one worker.
struct SeriesStats {
  Counter accepted;  // TCP connections accepted, UDP peers seen
  Gauge open;        // TCP connections open, UDP peers remembered
  Counter frames;
  Counter messages;
  Counter bytes_in;
  Counter bytes_out;
  Counter replies;
  std::array<Counter, kReasonCount> errors;
  Histogram decode{kDecodeBounds};  // seconds the VM took to frame and decode a frame
  Histogram ack{kLatencyBounds};    // seconds from receiving a frame to sending its replies
};

struct WorkerStats {
  WorkerStats(size_t series, size_t sinks) : series(new SeriesStats[series]) {
    for (size_t i = 0; i < sinks; ++i) sink_latency.push_back(std::make_unique<Histogram>(kLatencyBounds));
  }
  std::unique_ptr<SeriesStats[]> series;
  // Per sink: seconds from handing a message to the sink until it accepted it.
  std::vector<std::unique_ptr<Histogram>> sink_latency;
  Gauge sink_queue;      // messages handed to the sinks and not yet accepted
  Gauge pending_frames;  // decoded frames whose replies wait for the sinks
  Gauge sinks_up;        // 1 when every sink takes messages
  Gauge spool_bytes;     // bytes in spool segments not yet wholly published
  Gauge buffered_bytes;  // bytes of unfinished frames held for connections
  Counter commands;      // commands sent to devices
  Gauge heartbeat_ms;    // steady-clock time of the worker's last loop iteration
};

struct SeriesLabel {
  std::string protocol;
  std::string transport;
};

// What pvm_build_info says about the binary.
struct BuildInfo {
  std::string version;
  std::string commit;  // "unknown" outside a git checkout
};
BuildInfo build_info();

class Metrics {
 public:
  // `sinks`: each sink's label (its spec: stdout, jsonl:PATH, mqtt://HOST:PORT).
  Metrics(std::vector<SeriesLabel> series, std::vector<std::string> sinks, unsigned workers);

  WorkerStats& worker(unsigned i) { return *workers_[i]; }
  const WorkerStats& worker(unsigned i) const { return *workers_[i]; }
  unsigned workers() const { return static_cast<unsigned>(workers_.size()); }

  // Whether every listener's protocol runs on the JIT: pvm_build_info's jit label. Set at start
  // and by each reload (the control thread), read by render().
  void set_jit(bool on) { jit_.store(on, std::memory_order_relaxed); }
  // Listener protocols whose native code is being compiled in the background: pvm_jit_compiling.
  void set_jit_compiling(size_t n) { jit_compiling_.store(n, std::memory_order_relaxed); }

  // The Prometheus text exposition format (version 0.0.4).
  std::string render() const;

 private:
  std::vector<SeriesLabel> series_;
  std::vector<std::string> sinks_;
  std::vector<std::unique_ptr<WorkerStats>> workers_;
  double start_time_;  // Unix seconds
  std::atomic<bool> jit_{false};
  std::atomic<size_t> jit_compiling_{0};
};

}  // namespace pvm::gateway
