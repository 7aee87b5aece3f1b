// Every bound the gateway enforces, in one place. Configurable ones are defaults that
// gateway.toml and the flags can change; the rest are fixed by an encoding or a buffer.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pvm/bytecode/module.h"

namespace pvm::gateway {

// Defaults of [limits] in gateway.toml.
inline constexpr uint32_t kDefaultMaxFrame = 1u << 16;      // bytes; larger frames are rejected
inline constexpr uint32_t kDefaultIdleTimeout = 300;        // seconds without a byte from the device
inline constexpr uint32_t kDefaultMaxPendingFrames = 16;    // per connection, awaiting the sink
inline constexpr uint32_t kDefaultMaxSinkQueue = 4096;      // per worker, messages not yet accepted
inline constexpr uint32_t kDefaultMaxConnections = 100000;  // per worker
inline constexpr uint32_t kDefaultDrainTimeout = 10;        // seconds SIGTERM waits for the sinks
inline constexpr uint32_t kDefaultCommandTimeout = 30;      // seconds an HTTP command waits for the answer
inline constexpr uint32_t kDefaultTlsHandshakeTimeout =
    10;  // seconds a TLS device has to finish its handshake
inline constexpr uint32_t kDefaultMaxUdpPeers = 100000;     // per worker, UDP peers remembered
inline constexpr uint32_t kDefaultUdpAnonymousTimeout = 10;  // seconds a UDP peer without an ident is kept
inline constexpr uint32_t kDefaultFrameTimeout = 30;        // seconds to finish a frame once begun
inline constexpr uint64_t kDefaultMaxBufferedBytes = 64u << 20;  // unfinished frames, all workers together
// [limits] fuel: the work one frame may do (bc::kDefaultFuel by default), from enough for any
// stdlib frame to about a minute of CPU.
inline constexpr uint64_t kMinFuel = 1u << 20;
inline constexpr uint64_t kMaxFuel = uint64_t{1} << 35;

// MQTT packet ids are 16 bits and never 0: more messages in flight would reuse an id.
inline constexpr uint32_t kMaxMqttPacketIds = 65535;
// Defaults of [mqtt] connections and inflight (docs/operations.md says how they were chosen).
inline constexpr uint32_t kDefaultMqttConnections = 2;
inline constexpr uint32_t kDefaultMqttInflight = 64;
inline constexpr uint32_t kMaxMqttConnections = 16;
static_assert(kDefaultMaxSinkQueue < kMaxMqttPacketIds);

// One read(2) per readiness event lands here; the session copies only a partial frame.
inline constexpr size_t kReadChunk = 64 * 1024;
// A UDP datagram cannot be larger.
inline constexpr size_t kMaxDatagram = 65535;
// Reads per connection per event, so that one busy device cannot starve the others.
inline constexpr int kReadsPerEvent = 4;
// Datagrams per UDP socket per event.
inline constexpr int kDatagramsPerEvent = 64;
// Replies the kernel would not take yet; beyond this the device is not reading and is dropped.
inline constexpr size_t kMaxUnsentReplyBytes = 64 * 1024;
// Connections the kernel queues before a worker accepts them (capped by net.core.somaxconn).
inline constexpr int kListenBacklog = 4096;
// Rejected frames logged per worker, and per connection, per second; the rest are only counted
// in /metrics.
inline constexpr int kMaxErrorLogsPerSecond = 20;
inline constexpr int kMaxErrorLogsPerConnection = 5;
// After a burst has freed this many bytes of connection buffers, the worker hands free heap
// back to the system (malloc_trim), at most once per idle scan.
inline constexpr uint64_t kTrimAfterFreedBytes = 16u << 20;
// What a closed connection is reckoned to free besides its unfinished frame (its session,
// socket state and bookkeeping), towards kTrimAfterFreedBytes.
inline constexpr uint64_t kConnectionBytes = 4096;
// Commands sent to one device and not answered yet; a newer one fails the oldest.
inline constexpr size_t kMaxAwaitingCommands = 16;

// The worker loop wakes at least this often for idle timeouts, MQTT keep-alive and reconnects.
inline constexpr int kTickMillis = 200;
// MQTT reconnect back-off: doubles from the first to the last.
inline constexpr int kReconnectFirstMillis = 250;
inline constexpr int kReconnectMaxMillis = 5000;

// A file sink writes its batch when it reaches this size, or at the end of the loop iteration.
inline constexpr size_t kFileSinkBatch = 256 * 1024;
// How often a jsonl sink checks that its path still names the file it writes (logrotate).
inline constexpr int64_t kFileCheckMillis = 1000;

// Spool segments are rotated at this size and deleted once all their records are published.
inline constexpr uint64_t kSpoolSegmentBytes = 8u << 20;
inline constexpr uint64_t kDefaultSpoolMaxBytes = 1ull << 30;
// A spool record: a message's JSON (bytes fields double as hex) and its topic. One from the
// largest frame a framing function may return still fits.
inline constexpr uint32_t kMaxSpoolRecord = 4u << 20;
static_assert(kMaxSpoolRecord > 2 * bc::kMaxFrameBytes + 0xFFFF);
static_assert(kMaxSpoolRecord > bc::kMaxMessageBytes + 0xFFFF);
// Bytes read from a segment at a time when publishing from the spool.
inline constexpr size_t kSpoolReadChunk = 256 * 1024;

// The control HTTP server. Commands waiting for a device's answer hold at most
// kMaxHttpCommandClients of the kMaxHttpClients slots, so that /healthz, /readyz and /metrics
// always find one; a new client finding every slot taken evicts the oldest one still sending
// its request.
inline constexpr size_t kMaxHttpRequest = 64 * 1024;
inline constexpr size_t kMaxHttpClients = 64;
inline constexpr size_t kMaxHttpCommandClients = 48;
inline constexpr int kHttpClientTimeoutMillis = 10000;
// The longest a command may wait for its answer (?wait= and command_timeout).
inline constexpr uint32_t kMaxCommandWaitSeconds = 300;
// After an error response (400, 413) the rest of the request is read and dropped this long, so
// that closing does not reset the connection before the client has read the response.
inline constexpr int kHttpLingerMillis = 2000;

}  // namespace pvm::gateway
