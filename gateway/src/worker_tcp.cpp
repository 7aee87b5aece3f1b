// TCP: accepting, reading with back-pressure, and writing replies the kernel did not take at once.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "log.h"
#include "pvm/gateway/limits.h"
#include "pvm/gateway/message_origin.h"
#include "worker.h"

namespace pvm::gateway {
namespace {

// After accept fails for want of descriptors, the listener rests this long.
constexpr int64_t kAcceptRetryMillis = 1000;

}  // namespace

void Worker::on_listener_event(Listener& listener, uint32_t) {
  if (listener.spec.transport == Transport::Tcp) {
    accept_all(listener);
  } else {
    read_udp(listener);
  }
}

void Worker::accept_all(Listener& listener) {
  SeriesStats& s = stats_.series[listener.series];
  while (listener.fd >= 0) {
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    const int fd =
        ::accept4(listener.fd, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        LogLine(Level::Error, "accept failed")
            .str("listen", listener.spec.text())
            .str("error", std::strerror(errno));
        set_listener_reading(listener, false);
        listener.resume_at_ms = now_ms_ + kAcceptRetryMillis;
      }
      return;
    }
    if (tcp_open_ >= limits_.max_connections) {
      ::close(fd);
      s.errors[static_cast<size_t>(Reason::ConnectionLimit)].add();
      continue;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // ACKs are tiny and awaited
    auto owned = std::make_unique<Endpoint>(*this, listener, next_id_++);
    Endpoint& ep = *owned;
    ep.fd = fd;
    ep.peer = peer;
    ep.peer_len = peer_len;
    ep.last_active_ms = now_ms_;
    ep.session = new_session(listener, Transport::Tcp);
    if (listener.tls) start_tls(ep);
    endpoints_.emplace(ep.id, std::move(owned));
    ++tcp_open_;
    loop_.add(fd, 0, &ep);
    s.accepted.add();
    s.open.add(1);
    refresh(ep);
  }
}

void Worker::on_tcp_event(Endpoint& ep, uint32_t events) {
  if (ep.closed) return;
  if (events & EPOLLOUT) write_tcp(ep);
  if (ep.closed) return;
  if (ep.tls_want_write && (events & EPOLLOUT)) events |= EPOLLIN;  // the TLS layer could write: read on
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    if (can_read(ep)) {
      read_tcp(ep);
    } else if (events & (EPOLLHUP | EPOLLERR)) {
      close_endpoint(ep, Reason::Reset, true);  // reset while we were not reading
      return;
    }
  }
  refresh(ep);
}

void Worker::read_tcp(Endpoint& ep) {
  for (int i = 0; i < kReadsPerEvent && !ep.closed && can_read(ep); ++i) {
    const ssize_t n = stream_recv(ep, buffer_.data(), kReadChunk);
    if (n > 0) {
      series(ep).bytes_in.add(static_cast<uint64_t>(n));
      ep.last_active_ms = now_ms_;
      received_ms_ = unix_millis();
      received_ns_ = decode_start_ns_ = now_ns();
      current_ = &ep;
      ep.session->feed(std::span(buffer_.data(), static_cast<size_t>(n)), on_frame_, received_ms_ / 1000.0);
      track_partial(ep);
      if (static_cast<size_t>(n) < kReadChunk) return;
    } else if (n == 0) {
      decode_start_ns_ = now_ns();
      current_ = &ep;
      ep.session->finish(on_frame_);
      track_partial(ep);
      // The device may have closed only its side and still wait for the ACKs of what it sent.
      ep.eof = true;
      if (ep.pending.empty() && ep.unsent.empty()) close_endpoint(ep, Reason::Reset, false);
      return;
    } else {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) close_endpoint(ep, Reason::Reset, true);
      return;
    }
  }
}

void Worker::write_tcp(Endpoint& ep) {
  size_t done = 0;
  while (done < ep.unsent.size()) {
    const ssize_t n =
        stream_send(ep, reinterpret_cast<const uint8_t*>(ep.unsent.data()) + done, ep.unsent.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      close_endpoint(ep, Reason::Reset, true);
      return;
    }
  }
  ep.unsent.erase(0, done);
  if (ep.unsent.empty()) {
    ep.unsent.shrink_to_fit();
    if (ep.eof && ep.pending.empty()) close_endpoint(ep, Reason::Reset, false);
  }
}

bool Worker::can_read(const Endpoint& ep) const {
  return !draining_ && !ep.eof && ep.unsent.empty() && ep.pending.size() < limits_.max_pending_frames &&
         sinks_ready();
}

void Worker::refresh(Endpoint& ep) {
  if (ep.closed || ep.udp) return;
  const bool reading = can_read(ep);
  const uint32_t want = (reading ? EPOLLIN : 0u) | (ep.unsent.empty() && !ep.tls_want_write ? 0u : EPOLLOUT);
  if (want != ep.interest) {
    loop_.modify(ep.fd, want, &ep);
    ep.interest = want;
  }
  if (reading) note_tls_pending(ep);
  // A connection stopped by its own backlog resumes when its frames are released; one stopped
  // by a sink waits in paused_ until the sinks are ready again.
  if (!reading && !draining_ && !ep.eof && !ep.paused_listed && !sinks_ready()) {
    ep.paused_listed = true;
    paused_.push_back(ep.id);
  }
}

void Worker::resume_paused() {
  if (draining_ || !sinks_ready()) return;
  for (auto& l : listeners_)
    if (l->spec.transport == Transport::Udp && l->paused && l->resume_at_ms == 0)
      set_listener_reading(*l, true);
  if (paused_.empty()) return;
  std::vector<uint64_t> ids;
  ids.swap(paused_);
  for (uint64_t id : ids) {
    auto it = endpoints_.find(id);
    if (it == endpoints_.end()) continue;
    it->second->paused_listed = false;
    refresh(*it->second);
  }
}

void Worker::set_listener_reading(Listener& listener, bool reading) {
  if (listener.fd < 0 || listener.paused == !reading) return;
  listener.paused = !reading;
  loop_.modify(listener.fd, reading ? EPOLLIN : 0u, &listener);
}

}  // namespace pvm::gateway
