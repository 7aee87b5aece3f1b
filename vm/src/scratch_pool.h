// Scratch space is per thread, not per session: a gateway holds thousands of idle sessions,
// and only the one being fed needs registers, an arena and message buffers.
#pragma once

#include <memory>

#include "runtime.h"

namespace pvm::detail {

// Borrows a Scratch from the calling thread's pool for one call (a callback that feeds another
// session on the same thread borrows a second one).
class ScratchLease {
 public:
  ScratchLease();
  ~ScratchLease();
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;

  Scratch& operator*() const { return *scratch_; }

 private:
  std::unique_ptr<Scratch> scratch_;
};

}  // namespace pvm::detail
