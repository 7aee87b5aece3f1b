// The gateway's configuration: listener and sink specs, gateway.toml, defaults, validation.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "pvm/gateway/config.h"

using namespace pvm::gateway;

TEST_CASE("gateway: listener specs") {
  ListenSpec spec;
  std::string error;
  REQUIRE(parse_listen("teltonika@tcp://0.0.0.0:5027", spec, error));
  CHECK(spec.protocol == "teltonika");
  CHECK(spec.transport == pvm::Transport::Tcp);
  CHECK(spec.host == "0.0.0.0");
  CHECK(spec.port == 5027);
  CHECK(spec.text() == "teltonika@tcp://0.0.0.0:5027");

  REQUIRE(parse_listen("protocols/x@y.pvm@udp://[::1]:7?extended=true&a=b", spec, error));
  CHECK(spec.protocol == "protocols/x@y.pvm");
  CHECK(spec.transport == pvm::Transport::Udp);
  CHECK(spec.host == "::1");
  REQUIRE(spec.options.size() == 2);
  CHECK(spec.options[0] == std::pair<std::string, std::string>{"extended", "true"});
  CHECK(spec.text() == "protocols/x@y.pvm@udp://[::1]:7?extended=true&a=b");

  REQUIRE(parse_listen("teltonika@tcp://:65535", spec, error));  // the largest port
  CHECK(spec.host == "0.0.0.0");
  CHECK(spec.port == 65535);
  CHECK_FALSE(parse_listen("teltonika@tcp://0.0.0.0:65536", spec, error));
  CHECK(error.find("not a port") != std::string::npos);
  CHECK_FALSE(parse_listen("teltonika@sctp://0.0.0.0:1", spec, error));
  CHECK_FALSE(parse_listen("tcp://0.0.0.0:1", spec, error));
  CHECK_FALSE(parse_listen("teltonika@tcp://0.0.0.0", spec, error));
  CHECK_FALSE(parse_listen("teltonika@tcp://0.0.0.0:1?novalue", spec, error));
}

TEST_CASE("gateway: sink specs") {
  SinkSpec spec;
  std::string error;
  REQUIRE(parse_sink("stdout", spec, error));
  CHECK(spec.kind == SinkKind::Stdout);
  REQUIRE(parse_sink("jsonl:/var/lib/pvm/m.jsonl", spec, error));
  CHECK(spec.kind == SinkKind::Jsonl);
  CHECK(spec.path == "/var/lib/pvm/m.jsonl");
  REQUIRE(parse_sink("mqtt://broker:1884", spec, error));
  CHECK(spec.kind == SinkKind::Mqtt);
  CHECK(spec.host == "broker");
  CHECK(spec.port == 1884);
  REQUIRE(parse_sink("mqtt://broker", spec, error));
  CHECK(spec.port == 1883);
  CHECK(spec.text() == "mqtt://broker:1883");
  CHECK_FALSE(parse_sink("jsonl:", spec, error));
  CHECK_FALSE(parse_sink("mqtt://:1883", spec, error));
  CHECK_FALSE(parse_sink("kafka://x:1", spec, error));
}

TEST_CASE("gateway: gateway.toml") {
  GatewayConfig c;
  std::string error;
  REQUIRE(load_config_text(R"(
workers = 3
http = "127.0.0.1:9100"
log_level = "warn"
jit = true
listen = ["teltonika@tcp://0.0.0.0:5027", "teltonika@udp://0.0.0.0:5027"]
sinks = "mqtt://mqtt:1883"

[mqtt]
topic = "fleet/{protocol}/{ident}"
qos = 1
connections = 4
inflight = 500

[spool]
dir = "/var/lib/pvm/spool"

[limits]
idle_timeout = 60
max_sink_queue = 65534
)",
                           "gateway.toml", c, error));
  CHECK(c.workers == 3);
  CHECK(c.http == "127.0.0.1:9100");
  CHECK(c.log_level == LogLevel::Warn);
  CHECK(c.jit);
  CHECK(c.listeners.size() == 2);
  REQUIRE(c.sinks.size() == 1);
  CHECK(c.sinks[0].host == "mqtt");
  CHECK(c.mqtt.topic == "fleet/{protocol}/{ident}");
  CHECK(c.mqtt.connections == 4);
  CHECK(c.mqtt.inflight == 500);
  CHECK(c.spool_dir == "/var/lib/pvm/spool");
  CHECK(c.limits.idle_timeout == 60);
  CHECK(c.limits.max_sink_queue == kMaxMqttPacketIds - 1);  // the most packet ids in flight
  CHECK(c.limits.max_frame == kDefaultMaxFrame);            // untouched keys keep their defaults
  CHECK_FALSE(c.jit_cache);                                 // unset: pvm serve picks its default
  CHECK_FALSE(c.module_cache);
  CHECK(validate(c, error));

  // The caches, like the other paths in a config file, are relative to the file.
  const auto dir = std::filesystem::temp_directory_path() / ("pvm-config-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "gateway.toml")
      << "jit = true\njit_cache = \"cache/jit\"\nmodule_cache = \"cache/modules\"\n";
  GatewayConfig cached;
  CHECK(load_config_file((dir / "gateway.toml").string(), cached, error));
  CHECK(cached.jit_cache == (dir / "cache/jit").string());
  CHECK(cached.module_cache == (dir / "cache/modules").string());
  std::filesystem::remove_all(dir);
  GatewayConfig off;
  REQUIRE(load_config_text("jit_cache = \"\"\nmodule_cache = \"\"\n", "gateway.toml", off, error));
  CHECK(off.jit_cache == "");
  CHECK(off.module_cache == "");
  CHECK_FALSE(load_config_text("module_cache = 1\n", "gateway.toml", off, error));
  CHECK(error == "gateway.toml:1: module_cache: must be a string");
}

