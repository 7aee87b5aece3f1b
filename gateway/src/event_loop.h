// One epoll instance per worker thread. Level-triggered: a handler that leaves data unread is
// called again on the next wait, which is how back-pressure resumes without extra bookkeeping.
#pragma once

#include <sys/epoll.h>

#include <cstdint>

namespace pvm::gateway {

class Watcher {
 public:
  virtual void on_event(uint32_t events) = 0;

 protected:
  ~Watcher() = default;
};

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  bool ok() const { return fd_ >= 0; }
  bool add(int fd, uint32_t events, Watcher* watcher);
  bool modify(int fd, uint32_t events, Watcher* watcher);
  void remove(int fd);

  // Waits up to `timeout_ms` and dispatches every ready watcher; returns how many.
  int run_once(int timeout_ms);

 private:
  static constexpr int kMaxEvents = 256;
  int fd_;
  epoll_event events_[kMaxEvents];
};

// Milliseconds on the steady clock.
int64_t now_ms();
// Nanoseconds on the steady clock.
int64_t now_ns();

}  // namespace pvm::gateway
