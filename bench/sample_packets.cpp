#include "sample_packets.h"

#include <cstddef>
#include <utility>

namespace pvm::bench {

namespace {

void put(std::vector<uint8_t>& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint16_t crc_arc(const uint8_t* p, size_t n) {
  uint16_t c = 0;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0xA001 : c >> 1;
  }
  return c;
}

}  // namespace

std::vector<uint8_t> codec8e_frame(int records) {
  // Ids and values as a FMB120 reports them while driving.
  const std::vector<std::pair<int, uint64_t>> io1 = {{239, 1}, {240, 1}, {21, 4}, {69, 1}, {200, 0}, {1, 1}, {80, 1}, {113, 86}};
  const std::vector<std::pair<int, uint64_t>> io2 = {{66, 13845}, {67, 4064}, {68, 283}, {181, 5}, {182, 4}, {24, 62}, {17, 12}, {205, 31234}};
  const std::vector<std::pair<int, uint64_t>> io4 = {{16, 22949000}, {241, 24602}, {199, 3500}, {12, 120345}};
  const std::vector<std::pair<int, uint64_t>> io8 = {{11, 893700218}, {14, 500686954}, {78, 0}, {10500, 77}};
  std::vector<uint8_t> data;
  data.push_back(0x8E);
  data.push_back(static_cast<uint8_t>(records));
  for (int r = 0; r < records; ++r) {
    put(data, 1594898986000ull + r * 1000, 8);
    data.push_back(1);
    put(data, static_cast<uint32_t>(252560283 + r), 4);
    put(data, static_cast<uint32_t>(546674250 - r), 4);
    put(data, 172, 2);
    put(data, 248, 2);
    data.push_back(11);
    put(data, 57, 2);
    put(data, 0, 2);  // event id
    put(data, io1.size() + io2.size() + io4.size() + io8.size(), 2);
    for (auto* group : {&io1, &io2, &io4, &io8}) {
      int width = group == &io1 ? 1 : group == &io2 ? 2 : group == &io4 ? 4 : 8;
      put(data, group->size(), 2);
      for (auto& [id, v] : *group) {
        put(data, id, 2);
        put(data, v, width);
      }
    }
    put(data, 0, 2);  // NX
  }
  data.push_back(static_cast<uint8_t>(records));
  std::vector<uint8_t> frame;
  put(frame, 0, 4);
  put(frame, data.size(), 4);
  frame.insert(frame.end(), data.begin(), data.end());
  put(frame, crc_arc(data.data(), data.size()), 4);
  return frame;
}

}  // namespace pvm::bench
