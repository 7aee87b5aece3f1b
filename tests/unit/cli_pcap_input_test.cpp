// Builds small captures byte by byte, so that the reader is tested on exactly what it must undo.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "pcap_input.h"

using pvm::cli::CaptureFlow;
using pvm::cli::CaptureOptions;
using pvm::cli::read_capture;

namespace {

using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, uint16_t v) {
  b.insert(b.end(), {uint8_t(v >> 8), uint8_t(v)});
}
void put32(Bytes& b, uint32_t v) {
  b.insert(b.end(), {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)});
}
void put32le(Bytes& b, uint32_t v) {
  b.insert(b.end(), {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)});
}
Bytes text(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

constexpr uint8_t kSyn = 0x02, kAck = 0x10, kPsh = 0x08;

struct Host {
  uint8_t last_octet;
  uint16_t port;
};

Bytes ipv4(Host src, Host dst, uint8_t proto, const Bytes& l4) {
  Bytes b = {0x45, 0};
  put16(b, uint16_t(20 + l4.size()));
  b.insert(b.end(), {0, 1, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, src.last_octet, 10, 0, 0, dst.last_octet});
  b.insert(b.end(), l4.begin(), l4.end());
  return b;
}

Bytes tcp(Host src, Host dst, uint32_t seq, uint8_t flags, const Bytes& payload) {
  Bytes b;
  put16(b, src.port);
  put16(b, dst.port);
  put32(b, seq);
  put32(b, 0);
  b.insert(b.end(), {0x50, flags, 0xff, 0xff, 0, 0, 0, 0});
  b.insert(b.end(), payload.begin(), payload.end());
  return ipv4(src, dst, 6, b);
}

Bytes udp(Host src, Host dst, const Bytes& payload) {
  Bytes b;
  put16(b, src.port);
  put16(b, dst.port);
  put16(b, uint16_t(8 + payload.size()));
  put16(b, 0);
  b.insert(b.end(), payload.begin(), payload.end());
  return ipv4(src, dst, 17, b);
}

Bytes ethernet(const Bytes& ip) {
  Bytes b(12, 0xaa);
  put16(b, 0x0800);
  b.insert(b.end(), ip.begin(), ip.end());
  b.resize(std::max<size_t>(b.size(), 60), 0);  // Ethernet pads short frames: the IP length must win
  return b;
}

Bytes linux_cooked(const Bytes& ip) {
  Bytes b(14, 0);
  put16(b, 0x0800);
  b.insert(b.end(), ip.begin(), ip.end());
  return b;
}

// A classic little-endian pcap file with the given link type and frames.
std::string write_pcap(const std::string& name, uint32_t link, const std::vector<Bytes>& frames) {
  Bytes file;
  put32le(file, 0xa1b2c3d4);
  file.insert(file.end(), {2, 0, 4, 0});
  put32le(file, 0);
  put32le(file, 0);
  put32le(file, 65535);
  put32le(file, link);
  uint32_t t = 1700000000;
  for (const auto& f : frames) {
    put32le(file, t++);
    put32le(file, 0);
    put32le(file, uint32_t(f.size()));
    put32le(file, uint32_t(f.size()));
    file.insert(file.end(), f.begin(), f.end());
  }
  std::string path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(file.data()), std::streamsize(file.size()));
  return path;
}

Bytes joined(const CaptureFlow& flow) {
  Bytes all;
  for (const auto& c : flow.chunks) all.insert(all.end(), c.begin(), c.end());
  return all;
}

const Host kDevice{2, 40000}, kServer{1, 5027};
const CaptureOptions kTeltonika{5027, ""};  // the server listens on 5027

}  // namespace

