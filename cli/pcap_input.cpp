#include "pcap_input.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>

#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <tuple>

namespace pvm::cli {
namespace {

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kTcpSyn = 0x02;
constexpr uint8_t kTcpAck = 0x10;

struct Endpoint {
  std::array<uint8_t, 16> addr{};
  bool v6 = false;
  uint16_t port = 0;
  auto operator<=>(const Endpoint&) const = default;

  std::string to_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(v6 ? AF_INET6 : AF_INET, addr.data(), text, sizeof text);
    return v6 ? "[" + std::string(text) + "]:" + std::to_string(port) : text + (":" + std::to_string(port));
  }
};

// When and where in the capture a segment's bytes arrived.
struct Stamp {
  double time = 0;      // capture time, Unix seconds
  uint32_t packet = 0;  // the packet's number in the capture, from 1
};

struct Segment {
  uint8_t proto = 0;
  Endpoint src, dst;
  uint32_t seq = 0;
  uint8_t flags = 0;
  std::span<const uint8_t> payload;
};

// The IP packet inside a link-layer frame, or an empty span for anything else (ARP, ...).
std::span<const uint8_t> strip_link(int link, std::span<const uint8_t> frame) {
  size_t offset = 0;
  uint16_t ether_type = 0;
  switch (link) {
    case DLT_EN10MB:
      if (frame.size() < 14) return {};
      ether_type = be16(&frame[12]);
      offset = 14;
      while ((ether_type == 0x8100 || ether_type == 0x88a8) && frame.size() >= offset + 4) {
        ether_type = be16(&frame[offset + 2]);
        offset += 4;
      }
      if (ether_type != kEtherIpv4 && ether_type != kEtherIpv6) return {};
      break;
    case DLT_LINUX_SLL:
      if (frame.size() < 16) return {};
      ether_type = be16(&frame[14]);
      offset = 16;
      if (ether_type != kEtherIpv4 && ether_type != kEtherIpv6) return {};
      break;
    case DLT_LINUX_SLL2:
      if (frame.size() < 20) return {};
      ether_type = be16(&frame[0]);
      offset = 20;
      if (ether_type != kEtherIpv4 && ether_type != kEtherIpv6) return {};
      break;
    case DLT_NULL:
    case DLT_LOOP:
      offset = 4;  // the address family, in either byte order: the IP version nibble decides
      break;
    default:  // raw IP
      break;
  }
  return offset <= frame.size() ? frame.subspan(offset) : std::span<const uint8_t>{};
}

bool parse_transport(uint8_t proto, std::span<const uint8_t> l4, Segment& seg) {
  seg.proto = proto;
  if (proto == kProtoTcp) {
    if (l4.size() < 20) return false;
    size_t header = (l4[12] >> 4) * 4u;
    if (header < 20 || header > l4.size()) return false;
    seg.src.port = be16(&l4[0]);
    seg.dst.port = be16(&l4[2]);
    seg.seq = be32(&l4[4]);
    seg.flags = l4[13];
    seg.payload = l4.subspan(header);
    return true;
  }
  if (proto == kProtoUdp) {
    if (l4.size() < 8) return false;
    size_t length = be16(&l4[4]);
    if (length < 8) return false;
    seg.src.port = be16(&l4[0]);
    seg.dst.port = be16(&l4[2]);
    seg.payload = l4.subspan(8, std::min(length, l4.size()) - 8);
    return true;
  }
  return false;
}

bool parse_ip(std::span<const uint8_t> ip, Segment& seg) {
  if (ip.empty()) return false;
  if (ip[0] >> 4 == 4) {
    if (ip.size() < 20) return false;
    size_t header = (ip[0] & 15) * 4u;
    size_t total = std::min<size_t>(be16(&ip[2]), ip.size());  // drops Ethernet padding
    if (header < 20 || total < header) return false;
    if (be16(&ip[6]) & 0x3fff) return false;  // a fragment: more-fragments flag or an offset
    std::memcpy(seg.src.addr.data(), &ip[12], 4);
    std::memcpy(seg.dst.addr.data(), &ip[16], 4);
    return parse_transport(ip[9], ip.subspan(header, total - header), seg);
  }
  if (ip[0] >> 4 == 6) {
    if (ip.size() < 40) return false;
    size_t payload = std::min<size_t>(be16(&ip[4]), ip.size() - 40);
    seg.src.v6 = seg.dst.v6 = true;
    std::memcpy(seg.src.addr.data(), &ip[8], 16);
    std::memcpy(seg.dst.addr.data(), &ip[24], 16);
    return parse_transport(ip[6], ip.subspan(40, payload), seg);
  }
  return false;
}

// One direction of a conversation: its bytes, with TCP sequence numbers taken relative to the
// first one seen so that reordering and retransmission can be undone.
struct Direction {
  int flow = -1;  // index into the output; -1: not the device's side
  bool started = false;
  uint32_t base = 0;
  uint32_t next = 0;  // relative sequence number of the next byte expected
  struct Held {
    std::vector<uint8_t> bytes;
    Stamp stamp;
  };
  std::map<uint32_t, Held> pending;  // segments that arrived ahead of a gap
};

// A TCP connection or a UDP peer pair. Endpoints in key order: dir[0] is what `low` sent.
struct Conversation {
  Endpoint low;
  std::array<Direction, 2> dir;
};

class FlowBuilder {
 public:
  FlowBuilder(std::string file, const CaptureOptions& options, std::vector<CaptureFlow>& flows)
      : file_(std::move(file)), options_(options), flows_(flows) {}

