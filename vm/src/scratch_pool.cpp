#include "scratch_pool.h"

#include <vector>

namespace pvm::detail {
namespace {

std::vector<std::unique_ptr<Scratch>>& pool() {
  thread_local std::vector<std::unique_ptr<Scratch>> free;
  return free;
}

}  // namespace

ScratchLease::ScratchLease() {
  auto& free = pool();
  if (free.empty()) {
    scratch_ = std::make_unique<Scratch>();
  } else {
    scratch_ = std::move(free.back());
    free.pop_back();
  }
}

ScratchLease::~ScratchLease() {
  pool().push_back(std::move(scratch_));
}

}  // namespace pvm::detail
