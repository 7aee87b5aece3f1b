// Realistic device streams for the benchmarks, generated deterministically from a seed: the
// same seed and size give the same bytes on every machine, so the VM and the hand-written
// decoders always read the same input. Each stream is one TCP connection as a device sends it:
// its login, then data packets.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace pvm::bench {

// Teltonika codec 8 Extended: the IMEI handshake, then `packets` AVL packets of 1-50 records
// each, with about 12 IO elements a record (an FMB device's usual set plus occasional extras,
// some unmapped ids, and a VIN in a few records).
std::vector<uint8_t> teltonika_stream(uint64_t seed, int packets);

// Ruptela: `packets` record packets (command 0x01, and 0x44 with 2-byte IO ids) of 1-40 records
// each, about 10 IO values a record; some records without a fix.
std::vector<uint8_t> ruptela_stream(uint64_t seed, int packets);

// GT06: the login (with the device's time zone), then `packets` packets: mostly GPS + LBS
// locations (0x22, 0x12), status heartbeats (0x13) and a few alarms (0x16).
std::vector<uint8_t> gt06_stream(uint64_t seed, int packets);

// Wialon IPS 2.0: the login, then `packets` lines: #D# (with ADC inputs and parameters), #SD#
// and pings, each with its CRC.
std::vector<uint8_t> wialon_ips_stream(uint64_t seed, int packets);

struct StreamKind {
  std::string_view protocol;  // the stdlib protocol's name
  std::vector<uint8_t> (*make)(uint64_t seed, int packets);
  int packets;  // the benchmark's size: about 150,000 messages (Wialon IPS, the slow regex path: 50,000)
};
// Every protocol the benchmarks cover.
const std::vector<StreamKind>& stream_kinds();

}  // namespace pvm::bench
