// TLS connections: the same reads and writes as plain TCP, through the connection's TlsStream.
// What the stream wants next (readable or writable socket) maps onto the worker's epoll interest;
// decrypted bytes the stream holds, which epoll cannot announce, are read at the end of the loop
// iteration; a handshake not finished in time closes the connection.
#include <sys/socket.h>

#include <cerrno>

#include "log.h"
#include "socket_util.h"
#include "worker.h"

namespace pvm::gateway {

void Worker::start_tls(Endpoint& ep) {
  ep.tls = std::make_unique<TlsStream>(ep.listener.tls, ep.fd);
  ep.handshake_deadline_ms = now_ms_ + int64_t{shared_.config->tls.handshake_timeout} * 1000;
}

ssize_t Worker::stream_recv(Endpoint& ep, uint8_t* data, size_t size) {
  if (!ep.tls) return ::recv(ep.fd, data, size, 0);
  ep.tls_want_write = false;
  size_t n = 0;
  switch (ep.tls->read(data, size, n)) {
    case TlsStream::Io::Ok:
      return static_cast<ssize_t>(n);
    case TlsStream::Io::Closed:
      return 0;
    case TlsStream::Io::WantWrite:
      ep.tls_want_write = true;  // refresh() asks epoll for writability
      [[fallthrough]];
    case TlsStream::Io::WantRead:
      errno = EAGAIN;
      return -1;
    case TlsStream::Io::Failed:
      break;
  }
  LogLine(Level::Debug, "tls failed")
      .str("protocol", ep.listener.protocol)
      .str("peer", address_text(ep.peer))
      .str("error", ep.tls->error());
  // Closed and counted here; the caller sees an ordinary "try again later" and stops.
  close_endpoint(ep, Reason::TlsFailed, true);
  errno = EAGAIN;
  return -1;
}

ssize_t Worker::stream_send(Endpoint& ep, const uint8_t* data, size_t size) {
  if (!ep.tls) return ::send(ep.fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
  size_t n = 0;
  switch (ep.tls->write(data, size, n)) {
    case TlsStream::Io::Ok:
      return static_cast<ssize_t>(n);
    case TlsStream::Io::WantRead:
    case TlsStream::Io::WantWrite:
      errno = EAGAIN;
      return -1;
    case TlsStream::Io::Closed:
    case TlsStream::Io::Failed:
      break;
  }
  errno = ECONNRESET;
  return -1;
}

void Worker::note_tls_pending(Endpoint& ep) {
  if (ep.closed || !ep.tls || ep.tls_ready_listed || !ep.tls->pending() || !can_read(ep)) return;
  ep.tls_ready_listed = true;
  tls_ready_.push_back(ep.id);
}

void Worker::read_tls_ready() {
  if (tls_ready_.empty()) return;
  std::vector<uint64_t> ids;
  ids.swap(tls_ready_);
  for (uint64_t id : ids) {
    auto it = endpoints_.find(id);
    if (it == endpoints_.end()) continue;
    Endpoint& ep = *it->second;
    ep.tls_ready_listed = false;
    if (!can_read(ep)) continue;  // refresh() lists it again when reading resumes
    read_tcp(ep);
    refresh(ep);
  }
}

void Worker::expire_handshakes() {
  std::vector<Endpoint*> late;
  for (auto& [id, ep] : endpoints_)
    if (ep->tls && now_ms_ >= ep->handshake_deadline_ms && !ep->tls->handshake_done())
      late.push_back(ep.get());
  for (Endpoint* ep : late) {
    LogLine(Level::Debug, "tls handshake timed out")
        .str("protocol", ep->listener.protocol)
        .str("peer", address_text(ep->peer));
    close_endpoint(*ep, Reason::TlsFailed, true);
  }
}

}  // namespace pvm::gateway
