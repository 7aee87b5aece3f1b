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
  kCount,
};
inline constexpr size_t kReasonCount = static_cast<size_t>(Reason::kCount);
std::string_view reason_name(Reason reason);
Reason reason_of(Trap trap);

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
};

// Seconds from handing a frame's messages to the sinks until all accepted them (the delay the
// sinks add to the device's ACK).
class Histogram {
 public:
  static constexpr std::array<double, 12> kBounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                  0.05,   0.1,   0.25,   0.5,   1.0,  5.0};
  void observe(double seconds);
  uint64_t bucket(size_t i) const { return buckets_[i].get(); }  // kBounds.size() is +Inf
  double sum() const { return static_cast<double>(sum_micros_.get()) / 1e6; }

 private:
  std::array<Counter, kBounds.size() + 1> buckets_;
  Counter sum_micros_;
};

struct WorkerStats {
  explicit WorkerStats(size_t series) : series(new SeriesStats[series]) {}
  std::unique_ptr<SeriesStats[]> series;
  Histogram sink_latency;
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

class Metrics {
 public:
  Metrics(std::vector<SeriesLabel> series, unsigned workers);

  WorkerStats& worker(unsigned i) { return *workers_[i]; }
  const WorkerStats& worker(unsigned i) const { return *workers_[i]; }
  unsigned workers() const { return static_cast<unsigned>(workers_.size()); }

  // The Prometheus text exposition format (version 0.0.4).
  std::string render() const;

 private:
  std::vector<SeriesLabel> series_;
  std::vector<std::unique_ptr<WorkerStats>> workers_;
};

}  // namespace pvm::gateway
