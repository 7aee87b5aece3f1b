// Publishes messages to an MQTT broker with libmosquitto, driven by the worker's own event loop
// (mosquitto_socket in epoll, no library thread), so each worker owns one client and nothing is
// shared. With QoS 1 a message is accepted when the broker's PUBACK for it arrives.
//
// While the broker is away the sink is not ready: the worker stops reading from devices, and
// publishes already taken wait in libmosquitto, which sends them again after reconnecting.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>

#include "event_loop.h"
#include "pvm/gateway/config.h"
#include "sink.h"
#include "topic.h"

struct mosquitto;
struct mosquitto_message;

namespace pvm::gateway {

class MqttSink final : public Sink, public Watcher {
 public:
  using CommandHandler = std::function<void(const CommandTopic& topic, std::string_view payload)>;

  MqttSink(EventLoop& loop, const SinkSpec& spec, const MqttOptions& options, std::string client_id,
           DeliveryListener& listener, size_t max_queue, CommandHandler on_command);
  ~MqttSink() override;
  MqttSink(const MqttSink&) = delete;
  MqttSink& operator=(const MqttSink&) = delete;

  std::string_view kind() const override { return "mqtt"; }
  bool ready() const override { return connected_ && inflight_.size() < max_queue_; }
  size_t queued() const override { return inflight_.size(); }
  void submit(const SinkRecord& record, Ticket ticket) override;
  void flush() override { sync_socket(); }
  void tick(int64_t now_ms) override;
  void shutdown() override { disconnect(); }

  // Publishes `payload` to an already expanded topic (the spool's replay).
  void publish(const std::string& topic, std::string_view payload, Ticket ticket);
  // Sends DISCONNECT: the end of a graceful shutdown.
  void disconnect();

  void on_event(uint32_t events) override;

 private:
  void enable_tls();
  void connect(int64_t now_ms);
  void sync_socket();
  void on_connect(int rc);
  void on_disconnect(int rc);
  void on_publish(int mid);
  void on_message(const mosquitto_message& message);

  EventLoop& loop_;
  SinkSpec spec_;
  const MqttOptions& options_;
  std::string client_id_;
  DeliveryListener& listener_;
  size_t max_queue_;
  CommandHandler on_command_;
  std::string subscription_;

  mosquitto* mosq_ = nullptr;
  int fd_ = -1;
  uint32_t interest_ = 0;
  bool connected_ = false;
  bool started_ = false;
  bool down_logged_ = false;
  int64_t next_connect_ms_ = 0;
  int backoff_ms_ = 0;
  std::string topic_;
  std::string last_error_;  // libmosquitto's last error log line: the detail of a failed connection
  std::unordered_map<int, Ticket> inflight_;  // by MQTT packet id
};

}  // namespace pvm::gateway
