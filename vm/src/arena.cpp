#include "arena.h"

#include <algorithm>

namespace pvm::detail {
namespace {

constexpr size_t kFirstChunk = 4096;
constexpr size_t kLargestChunk = size_t{1} << 20;

}  // namespace

uint8_t* Arena::alloc(size_t n) {
  if (n > bc::kMaxFrameMemory - total_) return nullptr;
  if (chunks_.empty() || chunks_[current_].size - used_ < n) {
    // Move on to the next kept chunk when it is big enough; otherwise insert a new one there.
    // Skipped space in the old chunk is not reused: it is at most one string per chunk.
    size_t next = chunks_.empty() ? 0 : current_ + 1;
    if (next == chunks_.size() || chunks_[next].size < n) {
      const size_t grown = chunks_.empty() ? kFirstChunk : std::min(chunks_.back().size * 2, kLargestChunk);
      Chunk c;
      c.size = std::max(n, grown);
      c.data = std::make_unique_for_overwrite<uint8_t[]>(c.size);
      chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(next), std::move(c));
    }
    current_ = next;
    used_ = 0;
  }
  uint8_t* p = chunks_[current_].data.get() + used_;
  used_ += n;
  total_ += n;
  return p;
}

}  // namespace pvm::detail
