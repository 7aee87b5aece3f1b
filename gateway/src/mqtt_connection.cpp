#include "mqtt_connection.h"

#include <mosquitto.h>

#include <algorithm>
#include <mutex>

#include "log.h"
#include "pvm/gateway/limits.h"

namespace pvm::gateway {
namespace {

// Debian's trust store, for a client certificate without a CA file of its own.
constexpr const char* kSystemCaPath = "/etc/ssl/certs";

// libmosquitto sets up its process-wide TLS state (OpenSSL's init, a UI method) in a client's
// first TLS connect, without a lock: two workers connecting at once both make it, and one copy
// leaks. TLS connects therefore take turns; they are rare (start, reconnects).
std::mutex tls_connect_turn;

}  // namespace

MqttConnection::MqttConnection(EventLoop& loop, const SinkSpec& spec, const MqttOptions& options,
                               std::string client_id, DeliveryListener& listener, std::string subscription,
                               MessageHandler on_message)
    : loop_(loop),
      spec_(spec),
      options_(options),
      client_id_(std::move(client_id)),
      listener_(listener),
      subscription_(std::move(subscription)),
      on_message_(std::move(on_message)) {
  mosq_ = mosquitto_new(client_id_.c_str(), true, this);
  if (mosq_ == nullptr) return;
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  // The library sends at most the window; more wait in waiting_ (see the header).
  mosquitto_int_option(mosq_, MOSQ_OPT_SEND_MAXIMUM, static_cast<int>(options_.inflight));
  mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);
  if (spec_.tls) enable_tls();
  capture_errors(true);
  if (!options_.username.empty())
    mosquitto_username_pw_set(mosq_, options_.username.c_str(),
                              options_.password.empty() ? nullptr : options_.password.c_str());
  mosquitto_connect_callback_set(
      mosq_, [](mosquitto*, void* self, int rc) { static_cast<MqttConnection*>(self)->on_connect(rc); });
  mosquitto_disconnect_callback_set(
      mosq_, [](mosquitto*, void* self, int rc) { static_cast<MqttConnection*>(self)->on_disconnect(rc); });
  mosquitto_publish_callback_set(
      mosq_, [](mosquitto*, void* self, int mid) { static_cast<MqttConnection*>(self)->on_publish(mid); });
  mosquitto_message_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message* m) {
    auto* c = static_cast<MqttConnection*>(self);
    if (c->on_message_) c->on_message_(*m);
  });
}

