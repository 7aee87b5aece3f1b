// Where decoded messages go. A sink takes messages now and says later, through the listener,
// when each is safely stored: only then may the device be ACKed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace pvm::gateway {

// The frame a message belongs to: the endpoint (connection or UDP peer) and the frame's
// sequence number there; and which of the worker's sinks it was handed to.
struct Ticket {
  uint64_t endpoint = 0;
  uint64_t frame = 0;
  uint32_t sink = 0;
};

struct SinkRecord {
  std::string_view protocol;
  std::string_view ident;
  std::string_view json;  // one message, no newline
};

class DeliveryListener {
 public:
  // Stored, all at once: a frame may be ACKed once all its messages are.
  virtual void accepted(std::span<const Ticket> tickets) = 0;
  virtual void failed(Ticket ticket) = 0;  // will never be stored: the frame must not be ACKed

 protected:
  ~DeliveryListener() = default;
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual std::string_view kind() const = 0;
  // False while the sink cannot take more (broker away, queue full): the worker stops reading.
  virtual bool ready() const = 0;
  // Messages taken and not yet accepted or failed.
  virtual size_t queued() const = 0;
  // Takes one message. The listener may be called before this returns.
  virtual void submit(const SinkRecord& record, Ticket ticket) = 0;
  // End of an event-loop iteration: write what was batched.
  virtual void flush() = 0;
  // Called every tick: reconnects, keep-alives, retries.
  virtual void tick(int64_t now_ms) = 0;
  // SIGTERM: nothing new will be submitted; finish what is queued.
  virtual void close() {}
  // The loop has ended: say goodbye to the other side.
  virtual void shutdown() {}
  // Bytes stored on disk and not yet passed on (the spool).
  virtual uint64_t backlog_bytes() const { return 0; }
};

}  // namespace pvm::gateway
