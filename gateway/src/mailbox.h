// A queue between threads with an eventfd to wake the receiver's event loop. Only control
// traffic uses it (commands, reloads, shutdown, command results), never the message path.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

namespace pvm::gateway {

template <typename T>
class Mailbox {
 public:
  Mailbox() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~Mailbox() {
    if (fd_ >= 0) ::close(fd_);
  }
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  int fd() const { return fd_; }

  void post(T item) {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(item));
    }
    const uint64_t one = 1;
    const ssize_t n = ::write(fd_, &one, sizeof one);
    (void)n;  // the counter only saturates, and then the reader is already woken
  }

  std::vector<T> take() {
    uint64_t count = 0;
    const ssize_t n = ::read(fd_, &count, sizeof count);
    (void)n;
    std::vector<T> out;
    std::lock_guard lock(mutex_);
    out.swap(items_);
    return out;
  }

 private:
  int fd_;
  std::mutex mutex_;
  std::vector<T> items_;
};

}  // namespace pvm::gateway
