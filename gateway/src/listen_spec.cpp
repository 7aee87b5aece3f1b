// The text forms of listeners and sinks, shared by the flags and gateway.toml.
#include <charconv>

#include "pvm/gateway/config.h"

namespace pvm::gateway {
namespace {

bool parse_port(std::string_view text, uint16_t& port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

bool parse_host_port(std::string_view text, std::string& host, uint16_t& port, std::string& error) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    error = "'" + std::string(text) + "' is not HOST:PORT";
    return false;
  }
  std::string_view h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (!parse_port(text.substr(colon + 1), port)) {
    error = "'" + std::string(text.substr(colon + 1)) + "' is not a port (0..65535)";
    return false;
  }
  host = h.empty() ? "0.0.0.0" : std::string(h);
  return true;
}

bool parse_listen(std::string_view text, ListenSpec& out, std::string& error) {
  const size_t at = text.rfind('@');
  if (at == std::string_view::npos || at == 0) {
    error = "'" + std::string(text) +
            "' is not PROTOCOL@tcp://HOST:PORT, PROTOCOL@tls://HOST:PORT or PROTOCOL@udp://HOST:PORT";
    return false;
  }
  ListenSpec spec;
  spec.protocol = std::string(text.substr(0, at));
  std::string_view rest = text.substr(at + 1);
  if (starts_with(rest, "tcp://")) {
    spec.transport = Transport::Tcp;
  } else if (starts_with(rest, "tls://")) {
    spec.transport = Transport::Tcp;
    spec.tls = true;
  } else if (starts_with(rest, "udp://")) {
    spec.transport = Transport::Udp;
  } else {
    error = "'" + std::string(text) + "': the transport must be tcp://, tls:// or udp://";
    return false;
  }
  rest.remove_prefix(6);
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (!parse_host_port(rest, spec.host, spec.port, error)) return false;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      error = "'" + std::string(text) + "': session options are NAME=VALUE";
      return false;
    }
    spec.options.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  out = std::move(spec);
  return true;
}

std::string ListenSpec::text() const {
  std::string s = protocol + (transport == Transport::Udp ? "@udp://" : tls ? "@tls://" : "@tcp://");
  s += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  s += ":" + std::to_string(port);
  for (size_t i = 0; i < options.size(); ++i)
    s += (i ? "&" : "?") + options[i].first + "=" + options[i].second;
  return s;
}

bool parse_sink(std::string_view text, SinkSpec& out, std::string& error) {
  SinkSpec spec;
  if (text == "stdout") {
    spec.kind = SinkKind::Stdout;
  } else if (starts_with(text, "jsonl:")) {
    spec.kind = SinkKind::Jsonl;
    spec.path = std::string(text.substr(6));
    if (spec.path.empty()) {
      error = "jsonl: needs a file path (jsonl:/var/lib/pvm/messages.jsonl)";
      return false;
    }
  } else if (starts_with(text, "mqtt://") || starts_with(text, "mqtts://")) {
    spec.kind = SinkKind::Mqtt;
    spec.tls = starts_with(text, "mqtts://");
    if (spec.tls) spec.port = 8883;
    std::string_view addr = text.substr(spec.tls ? 8 : 7);
    if (!addr.empty() && addr.back() == '/') addr.remove_suffix(1);
    if (addr.find(':') == std::string_view::npos) {
      spec.host = std::string(addr);
    } else if (!parse_host_port(addr, spec.host, spec.port, error)) {
      return false;
    }
    if (spec.host.empty() || spec.host == "0.0.0.0") {
      error = "'" + std::string(text) + "' names no broker host";
      return false;
    }
  } else {
    error =
        "'" + std::string(text) + "' is not a sink (stdout, jsonl:PATH, mqtt://HOST:PORT, mqtts://HOST:PORT)";
    return false;
  }
  out = std::move(spec);
  return true;
}

std::string SinkSpec::text() const {
  switch (kind) {
    case SinkKind::Stdout:
      return "stdout";
    case SinkKind::Jsonl:
      return "jsonl:" + path;
    case SinkKind::Mqtt:
      return (tls ? "mqtts://" : "mqtt://") + host + ":" + std::to_string(port);
  }
  return "";
}

}  // namespace pvm::gateway
