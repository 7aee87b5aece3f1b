// Teltonika over TCP, codec 8 Extended: the IMEI handshake, keep-alives and AVL packets, with
// every IO element of lib/teltonika_io.pvm and the NX elements of teltonika_nx. Other codecs
// are rejected.
#pragma once

#include <string>
#include <vector>

#include "decoder.h"

namespace pvm::baseline {

// Normalized IO parameters: member, C++ type, JSON writer, name.
#define TELTONIKA_IO(X)                                                    \
  X(din1, bool, boolean, "din.1")                                          \
  X(din2, bool, boolean, "din.2")                                          \
  X(din3, bool, boolean, "din.3")                                          \
  X(din, int64_t, i64, "din")                                              \
  X(dout1, bool, boolean, "dout.1")                                        \
  X(dout2, bool, boolean, "dout.2")                                        \
  X(dout, int64_t, i64, "dout")                                            \
  X(ain1, double, f64, "ain.1")                                            \
  X(ain2, double, f64, "ain.2")                                            \
  X(iccid, uint64_t, u64_text, "sim.iccid")                                \
  X(iccid2, uint64_t, u64_text, "sim.iccid.2")                             \
  X(fuel_consumed, double, f64, "gps.fuel.consumed")                       \
  X(fuel_rate, double, f64, "gps.fuel.rate")                               \
  X(eco_score, double, f64, "eco.score")                                   \
  X(mileage, double, f64, "vehicle.mileage")                               \
  X(x_acceleration, double, f64, "x.acceleration")                         \
  X(y_acceleration, double, f64, "y.acceleration")                         \
  X(z_acceleration, double, f64, "z.acceleration")                         \
  X(gsm_signal, int64_t, i64, "gsm.signal.level")                          \
  X(can_dtc_count, uint64_t, u64, "can.dtc.count")                         \
  X(can_engine_load, uint64_t, u64, "can.engine.load")                     \
  X(can_coolant, int64_t, i64, "can.engine.coolant.temperature")           \
  X(can_rpm, uint64_t, u64, "can.engine.rpm")                              \
  X(can_speed, uint64_t, u64, "can.vehicle.speed")                         \
  X(can_throttle, uint64_t, u64, "can.throttle.pedal.level")               \
  X(can_fuel_consumed, double, f64, "can.fuel.consumed")                   \
  X(can_fuel_volume, double, f64, "can.fuel.volume")                       \
  X(can_mileage, double, f64, "can.vehicle.mileage")                       \
  X(can_fuel_level, uint64_t, u64, "can.fuel.level")                       \
  X(external_voltage, double, f64, "external.powersource.voltage")         \
  X(battery_voltage, double, f64, "battery.voltage")                       \
  X(battery_current, double, f64, "battery.current")                       \
  X(gnss_state, uint64_t, u64, "gnss.state.enum")                          \
  X(gnss_status, bool, boolean, "gnss.status")                             \
  X(temperature1, double, f64, "temperature.1")                            \
  X(temperature2, double, f64, "temperature.2")                            \
  X(temperature3, double, f64, "temperature.3")                            \
  X(temperature4, double, f64, "temperature.4")                            \
  X(ibutton, uint64_t, hex64, "ibutton.code")                              \
  X(data_mode, uint64_t, u64, "data.mode.enum")                            \
  X(battery_level, uint64_t, u64, "battery.level")                         \
  X(charging, bool, boolean, "battery.charging.status")                    \
  X(geofence_exit, bool, boolean, "geofence.event.exit")                   \
  X(geofence_enter, bool, boolean, "geofence.event.enter")                 \
  X(pdop, double, f64, "position.pdop")                                    \
  X(hdop, double, f64, "position.hdop")                                    \
  X(trip_mileage, double, f64, "trip.vehicle.mileage")                     \
  X(sleep_mode, uint64_t, u64, "sleep.mode.enum")                          \
  X(cellid, uint64_t, u64, "gsm.cellid")                                   \
  X(lac, uint64_t, u64, "gsm.lac")                                         \
  X(alarm, bool, boolean, "alarm.event.trigger")                           \
  X(ignition, bool, boolean, "engine.ignition.status")                     \
  X(movement, bool, boolean, "movement.status")                            \
  X(operator_code, uint64_t, u64_text, "gsm.operator.code")                \
  X(mcc, int64_t, i64, "gsm.mcc")                                          \
  X(mnc, int64_t, i64, "gsm.mnc")                                          \
  X(towing, bool, boolean, "towing.event.trigger")                         \
  X(crash, bool, boolean, "crash.event.trigger")                           \
  X(jamming, bool, boolean, "gsm.jamming.event.trigger")                   \
  X(trip, bool, boolean, "trip.status")                                    \
  X(idle, bool, boolean, "idle.status")                                    \
  X(external_power, bool, boolean, "external.powersource.status")          \
  X(harsh_acceleration, bool, boolean, "harsh.acceleration.event.trigger") \
  X(harsh_braking, bool, boolean, "harsh.braking.event.trigger")           \
  X(harsh_cornering, bool, boolean, "harsh.cornering.event.trigger")       \
  X(overspeeding, bool, boolean, "overspeeding.event.trigger")             \
  X(io255, uint64_t, u64, "teltonika.io.255")                              \
  X(vin, std::string_view, str, "vehicle.vin")                             \
  X(dtc_codes, std::string_view, str, "can.dtc.codes")

class Teltonika {
 public:
  static constexpr uint64_t kMaxFrame = 1 << 16;

  enum Tag : uint8_t {
#define TAG(member, type, writer, name) k_##member,
    TELTONIKA_IO(TAG)
#undef TAG
        kOther,  // an unmapped IO element: teltonika.io.<id>
    kTags
  };

  // An IO element without a normalized name; `bytes` set for an NX value (written as hex).
  struct Other {
    uint16_t id;
    uint16_t length;
    uint64_t raw;
    const uint8_t* bytes;
  };

  struct Record {
    double timestamp;
    int64_t priority;
    double longitude;
    double latitude;
    int64_t altitude;
    int64_t direction;
    int64_t satellites;
    int64_t speed;
    bool valid;
    int64_t event;
#define MEMBER(member, type, writer, name) type member;
    TELTONIKA_IO(MEMBER)
#undef MEMBER
    uint64_t present[2];   // which tags are set
    uint32_t order_begin;  // the IO parameters in the order they arrived: order_[begin, end)
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
    return ident_;
  }
  std::span<const Record> records() const {
    return {records_.data(), count_};
  }
  void write_json(JsonOut& out) const;

 private:
  bool avl_record(Reader& r);
  void io(Record& rec, int id, uint64_t raw, int width);
  void nx(Record& rec, int id, const uint8_t* bytes, uint16_t length);
  void set(Record& rec, Tag tag);
  void other(Record& rec, uint16_t id, uint64_t raw, const uint8_t* bytes, uint16_t length);

  std::string ident_;
  std::vector<Record> records_;  // reused from frame to frame: the first count_ are this frame's
  size_t count_ = 0;
  std::vector<uint32_t> order_;  // tag, and for kOther the index into others_ above bit 8
  std::vector<Other> others_;
  uint8_t reply_[4];
  size_t reply_size_ = 0;
};

}  // namespace pvm::baseline
