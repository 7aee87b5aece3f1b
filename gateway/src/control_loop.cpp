#include "control_loop.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "event_loop.h"
#include "http.h"
#include "log.h"
#include "pvm/vm.h"
#include "pvm/gateway/limits.h"
#include "worker.h"

namespace pvm::gateway {
namespace {

// A worker whose loop has not come round for this long is stuck (its loop wakes every tick).
constexpr int64_t kWorkerStallMillis = 10000;
constexpr int kPollMillis = 200;
constexpr size_t kHttpAcceptsPerPoll = 16;

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kText = "text/plain; charset=utf-8";

std::string json_object(std::initializer_list<std::pair<std::string_view, std::string_view>> strings,
                        std::string_view raw_key = {}, std::string_view raw_value = {}) {
  std::string out = "{";
  for (const auto& [key, value] : strings) {
    if (out.size() > 1) out += ',';
    append_json_string(out, key);
    out += ':';
    append_json_string(out, value);
  }
  if (!raw_key.empty()) {
    if (out.size() > 1) out += ',';
    append_json_string(out, raw_key);
    out += ':';
    out += raw_value;
  }
  return out + "}\n";
}

}  // namespace

ControlLoop::ControlLoop(const GatewayConfig& config, Metrics& metrics, std::vector<Worker*> workers,
                         Mailbox<ControlEvent>& events, int http_fd, Reload reload, Tick tick)
    : config_(config),
      metrics_(metrics),
      workers_(std::move(workers)),
      events_(events),
      http_fd_(http_fd),
      reload_(std::move(reload)),
      tick_(std::move(tick)) {}

ControlLoop::~ControlLoop() {
  for (auto& [fd, c] : clients_) ::close(fd);
  if (signal_fd_ >= 0) ::close(signal_fd_);
}

bool ControlLoop::run() {
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&mask, s);
  signal_fd_ = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) return false;
  std::vector<pollfd> fds;
  while (stopped_ < workers_.size()) {
    fds.clear();
    fds.push_back({signal_fd_, POLLIN, 0});
    fds.push_back({events_.fd(), POLLIN, 0});
    // Always accepting: a full table makes room (evict_one), so that a probe is never left
    // waiting behind clients that hold every slot.
    fds.push_back({http_fd_, POLLIN, 0});
    for (auto& [fd, c] : clients_) {
      const bool writing = c.sent < c.out.size();
      fds.push_back({fd, static_cast<short>(writing ? POLLOUT : c.command ? 0 : POLLIN), 0});
    }
    if (::poll(fds.data(), fds.size(), kPollMillis) < 0 && errno != EINTR) return false;
    if (fds[0].revents) on_signal();
    if (fds[1].revents) on_events();
    for (size_t i = 3; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      auto it = clients_.find(fds[i].fd);
      if (it == clients_.end()) continue;
      if (fds[i].revents & POLLOUT) {
        write_client(it->second);
      } else {
        read_client(it->second);
      }
    }
    // After the clients' events: an accept may evict a client and reuse its descriptor number.
    if (fds[2].revents) accept_clients();
    expire(now_ms());
    tick_();
  }
  return true;
}

