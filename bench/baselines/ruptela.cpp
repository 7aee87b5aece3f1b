#include "ruptela.h"

#include "crc16.h"

namespace pvm::baseline {
namespace {

constexpr uint32_t kNoFix = 0x80000000;

}  // namespace

int64_t Ruptela::frame_length(const uint8_t* p, size_t n) {
  if (n < 2) return 0;
  return int64_t{p[0] << 8 | p[1]} + 4;
}

bool Ruptela::decode(const uint8_t* p, size_t n) {
  count_ = 0;
  order_.clear();
  others_.clear();
  reply_size_ = 0;
  if (n < 4 || static_cast<size_t>(p[0] << 8 | p[1]) != n - 4) return false;
  if ((p[n - 2] << 8 | p[n - 1]) != crc16_kermit(p + 2, n - 4)) return false;
  Reader r{p + 2, p + n - 2};
  // The IMEI as 15 digits, leading zeros kept.
  uint64_t imei = r.u64();
  if (imei >= 1'000'000'000'000'000) return false;
  for (int i = 14; i >= 0; --i, imei /= 10) ident_[i] = static_cast<char>('0' + imei % 10);
  const uint8_t command = r.u8();
  if (command != 0x01 && command != 0x44) return false;
  r.skip(1);  // records left in the device
  const uint8_t count = r.u8();
  while (r.ok && r.p < r.end)
    if (!record(r, command == 0x44)) return false;
  if (!r.ok || count_ != count) return false;
  // The acknowledgement: length 2, command 0x64, 01, and the CRC of those two bytes.
  static const uint16_t kAckCrc = [] {
    const uint8_t body[2] = {0x64, 0x01};
    return crc16_kermit(body, 2);
  }();
  const uint8_t ack[6] = {
      0x00, 0x02, 0x64, 0x01, static_cast<uint8_t>(kAckCrc >> 8), static_cast<uint8_t>(kAckCrc)};
  std::memcpy(reply_, ack, sizeof ack);
  reply_size_ = sizeof ack;
  return true;
}

bool Ruptela::record(Reader& r, bool extended) {
  if (count_ == records_.size()) records_.emplace_back();
  Record& rec = records_[count_++];
  rec.present = 0;
  rec.order_begin = static_cast<uint32_t>(order_.size());
  rec.timestamp = r.u32();
  r.skip(1);  // timestamp extension
  if (extended) {
    // A record extension whose high nibble exceeds its low one starts a group of sub-records.
    const uint8_t extension = r.u8();
    if ((extension >> 4) > (extension & 15)) return false;
  }
  rec.priority = r.u8();
  const uint32_t longitude = r.u32(), latitude = r.u32();
  rec.valid = longitude != kNoFix && latitude != kNoFix;
  if (rec.valid) {
    rec.longitude = static_cast<int32_t>(longitude) / 1e7;
    rec.latitude = static_cast<int32_t>(latitude) / 1e7;
    rec.altitude = r.u16() / 10.0;
    rec.direction = r.u16() / 100.0;
    rec.satellites = r.u8();
    rec.speed = r.u16();
    rec.hdop = r.u8() / 10.0;
  } else {
    r.skip(8);
  }
  const int id_width = extended ? 2 : 1;
  rec.event = static_cast<int64_t>(r.width(id_width));
  for (int width : {1, 2, 4, 8}) {
    const uint8_t n = r.u8();
    if (!r.has(size_t{n} * (id_width + width))) return false;
    for (unsigned k = 0; k < n; ++k) {
      const int id = static_cast<int>(r.width(id_width));
      if (!io(rec, id, r.width(width), width)) return false;
    }
  }
  rec.order_end = static_cast<uint32_t>(order_.size());
  return r.ok;
}

void Ruptela::set(Record& rec, Tag tag) {
  const uint64_t bit = uint64_t{1} << tag;
  if (rec.present & bit) return;
  rec.present |= bit;
  order_.push_back(tag);
}

#define SET(member, value) \
  do {                     \
    rec.member = (value);  \
    set(rec, k_##member);  \
  } while (0)

// One IO id to a line, as in lib/ruptela_io.pvm.
// clang-format off
bool Ruptela::io(Record& rec, int id, uint64_t raw, int width) {
  switch (id) {
    case 2: SET(din1, raw != 0); break;
    case 3: SET(din2, raw != 0); break;
    case 4: SET(din3, raw != 0); break;
    case 5: SET(din4, raw != 0); break;
    case 13: case 173: SET(movement, raw != 0); break;
    case 20: SET(ain3, raw / 1000.0); break;
    case 21: SET(ain4, raw / 1000.0); break;
    case 22: SET(ain1, raw / 1000.0); break;
    case 23: SET(ain2, raw / 1000.0); break;
    case 27: SET(gsm_signal, raw); break;
    case 29: SET(external_voltage, raw / 1000.0); break;
    case 30: SET(battery_voltage, raw / 1000.0); break;
    case 32: SET(device_temperature, sign_extend(raw, width)); break;
    case 34:
      if (width != 8) return false;
      if (raw != 0) SET(ibutton, raw);
      break;
    case 39: SET(can_engine_load, raw); break;
    case 65: SET(mileage, raw / 1000.0); break;
    case 74: SET(temperature4, sign_extend(raw, width) / 10.0); break;
    case 78: SET(temperature1, sign_extend(raw, width) / 10.0); break;
    case 79: SET(temperature2, sign_extend(raw, width) / 10.0); break;
    case 80: SET(temperature3, sign_extend(raw, width) / 10.0); break;
    case 88: SET(jamming, raw != 0); break;
    case 94: SET(can_rpm, raw / 4.0); break;
    case 95: SET(can_speed, raw); break;
    case 98: SET(can_fuel_level, static_cast<double>(raw * 100) / 255); break;
    case 100: SET(can_fuel_rate, raw / 20.0); break;
    case 126: case 127: case 155: case 156: case 760: case 761: return false;  // id halves: not handled
    case 134: SET(harsh_braking, raw != 0); break;
    case 136: SET(harsh_acceleration, raw != 0); break;
    case 150: SET(operator_code, raw); break;
    case 163: SET(can_mileage, static_cast<double>(raw * 5) / 1000); break;
    case 164: SET(trip_mileage, static_cast<double>(raw * 5) / 1000); break;
    case 165: SET(can_speed_scaled, raw / 256.0); break;
    case 166: case 197: SET(can_rpm, raw / 8.0); break;
    case 170: SET(charging, raw != 0); break;
    case 199: SET(extreme_braking, raw != 0); break;
    case 200: SET(harsh_breaking, raw != 0); break;
    case 201: SET(accident_acceleration, raw != 0); break;
    case 205: SET(can_fuel_volume, raw); break;
    case 207: SET(can_fuel_level, static_cast<double>(raw * 4) / 10); break;
    case 208: SET(can_fuel_consumed, raw / 2.0); break;
    case 251: case 409: SET(ignition, raw != 0); break;
    case 410: SET(towing, raw != 0); break;
    case 411: SET(crash, raw != 0); break;
    case 415: SET(antenna_cut, raw == 0); break;
    case 645: SET(can_mileage_km, raw); break;
    case 758: SET(tamper, raw == 1); break;
    default:
      for (uint32_t i = rec.order_begin; i < order_.size(); ++i) {
        if ((order_[i] & 0xFF) == kOther && others_[order_[i] >> 8].id == id) {
          others_[order_[i] >> 8].raw = raw;
          return true;
        }
      }
      order_.push_back(kOther | static_cast<uint32_t>(others_.size()) << 8);
      others_.push_back({static_cast<uint16_t>(id), raw});
  }
  return true;
}

// clang-format on
#undef SET

void Ruptela::write_json(JsonOut& out) const {
  for (const Record& rec : records()) {
    out.raw("{\"ident\":\"");
    out.raw(std::string_view(ident_, 15));
    out.raw("\",\"protocol.id\":\"ruptela\"");
    out.envelope();
    out.u64(KEY("timestamp"), rec.timestamp);
    out.i64(KEY("event.priority.enum"), rec.priority);
    if (rec.valid) {
      out.f64(KEY("position.longitude"), rec.longitude);
      out.f64(KEY("position.latitude"), rec.latitude);
      out.boolean(KEY("position.valid"), true);
      out.f64(KEY("position.altitude"), rec.altitude);
      out.f64(KEY("position.direction"), rec.direction);
      out.i64(KEY("position.satellites"), rec.satellites);
      out.i64(KEY("position.speed"), rec.speed);
      out.f64(KEY("position.hdop"), rec.hdop);
    } else {
      out.boolean(KEY("position.valid"), false);
    }
    out.i64(KEY("event.enum"), rec.event);
    for (uint32_t i = rec.order_begin; i < rec.order_end; ++i) {
      const uint32_t entry = order_[i];
      switch (static_cast<Tag>(entry & 0xFF)) {
#define WRITE(member, type, writer, name) \
  case k_##member:                        \
    out.writer(KEY(name), rec.member);    \
    break;
        RUPTELA_IO(WRITE)
#undef WRITE
        case kOther: {
          const Other& o = others_[entry >> 8];
          char key[40] = ",\"ruptela.io.";
          char* end = std::to_chars(key + 13, key + sizeof key, o.id).ptr;
          *end++ = '"';
          *end++ = ':';
          out.raw(std::string_view(key, static_cast<size_t>(end - key)));
          out.raw_u64(o.raw);
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
