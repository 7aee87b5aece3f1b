#include "teltonika.h"

#include "crc16.h"

namespace pvm::baseline {
namespace {

bool has(const Teltonika::Record& rec, Teltonika::Tag tag) {
  return rec.present[tag >> 6] >> (tag & 63) & 1;
}

}  // namespace

int64_t Teltonika::frame_length(const uint8_t* p, size_t n) {
  if (n < 1) return 0;
  if (p[0] == 0xFF) return 1;
  if (n < 2) return 0;
  const unsigned handshake = p[0] << 8 | p[1];
  if (handshake != 0) return handshake <= 20 ? handshake + 2 : -1;
  if (n < 8) return 0;
  return int64_t{(uint32_t{p[4]} << 24) | (uint32_t{p[5]} << 16) | (uint32_t{p[6]} << 8) | p[7]} + 12;
}

bool Teltonika::decode(const uint8_t* p, size_t n) {
  count_ = 0;
  order_.clear();
  others_.clear();
  reply_size_ = 0;
  if (n == 1 && p[0] == 0xFF) return true;  // keep-alive
  Reader r{p, p + n};
  if (const uint16_t length = r.u16(); length != 0) {
    if (length != n - 2) return false;
    for (size_t i = 2; i < n; ++i)
      if (p[i] < '0' || p[i] > '9') return false;
    ident_.assign(reinterpret_cast<const char*>(p + 2), n - 2);
    reply_[0] = 1;
    reply_size_ = 1;
    return true;
  }
  if (n < 12 || r.u16() != 0) return false;
  const uint32_t length = r.u32();
  if (length != n - 12) return false;
  const uint32_t crc = static_cast<uint32_t>(p[n - 4]) << 24 | p[n - 3] << 16 | p[n - 2] << 8 | p[n - 1];
  if (crc != crc16_arc(p + 8, length)) return false;
  r.end = p + n - 4;
  if (r.u8() != 0x8E) return false;
  const uint8_t count = r.u8();
  for (int i = 0; i < count; ++i)
    if (!avl_record(r)) return false;
  if (r.u8() != count || !r.ok || r.p != r.end) return false;
  if (count > 0) {
    reply_[0] = reply_[1] = reply_[2] = 0;
    reply_[3] = count;
    reply_size_ = 4;
  }
  return true;
}

bool Teltonika::avl_record(Reader& r) {
  if (count_ == records_.size()) records_.emplace_back();
  Record& rec = records_[count_++];
  rec.present[0] = rec.present[1] = 0;
  rec.order_begin = rec.order_end = static_cast<uint32_t>(order_.size());
  rec.timestamp = static_cast<double>(r.u64()) / 1000;
  rec.priority = r.u8();
  rec.longitude = static_cast<int32_t>(r.u32()) / 1e7;
  rec.latitude = static_cast<int32_t>(r.u32()) / 1e7;
  rec.altitude = static_cast<int16_t>(r.u16());
  rec.direction = r.u16();
  rec.satellites = r.u8();
  rec.speed = r.u16();
  rec.valid = rec.satellites != 0;
  rec.event = r.u16();
  r.skip(2);  // N total
  for (int width : {1, 2, 4, 8}) {
    const uint16_t n = r.u16();
    if (!r.has(size_t{n} * (2 + width))) return false;
    for (unsigned k = 0; k < n; ++k) {
      const uint16_t id = r.u16();
      io(rec, id, r.width(width), width);
    }
  }
  const uint16_t nx_count = r.u16();
  for (unsigned k = 0; k < nx_count && r.ok; ++k) {
    const uint16_t id = r.u16();
    const uint16_t length = r.u16();
    if (!r.has(length)) return false;
    nx(rec, id, r.p, length);
    r.p += length;
  }
  rec.order_end = static_cast<uint32_t>(order_.size());
  return r.ok;
}

// A parameter already set keeps its place and takes the new value, as in the VM's messages.
void Teltonika::set(Record& rec, Tag tag) {
  uint64_t& word = rec.present[tag >> 6];
  const uint64_t bit = uint64_t{1} << (tag & 63);
  if (word & bit) return;
  word |= bit;
  order_.push_back(tag);
}

void Teltonika::other(Record& rec, uint16_t id, uint64_t raw, const uint8_t* bytes, uint16_t length) {
  for (uint32_t i = rec.order_begin; i < order_.size(); ++i) {
    if ((order_[i] & 0xFF) == kOther && others_[order_[i] >> 8].id == id) {
      others_[order_[i] >> 8] = {id, length, raw, bytes};
      return;
    }
  }
  order_.push_back(kOther | static_cast<uint32_t>(others_.size()) << 8);
  others_.push_back({id, length, raw, bytes});
}

#define SET(member, value) \
  do {                     \
    rec.member = (value);  \
    set(rec, k_##member);  \
  } while (0)

// One IO id to a line, as in lib/teltonika_io.pvm.
// clang-format off
void Teltonika::io(Record& rec, int id, uint64_t raw, int width) {
  switch (id) {
    case 1: case 2: case 3: {
      const bool on = raw != 0;
      if (id == 1) SET(din1, on);
      if (id == 2) SET(din2, on);
      if (id == 3) SET(din3, on);
      SET(din, (has(rec, k_din) ? rec.din : 0) | int64_t{on} << (id - 1));
      break;
    }
    case 6: SET(ain2, raw / 1000.0); break;
    case 9: SET(ain1, raw / 1000.0); break;
    case 11: SET(iccid, raw); break;
    case 12: SET(fuel_consumed, raw / 1000.0); break;
    case 13: SET(fuel_rate, raw / 100.0); break;
    case 14: SET(iccid2, raw); break;
    case 15: SET(eco_score, raw / 100.0); break;
    case 16: SET(mileage, raw / 1000.0); break;
    case 17: SET(x_acceleration, sign_extend(raw, width) / 1000.0); break;
    case 18: SET(y_acceleration, sign_extend(raw, width) / 1000.0); break;
    case 19: SET(z_acceleration, sign_extend(raw, width) / 1000.0); break;
    case 21: SET(gsm_signal, static_cast<int64_t>(raw * 20)); break;
    case 30: SET(can_dtc_count, raw); break;
    case 31: SET(can_engine_load, raw); break;
    case 32: SET(can_coolant, sign_extend(raw, width)); break;
    case 36: case 85: SET(can_rpm, raw); break;
    case 37: case 81: SET(can_speed, raw); break;
    case 66: SET(external_voltage, raw / 1000.0); break;
    case 67: SET(battery_voltage, raw / 1000.0); break;
    case 68: SET(battery_current, raw / 1000.0); break;
    case 69:
      SET(gnss_state, raw);
      SET(gnss_status, raw == 1);
      break;
    case 72: case 73: case 74: case 75: {
      // Dallas probes: 850, 2000, 3000 and 4000 degrees are error codes, not temperatures.
      const double celsius = sign_extend(raw, width) / 10.0;
      if (celsius == 850 || celsius == 2000 || celsius == 3000 || celsius == 4000) break;
      if (id == 72) SET(temperature1, celsius);
      if (id == 73) SET(temperature2, celsius);
      if (id == 74) SET(temperature3, celsius);
      if (id == 75) SET(temperature4, celsius);
      break;
    }
    case 78: if (raw != 0) SET(ibutton, raw); break;
    case 80: SET(data_mode, raw); break;
    case 82: SET(can_throttle, raw); break;
    case 83: SET(can_fuel_consumed, raw / 10.0); break;
    case 84: SET(can_fuel_volume, raw / 10.0); break;
    case 87: SET(can_mileage, raw / 1000.0); break;
    case 89: SET(can_fuel_level, raw); break;
    case 113: SET(battery_level, raw); break;
    case 116: SET(charging, raw != 0); break;
    case 175: if (raw == 0) SET(geofence_exit, true); else SET(geofence_enter, true); break;
    case 179: case 180: {
      const bool on = raw != 0;
      if (id == 179) SET(dout1, on); else SET(dout2, on);
      SET(dout, (has(rec, k_dout) ? rec.dout : 0) | int64_t{on} << (id - 179));
      break;
    }
    case 181: SET(pdop, raw / 10.0); break;
    case 182: SET(hdop, raw / 10.0); break;
    case 199: SET(trip_mileage, raw / 1000.0); break;
    case 200: SET(sleep_mode, raw); break;
    case 205: SET(cellid, raw); break;
    case 206: SET(lac, raw); break;
    case 236: SET(alarm, raw != 0); break;
    case 239: SET(ignition, raw != 0); break;
    case 240: SET(movement, raw != 0); break;
    case 241: {
      // MCC and MNC as one decimal number: the first three digits, then the rest.
      SET(operator_code, raw);
      if (raw >= 1000) {
        uint64_t scale = 1;
        while (raw / scale >= 1000) scale *= 10;
        SET(mcc, static_cast<int64_t>(raw / scale));
        SET(mnc, static_cast<int64_t>(raw % scale));
      }
      break;
    }
    case 246: SET(towing, raw != 0); break;
    case 247: SET(crash, raw != 0); break;
    case 249: SET(jamming, raw != 0); break;
    case 250: SET(trip, raw != 0); break;
    case 251: SET(idle, raw != 0); break;
    case 252: SET(external_power, raw == 0); break;
    case 253:
      if (raw == 1) SET(harsh_acceleration, true);
      if (raw == 2) SET(harsh_braking, true);
      if (raw == 3) SET(harsh_cornering, true);
      break;
    case 255:
      SET(overspeeding, true);
      SET(io255, raw);
      break;
    default: other(rec, static_cast<uint16_t>(id), raw, nullptr, 0);
  }
}

// clang-format on
void Teltonika::nx(Record& rec, int id, const uint8_t* bytes, uint16_t length) {
  const std::string_view text(reinterpret_cast<const char*>(bytes), length);
  if (id == 256) {
    SET(vin, text);
  } else if (id == 281) {
    SET(dtc_codes, text);
  } else {
    other(rec, static_cast<uint16_t>(id), 0, bytes, length);
  }
}

#undef SET

void Teltonika::write_json(JsonOut& out) const {
  for (const Record& rec : records()) {
    out.raw("{\"ident\":");
    out.string(ident_);
    out.raw(",\"protocol.id\":\"teltonika\"");
    out.envelope();
    out.raw(",\"codec.id\":142");
    out.f64(KEY("timestamp"), rec.timestamp);
    out.i64(KEY("event.priority.enum"), rec.priority);
    out.f64(KEY("position.longitude"), rec.longitude);
    out.f64(KEY("position.latitude"), rec.latitude);
    out.i64(KEY("position.altitude"), rec.altitude);
    out.i64(KEY("position.direction"), rec.direction);
    out.i64(KEY("position.satellites"), rec.satellites);
    out.i64(KEY("position.speed"), rec.speed);
    out.boolean(KEY("position.valid"), rec.valid);
    out.i64(KEY("event.enum"), rec.event);
    for (uint32_t i = rec.order_begin; i < rec.order_end; ++i) {
      const uint32_t entry = order_[i];
      switch (static_cast<Tag>(entry & 0xFF)) {
#define WRITE(member, type, writer, name) \
  case k_##member:                        \
    out.writer(KEY(name), rec.member);    \
    break;
        TELTONIKA_IO(WRITE)
#undef WRITE
        case kOther: {
          const Other& o = others_[entry >> 8];
          char key[40] = ",\"teltonika.io.";
          char* end = std::to_chars(key + 15, key + sizeof key, o.id).ptr;
          *end++ = '"';
          *end++ = ':';
          out.raw(std::string_view(key, static_cast<size_t>(end - key)));
          if (o.bytes != nullptr) {
            out.put_hex(o.bytes, o.length);
          } else {
            out.raw_u64(o.raw);
          }
          break;
        }
        case kTags:
          break;
      }
    }
    out.end_line();
  }
}

}  // namespace pvm::baseline
