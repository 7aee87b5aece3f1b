// Bump allocator for the strings a frame makes (cat, itos, hex, ...). Chunks are kept across
// frames and never moved while live, so once warmed up a frame allocates nothing from the heap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace pvm::detail {

class Arena {
 public:
  // n > 0 bytes valid until reset(); null once the frame has used kMaxArenaBytes.
  uint8_t* alloc(size_t n);
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
  size_t total_ = 0;    // bytes handed out since reset()
};

}  // namespace pvm::detail
