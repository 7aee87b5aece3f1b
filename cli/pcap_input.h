// Reads the device side of every TCP and UDP conversation out of a pcap or pcapng capture, so
// that a recorded session can be replayed through the decoder.
#pragma once

#include <string>
#include <vector>

#include "pvm/vm.h"

namespace pvm::cli {

struct CaptureFlow {
  std::string name;  // "capture.pcap[10.0.0.2:40112->10.0.0.1:5027]"
  Transport transport = Transport::Tcp;
  // TCP: the client's byte stream in order, one chunk per segment (retransmissions dropped,
  // reordered segments put back in place). UDP: one chunk per datagram from the client.
  std::vector<std::vector<uint8_t>> chunks;
  std::vector<double> times;  // each chunk's capture time, Unix seconds
};

// The client of a conversation is the side that sent the SYN; without a SYN in the capture,
// the side that sent the first payload. The server's bytes are not part of the output.
// Ethernet (with VLAN tags), Linux cooked (v1, v2), raw IP and BSD loopback links; IPv4 and
// IPv6 without extension headers; IPv4 fragments are skipped. Flows come in the order their
// first packet appears. False with a reason when the file cannot be read as a capture.
bool read_capture(const std::string& path, std::vector<CaptureFlow>& flows, std::string& error);

}  // namespace pvm::cli
