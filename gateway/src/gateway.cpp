// Start-up and shutdown: load the programs, bind every listener once per worker, open the file
// sinks, start the workers, hand the main thread to the control loop, and join.
#include "pvm/gateway/gateway.h"

#include <mosquitto.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "control_loop.h"
#include "file_sink.h"
#include "log.h"
#include "socket_util.h"
#include "tls.h"
#include "worker.h"

namespace pvm::gateway {
namespace {

// 10,000 devices need more descriptors than the usual soft limit of 1024.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// One worker per CPU the process may use: the cgroup's CPU quota (a container's limit) when it
// is lower than the CPUs the kernel shows.
unsigned default_workers() {
  unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  std::ifstream in("/sys/fs/cgroup/cpu.max");
  std::string quota;
  uint64_t period = 0;
  if (in >> quota >> period && quota != "max" && period > 0) {
    const uint64_t q = std::strtoull(quota.c_str(), nullptr, 10);
    cpus = std::min<unsigned>(cpus, static_cast<unsigned>(std::max<uint64_t>(1, (q + period - 1) / period)));
  }
  return cpus;
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "host";
  return buf;
}

class Gateway {
 public:
  Gateway(const GatewayConfig& config, const ProgramLoader& loader) : config_(config), loader_(loader) {}
  ~Gateway() {
    for (auto& l : listeners_)
      for (int fd : l.fds) ::close(fd);
    for (auto& f : files_)
      if (f->fd > STDERR_FILENO) ::close(f->fd);
    if (http_fd_ >= 0) ::close(http_fd_);
  }

  int run() {
    std::string error;
    if (!validate(config_, error) || !check_certificates(config_, error) || !load_programs(error) ||
        !open_listeners(error) || !open_files(error) || !open_spool(error) || !open_http(error)) {
      LogLine(Level::Error, "cannot start").str("error", error);
      return kServeConfig;
    }
    const bool mqtt = mqtt_used();
    if (mqtt) mosquitto_lib_init();
    start_workers();
    ControlLoop control(
        config_, *metrics_, worker_pointers(), events_, http_fd_,
        [this](std::string& why) {
          // SIGHUP also reopens the jsonl files, after logrotate moved them.
          for (auto& f : files_) f->reopen = true;
          return reload(why);
        },
        [this] { watch_jit(); });
    const bool ok = control.run();
    if (!ok) {
      LogLine(Level::Error, "control loop failed");
      for (auto& w : workers_) w->post(WorkerMessage{WorkerMessage::Kind::Stop, {}, {}});
    }
    for (auto& t : threads_) t.join();
    workers_.clear();
    if (mqtt) mosquitto_lib_cleanup();
    LogLine(Level::Info, "stopped");
    return ok ? kServeOk : kServeFailed;
  }

 private:
  bool mqtt_used() const {
    for (const auto& s : config_.sinks)
      if (s.kind == SinkKind::Mqtt) return true;
    return false;
  }

  // Loads a listener's protocol for the configured engine. The JIT compiles in the background:
  // listeners open, and a reload takes effect, at once, the interpreter running a protocol until
  // its native code is ready (watch_jit).
  std::shared_ptr<const Program> load(const std::string& protocol, std::string& error) const {
    LoadOptions options{config_.jit ? Engine::Jit : Engine::Interpreter, config_.jit_cache.value_or("")};
    options.jit_in_background = true;
    std::string cache_note;
    auto program = loader_(protocol, config_.base_dir, options, cache_note, error);
    if (!cache_note.empty()) LogLine(Level::Warn, "module cache not used").str("reason", cache_note);
    return program;
  }

  // What the JIT made of a program whose compile has finished: ready, or why the interpreter
  // runs it, and why a cache was not used.
  void report_jit(const Program& program) const {
    if (!config_.jit) return;
    if (program.engine() == Engine::Jit) {
      LogLine(Level::Info, "jit ready")
          .str("protocol", program.protocol())
          .str("code", program.jit_cached() ? "from the cache" : "compiled");
    } else {
      LogLine(Level::Warn, "jit not used, the interpreter runs")
          .str("protocol", program.protocol())
          .str("reason", program.jit_note());
    }
    if (!program.jit_cache_note().empty())
      LogLine(Level::Warn, "jit cache not used")
          .str("protocol", program.protocol())
          .str("reason", program.jit_cache_note());
  }

  // The programs that now run: those compiled already are reported at once, the others watched
  // until they are.
  void run_programs(const std::map<std::string, std::shared_ptr<const Program>>& loaded) {
    running_ = loaded;
    compiling_.clear();
    for (const auto& [name, program] : loaded) compiling_.push_back(program);
    watch_jit();
  }

