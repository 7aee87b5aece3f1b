// gateway.toml: the same settings as the flags, plus limits. docs/operations.md shows a full file.
// Parsing happens once at start-up (and on SIGHUP never), so toml++'s exceptions stay here.
#include <toml++/toml.h>

#include <filesystem>
#include <initializer_list>
#include <limits>

#include "pvm/gateway/config.h"

namespace pvm::gateway {
namespace {

class Reader {
 public:
  Reader(std::string source, std::string& error) : source_(std::move(source)), error_(error) {}

  bool fail(const toml::node& node, std::string_view key, std::string_view what) {
    error_ = source_ + ":" + std::to_string(node.source().begin.line) + ": " + std::string(key) + ": " +
             std::string(what);
    return false;
  }

  // Rejects keys this version does not know, so that a typo is not silently ignored.
  bool known_keys(const toml::table& table, std::initializer_list<std::string_view> keys) {
    for (const auto& [key, node] : table) {
      bool found = false;
      for (auto k : keys) found = found || k == key.str();
      if (!found) return fail(node, key.str(), "unknown key");
    }
    return true;
  }

  bool get(const toml::table& table, std::string_view key, std::string& out) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return true;
    if (!node->is_string()) return fail(*node, key, "must be a string");
    out = node->as_string()->get();
    return true;
  }

  bool get(const toml::table& table, std::string_view key, bool& out) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return true;
    if (!node->is_boolean()) return fail(*node, key, "must be true or false");
    out = node->as_boolean()->get();
    return true;
  }

  template <typename T>
  bool get(const toml::table& table, std::string_view key, T& out, uint64_t min, uint64_t max) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return true;
    if (!node->is_integer()) return fail(*node, key, "must be an integer");
    const int64_t v = node->as_integer()->get();
    if (v < 0 || static_cast<uint64_t>(v) < min || static_cast<uint64_t>(v) > max)
      return fail(*node, key, "must be in " + std::to_string(min) + ".." + std::to_string(max));
    out = static_cast<T>(v);
    return true;
  }

  // A string or an array of strings, each parsed by `parse`.
  template <typename Spec, typename Parse>
  bool get_list(const toml::table& table, std::string_view key, std::vector<Spec>& out, Parse parse) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return true;
    std::vector<const toml::node*> items;
    if (const toml::array* array = node->as_array()) {
      for (const toml::node& item : *array) items.push_back(&item);
    } else {
      items.push_back(node);
    }
    for (const toml::node* item : items) {
      if (!item->is_string()) return fail(*item, key, "must be a string or an array of strings");
      Spec spec;
      std::string why;
      if (!parse(item->as_string()->get(), spec, why)) return fail(*item, key, why);
      out.push_back(std::move(spec));
    }
    return true;
  }

  const toml::table* table(const toml::table& parent, std::string_view key) {
    const toml::node* node = parent.get(key);
    if (node == nullptr) return &empty_;
    if (!node->is_table()) {
      fail(*node, key, "must be a table");
      return nullptr;
    }
    return node->as_table();
  }

 private:
  std::string source_;
  std::string& error_;
  toml::table empty_;
};

constexpr uint64_t kU32 = std::numeric_limits<uint32_t>::max();

bool read_limits(Reader& r, const toml::table& t, Limits& l) {
  return r.known_keys(t, {"max_frame", "idle_timeout", "max_pending_frames", "max_sink_queue",
                          "max_connections", "drain_timeout", "command_timeout", "max_udp_peers",
                          "udp_anonymous_timeout", "frame_timeout", "max_buffered_bytes", "fuel"}) &&
         r.get(t, "max_frame", l.max_frame, 16, bc::kMaxFrameBytes) &&
         r.get(t, "idle_timeout", l.idle_timeout, 1, kU32) &&
         r.get(t, "max_pending_frames", l.max_pending_frames, 1, 1u << 16) &&
         r.get(t, "max_sink_queue", l.max_sink_queue, 1, kMaxMqttPacketIds - 1) &&
         r.get(t, "max_connections", l.max_connections, 1, kU32) &&
         r.get(t, "drain_timeout", l.drain_timeout, 0, 3600) &&
         r.get(t, "command_timeout", l.command_timeout, 1, kMaxCommandWaitSeconds) &&
         r.get(t, "max_udp_peers", l.max_udp_peers, 1, kU32) &&
         r.get(t, "udp_anonymous_timeout", l.udp_anonymous_timeout, 1, kU32) &&
         r.get(t, "frame_timeout", l.frame_timeout, 1, kU32) &&
         r.get(t, "max_buffered_bytes", l.max_buffered_bytes, bc::kMaxFrameBytes, UINT64_MAX >> 1) &&
         r.get(t, "fuel", l.fuel, kMinFuel, kMaxFuel);
}

bool read_mqtt(Reader& r, const toml::table& t, MqttOptions& m) {
  return r.known_keys(t, {"topic", "client_id", "qos", "keepalive", "connections", "inflight", "username",
                          "password", "commands", "ca_file", "cert_file", "key_file"}) &&
         r.get(t, "topic", m.topic) && r.get(t, "client_id", m.client_id) && r.get(t, "qos", m.qos, 0, 1) &&
         r.get(t, "keepalive", m.keepalive, 5, 3600) &&
         r.get(t, "connections", m.connections, 1, kMaxMqttConnections) &&
         r.get(t, "inflight", m.inflight, 1, kMaxMqttPacketIds) && r.get(t, "username", m.username) &&
         r.get(t, "password", m.password) && r.get(t, "commands", m.commands) &&
         r.get(t, "ca_file", m.ca_file) && r.get(t, "cert_file", m.cert_file) &&
         r.get(t, "key_file", m.key_file);
}

