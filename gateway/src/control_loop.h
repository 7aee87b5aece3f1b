// The main thread once the workers run: signals (SIGTERM and SIGINT drain and stop, SIGHUP
// reloads the protocols), the HTTP port (/metrics, /healthz, /readyz, commands), and the
// workers' reports. Nothing here is on the message path.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "control.h"
#include "mailbox.h"
#include "metrics.h"
#include "pvm/gateway/config.h"

namespace pvm::gateway {

class Worker;

class ControlLoop {
 public:
  using Reload = std::function<bool(std::string& error)>;
  // Called each time round the loop, at least every 200 ms: for what the main thread watches,
  // such as the protocols the JIT compiles in the background.
  using Tick = std::function<void()>;

  ControlLoop(const GatewayConfig& config, Metrics& metrics, std::vector<Worker*> workers,
              Mailbox<ControlEvent>& events, int http_fd, Reload reload, Tick tick);
  ~ControlLoop();
  ControlLoop(const ControlLoop&) = delete;
  ControlLoop& operator=(const ControlLoop&) = delete;

  // Returns once every worker has stopped; false when signals could not be set up.
  bool run();

 private:
  struct Client {
    int fd = -1;
    uint64_t order = 0;  // accept order: the oldest is evicted first
    std::string in;
    std::string out;
    size_t sent = 0;
    int64_t deadline_ms = 0;
    uint64_t command = 0;  // waiting for this command's outcome
    bool linger = false;   // after the response, read and drop the rest of the request
    bool lingering = false;
  };
  struct PendingCommand {
    int client = -1;
    std::string ident;
    std::string name;
    unsigned not_found = 0;
    bool sent = false;
    bool wait = true;
    std::string bytes;
    int64_t deadline_ms = 0;
  };

  void on_signal();
  void on_events();
  void accept_clients();
  void close_client(int fd);
  bool evict_one();
  void read_client(Client& c);
  void write_client(Client& c);
  void handle(Client& c, const struct HttpRequest& request);
  void start_command(Client& c, const HttpRequest& request, std::string_view ident, std::string_view name);
  void finish_command(uint64_t id, int status, const std::string& body);
  void respond(Client& c, int status, std::string_view content_type, std::string_view body);
  void expire(int64_t now);
  std::string health() const;  // empty when healthy, else why not
  std::string readiness() const;

  const GatewayConfig& config_;
  Metrics& metrics_;
  std::vector<Worker*> workers_;
  Mailbox<ControlEvent>& events_;
  int http_fd_;
  Reload reload_;
  Tick tick_;
  int signal_fd_ = -1;
  bool draining_ = false;
  unsigned stopped_ = 0;
  std::map<int, Client> clients_;
  std::map<uint64_t, PendingCommand> commands_;
  uint64_t next_command_ = 1;
  uint64_t next_client_ = 1;
};

}  // namespace pvm::gateway
