// pvm serve: the gateway. Listeners, sinks and limits come from gateway.toml, from flags (which
// override the file), or from the defaults: every stdlib protocol on its customary port, JSON
// lines to stdout. The options are described in docs/operations.md.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>

#include "commands.h"
#include "file_io.h"
#include "program_loader.h"
#include "pvm/gateway/gateway.h"
#include "serve_check.h"

namespace pvm::cli {
namespace {

struct ServeArgs {
  std::string config;
  std::vector<std::string> listen;
  std::vector<std::string> sinks;
  std::string http;
  std::string mqtt_topic;
  std::string mqtt_client_id;
  std::string mqtt_username;
  int mqtt_qos = -1;
  unsigned mqtt_connections = 0;
  unsigned mqtt_inflight = 0;
  std::string spool;
  unsigned workers = 0;
  unsigned idle_timeout = 0;
  unsigned drain_timeout = 0;
  unsigned frame_timeout = 0;
  unsigned max_udp_peers = 0;
  unsigned udp_anonymous_timeout = 0;
  uint64_t max_buffered_bytes = 0;
  std::string log_level;
  bool no_server_fields = false;
  bool jit = false;
  std::string jit_cache;  // empty: not given
  bool no_jit_cache = false;
  ModuleCacheArgs module_cache;
  std::string tls_cert;
  std::string tls_key;
  std::string mqtt_ca_file;
  std::string mqtt_cert;
  std::string mqtt_key;
  bool check = false;
  std::string check_config;
};

// The gateway's loader, compiling with `modules`.
gateway::ProgramLoader protocol_loader(std::shared_ptr<ModuleCache> modules) {
  return [modules](const std::string& protocol, const std::string& base_dir, const LoadOptions& options,
                   std::string& cache_note, std::string& error) -> std::shared_ptr<const Program> {
    std::string path;
    if (!resolve_protocol(protocol, base_dir, path, error)) return nullptr;
    std::ostringstream diagnostics;
    auto program = load_program(path, diagnostics, error, options, modules.get());
    cache_note = modules->take_note();
    if (!program && !diagnostics.str().empty()) error += "\n" + diagnostics.str();
    return program;
  };
}

// --no-module-cache, else --module-cache, else module_cache in the file, else the user's cache
// directory: a directory given either way is named.
ModuleCacheDir module_cache_dir(const ServeArgs& args, const gateway::GatewayConfig& config) {
  if (args.module_cache.off || !args.module_cache.dir.empty() || !config.module_cache)
    return args.module_cache.resolve();
  if (config.module_cache->empty()) return {};
  return {*config.module_cache, true};
}

int run_serve(const ServeArgs& args) {
  auto fail = [](const std::string& why) {
    std::cerr << "pvm serve: " << why << "\n";
    return kExitUsage;
  };
  gateway::GatewayConfig config;
  std::string error;
  const std::string& file = args.check_config.empty() ? args.config : args.check_config;
  if (file == "-") {
    std::string text;
    if (!read_file("-", text, error) || !gateway::load_config_text(text, "<stdin>", config, error))
      return fail(error);
  } else if (!file.empty() && !gateway::load_config_file(file, config, error)) {
    return fail(error);
  }
  if (!args.listen.empty()) config.listeners.clear();
  for (const auto& text : args.listen) {
    gateway::ListenSpec spec;
    if (!gateway::parse_listen(text, spec, error)) return fail(error);
    config.listeners.push_back(std::move(spec));
  }
  if (!args.sinks.empty()) config.sinks.clear();
  for (const auto& text : args.sinks) {
    gateway::SinkSpec spec;
    if (!gateway::parse_sink(text, spec, error)) return fail(error);
    config.sinks.push_back(std::move(spec));
  }
  if (config.listeners.empty() && file.empty()) gateway::add_default_listeners(config, stdlib_names());
  if (config.sinks.empty()) config.sinks.push_back(gateway::SinkSpec{});
  if (!args.http.empty()) config.http = args.http;
  if (!args.mqtt_topic.empty()) config.mqtt.topic = args.mqtt_topic;
  if (!args.mqtt_client_id.empty()) config.mqtt.client_id = args.mqtt_client_id;
  if (!args.mqtt_username.empty()) config.mqtt.username = args.mqtt_username;
  if (const char* password = std::getenv("PVM_MQTT_PASSWORD"); password && *password)
    config.mqtt.password = password;
  if (args.mqtt_qos >= 0) config.mqtt.qos = args.mqtt_qos;
  if (args.mqtt_connections) config.mqtt.connections = args.mqtt_connections;
  if (args.mqtt_inflight) config.mqtt.inflight = args.mqtt_inflight;
  if (!args.spool.empty()) config.spool_dir = args.spool;
  if (args.workers) config.workers = args.workers;
  if (args.idle_timeout) config.limits.idle_timeout = args.idle_timeout;
  if (args.drain_timeout) config.limits.drain_timeout = args.drain_timeout;
  if (args.frame_timeout) config.limits.frame_timeout = args.frame_timeout;
  if (args.max_udp_peers) config.limits.max_udp_peers = args.max_udp_peers;
  if (args.udp_anonymous_timeout) config.limits.udp_anonymous_timeout = args.udp_anonymous_timeout;
  if (args.max_buffered_bytes) config.limits.max_buffered_bytes = args.max_buffered_bytes;
  if (!args.log_level.empty()) gateway::parse_log_level(args.log_level, config.log_level);
  if (args.no_server_fields) config.server_fields = false;
  if (args.jit) config.jit = true;
  if (args.no_jit_cache)
    config.jit_cache = "";
  else if (!args.jit_cache.empty())
    config.jit_cache = args.jit_cache;
  else if (!config.jit_cache)
    config.jit_cache = default_jit_cache();
  if (!args.tls_cert.empty()) config.tls.cert_file = args.tls_cert;
  if (!args.tls_key.empty()) config.tls.key_file = args.tls_key;
  if (!args.mqtt_ca_file.empty()) config.mqtt.ca_file = args.mqtt_ca_file;
  if (!args.mqtt_cert.empty()) config.mqtt.cert_file = args.mqtt_cert;
  if (!args.mqtt_key.empty()) config.mqtt.key_file = args.mqtt_key;
  if (args.check || !args.check_config.empty()) {
    // A check leaves nothing behind: it compiles without the module cache.
    if (!check_serve_config(config, protocol_loader(std::make_shared<ModuleCache>()), std::cout, error))
      return fail(error);
    std::cout << (file.empty() ? "the defaults and flags" : file == "-" ? "<stdin>" : file) << ": ok\n";
    return kExitOk;
  }
  if (!gateway::validate(config, error)) return fail(error);
  const gateway::ProgramLoader load_protocol =
      protocol_loader(std::make_shared<ModuleCache>(module_cache_dir(args, config)));
  const int status = gateway::serve(config, load_protocol);
  return status == gateway::kServeConfig ? kExitUsage : status == gateway::kServeOk ? kExitOk : kExitFailed;
}

}  // namespace

void add_serve_command(CLI::App& app, int& status) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Run the gateway: receive devices over TCP, TLS and UDP, publish their messages, ACK them once stored.\n"
      "Without --config and --listen: every stdlib protocol on its customary port, JSON lines to stdout.\n"
      "SIGTERM drains and stops; SIGHUP reloads the protocols and reopens jsonl files. Logs are JSON lines "
      "on standard error.");
  cmd->add_option("-c,--config", args->config,
                  "gateway.toml ('-': standard input); flags given as well override it")
      ->type_name("FILE");
  cmd->add_option("--check-config", args->check_config,
                  "Check FILE (as --config FILE --check) and exit: 0 when it can run, 2 otherwise")
      ->type_name("FILE");
  cmd->add_flag("--check", args->check,
                "Check the configuration the other options give (keys, values, protocols that compile,\n"
                "certificate files), print a summary and exit without serving");
  cmd->add_option("--listen", args->listen,
                  "PROTOCOL@tcp://HOST:PORT, PROTOCOL@tls://HOST:PORT (TLS, see --tls-cert) or\n"
                  "PROTOCOL@udp://HOST:PORT, with ?NAME=VALUE session options (repeatable);\n"
                  "PROTOCOL is a stdlib name or a .pvm/.pvmc path")
      ->allow_extra_args(false);
  cmd->add_option("--sink", args->sinks,
                  "stdout, jsonl:PATH, mqtt://HOST:PORT or mqtts://HOST:PORT (TLS; default port 8883)\n"
                  "(repeatable: a device is ACKed once every sink has its messages)")
      ->allow_extra_args(false);
  cmd->add_option("--http", args->http,
                  "HOST:PORT for /metrics, /healthz, /readyz and POST /devices/IDENT/commands/NAME");
  cmd->add_option("--mqtt-topic", args->mqtt_topic, "Topic template (default pvm/{protocol}/{ident})");
  cmd->add_option("--mqtt-client-id", args->mqtt_client_id,
                  "Client id prefix (host name, pid and worker appended)");
  cmd->add_option("--mqtt-username", args->mqtt_username,
                  "Broker user name (the password from $PVM_MQTT_PASSWORD)");
  cmd->add_option("--mqtt-qos", args->mqtt_qos, "1 (default): ACK devices after PUBACK; 0: after the write")
      ->check(CLI::Range(0, 1));
  cmd->add_option("--mqtt-connections", args->mqtt_connections,
                  "Connections to the broker per worker (default " +
                      std::to_string(gateway::kDefaultMqttConnections) + "); a device's messages keep to one")
      ->check(CLI::Range(1u, gateway::kMaxMqttConnections))
      ->type_name("N");
  cmd->add_option("--mqtt-inflight", args->mqtt_inflight,
                  "PUBLISH packets each connection keeps in flight awaiting PUBACK (default " +
                      std::to_string(gateway::kDefaultMqttInflight) + ")")
      ->check(CLI::Range(1u, gateway::kMaxMqttPacketIds))
      ->type_name("N");
  cmd->add_option("--mqtt-ca-file", args->mqtt_ca_file,
                  "mqtts://: CA certificates (PEM) the broker's certificate must chain to (default: the\n"
                  "system's); the certificate must also name the sink's host")
      ->type_name("FILE");
  cmd->add_option("--mqtt-cert", args->mqtt_cert, "mqtts://: the gateway's client certificate (PEM)")
      ->type_name("FILE");
  cmd->add_option("--mqtt-key", args->mqtt_key, "mqtts://: the key of --mqtt-cert (PEM)")->type_name("FILE");
  cmd->add_option("--tls-cert", args->tls_cert,
                  "tls:// listeners: the gateway's certificate chain (PEM); SIGHUP reads it again")
      ->type_name("FILE");
  cmd->add_option("--tls-key", args->tls_key, "tls:// listeners: the key of --tls-cert (PEM)")
      ->type_name("FILE");
  cmd->add_option("--spool", args->spool,
                  "Directory of an on-disk queue: devices are ACKed once their messages are synced there,\n"
                  "and published when the broker takes them");
  cmd->add_option("--workers", args->workers, "Event-loop threads (default: one per CPU)");
  cmd->add_option("--idle-timeout", args->idle_timeout,
                  "Seconds of silence before a device is dropped (default 300)");
  cmd->add_option("--drain-timeout", args->drain_timeout, "Seconds SIGTERM waits for the sinks (default 10)");
  cmd->add_flag("--no-server-fields", args->no_server_fields,
                "Leave out server.timestamp (receive time) and peer (device IP:PORT), which every\n"
                "message carries by default right after ident and protocol.id");
  cmd->add_flag("--jit", args->jit,
                "Run the protocols as native code, compiled once per load and shared by every session;\n"
                "it compiles in the background while the interpreter serves, and the log says when it\n"
                "is ready, or why the interpreter goes on running a protocol this pvm cannot compile");
  add_jit_cache_options(*cmd, args->jit_cache, args->no_jit_cache);
  add_module_cache_options(*cmd, args->module_cache);
  cmd->add_option("--frame-timeout", args->frame_timeout,
                  "Seconds a device has to finish a frame it began (default 30)");
  cmd->add_option("--max-buffered-bytes", args->max_buffered_bytes,
                  "Bytes of unfinished frames held for all connections together (default 64 MiB)")
      ->check(CLI::Range(uint64_t{pvm::bc::kMaxFrameBytes}, UINT64_MAX >> 1));
  cmd->add_option("--max-udp-peers", args->max_udp_peers,
                  "UDP peers remembered per worker; the least recently heard goes first (default 100000)");
  cmd->add_option("--udp-anonymous-timeout", args->udp_anonymous_timeout,
                  "Seconds a UDP peer that never gave its ident is remembered (default 10)");
  cmd->add_option("--log-level", args->log_level, "debug, info (default), warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  cmd->footer(
      "Exit status: 0 after SIGTERM or SIGINT drained the gateway (or --check found the configuration\n"
      "good), 1 when the runtime failed, 2 when the configuration cannot run (a bad key or value, a\n"
      "protocol that does not compile, a port already taken). Operating it: docs/operations.md.\n\n"
      "Examples:\n"
      "  pvm serve --listen teltonika@tcp://0.0.0.0:5027 --sink jsonl:messages.jsonl --http :9100 --jit\n"
      "  pvm serve --config /etc/pvm/gateway.toml\n"
      "  pvm serve --check-config /etc/pvm/gateway.toml");
  cmd->callback([args, &status] { status = run_serve(*args); });
}

}  // namespace pvm::cli