void ControlLoop::on_signal() {
  signalfd_siginfo info{};
  while (::read(signal_fd_, &info, sizeof info) == sizeof info) {
    if (info.ssi_signo == SIGHUP) {
      std::string error;
      if (reload_(error)) {
        LogLine(Level::Info, "protocols reloaded");
      } else {
        LogLine(Level::Error, "reload failed, keeping the running protocols").str("error", error);
      }
      continue;
    }
    if (draining_) continue;
    draining_ = true;
    LogLine(Level::Info, "shutting down").str("signal", info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
    for (Worker* w : workers_) w->post(WorkerMessage{WorkerMessage::Kind::Stop, {}, {}});
  }
}

void ControlLoop::on_events() {
  for (ControlEvent& e : events_.take()) {
    if (e.kind == ControlEvent::Kind::Stopped) {
      ++stopped_;
      continue;
    }
    auto it = commands_.find(e.command);
    if (it == commands_.end()) continue;  // its client gave up or timed out
    PendingCommand& p = it->second;
    switch (e.kind) {
      case ControlEvent::Kind::NotFound:
        if (++p.not_found == workers_.size())
          finish_command(
              e.command, 404,
              json_object({{"ident", p.ident}, {"error", "no device with this ident is connected"}}));
        break;
      case ControlEvent::Kind::Failed:
        finish_command(e.command, p.sent ? 502 : 400,
                       json_object({{"ident", p.ident}, {"command", p.name}, {"error", e.text}}));
        break;
      case ControlEvent::Kind::Sent:
        p.sent = true;
        p.bytes = e.text;
        if (!p.wait)
          finish_command(e.command, 202,
                         json_object({{"ident", p.ident}, {"command", p.name}, {"sent", p.bytes}}));
        break;
      case ControlEvent::Kind::Answered:
        finish_command(
            e.command, 200,
            json_object({{"ident", p.ident}, {"command", p.name}, {"sent", p.bytes}}, "response", e.text));
        break;
      case ControlEvent::Kind::Stopped:
        break;
    }
  }
}

void ControlLoop::accept_clients() {
  // A few at a time, so that the clients accepted last round are read before any of them is
  // evicted to make room.
  for (size_t k = 0; k < kHttpAcceptsPerPoll; ++k) {
    if (clients_.size() >= kMaxHttpClients && !evict_one()) return;
    const int fd = ::accept4(http_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    Client& c = clients_[fd];
    c.fd = fd;
    c.order = next_client_++;
    c.deadline_ms = now_ms() + kHttpClientTimeoutMillis;
  }
}

// Closes the oldest client that is not waiting for a command: one still sending its request,
// or slow to read its response. False when every slot waits for a command, which
// kMaxHttpCommandClients < kMaxHttpClients rules out.
bool ControlLoop::evict_one() {
  const Client* oldest = nullptr;
  for (const auto& [fd, c] : clients_)
    if (c.command == 0 && (oldest == nullptr || c.order < oldest->order)) oldest = &c;
  if (oldest == nullptr) return false;
  close_client(oldest->fd);
  return true;
}

void ControlLoop::close_client(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  if (it->second.command) commands_.erase(it->second.command);
  ::close(fd);
  clients_.erase(it);
}

void ControlLoop::read_client(Client& c) {
  char buf[4096];
  const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    close_client(c.fd);
    return;
  }
  if (c.lingering || !c.out.empty()) return;  // the response is out or going: the rest is dropped
  c.in.append(buf, static_cast<size_t>(n));
  HttpRequest request;
  switch (parse_http_request(c.in, request)) {
    case HttpParse::Incomplete:
      return;
    case HttpParse::Bad:
      respond(c, 400, kText, "bad request\n");
      c.linger = true;
      return;
    case HttpParse::TooLarge:
      respond(
          c, 413, kText,
          "request too large: the limit is " + std::to_string(kMaxHttpRequest) + " bytes, head and body\n");
      c.linger = true;
      return;
    case HttpParse::Complete:
      handle(c, request);
      return;
  }
}

void ControlLoop::write_client(Client& c) {
  const ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n > 0) c.sent += static_cast<size_t>(n);
  if (n < 0 && errno != EAGAIN && errno != EINTR) return close_client(c.fd);
  if (c.sent < c.out.size()) return;
  if (!c.linger) return close_client(c.fd);
  // Closing with unread request bytes would reset the connection, and the client could lose
  // the response: say we are done, then read until the client closes or kHttpLingerMillis.
  ::shutdown(c.fd, SHUT_WR);
  c.lingering = true;
  c.linger = false;
  c.out.clear();
  c.sent = 0;
  c.deadline_ms = now_ms() + kHttpLingerMillis;
}

void ControlLoop::respond(Client& c, int status, std::string_view content_type, std::string_view body) {
  c.out = http_response(status, content_type, body);
  c.sent = 0;
  c.command = 0;
  c.deadline_ms = now_ms() + kHttpClientTimeoutMillis;
}

