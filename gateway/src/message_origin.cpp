#include "pvm/gateway/message_origin.h"

#include <time.h>

#include <charconv>

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
    // to_chars, not snprintf: this runs for every message, and snprintf's format parsing was 5%
    // of a loaded gateway's CPU.
    out += first ? "\"server.timestamp\":" : ",\"server.timestamp\":";
    char text[32];
    char* p = text;
    if (origin.received_ms < 0) *p++ = '-';
    const uint64_t ms = origin.received_ms < 0 ? 0 - static_cast<uint64_t>(origin.received_ms)
                                               : static_cast<uint64_t>(origin.received_ms);
    p = std::to_chars(p, text + sizeof text, ms / 1000).ptr;
    const auto frac = static_cast<unsigned>(ms % 1000);
    *p++ = '.';
    *p++ = static_cast<char>('0' + frac / 100);
    *p++ = static_cast<char>('0' + frac / 10 % 10);
    *p++ = static_cast<char>('0' + frac % 10);
    out.append(text, p);
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
