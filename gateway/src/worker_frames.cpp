// Decoded frames: messages to every sink, replies held until the sinks accepted them, then sent
// in frame order.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "log.h"
#include "pvm/gateway/limits.h"
#include "socket_util.h"
#include "worker.h"

namespace pvm::gateway {

std::unique_ptr<Session> Worker::new_session(Listener& listener, Transport transport) {
  SessionOptions options;
  options.transport = transport;
  options.max_frame = limits_.max_frame;
  auto session = std::make_unique<Session>(listener.program, options);
  std::string error;
  for (const auto& [name, value] : listener.spec.options)
    session->set_option(name, value, error);  // checked at start
  return session;
}

void Worker::on_frame(Endpoint& ep, const FrameResult& result) {
  SeriesStats& s = series(ep);
  s.frames.add();
  if (ep.closed) return;
  if (result.error != nullptr) {
    s.errors[static_cast<size_t>(reason_of(result.error->trap))].add();
    log_frame_error(ep, *result.error);
    return;
  }
  const size_t n = result.messages.size();
  const auto outstanding = static_cast<uint32_t>(n * sinks_.size());
  const Ticket ticket{ep.id, ep.pending.push(outstanding, result.replies, outstanding ? now_ns() : 0)};
  stats_.pending_frames.add(1);
  s.messages.add(n);
  for (const Message& m : result.messages) {
    json_.clear();
    append_json(json_, m);
    const Field* ident = m.find("ident");
    const SinkRecord record{
        ep.listener.protocol,
        ident != nullptr && ident->type == ValueType::Str ? ident->s : ep.session->ident(), json_};
    for (auto& sink : sinks_) sink->submit(record, ticket);
    if (!ep.awaiting.empty() && m.find("command.response") != nullptr) answer_command(ep, json_);
  }
  if (outstanding == 0) release(ep);
}

void Worker::release(Endpoint& ep) {
  bool failed = false;
  const int64_t now = now_ns();
  ep.pending.release([&](const PendingFrames::Frame& frame) {
    stats_.pending_frames.add(-1);
    if (frame.submitted_ns != 0)
      stats_.sink_latency.observe(static_cast<double>(now - frame.submitted_ns) * 1e-9);
    // Over TCP nothing after a frame that failed may be ACKed: the device would take the
    // later ACK for its unsaved records. The connection is closed and the device resends.
    failed = failed || (frame.failed && !ep.udp);
    if (frame.failed || failed || ep.closed) return;
    PendingFrames::for_each_reply(frame, [&](std::span<const uint8_t> reply) {
      series(ep).replies.add();
      send_bytes(ep, reply);
    });
  });
  if (ep.closed) return;
  if (failed) {
    close_endpoint(ep, Reason::SinkFailed, true);
  } else if (ep.eof && ep.pending.empty() && ep.unsent.empty()) {
    close_endpoint(ep, Reason::Reset, false);
  } else {
    refresh(ep);
  }
}

void Worker::send_bytes(Endpoint& ep, std::span<const uint8_t> bytes) {
  if (ep.closed) return;
  series(ep).bytes_out.add(bytes.size());
  if (ep.udp) {
    // A reply the kernel drops is a datagram lost on the way: the device sends again.
    ::sendto(ep.listener.fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
             reinterpret_cast<const sockaddr*>(&ep.peer), ep.peer_len);
    return;
  }
  size_t sent = 0;
  if (ep.unsent.empty()) {
    const ssize_t n = ::send(ep.fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      close_endpoint(ep, Reason::Reset, true);
      return;
    }
    sent = n > 0 ? static_cast<size_t>(n) : 0;
    if (sent == bytes.size()) return;
  }
  ep.unsent.append(reinterpret_cast<const char*>(bytes.data()) + sent, bytes.size() - sent);
  if (ep.unsent.size() > kMaxUnsentReplyBytes) {
    close_endpoint(ep, Reason::SlowReader, true);
    return;
  }
  refresh(ep);
}

void Worker::close_endpoint(Endpoint& ep, Reason reason, bool count) {
  if (ep.closed) return;
  ep.closed = true;
  SeriesStats& s = series(ep);
  if (count) s.errors[static_cast<size_t>(reason)].add();
  s.open.add(-1);
  stats_.pending_frames.add(-static_cast<int64_t>(ep.pending.size()));
  for (uint64_t id : ep.awaiting)
    report(ControlEvent::Kind::Failed, id, "the device went away before answering");
  if (ep.udp) {
    ep.listener.peers.erase(ep.key);
  } else {
    loop_.remove(ep.fd);
    ::close(ep.fd);
    ep.fd = -1;
  }
  if (count)
    LogLine(Level::Debug, "connection closed")
        .str("protocol", ep.listener.protocol)
        .str("ident", ep.session->ident())
        .str("reason", reason_name(reason));
  auto it = endpoints_.find(ep.id);
  closed_.push_back(std::move(it->second));
  endpoints_.erase(it);
}

void Worker::log_frame_error(const Endpoint& ep, const Error& error) {
  if (now_ms_ - log_window_ms_ >= 1000) {
    log_window_ms_ = now_ms_;
    logs_in_window_ = 0;
  }
  if (++logs_in_window_ > kMaxErrorLogsPerSecond) return;
  LogLine(Level::Warn, "frame rejected")
      .str("protocol", ep.listener.protocol)
      .str("ident", ep.session->ident())
      .str("peer", ep.udp ? address_text(ep.peer) : peer_text(ep.fd))
      .str("error", error.format(ep.listener.program->source_name()))
      .num("worker", index_);
}

}  // namespace pvm::gateway