void ControlLoop::handle(Client& c, const HttpRequest& r) {
  constexpr std::string_view kDevices = "/devices/";
  constexpr std::string_view kCommands = "/commands/";
  const bool get = r.method == "GET" || r.method == "HEAD";
  if (r.path == "/metrics" || r.path == "/healthz" || r.path == "/readyz") {
    if (!get) return respond(c, 405, kText, "GET only\n");
    if (r.path == "/metrics")
      return respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", metrics_.render());
    const std::string why = r.path == "/healthz" ? health() : readiness();
    return respond(c, why.empty() ? 200 : 503, kText, why.empty() ? "ok\n" : why + "\n");
  }
  // POST /devices/IDENT/commands/NAME
  const std::string_view path = r.path;
  const size_t mid = path.find(kCommands, kDevices.size());
  if (path.substr(0, kDevices.size()) == kDevices && mid != std::string_view::npos && mid > kDevices.size() &&
      mid + kCommands.size() < path.size()) {
    if (r.method != "POST") return respond(c, 405, kText, "POST only\n");
    return start_command(c, r, path.substr(kDevices.size(), mid - kDevices.size()),
                         path.substr(mid + kCommands.size()));
  }
  respond(c, 404, kText, "not found\n");
}

void ControlLoop::start_command(Client& c, const HttpRequest& r, std::string_view ident,
                                std::string_view name) {
  CommandRequest command;
  std::string error;
  if (!parse_command_args(r.body, command.args, error))
    return respond(c, 400, kJson, json_object({{"error", error}}));
  if (draining_) return respond(c, 503, kJson, json_object({{"error", "shutting down"}}));
  size_t waiting = 0;
  for (const auto& [fd, other] : clients_) waiting += other.command != 0;
  if (waiting >= kMaxHttpCommandClients)
    return respond(
        c, 503, kJson,
        json_object({{"error", "too many commands waiting (" + std::to_string(kMaxHttpCommandClients) +
                                   "); the rest of the port is kept for probes"}}));
  const std::string wait = query_param(r.query, "wait");
  uint32_t seconds = config_.limits.command_timeout;
  if (!wait.empty())
    seconds = static_cast<uint32_t>(
        std::min<unsigned long>(std::strtoul(wait.c_str(), nullptr, 10), kMaxCommandWaitSeconds));
  const uint64_t id = next_command_++;
  PendingCommand& p = commands_[id];
  p.client = c.fd;
  p.ident = percent_decode(ident);
  p.name = percent_decode(name);
  p.wait = seconds > 0;
  p.deadline_ms = now_ms() + int64_t{std::max(seconds, 1u)} * 1000;
  c.command = id;
  c.deadline_ms = p.deadline_ms + kHttpClientTimeoutMillis;
  command.id = id;
  command.ident = p.ident;
  command.protocol = query_param(r.query, "protocol");
  command.name = p.name;
  for (Worker* w : workers_) w->post(WorkerMessage{WorkerMessage::Kind::Command, {}, command});
}

void ControlLoop::finish_command(uint64_t id, int status, const std::string& body) {
  auto it = commands_.find(id);
  if (it == commands_.end()) return;
  auto client = clients_.find(it->second.client);
  if (client != clients_.end() && client->second.command == id) respond(client->second, status, kJson, body);
  commands_.erase(it);
}

void ControlLoop::expire(int64_t now) {
  std::vector<uint64_t> late;
  for (const auto& [id, p] : commands_)
    if (now >= p.deadline_ms) late.push_back(id);
  for (uint64_t id : late) {
    const PendingCommand& p = commands_[id];
    finish_command(
        id, 504,
        json_object({{"ident", p.ident},
                     {"command", p.name},
                     {"sent", p.bytes},
                     {"error", p.sent ? "no answer from the device in time" : "no worker answered"}}));
  }
  std::vector<int> stale;
  for (const auto& [fd, c] : clients_)
    if (now >= c.deadline_ms) stale.push_back(fd);
  for (int fd : stale) close_client(fd);
}

std::string ControlLoop::health() const {
  const int64_t now = now_ms();
  for (unsigned i = 0; i < metrics_.workers(); ++i)
    if (now - metrics_.worker(i).heartbeat_ms.get() > kWorkerStallMillis)
      return "worker " + std::to_string(i) + " is stuck";
  return "";
}

std::string ControlLoop::readiness() const {
  if (draining_) return "shutting down";
  for (unsigned i = 0; i < metrics_.workers(); ++i)
    if (metrics_.worker(i).sinks_up.get() == 0)
      return "worker " + std::to_string(i) + ": a sink is not ready";
  return "";
}

}  // namespace pvm::gateway
