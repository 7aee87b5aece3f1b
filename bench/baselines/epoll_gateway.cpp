// pvm_epoll_gateway --port PORT --out FILE [--host HOST] [--threads N]: the minimal hand-written
// Teltonika gateway `pvm serve` is measured against. One thread per core, each with its own
// SO_REUSEPORT listener and epoll loop; per connection the framing, CRC and records of the
// hand-written decoder; the records as the same JSON lines appended to FILE (with the envelope
// `pvm serve` writes after "protocol.id": the time the bytes arrived and the peer); and the ACK sent
// only once the lines of its frame were written (at the end of each loop iteration, one write
// per thread), as `pvm serve` with a jsonl sink does. SIGTERM or SIGINT stops it.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "teltonika.h"

namespace {

using pvm::baseline::JsonOut;
using pvm::baseline::Teltonika;

constexpr size_t kReadChunk = 64 * 1024;

std::atomic<bool> stop{false};

struct Connection {
  int fd = -1;
  std::string peer;      // ,"peer":"host:port"
  std::string envelope;  // ,"server.timestamp":S.mmm and the peer, for the bytes being decoded
  Teltonika decoder;
  std::vector<uint8_t> partial;  // the start of a frame whose rest has not arrived
  std::string acks;              // replies waiting for this iteration's write, or for the socket
  bool listed = false;           // in the thread's list of connections to answer
  bool writing = false;          // waiting for EPOLLOUT
};

// The peer as `pvm serve` writes it: host:port (the listener is IPv4).
std::string peer_text(const sockaddr_in& addr) {
  char host[INET_ADDRSTRLEN] = "?";
  inet_ntop(AF_INET, &addr.sin_addr, host, sizeof host);
  return std::string(host) + ":" + std::to_string(ntohs(addr.sin_port));
}

// ,"server.timestamp":S.mmm (the wall clock now, in milliseconds) then `peer`.
void stamp(std::string& envelope, const std::string& peer) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  const int64_t ms = int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
  char text[48] = ",\"server.timestamp\":";
  char* p = std::to_chars(text + 20, text + sizeof text, ms / 1000).ptr;
  const auto frac = static_cast<int>(ms % 1000);
  *p++ = '.';
  *p++ = static_cast<char>('0' + frac / 100);
  *p++ = static_cast<char>('0' + frac / 10 % 10);
  *p++ = static_cast<char>('0' + frac % 10);
  envelope.assign(text, p);
  envelope += peer;
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::perror("pvm_epoll_gateway: write");
      std::exit(1);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

class Worker {
 public:
  Worker(int port, const std::string& host, int out_fd) : out_fd_(out_fd) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(listener_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_, 4096) != 0) {
      std::perror("pvm_epoll_gateway: listen");
      std::exit(2);
    }
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, listener_, &ev);
  }

  void run() {
    std::vector<uint8_t> buffer(kReadChunk);
    epoll_event events[256];
    while (!stop.load(std::memory_order_relaxed)) {
      const int n = epoll_wait(epoll_, events, 256, 200);
      for (int i = 0; i < n; ++i) {
        auto* c = static_cast<Connection*>(events[i].data.ptr);
        if (c == nullptr) {
          accept_all();
          continue;
        }
        if ((events[i].events & EPOLLOUT) && !send_acks(*c)) {
          close_later(*c);
          continue;
        }
        if ((events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !read_all(*c, buffer)) close_later(*c);
      }
      // The iteration's lines are stored: now their frames may be ACKed.
      if (out_.size() > 0) {
        write_all(out_fd_, out_.view());
        out_.clear();
      }
      for (Connection* c : answer_) {
        c->listed = false;
        if (c->fd >= 0 && !send_acks(*c)) close_later(*c);
      }
      answer_.clear();
      for (Connection* c : closed_) delete c;
      closed_.clear();
    }
  }

 private:
  void accept_all() {
    while (true) {
      sockaddr_in addr{};
      socklen_t size = sizeof addr;
      const int fd =
          ::accept4(listener_, reinterpret_cast<sockaddr*>(&addr), &size, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto* c = new Connection;
      c->fd = fd;
      c->peer = ",\"peer\":\"" + peer_text(addr) + "\"";
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = c;
      epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
    }
  }

  bool read_all(Connection& c, std::vector<uint8_t>& buffer) {
    while (true) {
      const ssize_t n = ::recv(c.fd, buffer.data(), buffer.size(), 0);
      if (n == 0) return false;
      if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
      std::span<const uint8_t> data(buffer.data(), static_cast<size_t>(n));
      if (!c.partial.empty()) {
        c.partial.insert(c.partial.end(), data.begin(), data.end());
        data = c.partial;
      }
      stamp(c.envelope, c.peer);
      out_.set_envelope(c.envelope);
      pvm::baseline::StreamCounts counts;
      bool bad_framing = false;
      const size_t used = pvm::baseline::decode_frames(c.decoder, data, counts, bad_framing, [&](bool ok) {
        if (!ok) return;  // a rejected frame gets no ACK: the device sends it again
        const auto reply = c.decoder.reply();
        if (c.decoder.messages() > 0) c.decoder.write_json(out_);
        c.acks.append(reinterpret_cast<const char*>(reply.data()), reply.size());
        if (!c.listed && !reply.empty()) {
          c.listed = true;
          answer_.push_back(&c);
        }
      });
      if (bad_framing) return false;
      if (c.partial.empty()) {
        c.partial.assign(data.begin() + static_cast<std::ptrdiff_t>(used), data.end());
      } else {
        c.partial.erase(c.partial.begin(), c.partial.begin() + static_cast<std::ptrdiff_t>(used));
      }
      if (static_cast<size_t>(n) < buffer.size()) return true;
    }
  }

  bool send_acks(Connection& c) {
    size_t done = 0;
    while (done < c.acks.size()) {
      const ssize_t n = ::send(c.fd, c.acks.data() + done, c.acks.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        done += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        break;
      } else {
        return false;
      }
    }
    c.acks.erase(0, done);
    const bool waiting = !c.acks.empty();
    if (waiting != c.writing) {
      c.writing = waiting;
      epoll_event ev{};
      ev.events = EPOLLIN | (waiting ? EPOLLOUT : 0u);
      ev.data.ptr = &c;
      epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
    }
    return true;
  }

  void close_later(Connection& c) {
    if (c.fd < 0) return;
    epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    c.fd = -1;
    closed_.push_back(&c);
  }

  int out_fd_;
  int listener_ = -1;
  int epoll_ = -1;
  JsonOut out_;
  std::vector<Connection*> answer_;
  std::vector<Connection*> closed_;
};

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  unsigned threads = std::thread::hardware_concurrency();
  std::string host = "127.0.0.1", out_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view arg = argv[i];
    if (arg == "--port")
      port = std::atoi(argv[i + 1]);
    else if (arg == "--threads")
      threads = static_cast<unsigned>(std::atoi(argv[i + 1]));
    else if (arg == "--host")
      host = argv[i + 1];
    else if (arg == "--out")
      out_path = argv[i + 1];
  }
  if (port <= 0 || out_path.empty() || threads == 0) {
    std::fprintf(stderr, "usage: pvm_epoll_gateway --port PORT --out FILE [--host HOST] [--threads N]\n");
    return 2;
  }
  const int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out_fd < 0) {
    std::perror(out_path.c_str());
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = [](int) { stop.store(true); };
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned i = 0; i < threads; ++i) workers.push_back(std::make_unique<Worker>(port, host, out_fd));
  std::vector<std::thread> running;
  for (auto& w : workers) running.emplace_back([&w] { w->run(); });
  std::fprintf(stderr, "pvm_epoll_gateway: listening on %s:%d with %u threads\n", host.c_str(), port,
               threads);
  for (auto& t : running) t.join();
  ::close(out_fd);
  return 0;
}
