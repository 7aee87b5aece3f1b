// Bump allocator for the strings a frame makes (cat, itos, hex, ...). Chunks are kept across
// frames and never moved while live, so once warmed up a frame allocates nothing from the heap.
// It also keeps the frame's memory account: what the frame made elsewhere (message fields,
// replies, session writes) is counted here too, against one bc::kMaxFrameMemory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "pvm/bytecode/module.h"

namespace pvm::detail {

class Arena {
 public:
  // n > 0 bytes valid until reset(); null when the frame's account cannot take n more.
  uint8_t* alloc(size_t n);
  // Counts n bytes the frame makes outside the arena; false (nothing counted) beyond the limit.
  bool account(size_t n) {
    if (!can_account(n)) return false;
    total_ += n;
    return true;
  }
  bool can_account(size_t n) const { return n <= bc::kMaxFrameMemory - total_; }
  // Frees everything at once, keeping the chunks for the next frame.
  void reset() {
    current_ = 0;
    used_ = 0;
    total_ = 0;
  }

 private:
  struct Chunk {
    std::unique_ptr<uint8_t[]> data;
    size_t size = 0;
  };
  std::vector<Chunk> chunks_;
  size_t current_ = 0;  // chunk being filled
  size_t used_ = 0;     // bytes used in it
  size_t total_ = 0;    // bytes handed out or accounted since reset()
};

}  // namespace pvm::detail
