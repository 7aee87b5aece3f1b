// A worker thread: one event loop owning its listening sockets, its connections and UDP peers
// (each with its pvm::Session), and its own sinks. Nothing on the message path is shared with
// another worker, so nothing there takes a lock.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "control.h"
#include "endpoint_list.h"
#include "event_loop.h"
#include "file_sink.h"
#include "mailbox.h"
#include "metrics.h"
#include "pending_frames.h"
#include "pvm/gateway/config.h"
#include "pvm/gateway/message_origin.h"
#include "sink.h"
#include "tls.h"

namespace pvm::gateway {

// A listener as the gateway set it up: its spec, program and one socket per worker.
struct ListenerSetup {
  ListenSpec spec;
  size_t series = 0;
  std::shared_ptr<const Program> program;
  TlsContext tls;  // tls:// listeners
  std::vector<int> fds;
};

// What every worker shares, owned by the gateway and alive longer than the workers.
struct WorkerShared {
  const GatewayConfig* config = nullptr;
  Metrics* metrics = nullptr;
  std::vector<SharedFile*> files;  // per sink: the output of a stdout or jsonl sink
  Mailbox<ControlEvent>* control = nullptr;
  std::string client_id;                               // MQTT client id prefix, unique to this process
  std::vector<std::vector<std::string>> spool_replay;  // per worker: segments an earlier run left
  std::atomic<uint64_t>* spool_next_id = nullptr;
};

class Worker final : public DeliveryListener {
 public:
  Worker(unsigned index, WorkerShared& shared, const std::vector<ListenerSetup>& listeners);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Runs the loop until a Stop message has been handled and the sinks drained.
  void run();
  void post(WorkerMessage message) { mailbox_.post(std::move(message)); }

  void accepted(std::span<const Ticket> tickets) override;
  void failed(Ticket ticket) override;

 private:
  struct Listener;

  // 16 bytes of address (IPv4 as v4-mapped IPv6) and the port: a UDP peer's identity.
  using PeerKey = std::array<uint8_t, 18>;
  struct PeerKeyHash {
    size_t operator()(const PeerKey& k) const;
  };

  // A TCP connection or a UDP peer.
  struct Endpoint final : Watcher {
    Endpoint(Worker& w, Listener& l, uint64_t i) : worker(w), listener(l), id(i) {}
    void on_event(uint32_t events) override { worker.on_tcp_event(*this, events); }

    Worker& worker;
    Listener& listener;
    uint64_t id;
    int fd = -1;  // TCP only
    bool udp = false;
    bool closed = false;
    bool eof = false;            // the device closed its side: reply to what it sent, then close
    bool paused_listed = false;  // in paused_, waiting for the sinks
    uint32_t interest = 0;
    int64_t last_active_ms = 0;
    std::unique_ptr<Session> session;
    PendingFrames pending;
    std::string unsent;              // TCP bytes the kernel did not take yet
    std::vector<uint64_t> awaiting;  // commands sent, waiting for the device's answer
    std::unique_ptr<TlsStream> tls;  // tls:// connections
    int64_t handshake_deadline_ms = 0;
    bool tls_want_write = false;    // the TLS layer must write before it can read on
    bool tls_ready_listed = false;  // in tls_ready_: decrypted bytes wait inside the stream
    sockaddr_storage peer{};        // the device's address
    socklen_t peer_len = 0;
    PeerKey key{};
    ListHook<Endpoint> udp_hook;      // UDP: in udp_anonymous_ or udp_known_, least recently heard first
    ListHook<Endpoint> partial_hook;  // TCP: in partial_ while it holds an unfinished frame
    int64_t partial_since_ms = 0;     // when the unfinished frame began (or last made progress)
    uint64_t seen_offset = 0;         // the session's stream offset when last looked at
    size_t buffered = 0;              // the session's unfinished bytes when last looked at
    int64_t log_window_ms = 0;        // rejected frames logged for it in the current second
    int logs_in_window = 0;
  };
  using UdpList = IntrusiveList<Endpoint, &Endpoint::udp_hook>;
  using PartialList = IntrusiveList<Endpoint, &Endpoint::partial_hook>;

  struct Listener final : Watcher {
    explicit Listener(Worker& w) : worker(w) {}
    void on_event(uint32_t events) override { worker.on_listener_event(*this, events); }

    Worker& worker;
    ListenSpec spec;
    size_t series = 0;
    std::shared_ptr<const Program> program;
    TlsContext tls;
    std::string protocol;  // the program's protocol name: topics and logs
    int fd = -1;
    bool paused = false;
    int64_t resume_at_ms = 0;  // accept failed for want of descriptors
    std::unordered_map<PeerKey, Endpoint*, PeerKeyHash> peers;
  };