  // Each time round the control loop: the compiles that finished since.
  void watch_jit() {
    if (compiling_.empty()) return;
    std::erase_if(compiling_, [this](const std::shared_ptr<const Program>& program) {
      if (program->jit_compiling()) return false;
      report_jit(*program);
      return true;
    });
    metrics_->set_jit(all_jit(running_));
    metrics_->set_jit_compiling(compiling_.size());
  }

  // True when every program runs on the JIT.
  static bool all_jit(const std::map<std::string, std::shared_ptr<const Program>>& loaded) {
    for (const auto& [name, program] : loaded)
      if (program->engine() != Engine::Jit) return false;
    return !loaded.empty();
  }

  // One program per distinct protocol, shared by all its sessions; every session option checked
  // against it.
  bool load_programs(std::string& error) {
    std::map<std::string, std::shared_ptr<const Program>> loaded;
    std::vector<SeriesLabel> series;
    for (const ListenSpec& spec : config_.listeners) {
      auto& program = loaded[spec.protocol];
      if (!program) program = load(spec.protocol, error);
      if (!program) return false;
      Session probe(program, SessionOptions{});
      for (const auto& [name, value] : spec.options)
        if (!probe.set_option(name, value, error)) {
          error = spec.text() + ": " + error;
          return false;
        }
      ListenerSetup setup;
      setup.spec = spec;
      setup.program = program;
      const std::string protocol(program->protocol());
      const std::string transport = spec.transport == Transport::Udp ? "udp" : spec.tls ? "tls" : "tcp";
      setup.series = series.size();
      for (size_t i = 0; i < series.size(); ++i)
        if (series[i].protocol == protocol && series[i].transport == transport) setup.series = i;
      if (setup.series == series.size()) series.push_back({protocol, transport});
      if (spec.tls) {
        if (!tls_ && !(tls_ = load_tls(error))) return false;
        setup.tls = tls_;
      }
      listeners_.push_back(std::move(setup));
    }
    workers_count_ = config_.workers ? config_.workers : default_workers();
    std::vector<std::string> sinks;
    for (const SinkSpec& s : config_.sinks) sinks.push_back(s.text());
    metrics_ = std::make_unique<Metrics>(std::move(series), std::move(sinks), workers_count_);
    run_programs(loaded);
    return true;
  }

  // The TLS listeners' certificate and key.
  TlsContext load_tls(std::string& error) const {
    return make_tls_context(config_.tls.cert_file, config_.tls.key_file, error);
  }

  bool open_listeners(std::string& error) {
    for (ListenerSetup& l : listeners_) {
      uint16_t port = l.spec.port;
      for (unsigned w = 0; w < workers_count_; ++w) {
        const int fd = bind_socket(l.spec.host, port, l.spec.transport, true, error);
        if (fd < 0) return false;
        l.fds.push_back(fd);
        if (port == 0) port = local_port(fd);  // the others join the port the first one got
      }
      l.spec.port = port;
      LogLine(Level::Info, "listening").str("listen", l.spec.text()).str("protocol", l.program->protocol());
    }
    return true;
  }

  bool open_files(std::string& error) {
    for (const SinkSpec& s : config_.sinks) {
      if (s.kind == SinkKind::Mqtt) {
        shared_.files.push_back(nullptr);
        continue;
      }
      auto file = std::make_unique<SharedFile>();
      file->name = s.kind == SinkKind::Stdout ? "stdout" : s.path;
      if (s.kind == SinkKind::Stdout) {
        file->fd = STDOUT_FILENO;
      } else {
        file->path = s.path;
        if (!open_shared(*file, error)) return false;
      }
      struct stat st {};
      file->sync = config_.jsonl_fsync && fstat(file->fd, &st) == 0 && S_ISREG(st.st_mode);
      shared_.files.push_back(file.get());
      files_.push_back(std::move(file));
      LogLine(Level::Info, "sink").str("sink", s.text());
    }
    return true;
  }

  // Segments an earlier run left are shared out among the workers, oldest first, to replay.
  bool open_spool(std::string& error) {
    shared_.spool_replay.resize(workers_count_);
    shared_.spool_next_id = &spool_next_id_;
    if (config_.spool_dir.empty()) return true;
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(config_.spool_dir, ec);
    std::vector<std::pair<uint64_t, std::string>> found;
    for (const auto& entry : fs::directory_iterator(config_.spool_dir, ec))
      if (entry.path().extension() == ".spool")
        found.emplace_back(std::strtoull(entry.path().stem().c_str(), nullptr, 10), entry.path().string());
    if (ec) {
      error = config_.spool_dir + ": " + ec.message();
      return false;
    }
    std::sort(found.begin(), found.end());
    for (size_t i = 0; i < found.size(); ++i)
      shared_.spool_replay[i % workers_count_].push_back(found[i].second);
    spool_next_id_ = found.empty() ? 1 : found.back().first + 1;
    LogLine(Level::Info, "spool")
        .str("dir", config_.spool_dir)
        .num("segments", static_cast<int64_t>(found.size()));
    return true;
  }

