// The replies of decoded frames, held until the sinks have accepted every message of the frame,
// and released strictly in frame order: a device that gets the ACK of frame N may discard the
// records of every frame up to N.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace pvm::gateway {

class PendingFrames {
 public:
  struct Frame {
    uint64_t seq = 0;
    uint32_t outstanding = 0;  // deliveries not yet accepted
    bool failed = false;       // a sink refused a message: the replies must not be sent
    int64_t submitted_ns = 0;  // 0 for frames without messages
    int64_t received_ns = 0;   // when the read that completed the frame returned
    std::string replies;       // each reply: u32 length (host order), then its bytes
  };

  // Adds a frame waiting for `outstanding` deliveries; returns its sequence number.
  uint64_t push(uint32_t outstanding, std::span<const std::vector<uint8_t>> replies, int64_t now_ns,
                int64_t received_ns = 0);
  // One delivery of frame `seq` was accepted (or, with `failed`, refused); `submitted_ns` is
  // set to when the frame went to the sinks. False when the frame is not held (already
  // released, or an endpoint that was reset).
  bool settle(uint64_t seq, bool failed, int64_t* submitted_ns = nullptr);

  // Releases every settled frame at the front, in order, calling on_frame(const Frame&).
  template <typename F>
  size_t release(F&& on_frame) {
    size_t n = 0;
    while (head_ < frames_.size() && frames_[head_].outstanding == 0) {
      on_frame(frames_[head_]);
      ++head_;
      ++n;
    }
    compact();
    return n;
  }

  size_t size() const { return frames_.size() - head_; }
  bool empty() const { return size() == 0; }

  // Calls on_reply(std::span<const uint8_t>) for each reply of `frame`.
  template <typename F>
  static void for_each_reply(const Frame& frame, F&& on_reply) {
    size_t pos = 0;
    while (pos + 4 <= frame.replies.size()) {
      uint32_t len = 0;
      frame.replies.copy(reinterpret_cast<char*>(&len), 4, pos);
      pos += 4;
      on_reply(std::span(reinterpret_cast<const uint8_t*>(frame.replies.data() + pos), len));
      pos += len;
    }
  }

 private:
  void compact();

  std::vector<Frame> frames_;  // a vector, not a deque: an idle connection holds no allocation
  size_t head_ = 0;
  uint64_t next_seq_ = 1;
};

}  // namespace pvm::gateway
