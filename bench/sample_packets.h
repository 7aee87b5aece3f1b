// Teltonika packets with a realistic IO mix, built once for every benchmark.
#pragma once

#include <cstdint>
#include <vector>

namespace pvm::bench {

// A codec 8 Extended TCP frame: `records` records, each with 24 IO elements across the
// 1/2/4/8-byte groups (ignition, movement, GSM, GNSS, voltages, odometer, operator, ICCID...).
std::vector<uint8_t> codec8e_frame(int records);

}  // namespace pvm::bench