  bool open_http(std::string& error) {
    if (config_.http.empty()) return true;
    std::string host;
    uint16_t port = 0;
    if (!parse_host_port(config_.http, host, port, error)) return false;
    http_fd_ = bind_socket(host, port, Transport::Tcp, false, error);
    if (http_fd_ < 0) return false;
    LogLine(Level::Info, "http").str("address", host + ":" + std::to_string(local_port(http_fd_)));
    return true;
  }

  void start_workers() {
    shared_.config = &config_;
    shared_.metrics = metrics_.get();
    shared_.control = &events_;
    shared_.client_id = config_.mqtt.client_id + "-" + host_name() + "-" + std::to_string(getpid());
    for (unsigned i = 0; i < workers_count_; ++i)
      workers_.push_back(std::make_unique<Worker>(i, shared_, listeners_));
    for (auto& l : listeners_) l.fds.clear();  // each worker owns and closes its sockets now
    for (auto& w : workers_) threads_.emplace_back([worker = w.get()] { worker->run(); });
    LogLine(Level::Info, "started")
        .num("workers", workers_count_)
        .num("listeners", static_cast<int64_t>(listeners_.size()));
  }

  bool reload(std::string& error) {
    // A renewed certificate is taken for new TLS connections whatever the protocols do; one
    // that does not load is reported and the running one kept.
    TlsContext tls;
    if (tls_) {
      std::string why;
      tls = load_tls(why);
      if (tls) {
        LogLine(Level::Info, "tls certificate reloaded");
      } else {
        LogLine(Level::Error, "tls reload failed, keeping the running certificate").str("error", why);
      }
    }
    std::vector<std::shared_ptr<const Program>> programs;
    const bool ok = load_again(programs, error);
    if (!ok) programs.clear();  // an empty list keeps every listener's program
    if (ok || tls)
      for (auto& w : workers_) w->post(WorkerMessage{WorkerMessage::Kind::Reload, programs, {}, tls});
    return ok;
  }

  bool load_again(std::vector<std::shared_ptr<const Program>>& programs, std::string& error) {
    std::map<std::string, std::shared_ptr<const Program>> loaded;
    for (const ListenerSetup& l : listeners_) {
      auto& program = loaded[l.spec.protocol];
      if (!program) program = load(l.spec.protocol, error);
      if (!program) return false;
      if (program->protocol() != l.program->protocol()) {
        error = l.spec.protocol + " now declares protocol '" + std::string(program->protocol()) + "', not '" +
                std::string(l.program->protocol()) + "'";
        return false;
      }
      programs.push_back(program);
    }
    run_programs(loaded);
    return true;
  }

  std::vector<Worker*> worker_pointers() {
    std::vector<Worker*> out;
    for (auto& w : workers_) out.push_back(w.get());
    return out;
  }

  GatewayConfig config_;
  const ProgramLoader& loader_;
  std::vector<ListenerSetup> listeners_;
  std::map<std::string, std::shared_ptr<const Program>> running_;  // by listener protocol
  std::vector<std::shared_ptr<const Program>> compiling_;          // of running_, not yet reported
  TlsContext tls_;  // shared by every tls:// listener
  unsigned workers_count_ = 1;
  std::unique_ptr<Metrics> metrics_;
  std::vector<std::unique_ptr<SharedFile>> files_;
  int http_fd_ = -1;
  WorkerShared shared_;
  Mailbox<ControlEvent> events_;
  std::atomic<uint64_t> spool_next_id_{1};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace

bool check_certificates(const GatewayConfig& config, std::string& error) {
  // The MQTT client reads its files when each worker's client starts: a missing one is a
  // configuration error now, not a broker that never comes up.
  for (const std::string* f : {&config.mqtt.ca_file, &config.mqtt.cert_file, &config.mqtt.key_file})
    if (!f->empty() && ::access(f->c_str(), R_OK) != 0) {
      error = *f + ": " + std::strerror(errno);
      return false;
    }
  for (const ListenSpec& l : config.listeners)
    if (l.tls) return make_tls_context(config.tls.cert_file, config.tls.key_file, error) != nullptr;
  return true;
}

int serve(const GatewayConfig& config, const ProgramLoader& loader) {
  // Every thread inherits this mask: the signals reach only the control loop's signalfd.
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&mask, s);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  raise_descriptor_limit();
  set_log_level(config.log_level);
  Gateway gateway(config, loader);
  return gateway.run();
}

}  // namespace pvm::gateway