bool read_tls(Reader& r, const toml::table& t, TlsOptions& tls) {
  return r.known_keys(t, {"cert_file", "key_file", "handshake_timeout"}) &&
         r.get(t, "cert_file", tls.cert_file) && r.get(t, "key_file", tls.key_file) &&
         r.get(t, "handshake_timeout", tls.handshake_timeout, 1, 300);
}

bool read_root(Reader& r, const toml::table& root, GatewayConfig& c) {
  if (!r.known_keys(root, {"workers", "http", "log_level", "server_fields", "jit", "jit_cache",
                           "module_cache", "listen", "sinks", "limits", "mqtt", "spool", "jsonl", "tls"}))
    return false;
  std::vector<ListenSpec> listeners;
  std::vector<SinkSpec> sinks;
  std::string level;
  if (!r.get(root, "log_level", level)) return false;
  for (auto [key, dir] : {std::pair{"jit_cache", &c.jit_cache}, std::pair{"module_cache", &c.module_cache}}) {
    if (!root.contains(key)) continue;
    std::string text;
    if (!r.get(root, key, text)) return false;
    *dir = text;
  }
  if (!level.empty() && !parse_log_level(level, c.log_level))
    return r.fail(*root.get("log_level"), "log_level", "must be debug, info, warn or error");
  if (!r.get(root, "workers", c.workers, 0, 1024) || !r.get(root, "http", c.http) ||
      !r.get(root, "server_fields", c.server_fields) || !r.get(root, "jit", c.jit) ||
      !r.get_list(root, "listen", listeners, parse_listen) || !r.get_list(root, "sinks", sinks, parse_sink))
    return false;
  if (!listeners.empty()) c.listeners = std::move(listeners);
  if (!sinks.empty()) c.sinks = std::move(sinks);
  const toml::table* limits = r.table(root, "limits");
  const toml::table* mqtt = r.table(root, "mqtt");
  const toml::table* spool = r.table(root, "spool");
  const toml::table* jsonl = r.table(root, "jsonl");
  const toml::table* tls = r.table(root, "tls");
  return limits && mqtt && spool && jsonl && tls && read_limits(r, *limits, c.limits) &&
         read_mqtt(r, *mqtt, c.mqtt) && read_tls(r, *tls, c.tls) &&
         r.known_keys(*spool, {"dir", "max_bytes"}) && r.get(*spool, "dir", c.spool_dir) &&
         r.get(*spool, "max_bytes", c.spool_max_bytes, kSpoolSegmentBytes, UINT64_MAX >> 1) &&
         r.known_keys(*jsonl, {"fsync"}) && r.get(*jsonl, "fsync", c.jsonl_fsync);
}

}  // namespace

bool load_config_text(std::string_view text, const std::string& source, GatewayConfig& config,
                      std::string& error) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    error = source + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description());
    return false;
  }
  Reader reader(source, error);
  return read_root(reader, root, config);
}

bool load_config_file(const std::string& path, GatewayConfig& config, std::string& error) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto line = e.source().begin.line;
    error = path + (line ? ":" + std::to_string(line) : std::string()) + ": " + std::string(e.description());
    return false;
  }
  Reader reader(path, error);
  if (!read_root(reader, root, config)) return false;
  config.base_dir = std::filesystem::path(path).parent_path().string();
  // Certificate files and the caches named in the file are relative to it, as protocol paths are.
  std::string unset;
  std::string* jit_cache = config.jit_cache ? &*config.jit_cache : &unset;
  std::string* module_cache = config.module_cache ? &*config.module_cache : &unset;
  for (std::string* file : {&config.tls.cert_file, &config.tls.key_file, &config.mqtt.ca_file,
                            &config.mqtt.cert_file, &config.mqtt.key_file, jit_cache, module_cache})
    if (!file->empty() && std::filesystem::path(*file).is_relative() && !config.base_dir.empty())
      *file = (std::filesystem::path(config.base_dir) / *file).string();
  return true;
}

bool validate(const GatewayConfig& config, std::string& error) {
  if (config.listeners.empty()) {
    error = "nothing to listen on: give --listen PROTOCOL@tcp://HOST:PORT or a config with listen = [...]";
    return false;
  }
  if (config.sinks.empty()) {
    error = "no sink";
    return false;
  }
  int mqtt = 0;
  for (const auto& s : config.sinks) mqtt += s.kind == SinkKind::Mqtt;
  if (mqtt > 1) {
    error = "at most one MQTT sink";
    return false;
  }
  if (!config.spool_dir.empty() && mqtt == 0) {
    error = "the spool holds messages for an MQTT broker: it needs an mqtt:// sink";
    return false;
  }
  if (config.mqtt.topic.find("{ident}") == std::string::npos) {
    error = "the MQTT topic template must contain {ident}";
    return false;
  }
  if (config.mqtt.cert_file.empty() != config.mqtt.key_file.empty()) {
    error = "the MQTT client certificate needs both cert_file and key_file";
    return false;
  }
  for (const auto& l : config.listeners)
    if (l.tls && (config.tls.cert_file.empty() || config.tls.key_file.empty())) {
      error = l.text() +
              ": a TLS listener needs a certificate and its key (--tls-cert and --tls-key, or [tls] "
              "cert_file and key_file)";
      return false;
    }
  return true;
}

}  // namespace pvm::gateway