  void add(const Segment& seg, Stamp stamp) {
    const bool low_sent = seg.src < seg.dst;
    const Key key =
        low_sent ? std::tuple(seg.proto, seg.src, seg.dst) : std::tuple(seg.proto, seg.dst, seg.src);
    auto it = conversations_.find(key);
    if (seg.proto == kProtoUdp) {
      if (seg.payload.empty()) return;
      if (it == conversations_.end()) it = open(key, seg, Transport::Udp);
      Direction& d = it->second.dir[low_sent ? 0 : 1];
      if (d.flow >= 0) push(d, seg.payload, stamp);
      return;
    }
    const bool syn = seg.flags & kTcpSyn;
    if (syn && !(seg.flags & kTcpAck)) {
      // A new connection; one that reuses the ports of an old one replaces it.
      if (it != conversations_.end()) {
        finish(it->second);
        conversations_.erase(it);
      }
      it = open(key, seg, Transport::Tcp);
    } else if (it == conversations_.end()) {
      if (!syn && seg.payload.empty()) return;
      it = open(key, seg, Transport::Tcp);
    }
    Direction& d = it->second.dir[low_sent ? 0 : 1];
    if (d.flow < 0) return;
    const uint32_t seq = syn ? seg.seq + 1 : seg.seq;
    if (!d.started && (syn || !seg.payload.empty())) {
      d.started = true;
      d.base = seq;
    }
    if (!seg.payload.empty()) accept(d, seq - d.base, seg.payload, stamp);
  }

  void finish_all() {
    for (auto& [key, conv] : conversations_) finish(conv);
  }

 private:
  using Key = std::tuple<uint8_t, Endpoint, Endpoint>;

  // Which sides are the device's: the SYN's sender (or the SYN-ACK's receiver), else the side
  // not on the server's port, else both, for the caller to choose.
  std::map<Key, Conversation>::iterator open(const Key& key, const Segment& seg, Transport transport) {
    Conversation conv;
    conv.low = std::get<1>(key);
    const bool syn = seg.flags & kTcpSyn;
    const uint16_t server = options_.server_port;
    bool src_is_device = true, both = false;
    if (transport == Transport::Tcp && syn) {
      src_is_device = !(seg.flags & kTcpAck);
    } else if (server != 0 && seg.dst.port == server && seg.src.port != server) {
      src_is_device = true;
    } else if (server != 0 && seg.src.port == server && seg.dst.port != server) {
      src_is_device = false;
    } else {
      both = true;
    }
    const size_t src_dir = seg.src == conv.low ? 0 : 1;
    const size_t device_dir = src_is_device ? src_dir : 1 - src_dir;
    const Endpoint& device = src_is_device ? seg.src : seg.dst;
    const Endpoint& server_end = src_is_device ? seg.dst : seg.src;
    conv.dir[device_dir].flow = new_flow(device, server_end, transport);
    if (both) {
      conv.dir[1 - device_dir].flow = new_flow(server_end, device, transport);
      flows_[conv.dir[device_dir].flow].other = conv.dir[1 - device_dir].flow;
      flows_[conv.dir[1 - device_dir].flow].other = conv.dir[device_dir].flow;
    }
    return conversations_.insert_or_assign(key, std::move(conv)).first;
  }

