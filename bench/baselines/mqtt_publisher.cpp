// pvm_mqtt_publisher --port P --messages FILE [--seconds S] [--warmup W] [--window N] [--clients K]:
// the pipelined hand-written MQTT publisher `pvm serve`'s MQTT sink is measured against. Each of
// K clients (threads, libmosquitto, MQTT 3.1.1 like the sink) publishes the JSON lines of FILE
// (`pvm decode` output) with QoS 1 to pvm/PROTOCOL/IDENT, keeping up to N messages in flight
// (waiting for their PUBACK), and counts the PUBACKs that arrive during the measured seconds.
// Prints one JSON object with the broker's accepted messages per second.
#include <mosquitto.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

struct Message {
  std::string topic;
  std::string payload;
};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "pvm_mqtt_publisher: %s\n", why.c_str());
  std::exit(1);
}

std::string field(std::string_view line, std::string_view name) {
  std::string key = "\"";  // built piecewise: GCC 12 warns (-Wrestrict) about "..." + std::string
  key.append(name).append("\":\"");
  const size_t at = line.find(key);
  if (at == std::string_view::npos) return "unknown";
  const size_t start = at + key.size();
  return std::string(line.substr(start, line.find('"', start) - start));
}

struct Client {
  mosquitto* mosq = nullptr;
  int outstanding = 0;
  uint64_t acked = 0;  // during the measured seconds
  bool measuring = false;
};

void publish_loop(int port, const std::vector<Message>& messages, size_t first, int window,
                  int64_t measure_from, int64_t measure_to, std::atomic<uint64_t>& total) {
  Client c;
  c.mosq = mosquitto_new(nullptr, true, &c);
  if (c.mosq == nullptr) die("mosquitto_new failed");
  mosquitto_int_option(c.mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_int_option(c.mosq, MOSQ_OPT_SEND_MAXIMUM, window);
  mosquitto_int_option(c.mosq, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_publish_callback_set(c.mosq, [](mosquitto*, void* self, int) {
    auto* client = static_cast<Client*>(self);
    --client->outstanding;
    if (client->measuring) ++client->acked;
  });
  if (mosquitto_connect(c.mosq, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS)
    die("cannot connect to the broker");
  size_t next = first;
  while (true) {
    const int64_t now = now_ns();
    if (now >= measure_to) break;
    c.measuring = now >= measure_from;
    while (c.outstanding < window) {
      const Message& m = messages[next];
      next = (next + 1) % messages.size();
      const int rc = mosquitto_publish(c.mosq, nullptr, m.topic.c_str(), static_cast<int>(m.payload.size()),
                                       m.payload.data(), 1, false);
      if (rc != MOSQ_ERR_SUCCESS) die(std::string("publish: ") + mosquitto_strerror(rc));
      ++c.outstanding;
    }
    pollfd pfd{mosquitto_socket(c.mosq),
               static_cast<short>(POLLIN | (mosquitto_want_write(c.mosq) ? POLLOUT : 0)), 0};
    if (poll(&pfd, 1, 100) < 0) continue;
    if (pfd.revents & POLLOUT) mosquitto_loop_write(c.mosq, 1);
    if (pfd.revents & (POLLIN | POLLERR | POLLHUP)) {
      const int rc = mosquitto_loop_read(c.mosq, 1);
      if (rc != MOSQ_ERR_SUCCESS) die(std::string("read: ") + mosquitto_strerror(rc));
    }
    mosquitto_loop_misc(c.mosq);
  }
  total += c.acked;
  mosquitto_disconnect(c.mosq);
  mosquitto_destroy(c.mosq);
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, window = 1000, clients = 2;
  double seconds = 10, warmup = 2;
  std::string path;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view arg = argv[i];
    const char* v = argv[i + 1];
    if (arg == "--port")
      port = std::atoi(v);
    else if (arg == "--messages")
      path = v;
    else if (arg == "--seconds")
      seconds = std::atof(v);
    else if (arg == "--warmup")
      warmup = std::atof(v);
    else if (arg == "--window")
      window = std::atoi(v);
    else if (arg == "--clients")
      clients = std::atoi(v);
    else
      die("unknown option " + std::string(arg));
  }
  if (port <= 0 || path.empty() || window <= 0 || window > 65535 || clients <= 0)
    die("usage: pvm_mqtt_publisher --port P --messages FILE [--seconds S] [--warmup W] [--window N] "
        "[--clients K]");
  std::vector<Message> messages;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      messages.push_back({"pvm/" + field(line, "protocol.id") + "/" + field(line, "ident"), std::move(line)});
  if (messages.empty()) die(path + " holds no messages");
  mosquitto_lib_init();
  const int64_t start = now_ns();
  const int64_t measure_from = start + static_cast<int64_t>(warmup * 1e9);
  const int64_t measure_to = measure_from + static_cast<int64_t>(seconds * 1e9);
  std::atomic<uint64_t> total{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < clients; ++k)
    threads.emplace_back(publish_loop, port, std::cref(messages), messages.size() * k / clients, window,
                         measure_from, measure_to, std::ref(total));
  for (auto& t : threads) t.join();
  mosquitto_lib_cleanup();
  std::printf("{\"clients\":%d,\"window\":%d,\"seconds\":%g,\"records\":%llu,\"records_per_second\":%.0f}\n",
              clients, window, seconds, static_cast<unsigned long long>(total.load()),
              static_cast<double>(total.load()) / seconds);
  return 0;
}
