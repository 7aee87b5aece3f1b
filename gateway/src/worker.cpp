// The worker's loop, its control messages, and delivery reports from the sinks.
#include "worker.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>

#include "log.h"
#include "mqtt_sink.h"
#include "pvm/gateway/limits.h"
#include "spooled_sink.h"

namespace pvm::gateway {
namespace {

constexpr int64_t kIdleScanMillis = 1000;

}  // namespace

size_t Worker::PeerKeyHash::operator()(const PeerKey& k) const {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (uint8_t b : k) h = (h ^ b) * 1099511628211ull;
  return static_cast<size_t>(h);
}

Worker::Worker(unsigned index, WorkerShared& shared, const std::vector<ListenerSetup>& listeners)
    : index_(index),
      shared_(shared),
      limits_(shared.config->limits),
      stats_(shared.metrics->worker(index)),
      buffer_(std::max(kReadChunk, kMaxDatagram)) {
  // Each worker holds an equal share of the unfinished-frame budget; a share always fits a frame.
  buffered_budget_ = std::max<uint64_t>(limits_.max_buffered_bytes / std::max(shared.metrics->workers(), 1u),
                                        bc::kMaxFrameBytes);
  on_frame_ = [this](const FrameResult& result) { on_frame(*current_, result); };
  now_ms_ = now_ms();
  for (size_t i = 0; i < listeners.size(); ++i) {
    auto l = std::make_unique<Listener>(*this);
    l->spec = listeners[i].spec;
    l->series = listeners[i].series;
    l->program = listeners[i].program;
    l->tls = listeners[i].tls;
    l->protocol = std::string(l->program->protocol());
    l->fd = listeners[i].fds[index];
    loop_.add(l->fd, EPOLLIN, l.get());
    has_tls_ = has_tls_ || l->tls != nullptr;
    listeners_.push_back(std::move(l));
  }
  loop_.add(mailbox_.fd(), EPOLLIN, &mailbox_watcher_);
  const GatewayConfig& config = *shared.config;
  for (size_t i = 0; i < config.sinks.size(); ++i) {
    const SinkSpec& spec = config.sinks[i];
    if (spec.kind == SinkKind::Mqtt) {
      auto on_command = [this](const CommandTopic& topic, std::string_view payload) {
        on_mqtt_command(topic, payload);
      };
      std::string client_id = shared.client_id + "-w" + std::to_string(index);
      if (config.spool_dir.empty()) {
        sinks_.push_back(std::make_unique<MqttSink>(loop_, spec, config.mqtt, std::move(client_id), *this,
                                                    limits_.max_sink_queue, on_command));
      } else {
        SpoolSetup spool{config.spool_dir, config.spool_max_bytes / shared.spool_replay.size(),
                         shared.spool_replay[index], shared.spool_next_id};
        sinks_.push_back(std::make_unique<SpooledSink>(loop_, spec, config.mqtt, std::move(client_id), *this,
                                                       limits_.max_sink_queue, on_command, std::move(spool)));
      }
    } else {
      sinks_.push_back(std::make_unique<FileSink>(*shared.files[i], spec.kind == SinkKind::Stdout, *this,
                                                  limits_.max_sink_queue));
    }
  }
}

Worker::~Worker() {
  for (auto& [id, ep] : endpoints_)
    if (ep->fd >= 0) ::close(ep->fd);
  for (auto& l : listeners_)
    if (l->fd >= 0) ::close(l->fd);
}

void Worker::run() {
  for (auto& sink : sinks_) sink->tick(now_ms_);
  next_tick_ms_ = now_ms_ + kTickMillis;
  while (!stopped_) {
    if (loop_.run_once(kTickMillis) < 0) {
      LogLine(Level::Error, "event loop failed").num("worker", index_);
      break;
    }
    now_ms_ = now_ms();
    iteration_end();
  }
  finish();
}

void Worker::iteration_end() {
  for (auto& sink : sinks_) sink->flush();
  if (now_ms_ >= next_tick_ms_) {
    tick();
    next_tick_ms_ = now_ms_ + kTickMillis;
  }
  resume_paused();
  read_tls_ready();
  size_t queued = 0;
  for (auto& sink : sinks_) queued += sink->queued();
  stats_.sink_queue.set(static_cast<int64_t>(queued));
  uint64_t backlog = 0;
  for (auto& sink : sinks_) backlog += sink->backlog_bytes();
  stats_.spool_bytes.set(static_cast<int64_t>(backlog));
  stats_.sinks_up.set(sinks_ready() ? 1 : 0);
  stats_.heartbeat_ms.set(now_ms_);
  closed_.clear();
  if (draining_ && (drained() || now_ms_ >= drain_deadline_ms_)) {
    if (!drained())
      LogLine(Level::Warn, "drain timed out")
          .num("worker", index_)
          .num("pending_frames", stats_.pending_frames.get())
          .num("sink_queue", static_cast<int64_t>(queued));
    stopped_ = true;
  }
}

void Worker::tick() {
  for (auto& sink : sinks_) sink->tick(now_ms_);
  for (auto& l : listeners_)
    if (l->resume_at_ms != 0 && now_ms_ >= l->resume_at_ms && !draining_) {
      l->resume_at_ms = 0;
      set_listener_reading(*l, true);
    }
  if (now_ms_ < next_idle_scan_ms_) return;
  next_idle_scan_ms_ = now_ms_ + kIdleScanMillis;
  expire_partial();
  expire_udp();
  const int64_t limit = int64_t{limits_.idle_timeout} * 1000;
  std::vector<Endpoint*> idle;
  for (auto& [id, ep] : endpoints_)
    if (now_ms_ - ep->last_active_ms > limit && ep->pending.empty()) idle.push_back(ep.get());
  for (Endpoint* ep : idle) close_endpoint(*ep, Reason::IdleTimeout, true);
  if (shared_.config->tls.handshake_timeout && has_tls_) expire_handshakes();
  // A burst of connections freed its buffers: hand the free heap back to the system, or the
  // process would keep the peak's size for good.
  if (freed_since_trim_ >= kTrimAfterFreedBytes) {
    malloc_trim(0);
    freed_since_trim_ = 0;
  }
}

void Worker::on_mailbox() {
  for (WorkerMessage& m : mailbox_.take()) {
    switch (m.kind) {
      case WorkerMessage::Kind::Stop:
        begin_drain();
        break;
      case WorkerMessage::Kind::Reload:
        reload(m.programs, m.tls);
        break;
      case WorkerMessage::Kind::Command:
        handle_command(m.command);
        break;
    }
  }
}

void Worker::begin_drain() {
  if (draining_) return;
  draining_ = true;
  drain_deadline_ms_ = now_ms_ + int64_t{limits_.drain_timeout} * 1000;
  // TCP listeners close now, so the kernel stops queueing connections for this worker; UDP
  // sockets stay open (unread) because replies to pending frames leave through them.
  for (auto& l : listeners_) {
    if (l->spec.transport == Transport::Tcp) {
      loop_.remove(l->fd);
      ::close(l->fd);
      l->fd = -1;
    } else {
      set_listener_reading(*l, false);
    }
  }
  for (auto& [id, ep] : endpoints_) refresh(*ep);
  for (auto& sink : sinks_) sink->close();
}

bool Worker::drained() const {
  for (const auto& [id, ep] : endpoints_)
    if (!ep->pending.empty() || !ep->unsent.empty()) return false;
  for (const auto& sink : sinks_)
    if (sink->queued() != 0) return false;
  return true;
}

void Worker::finish() {
  for (auto& sink : sinks_) sink->flush();
  std::vector<Endpoint*> open;
  for (auto& [id, ep] : endpoints_) open.push_back(ep.get());
  for (Endpoint* ep : open) close_endpoint(*ep, Reason::Reset, false);
  closed_.clear();
  for (auto& sink : sinks_) sink->shutdown();
  ControlEvent done;
  done.kind = ControlEvent::Kind::Stopped;
  done.worker = index_;
  shared_.control->post(std::move(done));
}

void Worker::reload(const std::vector<std::shared_ptr<const Program>>& programs, const TlsContext& tls) {
  // Connections keep the session (and program) they started with: their state, such as the
  // ident from the login, belongs to it. New connections and peers get the new program, and
  // new TLS connections the certificate read again.
  for (size_t i = 0; i < listeners_.size() && i < programs.size(); ++i) {
    listeners_[i]->program = programs[i];
    listeners_[i]->protocol = std::string(programs[i]->protocol());
  }
  if (tls)
    for (auto& l : listeners_)
      if (l->tls) l->tls = tls;
}

bool Worker::sinks_ready() const {
  for (const auto& sink : sinks_)
    if (!sink->ready()) return false;
  return true;
}

void Worker::accepted(std::span<const Ticket> tickets) {
  const int64_t now = now_ns();  // one clock read for a batch the sink stored at once
  for (const Ticket& t : tickets) settle(t, false, now);
}
void Worker::failed(Ticket ticket) {
  settle(ticket, true, now_ns());
}

void Worker::settle(Ticket ticket, bool failed, int64_t now) {
  auto it = endpoints_.find(ticket.endpoint);
  if (it == endpoints_.end()) return;  // the device went away: nobody to ACK
  Endpoint& ep = *it->second;
  int64_t submitted_ns = 0;
  if (!ep.pending.settle(ticket.frame, failed, &submitted_ns)) return;
  if (!failed && ticket.sink < stats_.sink_latency.size())
    stats_.sink_latency[ticket.sink]->observe(static_cast<double>(now - submitted_ns) * 1e-9);
  release(ep, now);
}

}  // namespace pvm::gateway