  int new_flow(const Endpoint& device, const Endpoint& server, Transport transport) {
    CaptureFlow flow;
    flow.name = file_ + "[" + device.to_string() + "->" + server.to_string() + "]";
    flow.peer = device.to_string();
    flow.transport = transport;
    flows_.push_back(std::move(flow));
    return static_cast<int>(flows_.size() - 1);
  }

  void push(Direction& d, std::span<const uint8_t> bytes, Stamp stamp) {
    CaptureFlow& flow = flows_[static_cast<size_t>(d.flow)];
    flow.chunks.emplace_back(bytes.begin(), bytes.end());
    flow.times.push_back(stamp.time);
    flow.packets.push_back(stamp.packet);
  }


  // Appends what the segment adds beyond the bytes already delivered; false when the segment
  // starts past the next expected byte and has to wait for the gap to fill.
  bool append_new(Direction& d, uint32_t rel, std::span<const uint8_t> data, Stamp stamp) {
    int32_t ahead = static_cast<int32_t>(rel - d.next);
    if (ahead > 0) return false;
    size_t overlap = static_cast<size_t>(-static_cast<int64_t>(ahead));
    if (overlap < data.size()) {
      push(d, data.subspan(overlap), stamp);
      d.next = rel + static_cast<uint32_t>(data.size());
    }
    return true;
  }

  void drain(Direction& d) {
    while (!d.pending.empty()) {
      auto first = d.pending.begin();
      if (!append_new(d, first->first, first->second.bytes, first->second.stamp)) return;
      d.pending.erase(first);
    }
  }

  void accept(Direction& d, uint32_t rel, std::span<const uint8_t> data, Stamp stamp) {
    if (append_new(d, rel, data, stamp)) {
      drain(d);
      return;
    }
    auto& slot = d.pending[rel];
    if (data.size() > slot.bytes.size()) slot = {std::vector<uint8_t>(data.begin(), data.end()), stamp};
  }

  // At the end of the conversation, segments still waiting behind a gap are delivered after
  // it, and the gap is recorded: those bytes were never captured.
  void finish(Conversation& conv) {
    for (Direction& d : conv.dir) {
      if (d.flow < 0) continue;
      while (!d.pending.empty()) {
        const uint32_t at = d.pending.begin()->first;
        CaptureFlow& flow = flows_[static_cast<size_t>(d.flow)];
        flow.gaps.push_back({flow.chunks.size(), d.next, uint64_t{at} - 1});
        d.next = at;
        drain(d);
      }
    }
  }

  std::string file_;
  const CaptureOptions& options_;
  std::vector<CaptureFlow>& flows_;
  std::map<Key, Conversation> conversations_;
};

}  // namespace

bool read_capture(const std::string& path, const CaptureOptions& options, std::vector<CaptureFlow>& flows,
                  std::string& error) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, decltype(&pcap_close)> pcap(pcap_open_offline(path.c_str(), errbuf), &pcap_close);
  if (!pcap) {
    error = "cannot read capture " + path + ": " + errbuf;
    return false;
  }
  int link = pcap_datalink(pcap.get());
  switch (link) {
    case DLT_EN10MB:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_NULL:
    case DLT_LOOP:
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
      break;
    default: {
      const char* name = pcap_datalink_val_to_name(link);
      error = path + ": unsupported link type " + (name ? name : std::to_string(link));
      return false;
    }
  }
  bpf_program filter{};
  const bool filtered = !options.filter.empty();
  if (filtered && pcap_compile(pcap.get(), &filter, options.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    error = "--filter '" + options.filter + "': " + pcap_geterr(pcap.get());
    return false;
  }
  std::unique_ptr<bpf_program, decltype(&pcap_freecode)> filter_owner(filtered ? &filter : nullptr,
                                                                      &pcap_freecode);
  FlowBuilder builder(path, options, flows);
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int rc;
  uint32_t packet = 0;  // numbered as capture tools number them: filtered-out packets count too
  while ((rc = pcap_next_ex(pcap.get(), &header, &data)) == 1) {
    ++packet;
    if (filtered && pcap_offline_filter(&filter, header, data) == 0) continue;
    Segment seg;
    const Stamp stamp{static_cast<double>(header->ts.tv_sec) + static_cast<double>(header->ts.tv_usec) / 1e6, packet};
    if (parse_ip(strip_link(link, {data, header->caplen}), seg)) builder.add(seg, stamp);
  }
  if (rc == PCAP_ERROR) {
    error = path + ": " + pcap_geterr(pcap.get());
    return false;
  }
  builder.finish_all();
  return true;
}

}  // namespace pvm::cli