void MqttConnection::enable_tls() {
  // Without a CA file the system's trust store decides; with tls_insecure false libmosquitto
  // checks that the broker's certificate names the host of the sink.
  const char* ca = options_.ca_file.empty() ? nullptr : options_.ca_file.c_str();
  if (ca == nullptr) mosquitto_int_option(mosq_, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
  const char* cert = options_.cert_file.empty() ? nullptr : options_.cert_file.c_str();
  const char* key = options_.key_file.empty() ? nullptr : options_.key_file.c_str();
  int rc = MOSQ_ERR_SUCCESS;
  if (ca != nullptr || cert != nullptr)
    rc = mosquitto_tls_set(mosq_, ca, ca ? nullptr : kSystemCaPath, cert, key, nullptr);
  if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_tls_opts_set(mosq_, 1 /* verify the broker */, nullptr, nullptr);
  if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_tls_insecure_set(mosq_, false);
  if (rc != MOSQ_ERR_SUCCESS)
    LogLine(Level::Error, "mqtt tls set-up failed")
        .str("broker", spec_.text())
        .str("error", mosquitto_strerror(rc));
}

// libmosquitto says why a connection failed (a TLS handshake: "certificate verify failed") only
// in its log. But with a log callback set it formats a line for every packet it sends or reads,
// so the callback is there only while the connection is down or being made.
void MqttConnection::capture_errors(bool on) {
  if (!on) {
    mosquitto_log_callback_set(mosq_, nullptr);
    return;
  }
  mosquitto_log_callback_set(mosq_, [](mosquitto*, void* self, int level, const char* text) {
    if (level == MOSQ_LOG_ERR && text != nullptr) static_cast<MqttConnection*>(self)->last_error_ = text;
  });
}

MqttConnection::~MqttConnection() {
  if (fd_ >= 0) loop_.remove(fd_);
  if (mosq_ != nullptr) mosquitto_destroy(mosq_);
}

void MqttConnection::connect(int64_t now_ms) {
  std::unique_lock turn(tls_connect_turn, std::defer_lock);
  if (spec_.tls) turn.lock();
  const int rc = started_
                     ? mosquitto_reconnect_async(mosq_)
                     : mosquitto_connect_async(mosq_, spec_.host.c_str(), spec_.port, options_.keepalive);
  started_ = true;
  if (rc != MOSQ_ERR_SUCCESS) {
    if (!down_logged_)
      LogLine(Level::Warn, "mqtt connect failed")
          .str("broker", spec_.text())
          .str("error", mosquitto_strerror(rc))
          .str("detail", last_error_);
    down_logged_ = true;
    backoff_ms_ = std::clamp(backoff_ms_ * 2, kReconnectFirstMillis, kReconnectMaxMillis);
    next_connect_ms_ = now_ms + backoff_ms_;
  }
  sync_socket();
}

void MqttConnection::sync_socket() {
  if (mosq_ == nullptr) return;
  const int fd = mosquitto_socket(mosq_);
  if (fd != fd_) {
    if (fd_ >= 0) loop_.remove(fd_);
    fd_ = fd;
    interest_ = 0;
    if (fd_ < 0) return;
    interest_ = EPOLLIN | (mosquitto_want_write(mosq_) || !connected_ ? EPOLLOUT : 0u);
    loop_.add(fd_, interest_, this);
    return;
  }
  if (fd_ < 0) return;
  // Until CONNACK the socket may still be connecting: writability says when it is done.
  const uint32_t want = EPOLLIN | (mosquitto_want_write(mosq_) || !connected_ ? EPOLLOUT : 0u);
  if (want != interest_) {
    interest_ = want;
    if (!loop_.modify(fd_, want, this)) loop_.add(fd_, want, this);
  }
}

void MqttConnection::on_event(uint32_t events) {
  if (events & EPOLLOUT) mosquitto_loop_write(mosq_, 1);
  if (fd_ >= 0 && (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) mosquitto_loop_read(mosq_, 1);
  sync_socket();
}

void MqttConnection::tick(int64_t now_ms) {
  if (mosq_ == nullptr) return;
  if (fd_ < 0) {
    if (now_ms >= next_connect_ms_) connect(now_ms);
    return;
  }
  mosquitto_loop_misc(mosq_);  // keep-alive PINGREQ, and a dead broker noticed
  sync_socket();
}

void MqttConnection::on_connect(int rc) {
  if (rc != 0) {
    LogLine(Level::Error, "mqtt connection refused")
        .str("broker", spec_.text())
        .str("reason", mosquitto_connack_string(rc));
    return;  // the broker closes the connection; on_disconnect schedules the retry
  }
  connected_ = true;
  down_logged_ = false;
  last_error_.clear();
  backoff_ms_ = 0;
  capture_errors(false);
  LogLine(Level::Info, "mqtt connected")
      .str("broker", spec_.text())
      .str("client_id", client_id_)
      .num("in_flight", static_cast<int64_t>(queued()));
  if (!subscription_.empty()) mosquitto_subscribe(mosq_, nullptr, subscription_.c_str(), 1);
  release();
}

void MqttConnection::on_disconnect(int rc) {
  const std::string reason = mosquitto_strerror(rc);  // before anything else can change errno
  const bool was_open = fd_ >= 0;
  // Called before libmosquitto closes the socket: take it out of epoll while it is still open.
  if (fd_ >= 0) loop_.remove(fd_);
  fd_ = -1;
  interest_ = 0;
  capture_errors(true);
  if (rc == MOSQ_ERR_SUCCESS) {
    if (was_open) LogLine(Level::Info, "mqtt closed").str("broker", spec_.text());
  } else if (connected_ || !down_logged_) {
    LogLine(Level::Warn, "mqtt disconnected")
        .str("broker", spec_.text())
        .str("reason", reason)
        .str("detail", last_error_)
        .num("in_flight", static_cast<int64_t>(queued()));
  }
  down_logged_ = true;
  connected_ = false;
  backoff_ms_ = std::clamp(backoff_ms_ * 2, kReconnectFirstMillis, kReconnectMaxMillis);
  next_connect_ms_ = now_ms() + backoff_ms_;
}

void MqttConnection::publish(const std::string& topic, std::string_view payload, Ticket ticket) {
  if (waiting_.empty() && inflight_.size() < options_.inflight && connected_) {
    send(topic, payload, ticket);
    return;
  }
  waiting_.push_back({topic, std::string(payload), ticket});
}

bool MqttConnection::send(const std::string& topic, std::string_view payload, Ticket ticket) {
  int mid = 0;
  const int rc = mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                                   payload.data(), options_.qos, false);
  // libmosquitto numbers a message only once it has queued it: from then on it will be sent,
  // after a reconnect if need be, even when the call reports the connection lost.
  if (mid == 0) {
    LogLine(Level::Error, "mqtt publish refused").str("topic", topic).str("error", mosquitto_strerror(rc));
    listener_.failed(ticket);
    return false;
  }
  inflight_[mid] = ticket;
  return true;
}

void MqttConnection::release() {
  while (!waiting_.empty() && inflight_.size() < options_.inflight && connected_) {
    Waiting w = std::move(waiting_.front());
    waiting_.pop_front();
    send(w.topic, w.payload, w.ticket);
  }
}

void MqttConnection::on_publish(int mid) {
  auto it = inflight_.find(mid);
  if (it == inflight_.end()) return;
  const Ticket ticket = it->second;
  inflight_.erase(it);
  listener_.accepted({&ticket, 1});
  release();
}

void MqttConnection::disconnect() {
  if (mosq_ == nullptr || fd_ < 0) return;
  mosquitto_disconnect(mosq_);
  mosquitto_loop_write(mosq_, 1);
}

}  // namespace pvm::gateway
