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
  std::string_view peer;    // "10.0.0.7:40112", "[2001:db8::7]:40112"; empty: left out
};

// The origin as JSON members, `"server.timestamp":1700000000.123,"peer":"10.0.0.7:40112"`,
// formatted once for all the messages of a frame and written by append_json(out, message,
// members) right after the leading ident and protocol.id: the envelope first, then the device's
// parameters. server.timestamp always has three decimals.
class OriginMembers {
 public:
  // `program`, when given, made the messages that follow: if it can set neither field itself,
  // they are not looked for in every message.
  void set(const MessageOrigin& origin, const Program* program = nullptr);
  // The members for `message`: a field the program set itself is kept and not repeated.
  std::string_view for_message(const Message& message) const;

 private:
  std::string text_;
  size_t peer_ = std::string::npos;  // where "peer" begins in text_
  bool look_ = true;                 // the program may set server.timestamp or peer
};

// Milliseconds since the Unix epoch on the real-time clock.
int64_t unix_millis();

}  // namespace pvm::gateway
