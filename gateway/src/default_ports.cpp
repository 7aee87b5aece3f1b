// The ports devices are usually configured to send to, so that a gateway started without a
// configuration receives them. docs/operations.md shows the same table.
#include <array>

#include "pvm/gateway/config.h"

namespace pvm::gateway {
namespace {

struct CustomaryPort {
  std::string_view protocol;
  uint16_t port;
};

// The ports most servers (and device manuals) use for these families. A protocol without one
// (a Wialon retranslator is pointed at whatever port its operator chose) needs --listen.
constexpr std::array kCustomaryPorts{
    CustomaryPort{"teltonika", 5027},  CustomaryPort{"gt06", 5023},     CustomaryPort{"ruptela", 5046},
    CustomaryPort{"galileosky", 5034}, CustomaryPort{"queclink", 5004}, CustomaryPort{"meitrack", 5020},
    CustomaryPort{"h02", 5013},        CustomaryPort{"jt808", 5015},
};

}  // namespace

uint16_t customary_port(std::string_view protocol) {
  for (const auto& entry : kCustomaryPorts)
    if (entry.protocol == protocol) return entry.port;
  return 0;
}

void add_default_listeners(GatewayConfig& config, const std::vector<std::string>& protocols) {
  for (const auto& protocol : protocols) {
    const uint16_t port = customary_port(protocol);
    if (port == 0) continue;
    for (Transport transport : {Transport::Tcp, Transport::Udp}) {
      ListenSpec spec;
      spec.protocol = protocol;
      spec.transport = transport;
      spec.host = "0.0.0.0";
      spec.port = port;
      config.listeners.push_back(std::move(spec));
    }
  }
}

}  // namespace pvm::gateway
