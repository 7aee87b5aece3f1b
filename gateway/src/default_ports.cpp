// The ports devices are usually configured to send to, so that a gateway started without a
// configuration receives them. docs/operations.md shows the same table.
#include <algorithm>
#include <array>

#include "pvm/gateway/config.h"

namespace pvm::gateway {
namespace {

struct CustomaryPort {
  std::string_view protocol;
  uint16_t port;
  bool udp = true;  // false: the devices of the family only connect over TCP
};

// The ports most servers (and device manuals) use for these families. A protocol without one
// (a Wialon retranslator is pointed at whatever port its operator chose) needs --listen.
constexpr std::array kCustomaryPorts{
    CustomaryPort{"teltonika", 5027},    CustomaryPort{"gt06", 5023},
    CustomaryPort{"ruptela", 5046},      CustomaryPort{"galileosky", 5034},
    CustomaryPort{"queclink", 5004},     CustomaryPort{"meitrack", 5020},
    CustomaryPort{"h02", 5013},          CustomaryPort{"minifinder2", 5187, false},
    CustomaryPort{"castel", 5086},       CustomaryPort{"meiligao", 5009},
    CustomaryPort{"atrack", 5044},       CustomaryPort{"suntech", 5011, false},
    CustomaryPort{"egts", 5162, false},  CustomaryPort{"its", 5179, false},
    CustomaryPort{"eelink", 5064},       CustomaryPort{"osmand", 5055, false},
    CustomaryPort{"watch", 5093, false}, CustomaryPort{"gosafe", 5078},
    CustomaryPort{"t800x", 5094},        CustomaryPort{"aplicom", 5049, false},
    CustomaryPort{"jt808", 5015, false},
};

const CustomaryPort* find_port(std::string_view protocol) {
  for (const auto& entry : kCustomaryPorts)
    if (entry.protocol == protocol) return &entry;
  return nullptr;
}

}  // namespace

uint16_t customary_port(std::string_view protocol) {
  const CustomaryPort* entry = find_port(protocol);
  return entry ? entry->port : 0;
}

void add_default_listeners(GatewayConfig& config, const std::vector<std::string>& protocols) {
  for (const auto& protocol : protocols) {
    const CustomaryPort* entry = find_port(protocol);
    if (entry == nullptr) continue;
    for (Transport transport : {Transport::Tcp, Transport::Udp}) {
      if (transport == Transport::Udp && !entry->udp) continue;
      ListenSpec spec;
      spec.protocol = protocol;
      spec.transport = transport;
      spec.host = "0.0.0.0";
      spec.port = entry->port;
      config.listeners.push_back(std::move(spec));
    }
  }
}

}  // namespace pvm::gateway