TEST_CASE("pcap: a TCP connection is put back in order, without retransmissions or server bytes") {
  std::vector<Bytes> frames = {
      ethernet(tcp(kDevice, kServer, 1000, kSyn, {})),
      ethernet(tcp(kServer, kDevice, 5000, kSyn | kAck, {})),
      ethernet(tcp(kDevice, kServer, 1001, kAck | kPsh, text("abc"))),
      ethernet(tcp(kDevice, kServer, 1007, kAck | kPsh, text("ghi"))),  // ahead of a gap
      ethernet(tcp(kServer, kDevice, 5001, kAck | kPsh, text("01"))),
      ethernet(tcp(kDevice, kServer, 1004, kAck | kPsh, text("def"))),
      ethernet(tcp(kDevice, kServer, 1001, kAck | kPsh, text("abc"))),     // retransmitted
      ethernet(tcp(kDevice, kServer, 1005, kAck | kPsh, text("efghij"))),  // overlaps what came
  };
  std::vector<CaptureFlow> flows;
  std::string error;
  REQUIRE(read_capture(write_pcap("pvm_cli_tcp.pcap", 1, frames), kTeltonika, flows, error));
  REQUIRE(flows.size() == 1);
  CHECK(flows[0].transport == pvm::Transport::Tcp);
  CHECK(flows[0].name.ends_with("[10.0.0.2:40000->10.0.0.1:5027]"));
  CHECK(joined(flows[0]) == text("abcdefghij"));
  // Each chunk names the packet it came in: "ghi" waited for "def" in packet 6.
  CHECK(flows[0].packets == std::vector<uint32_t>{3, 6, 4, 8});
}

TEST_CASE(
    "pcap: without a SYN the side off the server's port is the device, even when the server speaks first") {
  std::vector<Bytes> frames = {
      ethernet(tcp(kServer, kDevice, 9, kAck | kPsh, text("01"))),
      ethernet(tcp(kDevice, kServer, 77, kAck | kPsh, text("12"))),
      ethernet(tcp(kDevice, kServer, 79, kAck | kPsh, text("34"))),
  };
  std::vector<CaptureFlow> flows;
  std::string error;
  REQUIRE(read_capture(write_pcap("pvm_cli_nosyn.pcap", 1, frames), kTeltonika, flows, error));
  REQUIRE(flows.size() == 1);
  CHECK(flows[0].name.ends_with("[10.0.0.2:40000->10.0.0.1:5027]"));
  CHECK(flows[0].peer == "10.0.0.2:40000");
  CHECK(flows[0].chunks == std::vector<Bytes>{text("12"), text("34")});
  CHECK(flows[0].other == -1);

  // No port to go by: both directions, linked, for the caller to choose.
  flows.clear();
  REQUIRE(read_capture(write_pcap("pvm_cli_nosyn.pcap", 1, frames), CaptureOptions{}, flows, error));
  REQUIRE(flows.size() == 2);
  CHECK(flows[0].chunks == std::vector<Bytes>{text("01")});
  CHECK(flows[1].chunks == std::vector<Bytes>{text("12"), text("34")});
  CHECK(flows[0].other == 1);
  CHECK(flows[1].other == 0);
}

TEST_CASE("pcap: a segment never captured is a gap, with the capture time of every chunk") {
  std::vector<Bytes> frames = {
      ethernet(tcp(kDevice, kServer, 1000, kSyn, {})),
      ethernet(tcp(kDevice, kServer, 1001, kAck | kPsh, text("abc"))),
      ethernet(tcp(kDevice, kServer, 1009, kAck | kPsh, text("ijk"))),  // 1004..1008 never came
      ethernet(tcp(kDevice, kServer, 1012, kAck | kPsh, text("lm"))),
  };
  std::vector<CaptureFlow> flows;
  std::string error;
  REQUIRE(read_capture(write_pcap("pvm_cli_gap.pcap", 1, frames), kTeltonika, flows, error));
  REQUIRE(flows.size() == 1);
  CHECK(flows[0].chunks == std::vector<Bytes>{text("abc"), text("ijk"), text("lm")});
  REQUIRE(flows[0].gaps.size() == 1);
  CHECK(flows[0].gaps[0].chunk == 1);
  CHECK(flows[0].gaps[0].from == 3);
  CHECK(flows[0].gaps[0].to == 7);
  // write_pcap stamps packet i at 1700000000 + i seconds.
  CHECK(flows[0].times == std::vector<double>{1700000001.0, 1700000002.0, 1700000003.0});
}

