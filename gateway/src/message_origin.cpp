#include "pvm/gateway/message_origin.h"

#include <time.h>

#include <charconv>

namespace pvm::gateway {

void OriginMembers::set(const MessageOrigin& origin, const Program* program) {
  look_ = program == nullptr || program->may_set("server.timestamp") || program->may_set("peer");
  // to_chars, not snprintf: this runs for every frame, and snprintf's format parsing was 5% of
  // a loaded gateway's CPU.
  char stamp[32];
  char* p = stamp;
  if (origin.received_ms < 0) *p++ = '-';
  const uint64_t ms = origin.received_ms < 0 ? 0 - static_cast<uint64_t>(origin.received_ms)
                                             : static_cast<uint64_t>(origin.received_ms);
  p = std::to_chars(p, stamp + sizeof stamp, ms / 1000).ptr;
  const auto frac = static_cast<unsigned>(ms % 1000);
  *p++ = '.';
  *p++ = static_cast<char>('0' + frac / 100);
  *p++ = static_cast<char>('0' + frac / 10 % 10);
  *p++ = static_cast<char>('0' + frac % 10);
  text_.assign("\"server.timestamp\":").append(stamp, p);
  peer_ = std::string::npos;
  if (origin.peer.empty()) return;
  text_ += ',';
  peer_ = text_.size();
  text_ += "\"peer\":";
  append_json_string(text_, origin.peer);
}

std::string_view OriginMembers::for_message(const Message& message) const {
  if (!look_) return text_;
  bool has_stamp = false;
  bool has_peer = false;
  for (const Field& f : message.fields) {
    has_stamp = has_stamp || f.name == "server.timestamp";
    has_peer = has_peer || f.name == "peer";
  }
  const std::string_view text = text_;
  if (has_stamp) return peer_ == std::string::npos || has_peer ? std::string_view() : text.substr(peer_);
  if (has_peer && peer_ != std::string::npos) return text.substr(0, peer_ - 1);
  return text;
}

int64_t unix_millis() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace pvm::gateway
