// Publishes messages to an MQTT broker over `connections` connections per worker (each an
// MqttConnection with its own window of messages in flight), so that one connection's round trip
// does not bound the rate. A device's messages always take the same connection (chosen by topic),
// which keeps them in order on the broker. With QoS 1 a message is accepted when the broker's
// PUBACK for it arrives.
//
// While the broker is away the sink is not ready: the worker stops reading from devices, and
// publishes already taken are sent again after reconnecting.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "event_loop.h"
#include "mqtt_connection.h"
#include "pvm/gateway/config.h"
#include "sink.h"
#include "topic.h"

namespace pvm::gateway {

class MqttSink final : public Sink {
 public:
  using CommandHandler = std::function<void(const CommandTopic& topic, std::string_view payload)>;

  MqttSink(EventLoop& loop, const SinkSpec& spec, const MqttOptions& options, std::string client_id,
           DeliveryListener& listener, size_t max_queue, CommandHandler on_command);
  ~MqttSink() override;
  MqttSink(const MqttSink&) = delete;
  MqttSink& operator=(const MqttSink&) = delete;

  std::string_view kind() const override { return "mqtt"; }
  bool ready() const override;
  size_t queued() const override;
  void submit(const SinkRecord& record, Ticket ticket) override;
  void flush() override;
  void tick(int64_t now_ms) override;
  void shutdown() override { disconnect(); }

  // Publishes `payload` to an already expanded topic (the spool's replay).
  void publish(const std::string& topic, std::string_view payload, Ticket ticket);
  // Sends DISCONNECT: the end of a graceful shutdown.
  void disconnect();

 private:
  void on_message(const mosquitto_message& message);

  SinkSpec spec_;
  const MqttOptions& options_;
  size_t max_queue_;
  CommandHandler on_command_;
  std::string topic_;
  std::vector<std::unique_ptr<MqttConnection>> connections_;
};

}  // namespace pvm::gateway
