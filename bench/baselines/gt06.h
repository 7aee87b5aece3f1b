// GT06 over TCP (78 78 frames, no model option): the login with its time zone, GPS + LBS
// locations (0x12, 0x22), status heartbeats (0x13) and alarms (0x16), with their replies.
// Other packet types and the model-specific layouts of these ones are rejected.
#pragma once

#include <string>

#include "decoder.h"

namespace pvm::baseline {

#define GT06_FIELDS(X)                                                     \
  X(timestamp, int64_t, i64, "timestamp")                                  \
  X(satellites, int64_t, i64, "position.satellites")                       \
  X(speed, int64_t, i64, "position.speed")                                 \
  X(latitude, double, f64, "position.latitude")                            \
  X(longitude, double, f64, "position.longitude")                          \
  X(direction, int64_t, i64, "position.direction")                         \
  X(valid, bool, boolean, "position.valid")                                \
  X(ignition, bool, boolean, "engine.ignition.status")                     \
  X(mcc, int64_t, i64, "gsm.mcc")                                          \
  X(mnc, int64_t, i64, "gsm.mnc")                                          \
  X(lac, int64_t, i64, "gsm.lac")                                          \
  X(cellid, int64_t, i64, "gsm.cellid")                                    \
  X(upload_mode, int64_t, i64, "gt06.upload.mode.enum")                    \
  X(reupload, bool, boolean, "gt06.reupload.status")                       \
  X(mileage, double, f64, "vehicle.mileage")                               \
  X(status_bits, int64_t, i64, "gt06.status.bitmask")                      \
  X(armed, bool, boolean, "gt06.armed.status")                             \
  X(charging, bool, boolean, "battery.charging.status")                    \
  X(vibration, bool, boolean, "gt06.vibration.event.trigger")              \
  X(power_cut, bool, boolean, "gt06.power.cut.event.trigger")              \
  X(low_battery, bool, boolean, "gt06.low.battery.event.trigger")          \
  X(alarm, bool, boolean, "alarm.event.trigger")                           \
  X(geofence, bool, boolean, "gt06.geofence.event.trigger")                \
  X(removal, bool, boolean, "gt06.removal.event.trigger")                  \
  X(gps_tracking, bool, boolean, "gt06.gps.tracking.status")               \
  X(relay, bool, boolean, "gt06.relay.status")                             \
  X(battery_level_enum, int64_t, i64, "battery.level.enum")                \
  X(battery_level, int64_t, i64, "battery.level")                          \
  X(gsm_signal, int64_t, i64, "gsm.signal.level")                          \
  X(gsm_raw, int64_t, i64, "gt06.gsm.signal")                              \
  X(event, int64_t, i64, "event.enum")                                     \
  X(geofence_enter, bool, boolean, "geofence.event.enter")                 \
  X(geofence_exit, bool, boolean, "geofence.event.exit")                   \
  X(overspeeding, bool, boolean, "overspeeding.event.trigger")             \
  X(power_off, bool, boolean, "gt06.power.off.event.trigger")              \
  X(tamper, bool, boolean, "tamper.event.trigger")                         \
  X(door, bool, boolean, "gt06.door.event.trigger")                        \
  X(harsh_braking, bool, boolean, "harsh.braking.event.trigger")           \
  X(harsh_cornering, bool, boolean, "harsh.cornering.event.trigger")       \
  X(fall, bool, boolean, "gt06.fall.event.trigger")                        \
  X(harsh_acceleration, bool, boolean, "harsh.acceleration.event.trigger") \
  X(crash, bool, boolean, "crash.event.trigger")                           \
  X(jamming, bool, boolean, "gsm.jamming.event.trigger")                   \
  X(ibutton, uint64_t, hex64, "ibutton.code")

class Gt06 {
 public:
  static constexpr uint64_t kMaxFrame = 1 << 16;

  enum Tag : uint8_t {
#define TAG(member, type, writer, name) k_##member,
    GT06_FIELDS(TAG)
#undef TAG
        kTags
  };

  // A frame carries at most one message; its parameters in the order they were set.
  struct Record {
#define MEMBER(member, type, writer, name) type member;
    GT06_FIELDS(MEMBER)
#undef MEMBER
    uint64_t present;
    uint8_t order[kTags];
    uint8_t size;
  };

  static int64_t frame_length(const uint8_t* p, size_t n);
  bool decode(const uint8_t* p, size_t n);
  size_t messages() const {
    return has_record_ ? 1 : 0;
  }
  std::span<const uint8_t> reply() const {
    return {reply_, reply_size_};
  }
  std::string_view ident() const {
    return {ident_, ident_size_};
  }
  const Record& record() const {
    return record_;
  }
  void write_json(JsonOut& out) const;

 private:
  bool content(Reader& r, uint8_t type, uint8_t length);
  void date_time(Reader& r);
  void gps(Reader& r);
  void cell(Reader& r);
  bool cell_with_length(Reader& r);
  void trailer(Reader& r);
  void status_bytes(Reader& r);
  void terminal_info(uint8_t info);
  void voltage_level(uint8_t level);
  void gsm_level(uint8_t level);
  void alarm(uint8_t code);
  void set(Tag tag);

  char ident_[15] = {};
  size_t ident_size_ = 0;
  int64_t utc_offset_ = 0;  // seconds east of UTC, from the login
  Record record_;
  bool has_record_ = false;
  uint8_t reply_[10];
  size_t reply_size_ = 0;
};

}  // namespace pvm::baseline
