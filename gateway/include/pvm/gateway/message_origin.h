// Where a message came from, as the host that received its frame knows it: the receive time
// (`server.timestamp`, Unix seconds with milliseconds) and the device's address (`peer`,
// IP:PORT). `pvm serve` adds both to every message; `pvm decode` adds them from a capture.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pvm/vm.h"

namespace pvm::gateway {

struct MessageOrigin {
  int64_t received_ms = 0;  // Unix time in milliseconds
  std::string_view peer;    // "10.0.0.7:40112", "[2001:db8::7]:40112"
};

// Appends `message` as append_json does, with server.timestamp and peer placed right after the
// leading ident and protocol.id (the envelope first, then the device's parameters). A field the
// program set itself is kept and not repeated. server.timestamp always has three decimals.
void append_json_with_origin(std::string& out, const Message& message, const MessageOrigin& origin);

// Milliseconds since the Unix epoch on the real-time clock.
int64_t unix_millis();

}  // namespace pvm::gateway