TEST_CASE("gateway: gateway.toml errors name the line and key") {
  GatewayConfig c;
  std::string error;
  CHECK_FALSE(load_config_text("workers = 1\nlisen = []\n", "g.toml", c, error));
  CHECK(error == "g.toml:2: lisen: unknown key");
  CHECK_FALSE(load_config_text("[limits]\nmax_sink_queue = 65535\n", "g.toml", c, error));
  CHECK(error.find("g.toml:2: max_sink_queue: must be in 1..65534") == 0);
  CHECK_FALSE(load_config_text("[mqtt]\nconnections = 0\n", "g.toml", c, error));
  CHECK(error.find("g.toml:2: connections: must be in 1..16") == 0);
  CHECK_FALSE(load_config_text("[mqtt]\ninflight = 65536\n", "g.toml", c, error));
  CHECK(error.find("g.toml:2: inflight: must be in 1..65535") == 0);
  CHECK_FALSE(load_config_text("[limits]\nmax_frame = 15\n", "g.toml", c, error));
  CHECK_FALSE(load_config_text("listen = [\"x@tcp://h:99999\"]\n", "g.toml", c, error));
  CHECK(error.find("g.toml:1: listen:") == 0);
  CHECK_FALSE(load_config_text("workers = \"two\"\n", "g.toml", c, error));
  CHECK_FALSE(load_config_text("workers = [\n", "g.toml", c, error));
  CHECK(error.find("g.toml:") == 0);
  CHECK_FALSE(load_config_text("log_level = \"loud\"\n", "g.toml", c, error));
  CHECK_FALSE(load_config_text("jit = \"yes\"\n", "g.toml", c, error));
  CHECK(error == "g.toml:1: jit: must be true or false");
}

TEST_CASE("gateway: defaults and validation") {
  GatewayConfig c;
  add_default_listeners(c, {"teltonika", "no-such-family"});
  REQUIRE(c.listeners.size() == 2);  // TCP and UDP for the protocol with a customary port
  CHECK(c.listeners[0].port == customary_port("teltonika"));
  CHECK(customary_port("teltonika") == 5027);
  CHECK(customary_port("watch") == 5093);
  CHECK(customary_port("gosafe") == 5078);
  CHECK(customary_port("t800x") == 5094);
  CHECK(customary_port("jt808") == 5015);
  CHECK(customary_port("no-such-family") == 0);
  GatewayConfig tcp_only;
  add_default_listeners(tcp_only, {"minifinder2"});
  REQUIRE(tcp_only.listeners.size() == 1);  // a family whose devices never send datagrams
  CHECK(tcp_only.listeners[0].transport == pvm::Transport::Tcp);
  CHECK(tcp_only.listeners[0].port == 5187);
  GatewayConfig aplicom;
  add_default_listeners(aplicom, {"aplicom"});
  REQUIRE(aplicom.listeners.size() == 1);  // Aplicom units speak TCP only
  CHECK(aplicom.listeners[0].transport == pvm::Transport::Tcp);
  CHECK(aplicom.listeners[0].port == 5049);

  std::string error;
  CHECK_FALSE(validate(c, error));  // no sink
  c.sinks.push_back(SinkSpec{});
  CHECK(validate(c, error));
  c.spool_dir = "/tmp/spool";
  CHECK_FALSE(validate(c, error));  // a spool without MQTT
  SinkSpec mqtt;
  REQUIRE(parse_sink("mqtt://b:1883", mqtt, error));
  c.sinks.push_back(mqtt);
  CHECK(validate(c, error));
  c.mqtt.topic = "pvm/{protocol}";
  CHECK_FALSE(validate(c, error));
  c.mqtt.topic = "pvm/{ident}";
  c.sinks.push_back(mqtt);
  CHECK_FALSE(validate(c, error));  // two brokers
  c.listeners.clear();
  CHECK_FALSE(validate(c, error));
}