  struct MailboxWatcher final : Watcher {
    explicit MailboxWatcher(Worker& w) : worker(w) {}
    void on_event(uint32_t) override { worker.on_mailbox(); }
    Worker& worker;
  };

  // worker.cpp: the loop, delivery and control.
  void on_mailbox();
  void iteration_end();
  void tick();
  void begin_drain();
  bool drained() const;
  void finish();
  void reload(const std::vector<std::shared_ptr<const Program>>& programs, const TlsContext& tls);
  bool sinks_ready() const;
  void settle(Ticket ticket, bool failed, int64_t now);
  SeriesStats& series(const Endpoint& ep) { return stats_.series[ep.listener.series]; }

  // worker_frames.cpp: decoded frames to sinks, replies back in order.
  void on_frame(Endpoint& ep, const FrameResult& result);
  // ACKs the frames whose messages are all stored; `now` (steady ns) times their ACK latency.
  void release(Endpoint& ep, int64_t now);
  void send_bytes(Endpoint& ep, std::span<const uint8_t> bytes);
  void close_endpoint(Endpoint& ep, Reason reason, bool count);
  // After a feed: the unfinished-frame account, its deadline and the worker's byte budget.
  void track_partial(Endpoint& ep);
  void expire_partial();
  std::unique_ptr<Session> new_session(Listener& listener, Transport transport);
  void log_frame_error(Endpoint& ep, const Error& error);

  // worker_tcp.cpp
  void on_listener_event(Listener& listener, uint32_t events);
  void accept_all(Listener& listener);
  void on_tcp_event(Endpoint& ep, uint32_t events);
  void read_tcp(Endpoint& ep);
  void write_tcp(Endpoint& ep);
  bool can_read(const Endpoint& ep) const;
  void refresh(Endpoint& ep);
  void resume_paused();

  // worker_tls.cpp: the byte stream of a TCP or a TLS connection, as recv(2) and send(2) report.
  ssize_t stream_recv(Endpoint& ep, uint8_t* data, size_t size);
  ssize_t stream_send(Endpoint& ep, const uint8_t* data, size_t size);
  void start_tls(Endpoint& ep);
  void note_tls_pending(Endpoint& ep);
  void read_tls_ready();
  void expire_handshakes();

  // worker_udp.cpp
  void read_udp(Listener& listener);
  Endpoint* udp_peer(Listener& listener, const sockaddr_storage& addr, socklen_t len);
  void heard_udp(Endpoint& ep);
  void expire_udp();
  void set_listener_reading(Listener& listener, bool reading);

  // worker_commands.cpp
  void handle_command(const CommandRequest& command);
  void on_mqtt_command(const struct CommandTopic& topic, std::string_view payload);
  void answer_command(Endpoint& ep, std::string_view json);
  void report(ControlEvent::Kind kind, uint64_t command, std::string text);

  unsigned index_;
  WorkerShared& shared_;
  const Limits& limits_;
  WorkerStats& stats_;
  EventLoop loop_;
  Mailbox<WorkerMessage> mailbox_;
  MailboxWatcher mailbox_watcher_{*this};
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::unique_ptr<Sink>> sinks_;
  std::unordered_map<uint64_t, std::unique_ptr<Endpoint>> endpoints_;
  std::vector<std::unique_ptr<Endpoint>> closed_;  // freed at the end of the loop iteration
  std::vector<uint64_t> paused_;                   // endpoints waiting for the sinks
  std::vector<uint64_t> tls_ready_;                // TLS endpoints with decrypted bytes unread
  size_t tcp_open_ = 0;                            // TCP connections in endpoints_ (max_connections)
  UdpList udp_anonymous_;                          // UDP peers that never gave an ident
  UdpList udp_known_;
  PartialList partial_;                            // oldest unfinished frame first
  uint64_t buffered_total_ = 0;
  uint64_t buffered_budget_ = 0;                   // this worker's share of max_buffered_bytes
  uint64_t freed_since_trim_ = 0;
  std::vector<uint8_t> buffer_;
  JsonBuffer json_;
  OriginMembers origin_;         // the current frame's server.timestamp and peer
  int64_t received_ms_ = 0;      // Unix time of the read that completed the frame being decoded
  int64_t received_ns_ = 0;      // the same read on the steady clock: ACK latency
  int64_t decode_start_ns_ = 0;  // when the session began on the frame being decoded
  Endpoint* current_ = nullptr;  // the endpoint whose session is being fed
  FrameCallback on_frame_;
  uint64_t next_id_ = 1;
  int64_t now_ms_ = 0;
  int64_t next_tick_ms_ = 0;
  int64_t next_idle_scan_ms_ = 0;
  int64_t log_window_ms_ = 0;
  int logs_in_window_ = 0;
  bool draining_ = false;
  bool stopped_ = false;
  bool has_tls_ = false;
  int64_t drain_deadline_ms_ = 0;
};

}  // namespace pvm::gateway
