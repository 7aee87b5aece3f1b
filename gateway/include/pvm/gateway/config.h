// What `pvm serve` runs: listeners, sinks, the HTTP port, limits. Built from gateway.toml, from
// flags, or from the defaults (every stdlib protocol on its customary port, JSON lines to stdout).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pvm/gateway/limits.h"
#include "pvm/vm.h"

namespace pvm::gateway {

// "teltonika@tcp://0.0.0.0:5027?extended=true": a protocol (stdlib name or .pvm/.pvmc path),
// a transport, an address, and session options. "tls://" is TCP with TLS.
struct ListenSpec {
  std::string protocol;
  Transport transport = Transport::Tcp;
  bool tls = false;
  std::string host;
  uint16_t port = 0;
  std::vector<std::pair<std::string, std::string>> options;

  std::string text() const;
};

enum class SinkKind : uint8_t { Stdout, Jsonl, Mqtt };

enum class LogLevel : uint8_t { Debug, Info, Warn, Error };
// "debug", "info", "warn" or "error"; false otherwise.
bool parse_log_level(std::string_view text, LogLevel& out);

// "stdout", "jsonl:PATH", "mqtt://HOST:PORT" or "mqtts://HOST:PORT" (TLS, port 8883 by default).
struct SinkSpec {
  SinkKind kind = SinkKind::Stdout;
  std::string path;
  std::string host;
  uint16_t port = 1883;
  bool tls = false;

  std::string text() const;
};

struct MqttOptions {
  std::string topic = "pvm/{protocol}/{ident}";  // messages; commands arrive on TOPIC/commands/NAME
  std::string client_id = "pvm";                 // prefix: the host name, pid and worker are appended
  int qos = 1;
  int keepalive = 30;
  // Per worker: connections to the broker, and PUBLISH packets each keeps in flight awaiting
  // their PUBACK (more wait in the gateway). Their product bounds the rate at a given round trip.
  uint32_t connections = kDefaultMqttConnections;
  uint32_t inflight = kDefaultMqttInflight;
  std::string username;
  std::string password;
  bool commands = true;
  // mqtts://: the broker's certificate is verified against ca_file (empty: the system's CAs)
  // and must name the host of the sink; cert_file and key_file authenticate the gateway.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

// TLS device listeners (PROTOCOL@tls://HOST:PORT): the gateway's certificate chain and key.
struct TlsOptions {
  std::string cert_file;
  std::string key_file;
  uint32_t handshake_timeout = kDefaultTlsHandshakeTimeout;  // seconds
};

struct Limits {
  uint32_t max_frame = kDefaultMaxFrame;
  uint32_t idle_timeout = kDefaultIdleTimeout;
  uint32_t max_pending_frames = kDefaultMaxPendingFrames;
  uint32_t max_sink_queue = kDefaultMaxSinkQueue;
  uint32_t max_connections = kDefaultMaxConnections;
  uint32_t drain_timeout = kDefaultDrainTimeout;
  uint32_t command_timeout = kDefaultCommandTimeout;
  uint32_t max_udp_peers = kDefaultMaxUdpPeers;
  uint32_t udp_anonymous_timeout = kDefaultUdpAnonymousTimeout;
  uint32_t frame_timeout = kDefaultFrameTimeout;
  uint64_t max_buffered_bytes = kDefaultMaxBufferedBytes;
  uint64_t fuel = bc::kDefaultFuel;  // units of work per frame (docs/security.md)
};

struct GatewayConfig {
  std::vector<ListenSpec> listeners;
  std::vector<SinkSpec> sinks;
  MqttOptions mqtt;
  TlsOptions tls;
  std::string http;       // HOST:PORT of /metrics, /healthz, /readyz and commands; empty: none
  std::string spool_dir;  // empty: no spool, devices are ACKed only once the broker has the data
  uint64_t spool_max_bytes = kDefaultSpoolMaxBytes;
  bool jsonl_fsync = false;   // fdatasync each batch, not only write it
  bool server_fields = true;  // server.timestamp and peer on every message
  // The protocols run as native code (Engine::Jit), compiled once per load and shared by every
  // session; one the JIT cannot compile runs in the interpreter, and a warning says why.
  bool jit = false;
  // Where the JIT keeps compiled code between runs (LoadOptions::jit_cache); unset: nowhere
  // (`pvm serve` then takes the user's cache directory).
  std::optional<std::string> jit_cache;
  // Where the host's loader (`pvm serve`) keeps the modules it compiles from .pvm sources between
  // runs; unset: `pvm serve` takes the user's cache directory; "": nowhere.
  std::optional<std::string> module_cache;
  unsigned workers = 0;  // 0: one per CPU
  LogLevel log_level = LogLevel::Info;
  Limits limits;
  std::string base_dir;  // relative protocol paths in a config file are relative to the file
};

bool parse_listen(std::string_view text, ListenSpec& out, std::string& error);
bool parse_sink(std::string_view text, SinkSpec& out, std::string& error);
// "HOST:PORT", "[::1]:PORT" or ":PORT" (all interfaces).
bool parse_host_port(std::string_view text, std::string& host, uint16_t& port, std::string& error);

// Reads gateway.toml into `config` (keys not in the file keep their values); false with a
// reason naming the file, line and key.
bool load_config_file(const std::string& path, GatewayConfig& config, std::string& error);
bool load_config_text(std::string_view text, const std::string& source, GatewayConfig& config,
                      std::string& error);

// A protocol's customary port, or 0 when it has none.
uint16_t customary_port(std::string_view protocol);
// A TCP and a UDP listener on all interfaces for each of `protocols` that has a customary port.
void add_default_listeners(GatewayConfig& config, const std::vector<std::string>& protocols);

// Checks that the whole configuration can run; false with a reason otherwise.
bool validate(const GatewayConfig& config, std::string& error);

}  // namespace pvm::gateway
