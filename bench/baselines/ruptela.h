// Ruptela over TCP: record packets (command 0x01, and 0x44 with 2-byte IO ids) with every IO
// element of lib/ruptela_io.pvm but the driver and tag ids sent in two halves. Other commands,
// those ids and 0x44 sub-record groups are rejected.
#pragma once

#include <string>
#include <vector>

#include "decoder.h"

namespace pvm::baseline {

#define RUPTELA_IO(X)                                                           \
  X(din1, bool, boolean, "din.1")                                               \
  X(din2, bool, boolean, "din.2")                                               \
  X(din3, bool, boolean, "din.3")                                               \
  X(din4, bool, boolean, "din.4")                                               \
  X(movement, bool, boolean, "movement.status")                                 \
  X(ain1, double, f64, "ain.1")                                                 \
  X(ain2, double, f64, "ain.2")                                                 \
  X(ain3, double, f64, "ain.3")                                                 \
  X(ain4, double, f64, "ain.4")                                                 \
  X(gsm_signal, uint64_t, u64, "gsm.signal.level")                              \
  X(external_voltage, double, f64, "external.powersource.voltage")              \
  X(battery_voltage, double, f64, "battery.voltage")                            \
  X(device_temperature, int64_t, i64, "device.temperature")                     \
  X(ibutton, uint64_t, hex64, "ibutton.code")                                   \
  X(can_engine_load, uint64_t, u64, "can.engine.load")                          \
  X(mileage, double, f64, "vehicle.mileage")                                    \
  X(temperature1, double, f64, "temperature.1")                                 \
  X(temperature2, double, f64, "temperature.2")                                 \
  X(temperature3, double, f64, "temperature.3")                                 \
  X(temperature4, double, f64, "temperature.4")                                 \
  X(jamming, bool, boolean, "gsm.jamming.event.trigger")                        \
  X(can_rpm, double, f64, "can.engine.rpm")                                     \
  X(can_speed, uint64_t, u64, "can.vehicle.speed")                              \
  X(can_speed_scaled, double, f64, "can.vehicle.speed")                         \
  X(can_fuel_level, double, f64, "can.fuel.level")                              \
  X(can_fuel_rate, double, f64, "can.fuel.rate")                                \
  X(harsh_braking, bool, boolean, "harsh.braking.event.trigger")                \
  X(harsh_acceleration, bool, boolean, "harsh.acceleration.event.trigger")      \
  X(operator_code, uint64_t, u64_text, "gsm.operator.code")                     \
  X(can_mileage, double, f64, "can.vehicle.mileage")                            \
  X(can_mileage_km, uint64_t, u64, "can.vehicle.mileage")                       \
  X(trip_mileage, double, f64, "trip.vehicle.mileage")                          \
  X(charging, bool, boolean, "battery.charging.status")                         \
  X(extreme_braking, bool, boolean, "accident.extreme.braking.status")          \
  X(harsh_breaking, bool, boolean, "accident.harsh.breaking.status")            \
  X(accident_acceleration, bool, boolean, "accident.harsh.acceleration.status") \
  X(can_fuel_volume, uint64_t, u64, "can.fuel.volume")                          \
  X(can_fuel_consumed, double, f64, "can.fuel.consumed")                        \
  X(ignition, bool, boolean, "engine.ignition.status")                          \
  X(towing, bool, boolean, "towing.event.trigger")                              \
  X(crash, bool, boolean, "crash.event.trigger")                                \
  X(antenna_cut, bool, boolean, "gnss.antenna.cut.status")                      \
  X(tamper, bool, boolean, "tamper.event.trigger")

class Ruptela {
 public:
  static constexpr uint64_t kMaxFrame = 1 << 16;

  enum Tag : uint8_t {
#define TAG(member, type, writer, name) k_##member,
    RUPTELA_IO(TAG)
#undef TAG
        kOther,  // ruptela.io.<id>
    kTags
  };

  struct Other {
    uint16_t id;
    uint64_t raw;
  };

  struct Record {
    uint64_t timestamp;
    int64_t priority;
    bool valid;  // without a fix, no coordinates, altitude, direction, satellites, speed or HDOP
    double longitude;
    double latitude;
    double altitude;
    double direction;
    int64_t satellites;
    int64_t speed;
    double hdop;
    int64_t event;
#define MEMBER(member, type, writer, name) type member;
    RUPTELA_IO(MEMBER)
#undef MEMBER
    uint64_t present;
    uint32_t order_begin;
    uint32_t order_end;
  };

  static int64_t frame_length(const uint8_t* p, size_t n);
  bool decode(const uint8_t* p, size_t n);
  size_t messages() const {
    return count_;
  }
  std::span<const uint8_t> reply() const {
    return {reply_, reply_size_};
  }
  std::string_view ident() const {
    return {ident_, 15};
  }
  std::span<const Record> records() const {
    return {records_.data(), count_};
  }
  void write_json(JsonOut& out) const;

 private:
  bool record(Reader& r, bool extended);
  bool io(Record& rec, int id, uint64_t raw, int width);
  void set(Record& rec, Tag tag);

  char ident_[16] = {};
  std::vector<Record> records_;
  size_t count_ = 0;
  std::vector<uint32_t> order_;
  std::vector<Other> others_;
  uint8_t reply_[6];
  size_t reply_size_ = 0;
};

}  // namespace pvm::baseline
