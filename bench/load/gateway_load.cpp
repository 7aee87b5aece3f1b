// pvm_gateway_load: simulated Teltonika devices against a gateway on loopback, one thread, one
// epoll loop. Each connection logs in with its own IMEI, then sends AVL packets cut from a
// bench/streams file, one at a time, each after the ACK of the one before (as devices do).
//
//   --port P --stream FILE --connections N --seconds S [--warmup W] [--interval-ms I] [--pid PID]
//     Closed loop (I = 0, the default): a packet follows its ACK at once, so the gateway runs
//     flat out. Open loop (I > 0): each connection sends a packet every I ms (phases spread
//     evenly), or as soon as the ACK of the previous one arrives when that is later.
//     Prints one JSON object: records ACKed, ACK latency percentiles (from the send to the whole
//     ACK), and with --pid the gateway's CPU time over the measured seconds.
//   --idle N --port P --pid PID
//     Opens N connections that log in and stay silent; prints the gateway's resident memory
//     growth per connection (after a warm-up of 200 connections).
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "pvm_gateway_load: %s\n", why.c_str());
  std::exit(1);
}

// CPU time of every thread of `pid`, in seconds (scheduler run time, exact to the nanosecond).
double cpu_seconds(int pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) die("cannot read " + dir);
  double total = 0;
  while (const dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::FILE* f = std::fopen((dir + "/" + e->d_name + "/schedstat").c_str(), "r");
    if (f == nullptr) continue;
    unsigned long long ns = 0;
    if (std::fscanf(f, "%llu", &ns) == 1) total += static_cast<double>(ns) * 1e-9;
    std::fclose(f);
  }
  closedir(d);
  return total;
}

long rss_kib(int pid) {
  std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/status").c_str(), "r");
  if (f == nullptr) die("cannot read the status of pid " + std::to_string(pid));
  char line[256];
  long kib = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, "VmRSS:", 6) == 0) kib = std::atol(line + 6);
  std::fclose(f);
  return kib;
}

struct Packet {
  std::string_view bytes;
  uint32_t records;
};

// The AVL packets of a Teltonika stream file (its login dropped).
std::vector<Packet> read_packets(const std::string& path, std::string& storage) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) die("cannot read " + path);
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) storage.append(buf, n);
  std::fclose(f);
  const auto* p = reinterpret_cast<const uint8_t*>(storage.data());
  size_t at = 2 + (p[0] << 8 | p[1]);
  std::vector<Packet> packets;
  while (at + 12 <= storage.size()) {
    const size_t length = (size_t{p[at + 4]} << 24 | p[at + 5] << 16 | p[at + 6] << 8 | p[at + 7]) + 12;
    if (at + length > storage.size()) break;
    packets.push_back({std::string_view(storage).substr(at, length), p[at + 9]});
    at += length;
  }
  if (packets.empty()) die(path + " holds no Teltonika AVL packets");
  return packets;
}

std::string login(int device) {
  char imei[24];
  std::snprintf(imei, sizeof imei, "35630704%07d", device % 10000000);
  return std::string("\x00\x0f", 2) + imei;
}

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    die(std::string("connect: ") + std::strerror(errno));
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void read_exact(int fd, char* out, size_t n) {
  while (n > 0) {
    const ssize_t got = ::recv(fd, out, n, 0);
    if (got <= 0) die("the gateway closed a connection during its login");
    out += got;
    n -= static_cast<size_t>(got);
  }
}

