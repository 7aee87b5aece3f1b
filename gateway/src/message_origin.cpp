#include "pvm/gateway/message_origin.h"

#include <time.h>

#include <cstdio>

namespace pvm::gateway {

void append_json_with_origin(std::string& out, const Message& message, const MessageOrigin& origin) {
  size_t lead = 0;
  while (lead < message.fields.size() &&
         (message.fields[lead].name == "ident" || message.fields[lead].name == "protocol.id"))
    ++lead;
  if (lead > 0) {
    append_json(out, Message{message.fields.first(lead)});
    out.pop_back();  // '}': the object goes on
  } else {
    out += '{';
  }
  bool first = lead == 0;
  // Written here, not as a Float field: always three decimals (1700000000.000, never 1.7e+09).
  if (message.find("server.timestamp") == nullptr) {
    char text[48];
    std::snprintf(text, sizeof text, "%s\"server.timestamp\":%lld.%03d", first ? "" : ",",
                  static_cast<long long>(origin.received_ms / 1000),
                  static_cast<int>(origin.received_ms % 1000));
    out += text;
    first = false;
  }
  if (message.find("peer") == nullptr && !origin.peer.empty()) {
    out += first ? "\"peer\":" : ",\"peer\":";
    append_json_string(out, origin.peer);
    first = false;
  }
  const size_t rest = out.size();
  append_json(out, Message{message.fields.subspan(lead)});
  if (out.size() == rest + 2) {  // "{}": nothing after the envelope
    out.erase(rest, 1);
  } else if (first) {
    out.erase(rest, 1);
  } else {
    out[rest] = ',';
  }
}

int64_t unix_millis() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace pvm::gateway
