// Commands to devices: found by ident among this worker's endpoints, encoded by the protocol's
// program, sent, and answered by the next message that carries command.response.
#include "log.h"
#include "pvm/gateway/limits.h"
#include "topic.h"
#include "worker.h"

namespace pvm::gateway {
namespace {

std::string hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

}  // namespace

void Worker::handle_command(const CommandRequest& command) {
  Endpoint* target = nullptr;
  for (auto& [id, ep] : endpoints_) {
    if (ep->closed || ep->session->ident() != command.ident) continue;
    if (!command.protocol.empty() && ep->listener.protocol != command.protocol) continue;
    // A device that reconnected may leave a half-open connection behind: the newest wins.
    if (target == nullptr || ep->last_active_ms > target->last_active_ms) target = ep.get();
  }
  if (target == nullptr) {
    report(ControlEvent::Kind::NotFound, command.id, "");
    return;
  }
  std::vector<uint8_t> bytes;
  std::string error;
  if (!target->listener.program->encode(command.name, command.args, bytes, error)) {
    LogLine(Level::Warn, "command rejected")
        .str("ident", command.ident)
        .str("command", command.name)
        .str("error", error);
    report(ControlEvent::Kind::Failed, command.id, command.name + ": " + error);
    return;
  }
  send_bytes(*target, bytes);
  if (target->closed) {
    report(ControlEvent::Kind::Failed, command.id, "the device went away");
    return;
  }
  stats_.commands.add();
  if (target->awaiting.size() >= kMaxAwaitingCommands) {
    report(ControlEvent::Kind::Failed, target->awaiting.front(), "superseded by newer commands");
    target->awaiting.erase(target->awaiting.begin());
  }
  target->awaiting.push_back(command.id);
  LogLine(Level::Info, "command sent")
      .str("protocol", target->listener.protocol)
      .str("ident", command.ident)
      .str("command", command.name)
      .str("bytes", hex(bytes));
  report(ControlEvent::Kind::Sent, command.id, hex(bytes));
}

void Worker::on_mqtt_command(const CommandTopic& topic, std::string_view payload) {
  CommandRequest command;
  command.ident = topic.ident;
  command.protocol = topic.protocol;
  command.name = topic.command;
  std::string error;
  if (!parse_command_args(payload, command.args, error)) {
    LogLine(Level::Warn, "command rejected")
        .str("ident", topic.ident)
        .str("command", topic.command)
        .str("error", error);
    return;
  }
  handle_command(command);  // the worker holding the device sends it; the others find nothing
}

void Worker::answer_command(Endpoint& ep, std::string_view json) {
  const uint64_t id = ep.awaiting.front();
  ep.awaiting.erase(ep.awaiting.begin());
  report(ControlEvent::Kind::Answered, id, std::string(json));
}

void Worker::report(ControlEvent::Kind kind, uint64_t command, std::string text) {
  if (command == 0) return;  // from MQTT: the answer is published like any message
  ControlEvent event;
  event.kind = kind;
  event.worker = index_;
  event.command = command;
  event.text = std::move(text);
  shared_.control->post(std::move(event));
}

}  // namespace pvm::gateway
