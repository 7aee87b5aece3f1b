// Reads the device side of every TCP and UDP conversation out of a pcap or pcapng capture, so
// that a recorded session can be replayed through the decoder.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pvm/vm.h"

namespace pvm::cli {

struct CaptureOptions {
  // The port the protocol's server listens on: in a conversation without its SYN, the side
  // that is not on it is the device. 0: unknown.
  uint16_t server_port = 0;
  // A BPF filter expression (tcpdump's syntax): packets it does not match are ignored.
  std::string filter;
};

// Bytes of a TCP stream the capture does not hold: offsets `from`..`to` (inclusive) of the
// stream are missing before chunks[chunk].
struct CaptureGap {
  size_t chunk = 0;
  uint64_t from = 0;
  uint64_t to = 0;
};

struct CaptureFlow {
  std::string name;  // "capture.pcap[10.0.0.2:40112->10.0.0.1:5027]"
  Transport transport = Transport::Tcp;
  std::string peer;  // the device's address, "10.0.0.2:40112"
  // TCP: the device's byte stream in order, one chunk per segment (retransmissions dropped,
  // reordered segments put back in place). UDP: one chunk per datagram from the device.
  std::vector<std::vector<uint8_t>> chunks;
  std::vector<uint32_t> packets;  // the capture's number (from 1) of the packet each chunk came in
  std::vector<double> times;      // per chunk: its packet's capture time, Unix seconds
  std::vector<CaptureGap> gaps;   // TCP: in stream order
  // The device side could not be told from the packets (no SYN, neither port the server's):
  // this flow and the one at index `other` are the two directions of the conversation, and
  // the caller keeps the one whose bytes frame as the protocol. -1 otherwise.
  int other = -1;
};

// The device of a conversation is the side that sent the SYN (or received the SYN-ACK); without
// either in the capture, the side not on `server_port`; failing that, both directions are
// returned (CaptureFlow::other). The server's bytes are otherwise not part of the output.
// Ethernet (with VLAN tags), Linux cooked (v1, v2), raw IP and BSD loopback links; IPv4 and
// IPv6 without extension headers; IPv4 fragments are skipped. Flows come in the order their
// first packet appears. False with a reason when the file cannot be read as a capture or the
// filter does not compile.
bool read_capture(const std::string& path, const CaptureOptions& options, std::vector<CaptureFlow>& flows,
                  std::string& error);

}  // namespace pvm::cli
