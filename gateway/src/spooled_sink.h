// MQTT with an on-disk spool in front: messages are appended to a segment file and synced,
// then accepted (the device is ACKed), and published from the file when the broker takes them.
// A broker that is away only makes the spool grow; a gateway killed at any moment replays,
// when it starts again, every segment not wholly published (at least once, as MQTT QoS 1).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "mqtt_sink.h"

namespace pvm::gateway {

struct SpoolSetup {
  std::string dir;
  uint64_t max_bytes = 0;                    // this worker's share
  std::vector<std::string> replay;           // segments left by an earlier run, oldest first
  std::atomic<uint64_t>* next_id = nullptr;  // segment numbers, shared by the workers
};

class SpooledSink final : public Sink, public DeliveryListener {
 public:
  SpooledSink(EventLoop& loop, const SinkSpec& spec, const MqttOptions& options, std::string client_id,
              DeliveryListener& listener, size_t max_queue, MqttSink::CommandHandler on_command,
              SpoolSetup setup);
  ~SpooledSink() override;

  std::string_view kind() const override { return "mqtt+spool"; }
  bool ready() const override { return !broken_ && bytes_ < setup_.max_bytes; }
  // Waiting to be synced, or published and waiting for PUBACK.
  size_t queued() const override { return tickets_.size() + inner_->queued(); }
  void submit(const SinkRecord& record, Ticket ticket) override;
  void flush() override;
  void tick(int64_t now_ms) override;
  void shutdown() override;
  uint64_t backlog_bytes() const override { return bytes_; }

  // From the MQTT sink: a PUBACK for a record published from a segment.
  void accepted(std::span<const Ticket> tickets) override;
  void failed(Ticket ticket) override;

 private:
  struct Segment {
    uint64_t id = 0;
    std::string path;
    int fd = -1;
    uint64_t size = 0;       // bytes written and synced
    uint64_t records = 0;    // records in them
    uint64_t read = 0;       // bytes handed to the broker
    uint64_t published = 0;  // records in them
    uint64_t acked = 0;      // records the broker acknowledged
    bool active = false;     // still appended to
  };

  bool write_batch();
  bool open_segment();
  void adopt(const std::string& path);
  void pump();
  void settle(uint64_t segment);
  Segment* find(uint64_t id);

  DeliveryListener& listener_;
  SpoolSetup setup_;
  MqttOptions options_;
  std::unique_ptr<MqttSink> inner_;
  std::vector<std::unique_ptr<Segment>> segments_;  // oldest first; the last may be active
  std::string batch_;
  size_t written_ = 0;
  std::vector<Ticket> tickets_;
  std::string topic_;
  std::string chunk_;           // read from segments_ for publishing
  uint64_t chunk_segment_ = 0;  // whose bytes chunk_ holds
  uint64_t chunk_offset_ = 0;   // and from where
  uint64_t bytes_ = 0;          // in all segments
  bool broken_ = false;
  int64_t next_retry_ms_ = 0;
};

}  // namespace pvm::gateway