TEST_CASE("gateway: TLS listeners and mqtts:// sinks") {
  ListenSpec listen;
  std::string error;
  REQUIRE(parse_listen("teltonika@tls://0.0.0.0:5027", listen, error));
  CHECK(listen.tls);
  CHECK(listen.transport == pvm::Transport::Tcp);
  CHECK(listen.text() == "teltonika@tls://0.0.0.0:5027");
  CHECK_FALSE(parse_listen("teltonika@dtls://0.0.0.0:5027", listen, error));
  CHECK(error.find("tcp://, tls:// or udp://") != std::string::npos);

  SinkSpec sink;
  REQUIRE(parse_sink("mqtts://broker", sink, error));
  CHECK(sink.tls);
  CHECK(sink.port == 8883);
  CHECK(sink.text() == "mqtts://broker:8883");
  REQUIRE(parse_sink("mqtts://broker:9883", sink, error));
  CHECK(sink.port == 9883);

  GatewayConfig c;
  REQUIRE(load_config_text(R"(
listen = ["teltonika@tls://0.0.0.0:5027"]
sinks = ["mqtts://broker"]
[mqtt]
ca_file = "/etc/pvm/ca.crt"
cert_file = "/etc/pvm/client.crt"
key_file = "/etc/pvm/client.key"
[tls]
cert_file = "/etc/pvm/tls.crt"
key_file = "/etc/pvm/tls.key"
handshake_timeout = 5
)",
                           "gateway.toml", c, error));
  CHECK(c.mqtt.ca_file == "/etc/pvm/ca.crt");
  CHECK(c.mqtt.key_file == "/etc/pvm/client.key");
  CHECK(c.tls.cert_file == "/etc/pvm/tls.crt");
  CHECK(c.tls.handshake_timeout == 5);
  CHECK(validate(c, error));
  c.tls.key_file.clear();
  CHECK_FALSE(validate(c, error));
  CHECK(error ==
        "teltonika@tls://0.0.0.0:5027: a TLS listener needs a certificate and its key (--tls-cert and "
        "--tls-key, or [tls] cert_file and key_file)");
  c.tls.key_file = "k";
  c.mqtt.key_file.clear();
  CHECK_FALSE(validate(c, error));
  CHECK(error == "the MQTT client certificate needs both cert_file and key_file");
  CHECK_FALSE(load_config_text("[tls]\nhandshake_timeout = 0\n", "g.toml", c, error));
  CHECK(error.find("g.toml:2: handshake_timeout: must be in 1..300") == 0);
}

TEST_CASE("gateway: the limits against hostile input, at their edges") {
  GatewayConfig c;
  std::string error;
  REQUIRE(
      load_config_text("[limits]\nmax_udp_peers = 1\nudp_anonymous_timeout = 1\nframe_timeout = 1\n"
                       "max_buffered_bytes = 1048576\ncommand_timeout = 300\n",
                       "g.toml", c, error));
  CHECK(c.limits.max_udp_peers == 1);
  CHECK(c.limits.udp_anonymous_timeout == 1);
  CHECK(c.limits.frame_timeout == 1);
  CHECK(c.limits.max_buffered_bytes == pvm::bc::kMaxFrameBytes);  // the budget holds one frame at least
  CHECK(c.limits.command_timeout == kMaxCommandWaitSeconds);
  CHECK_FALSE(load_config_text("[limits]\nmax_buffered_bytes = 1048575\n", "g.toml", c, error));
  CHECK(error == "g.toml:2: max_buffered_bytes: must be in 1048576..9223372036854775807");
  CHECK_FALSE(load_config_text("[limits]\ncommand_timeout = 301\n", "g.toml", c, error));
  CHECK(error == "g.toml:2: command_timeout: must be in 1..300");
  CHECK_FALSE(load_config_text("[limits]\nmax_udp_peers = 0\n", "g.toml", c, error));
  CHECK(error == "g.toml:2: max_udp_peers: must be in 1..4294967295");
  CHECK_FALSE(load_config_text("[limits]\nframe_timeout = 0\n", "g.toml", c, error));
  CHECK_FALSE(load_config_text("[limits]\nudp_anonymous_timeout = 0\n", "g.toml", c, error));
  REQUIRE(load_config_text("[limits]\nfuel = 1048576\n", "g.toml", c, error));
  CHECK(c.limits.fuel == kMinFuel);
  CHECK_FALSE(load_config_text("[limits]\nfuel = 1048575\n", "g.toml", c, error));
  CHECK(error == "g.toml:2: fuel: must be in 1048576..34359738368");
  GatewayConfig d;
  CHECK(d.limits.max_udp_peers == kDefaultMaxUdpPeers);
  CHECK(d.limits.frame_timeout == kDefaultFrameTimeout);
  CHECK(d.limits.max_buffered_bytes == kDefaultMaxBufferedBytes);
  CHECK(d.limits.udp_anonymous_timeout == kDefaultUdpAnonymousTimeout);
  CHECK(d.limits.fuel == pvm::bc::kDefaultFuel);
}
