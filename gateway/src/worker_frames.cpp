// Decoded frames: messages to every sink, replies held until the sinks accepted them, then sent
// in frame order.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "log.h"
#include "pvm/gateway/limits.h"
#include "pvm/gateway/message_origin.h"
#include "socket_util.h"
#include "worker.h"

namespace pvm::gateway {

std::unique_ptr<Session> Worker::new_session(Listener& listener, Transport transport) {
  SessionOptions options;
  options.transport = transport;
  options.max_frame = limits_.max_frame;
  options.fuel = limits_.fuel;
  auto session = std::make_unique<Session>(listener.program, options);
  std::string error;
  for (const auto& [name, value] : listener.spec.options)
    session->set_option(name, value, error);  // checked at start
  return session;
}

void Worker::on_frame(Endpoint& ep, const FrameResult& result) {
  SeriesStats& s = series(ep);
  s.frames.add();
  const int64_t decoded_ns = now_ns();
  s.decode.observe(static_cast<double>(decoded_ns - decode_start_ns_) * 1e-9);
  // The next frame of the same read is timed from when this callback returns.
  struct Restart {
    int64_t& start;
    ~Restart() { start = now_ns(); }
  } restart{decode_start_ns_};
  if (ep.closed) return;
  if (result.error != nullptr) {
    s.errors[static_cast<size_t>(reason_of(result.error->trap))].add();
    log_frame_error(ep, *result.error);
    return;
  }
  const size_t n = result.messages.size();
  const auto outstanding = static_cast<uint32_t>(n * sinks_.size());
  Ticket ticket{ep.id, ep.pending.push(outstanding, result.replies, decoded_ns, received_ns_)};
  stats_.pending_frames.add(1);
  s.messages.add(n);
  const bool origin = shared_.config->server_fields;
  if (origin && n)
    origin_.set(MessageOrigin{received_ms_, AddressText(ep.peer).view()}, &ep.session->program());
  for (const Message& m : result.messages) {
    json_.clear();
    append_json(json_, m, origin ? origin_.for_message(m) : std::string_view());
    const Field* ident = m.find("ident");
    const SinkRecord record{
        ep.listener.protocol,
        ident != nullptr && ident->type == ValueType::Str ? ident->s : ep.session->ident(), json_.view()};
    for (size_t i = 0; i < sinks_.size(); ++i) {
      ticket.sink = static_cast<uint32_t>(i);
      sinks_[i]->submit(record, ticket);
    }
    if (!ep.awaiting.empty() && m.find("command.response") != nullptr) answer_command(ep, json_.view());
  }
  if (outstanding == 0) release(ep, decoded_ns);
}

void Worker::release(Endpoint& ep, int64_t now) {
  bool failed = false;
  ep.pending.release([&](const PendingFrames::Frame& frame) {
    stats_.pending_frames.add(-1);
    // Over TCP nothing after a frame that failed may be ACKed: the device would take the
    // later ACK for its unsaved records. The connection is closed and the device resends.
    failed = failed || (frame.failed && !ep.udp);
    if (frame.failed || failed || ep.closed) return;
    if (!frame.replies.empty()) series(ep).ack.observe(static_cast<double>(now - frame.received_ns) * 1e-9);
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
    const ssize_t n = stream_send(ep, bytes.data(), bytes.size());
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
    udp_anonymous_.remove(ep);
    udp_known_.remove(ep);
  } else {
    if (ep.tls) ep.tls->shutdown();
    loop_.remove(ep.fd);
    ::close(ep.fd);
    ep.fd = -1;
    --tcp_open_;
    partial_.remove(ep);
    buffered_total_ -= ep.buffered;
    freed_since_trim_ += ep.buffered + kConnectionBytes;
    stats_.buffered_bytes.set(static_cast<int64_t>(buffered_total_));
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

// A connection's unfinished frame: how many bytes it holds, since when, and whether the worker
// holds more than its share of max_buffered_bytes (then the oldest unfinished frames go).
void Worker::track_partial(Endpoint& ep) {
  if (ep.closed) return;
  const size_t buffered = ep.session->buffered();
  const uint64_t offset = ep.session->stream_offset();
  if (buffered < ep.buffered) freed_since_trim_ += ep.buffered - buffered;
  buffered_total_ = buffered_total_ - ep.buffered + buffered;
  if (buffered == 0) {
    partial_.remove(ep);
  } else if (offset != ep.seen_offset || !PartialList::contains(ep)) {
    // A frame was finished (or none was held): the deadline runs from now.
    ep.partial_since_ms = now_ms_;
    partial_.move_to_back(ep);
  }
  ep.seen_offset = offset;
  ep.buffered = buffered;
  while (buffered_total_ > buffered_budget_ && !partial_.empty())
    close_endpoint(*partial_.front(), Reason::BufferLimit, true);
  stats_.buffered_bytes.set(static_cast<int64_t>(buffered_total_));
}

void Worker::expire_partial() {
  const int64_t limit = int64_t{limits_.frame_timeout} * 1000;
  std::vector<Endpoint*> late;
  std::vector<Endpoint*> held;
  for (Endpoint* ep = partial_.front(); ep != nullptr && now_ms_ - ep->partial_since_ms > limit;
       ep = ep->partial_hook.next)
    (can_read(*ep) ? late : held).push_back(ep);
  for (Endpoint* ep : late) close_endpoint(*ep, Reason::FrameTimeout, true);
  // One the gateway itself stopped reading (back-pressure) gets its time again.
  for (Endpoint* ep : held) {
    ep->partial_since_ms = now_ms_;
    partial_.move_to_back(*ep);
  }
}

void Worker::log_frame_error(Endpoint& ep, const Error& error) {
  if (now_ms_ - log_window_ms_ >= 1000) {
    log_window_ms_ = now_ms_;
    logs_in_window_ = 0;
  }
  if (now_ms_ - ep.log_window_ms >= 1000) {
    ep.log_window_ms = now_ms_;
    ep.logs_in_window = 0;
  }
  if (logs_in_window_ >= kMaxErrorLogsPerSecond || ep.logs_in_window >= kMaxErrorLogsPerConnection) return;
  ++logs_in_window_;
  ++ep.logs_in_window;
  LogLine(Level::Warn, "frame rejected")
      .str("protocol", ep.listener.protocol)
      .str("ident", ep.session->ident())
      .str("peer", address_text(ep.peer))
      .str("error", error.format(ep.listener.program->source_name()))
      .num("worker", index_);
}

}  // namespace pvm::gateway
