#include "pending_frames.h"

namespace pvm::gateway {
namespace {

// Released frames at the front are erased once they are this many and half the vector.
constexpr size_t kCompactAt = 8;

}  // namespace

uint64_t PendingFrames::push(uint32_t outstanding, std::span<const std::vector<uint8_t>> replies,
                             int64_t now_ns, int64_t received_ns) {
  Frame& f = frames_.emplace_back();
  f.seq = next_seq_++;
  f.outstanding = outstanding;
  f.submitted_ns = outstanding ? now_ns : 0;
  f.received_ns = received_ns;
  for (const auto& reply : replies) {
    const auto len = static_cast<uint32_t>(reply.size());
    f.replies.append(reinterpret_cast<const char*>(&len), 4);
    f.replies.append(reinterpret_cast<const char*>(reply.data()), reply.size());
  }
  return f.seq;
}

bool PendingFrames::settle(uint64_t seq, bool failed, int64_t* submitted_ns) {
  if (head_ == frames_.size()) return false;
  const uint64_t first = frames_[head_].seq;
  if (seq < first || seq - first >= size()) return false;
  Frame& f = frames_[head_ + (seq - first)];
  if (f.outstanding == 0) return false;
  --f.outstanding;
  f.failed = f.failed || failed;
  if (submitted_ns != nullptr) *submitted_ns = f.submitted_ns;
  return true;
}

void PendingFrames::compact() {
  if (head_ == frames_.size()) {
    frames_.clear();
    head_ = 0;
    if (frames_.capacity() > kCompactAt) frames_.shrink_to_fit();
  } else if (head_ >= kCompactAt && head_ * 2 >= frames_.size()) {
    frames_.erase(frames_.begin(), frames_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

}  // namespace pvm::gateway
