// UDP: every datagram is a frame; a peer (address and port) is a session. Source addresses
// cost an attacker nothing to forge, so peers live in a table of their own, apart from TCP's
// max_connections: at most max_udp_peers per worker, the least recently heard forgotten first,
// and peers that never gave an ident (nothing a forged datagram decodes to) go before any that
// did, and after udp_anonymous_timeout instead of the idle timeout. The kernel's SO_REUSEPORT
// hash sends a peer to the same worker every time.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "pvm/gateway/limits.h"
#include "pvm/gateway/message_origin.h"
#include "worker.h"

namespace pvm::gateway {
namespace {

std::array<uint8_t, 18> key_of(const sockaddr_storage& addr) {
  std::array<uint8_t, 18> key{};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    key[10] = key[11] = 0xFF;  // ::ffff:a.b.c.d
    std::memcpy(&key[12], &a->sin_addr, 4);
    std::memcpy(&key[16], &a->sin_port, 2);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    std::memcpy(&key[0], &a->sin6_addr, 16);
    std::memcpy(&key[16], &a->sin6_port, 2);
  }
  return key;
}

}  // namespace

void Worker::read_udp(Listener& listener) {
  for (int i = 0; i < kDatagramsPerEvent; ++i) {
    if (draining_ || !sinks_ready()) {
      set_listener_reading(listener, false);  // datagrams wait in the kernel, then are dropped
      return;
    }
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    const ssize_t n = ::recvfrom(listener.fd, buffer_.data(), buffer_.size(), MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&addr), &len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    Endpoint* ep = udp_peer(listener, addr, len);
    if (ep == nullptr) continue;
    SeriesStats& s = series(*ep);
    s.bytes_in.add(static_cast<uint64_t>(n));
    ep->last_active_ms = now_ms_;
    if (ep->pending.size() >= limits_.max_pending_frames) {
      s.errors[static_cast<size_t>(Reason::UdpBacklog)].add();
      continue;
    }
    received_ms_ = unix_millis();
    received_ns_ = decode_start_ns_ = now_ns();
    current_ = ep;
    ep->session->feed(std::span(buffer_.data(), static_cast<size_t>(n)), on_frame_, received_ms_ / 1000.0);
    heard_udp(*ep);
  }
}

void Worker::heard_udp(Endpoint& ep) {
  if (ep.closed) return;
  UdpList& list = ep.session->ident().empty() ? udp_anonymous_ : udp_known_;
  if (&list == &udp_known_) udp_anonymous_.remove(ep);
  list.move_to_back(ep);
}

void Worker::expire_udp() {
  const int64_t limit = int64_t{limits_.udp_anonymous_timeout} * 1000;
  std::vector<Endpoint*> old;
  for (Endpoint* ep = udp_anonymous_.front(); ep != nullptr && now_ms_ - ep->last_active_ms > limit;
       ep = ep->udp_hook.next)
    if (ep->pending.empty()) old.push_back(ep);
  for (Endpoint* ep : old) close_endpoint(*ep, Reason::IdleTimeout, true);
}

Worker::Endpoint* Worker::udp_peer(Listener& listener, const sockaddr_storage& addr, socklen_t len) {
  const PeerKey key = key_of(addr);
  if (auto it = listener.peers.find(key); it != listener.peers.end()) return it->second;
  SeriesStats& s = stats_.series[listener.series];
  if (udp_anonymous_.size() + udp_known_.size() >= limits_.max_udp_peers) {
    Endpoint* victim = udp_anonymous_.empty() ? udp_known_.front() : udp_anonymous_.front();
    close_endpoint(*victim, Reason::UdpEvicted, true);
  }
  auto owned = std::make_unique<Endpoint>(*this, listener, next_id_++);
  Endpoint& ep = *owned;
  ep.udp = true;
  ep.peer = addr;
  ep.peer_len = len;
  ep.key = key;
  ep.last_active_ms = now_ms_;
  ep.session = new_session(listener, Transport::Udp);
  endpoints_.emplace(ep.id, std::move(owned));
  listener.peers.emplace(key, &ep);
  udp_anonymous_.push_back(ep);
  s.accepted.add();
  s.open.add(1);
  return &ep;
}

}  // namespace pvm::gateway
