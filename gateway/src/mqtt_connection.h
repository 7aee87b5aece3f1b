// One connection of the MQTT sink to the broker: a libmosquitto client driven by the worker's own
// event loop (mosquitto_socket in epoll, no library thread). It keeps at most `inflight` PUBLISH
// packets with the library, waiting for their PUBACK; more wait here, in order, and go out as
// PUBACKs come back. libmosquitto walks its whole list of messages for every publish and every
// PUBACK, so its list is kept to the window rather than to everything the worker has taken.
//
// While the broker is away the connection is not ready; what libmosquitto holds is sent again
// after it reconnects, and what waits here follows.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "event_loop.h"
#include "pvm/gateway/config.h"
#include "sink.h"

struct mosquitto;
struct mosquitto_message;

namespace pvm::gateway {

class MqttConnection final : public Watcher {
 public:
  using MessageHandler = std::function<void(const mosquitto_message& message)>;

  // `subscription` (may be empty) is subscribed to on every connect; `on_message` receives what
  // arrives on it.
  MqttConnection(EventLoop& loop, const SinkSpec& spec, const MqttOptions& options, std::string client_id,
                 DeliveryListener& listener, std::string subscription, MessageHandler on_message);
  ~MqttConnection();
  MqttConnection(const MqttConnection&) = delete;
  MqttConnection& operator=(const MqttConnection&) = delete;

  bool connected() const { return connected_; }
  // Taken and not yet accepted or failed: with the library or waiting here.
  size_t queued() const { return inflight_.size() + waiting_.size(); }
  void publish(const std::string& topic, std::string_view payload, Ticket ticket);
  void flush() { sync_socket(); }
  void tick(int64_t now_ms);
  // Sends DISCONNECT.
  void disconnect();

  void on_event(uint32_t events) override;

 private:
  struct Waiting {
    std::string topic;
    std::string payload;
    Ticket ticket;
  };

  void enable_tls();
  void connect(int64_t now_ms);
  void sync_socket();
  void capture_errors(bool on);
  void on_connect(int rc);
  void on_disconnect(int rc);
  void on_publish(int mid);
  // Hands waiting messages to the library while the window has room.
  void release();
  bool send(const std::string& topic, std::string_view payload, Ticket ticket);

  EventLoop& loop_;
  const SinkSpec& spec_;
  const MqttOptions& options_;
  std::string client_id_;
  DeliveryListener& listener_;
  std::string subscription_;
  MessageHandler on_message_;

  mosquitto* mosq_ = nullptr;
  int fd_ = -1;
  uint32_t interest_ = 0;
  bool connected_ = false;
  bool started_ = false;
  bool down_logged_ = false;
  int64_t next_connect_ms_ = 0;
  int backoff_ms_ = 0;
  std::string last_error_;  // libmosquitto's last error log line: the detail of a failed connection
  std::unordered_map<int, Ticket> inflight_;  // with the library, by MQTT packet id
  std::deque<Waiting> waiting_;
};

}  // namespace pvm::gateway
