#include "mqtt_sink.h"

#include <mosquitto.h>

#include <algorithm>

#include "log.h"

namespace pvm::gateway {

MqttSink::MqttSink(EventLoop& loop, const SinkSpec& spec, const MqttOptions& options, std::string client_id,
                   DeliveryListener& listener, size_t max_queue, CommandHandler on_command)
    : spec_(spec), options_(options), max_queue_(max_queue), on_command_(std::move(on_command)) {
  std::string subscription, error;
  if (options_.commands && on_command_ && !command_subscription(options_.topic, subscription, error))
    LogLine(Level::Warn, "mqtt commands disabled").str("reason", error);
  for (uint32_t k = 0; k < std::max(options_.connections, 1u); ++k) {
    // The first connection keeps the worker's client id and alone receives the commands.
    std::string id = k == 0 ? client_id : client_id + "-c" + std::to_string(k);
    auto handler = [this](const mosquitto_message& m) { on_message(m); };
    connections_.push_back(std::make_unique<MqttConnection>(
        loop, spec_, options_, std::move(id), listener, k == 0 ? subscription : std::string(),
        k == 0 ? MqttConnection::MessageHandler(handler) : MqttConnection::MessageHandler()));
  }
}

MqttSink::~MqttSink() = default;

bool MqttSink::ready() const {
  for (const auto& c : connections_)
    if (!c->connected()) return false;
  return queued() < max_queue_;
}

size_t MqttSink::queued() const {
  size_t n = 0;
  for (const auto& c : connections_) n += c->queued();
  return n;
}

void MqttSink::submit(const SinkRecord& record, Ticket ticket) {
  topic_.clear();
  append_topic(topic_, options_.topic, record.protocol, record.ident);
  publish(topic_, record.json, ticket);
}

void MqttSink::publish(const std::string& topic, std::string_view payload, Ticket ticket) {
  const size_t k = connections_.size() == 1 ? 0 : std::hash<std::string_view>()(topic) % connections_.size();
  connections_[k]->publish(topic, payload, ticket);
}

void MqttSink::flush() {
  for (auto& c : connections_) c->flush();
}

void MqttSink::tick(int64_t now_ms) {
  for (auto& c : connections_) c->tick(now_ms);
}

void MqttSink::disconnect() {
  for (auto& c : connections_) c->disconnect();
}

void MqttSink::on_message(const mosquitto_message& message) {
  CommandTopic topic;
  if (!on_command_ || message.topic == nullptr || !parse_command_topic(options_.topic, message.topic, topic))
    return;
  on_command_(topic, std::string_view(static_cast<const char*>(message.payload),
                                      static_cast<size_t>(message.payloadlen)));
}

}  // namespace pvm::gateway