TEST_CASE("pcap: --filter leaves other packets alone; a bad expression is an error") {
  const Host web{9, 50000}, web_server{1, 80};
  std::vector<Bytes> frames = {
      ethernet(tcp(kDevice, kServer, 1000, kSyn, {})),
      ethernet(tcp(web, web_server, 1, kSyn, {})),
      ethernet(tcp(web, web_server, 2, kAck | kPsh, text("GET /"))),
      ethernet(tcp(kDevice, kServer, 1001, kAck | kPsh, text("abc"))),
  };
  std::vector<CaptureFlow> flows;
  std::string error;
  const std::string path = write_pcap("pvm_cli_filter.pcap", 1, frames);
  REQUIRE(read_capture(path, CaptureOptions{5027, "tcp port 5027"}, flows, error));
  REQUIRE(flows.size() == 1);
  CHECK(flows[0].chunks == std::vector<Bytes>{text("abc")});
  flows.clear();
  CHECK_FALSE(read_capture(path, CaptureOptions{5027, "tcp port"}, flows, error));
  CHECK(error.find("--filter 'tcp port': ") == 0);
}

TEST_CASE("pcap: UDP datagrams of each peer form their own flow") {
  const Host other{3, 40001};
  std::vector<Bytes> frames = {
      linux_cooked(udp(kDevice, kServer, text("one"))),
      linux_cooked(udp(kServer, kDevice, text("ack"))),
      linux_cooked(udp(other, kServer, text("x"))),
      linux_cooked(udp(kDevice, kServer, text("two"))),
  };
  std::vector<CaptureFlow> flows;
  std::string error;
  REQUIRE(read_capture(write_pcap("pvm_cli_udp.pcap", 113, frames), kTeltonika, flows, error));
  REQUIRE(flows.size() == 2);
  CHECK(flows[0].transport == pvm::Transport::Udp);
  CHECK(flows[0].chunks == std::vector<Bytes>{text("one"), text("two")});
  CHECK(flows[1].name.ends_with("[10.0.0.3:40001->10.0.0.1:5027]"));
  CHECK(flows[1].chunks == std::vector<Bytes>{text("x")});
  CHECK(flows[0].packets == std::vector<uint32_t>{1, 4});
  CHECK(flows[1].packets == std::vector<uint32_t>{3});
}

TEST_CASE("pcap: raw IPv6 link") {
  Bytes datagram;
  put16(datagram, 40002);
  put16(datagram, 5027);
  put16(datagram, 8 + 2);
  put16(datagram, 0);
  datagram.insert(datagram.end(), {0xab, 0xcd});
  Bytes ip = {0x60, 0, 0, 0};
  put16(ip, uint16_t(datagram.size()));
  ip.insert(ip.end(), {17, 64});
  Bytes device(16, 0), server(16, 0);
  device[0] = server[0] = 0xfd;
  device[15] = 2;
  server[15] = 1;
  ip.insert(ip.end(), device.begin(), device.end());
  ip.insert(ip.end(), server.begin(), server.end());
  ip.insert(ip.end(), datagram.begin(), datagram.end());
  std::vector<CaptureFlow> flows;
  std::string error;
  REQUIRE(read_capture(write_pcap("pvm_cli_ipv6.pcap", 101, {ip}), kTeltonika, flows, error));
  REQUIRE(flows.size() == 1);
  CHECK(flows[0].name.ends_with("[[fd00::2]:40002->[fd00::1]:5027]"));
  CHECK(flows[0].chunks == std::vector<Bytes>{{0xab, 0xcd}});
}

TEST_CASE("pcap: a file that is not a capture is an error") {
  std::string path = (std::filesystem::temp_directory_path() / "pvm_cli_not.pcap").string();
  std::ofstream(path) << "not a capture";
  std::vector<CaptureFlow> flows;
  std::string error;
  CHECK_FALSE(read_capture(path, kTeltonika, flows, error));
  CHECK(error.find("pvm_cli_not.pcap") != std::string::npos);
}