// Connects and logs in `count` devices from `first`, in batches so the listen queue never fills.
std::vector<int> open_devices(int port, int first, int count) {
  std::vector<int> fds;
  constexpr int kBatch = 200;
  for (int b = 0; b < count; b += kBatch) {
    const int n = std::min(kBatch, count - b);
    for (int i = 0; i < n; ++i) {
      const int fd = connect_to(port);
      const std::string l = login(first + b + i);
      if (::send(fd, l.data(), l.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(l.size()))
        die("login not sent");
      fds.push_back(fd);
    }
    for (int i = 0; i < n; ++i) {
      char reply;
      read_exact(fds[static_cast<size_t>(b + i)], &reply, 1);
      if (reply != 1) die("the gateway refused a login");
    }
  }
  return fds;
}

struct Device {
  int fd = -1;
  size_t next = 0;       // packet index
  size_t sent = 0;       // bytes of the current packet sent
  bool waiting = false;  // for an ACK
  bool due = false;      // open loop: the next packet is due but the ACK has not come
  int64_t sent_at = 0;
  uint32_t expect = 0;
  uint8_t ack[4] = {};
  int ack_bytes = 0;
};

struct Options {
  int port = 0;
  std::string stream;
  int connections = 0;
  double seconds = 10;
  double warmup = 2;
  double interval_ms = 0;
  int pid = 0;
  int idle = 0;
};

void run_load(const Options& o) {
  std::string storage;
  const std::vector<Packet> packets = read_packets(o.stream, storage);
  std::vector<int> fds = open_devices(o.port, 0, o.connections);
  std::vector<Device> devices;
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  for (size_t i = 0; i < fds.size(); ++i) {
    Device& d = devices.emplace_back();
    d.fd = fds[i];
    d.next = i * 37 % packets.size();
    const int flags = 1;
    ioctl(fds[i], FIONBIO, &flags);
  }
  for (Device& d : devices) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &d;
    epoll_ctl(ep, EPOLL_CTL_ADD, d.fd, &ev);
  }
  std::vector<uint32_t> latencies_us;
  latencies_us.reserve(1 << 22);
  uint64_t records = 0, acks = 0, late = 0;
  const int64_t start = now_ns();
  const int64_t measure_from = start + static_cast<int64_t>(o.warmup * 1e9);
  const int64_t measure_to = measure_from + static_cast<int64_t>(o.seconds * 1e9);
  double cpu_start = 0;
  bool measuring = false;

  const auto send_more = [&](Device& d) {
    const Packet& p = packets[d.next];
    if (d.sent == 0) {
      d.sent_at = now_ns();
      d.expect = p.records;
      d.waiting = true;
      d.ack_bytes = 0;
    }
    while (d.sent < p.bytes.size()) {
      const ssize_t n = ::send(d.fd, p.bytes.data() + d.sent, p.bytes.size() - d.sent, MSG_NOSIGNAL);
      if (n > 0) {
        d.sent += static_cast<size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.ptr = &d;
        epoll_ctl(ep, EPOLL_CTL_MOD, d.fd, &ev);
        return;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        die(std::string("send: ") + std::strerror(errno));
      }
    }
  };
  const auto next_packet = [&](Device& d) {
    d.next = (d.next + 1) % packets.size();
    d.sent = 0;
    send_more(d);
  };

  // Open loop: device i's k-th packet is due at start + (i / N + k) * interval.
  const int64_t interval_ns = static_cast<int64_t>(o.interval_ms * 1e6);
  size_t due_index = 0;
  int64_t due_round = 0;
  const auto due_time = [&] {
    return start + due_round * interval_ns +
           static_cast<int64_t>(static_cast<double>(due_index) / static_cast<double>(devices.size()) *
                                static_cast<double>(interval_ns));
  };
  if (interval_ns == 0)
    for (Device& d : devices) send_more(d);

  epoll_event events[512];
  while (true) {
    const int64_t now = now_ns();
    if (!measuring && now >= measure_from) {
      measuring = true;
      if (o.pid) cpu_start = cpu_seconds(o.pid);
    }
    if (now >= measure_to) break;
    int timeout_ms = 100;
    if (interval_ns > 0) {
      while (due_time() <= now) {
        Device& d = devices[due_index];
        if (d.waiting) {
          d.due = true;
          ++late;
        } else {
          next_packet(d);
        }
        if (++due_index == devices.size()) {
          due_index = 0;
          ++due_round;
        }
      }
      timeout_ms = static_cast<int>(std::max<int64_t>(0, (due_time() - now) / 1000000));
    }
    const int n = epoll_wait(ep, events, 512, timeout_ms);
    for (int i = 0; i < n; ++i) {
      Device& d = *static_cast<Device*>(events[i].data.ptr);
      if (events[i].events & EPOLLOUT) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = &d;
        epoll_ctl(ep, EPOLL_CTL_MOD, d.fd, &ev);
        send_more(d);
      }
      if (!(events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      const ssize_t got = ::recv(d.fd, d.ack + d.ack_bytes, sizeof d.ack - d.ack_bytes, 0);
      if (got == 0) die("the gateway closed a connection");
      if (got < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        die(std::string("recv: ") + std::strerror(errno));
      }
      d.ack_bytes += static_cast<int>(got);
      if (d.ack_bytes < 4) continue;
      const uint32_t count = uint32_t{d.ack[0]} << 24 | d.ack[1] << 16 | d.ack[2] << 8 | d.ack[3];
      if (!d.waiting || count != d.expect) die("an ACK does not match its packet's record count");
      d.waiting = false;
      const int64_t at = now_ns();
      if (at >= measure_from && at < measure_to) {
        records += count;
        ++acks;
        latencies_us.push_back(static_cast<uint32_t>(std::min<int64_t>((at - d.sent_at) / 1000, UINT32_MAX)));
      }
      if (interval_ns == 0 || d.due) {
        d.due = false;
        next_packet(d);
      }
    }
  }
  const double cpu = o.pid ? cpu_seconds(o.pid) - cpu_start : 0;
  std::sort(latencies_us.begin(), latencies_us.end());
  const auto percentile = [&](double q) {
    if (latencies_us.empty()) return 0.0;
    return latencies_us[std::min(latencies_us.size() - 1, static_cast<size_t>(q * latencies_us.size()))] /
           1000.0;
  };
  std::printf(
      "{\"connections\":%d,\"interval_ms\":%g,\"seconds\":%g,\"packets\":%llu,\"records\":%llu,"
      "\"records_per_second\":%.0f,\"cpu_seconds\":%.3f,\"records_per_cpu_second\":%.0f,"
      "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"late\":%llu}\n",
      o.connections, o.interval_ms, o.seconds, static_cast<unsigned long long>(acks),
      static_cast<unsigned long long>(records), static_cast<double>(records) / o.seconds, cpu,
      cpu > 0 ? static_cast<double>(records) / cpu : 0.0, percentile(0.5), percentile(0.99),
      percentile(0.999), static_cast<unsigned long long>(late));
  for (Device& d : devices) ::close(d.fd);
}

void run_idle(const Options& o) {
  constexpr int kWarm = 200;
  std::vector<int> warm = open_devices(o.port, 0, kWarm);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const long before = rss_kib(o.pid);
  std::vector<int> idle = open_devices(o.port, kWarm, o.idle);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const long after = rss_kib(o.pid);
  std::printf(
      "{\"idle_connections\":%d,\"rss_before_kib\":%ld,\"rss_after_kib\":%ld,\"bytes_per_connection\":%.0f}"
      "\n",
      o.idle, before, after, static_cast<double>(after - before) * 1024 / o.idle);
  for (int fd : warm) ::close(fd);
  for (int fd : idle) ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view arg = argv[i];
    const char* v = argv[i + 1];
    if (arg == "--port")
      o.port = std::atoi(v);
    else if (arg == "--stream")
      o.stream = v;
    else if (arg == "--connections")
      o.connections = std::atoi(v);
    else if (arg == "--seconds")
      o.seconds = std::atof(v);
    else if (arg == "--warmup")
      o.warmup = std::atof(v);
    else if (arg == "--interval-ms")
      o.interval_ms = std::atof(v);
    else if (arg == "--pid")
      o.pid = std::atoi(v);
    else if (arg == "--idle")
      o.idle = std::atoi(v);
    else
      die("unknown option " + std::string(arg));
  }
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  if (o.port <= 0) die("--port is required");
  if (o.idle > 0) {
    if (o.pid <= 0) die("--idle needs --pid");
    run_idle(o);
  } else {
    if (o.stream.empty() || o.connections <= 0) die("--stream and --connections are required");
    run_load(o);
  }
  return 0;
}
