#include "gt06.h"

#include "crc16.h"

namespace pvm::baseline {

int64_t Gt06::frame_length(const uint8_t* p, size_t n) {
  if (n < 3) return 0;
  const unsigned start = p[0] << 8 | p[1];
  if (start != 0x7878 && start != 0x7979) return -1;
  if (start == 0x7979 && n < 4) return 0;
  const size_t end = start == 0x7878 ? p[2] + 5u : (p[2] << 8 | p[3]) + 6u;
  const auto stop_at = [&](size_t i) { return p[i] == 0x0D && p[i + 1] == 0x0A; };
  if (end <= n && stop_at(end - 2)) return static_cast<int64_t>(end);
  if (end > n && !stop_at(n - 2)) return 0;
  // A wrong length: the frame ends at the first 0D 0A.
  for (size_t i = 2; i + 1 < n; ++i)
    if (stop_at(i)) return static_cast<int64_t>(i + 2);
  return 0;
}

bool Gt06::decode(const uint8_t* p, size_t n) {
  has_record_ = false;
  reply_size_ = 0;
  // 79 79 frames and Wi-Fi reports (0x69, 0x17), which carry no serial number or CRC, are not
  // among the benchmark's packets.
  if (n < 10 || p[0] != 0x78 || p[1] != 0x78) return false;
  const uint8_t length = p[2], type = p[3];
  if (type == 0x69 || type == 0x17) return false;
  if (p[n - 2] != 0x0D || p[n - 1] != 0x0A || length != n - 5) return false;
  const size_t end = n - 2;  // where the CRC ends
  if ((p[end - 2] << 8 | p[end - 1]) != crc16_x25(p + 2, end - 4)) return false;
  Reader r{p + 4, p + end - 4};
  if (!content(r, type, length) || !r.ok) return false;
  if (type == 0x01 || type == 0x13 || type == 0x16) {
    uint8_t* a = reply_;
    a[0] = a[1] = 0x78;
    a[2] = 5;
    a[3] = type;
    a[4] = p[end - 4];  // the serial number
    a[5] = p[end - 3];
    const uint16_t crc = crc16_x25(a + 2, 4);
    a[6] = static_cast<uint8_t>(crc >> 8);
    a[7] = static_cast<uint8_t>(crc);
    a[8] = 0x0D;
    a[9] = 0x0A;
    reply_size_ = 10;
  }
  return true;
}

bool Gt06::content(Reader& r, uint8_t type, uint8_t length) {
  Record& rec = record_;
  const auto begin = [&] {
    has_record_ = true;
    rec.present = 0;
    rec.size = 0;
  };
  switch (type) {
    case 0x01: {  // login: "0" + IMEI in BCD, type code, time zone
      if (!r.has(8)) return false;
      static constexpr char kHex[] = "0123456789abcdef";
      for (int i = 1; i < 16; ++i) ident_[i - 1] = kHex[(r.p[i / 2] >> (i % 2 ? 0 : 4)) & 15];
      ident_size_ = 15;
      r.p += 8;
      if (r.has(2)) r.skip(2);
      if (r.has(2)) {
        const uint16_t zone = r.u16();
        const int64_t hhmm = zone >> 4 & 0xFFF;
        const int64_t minutes = hhmm / 100 * 60 + hhmm % 100;
        utc_offset_ = zone & 8 ? -minutes * 60 : minutes * 60;
      }
      return true;
    }
    case 0x12:  // GPS + LBS
      if (length == 0x24 || length == 0x21 || length == 0x2B || length == 0x29 || length >= 0x71)
        return false;
      if (r.left() == 0) return true;
      begin();
      gps(r);
      cell(r);
      if (r.left() == 3 || r.left() == 7) trailer(r);
      if (r.left() == 4) {
        rec.mileage = r.u32() / 1000.0;
        set(k_mileage);
      }
      return true;
    case 0x13: {  // status
      if (length == 0x15 || length == 0x13) return false;
      begin();
      terminal_info(r.u8());
      voltage_level(r.u8());
      gsm_level(r.u8());
      alarm(r.u8());
      if (r.left() > 0) r.skip(1);  // language
      return true;
    }
    case 0x16:  // GPS + LBS led by its length + status
      if (length == 0x24) return false;
      begin();
      gps(r);
      if (r.left() > 0 && !cell_with_length(r)) return false;
      status_bytes(r);
      if (r.left() == 8) {
        rec.ibutton = r.u64();
        set(k_ibutton);
      }
      return true;
    case 0x22:  // GPS + LBS + ACC, upload mode, re-upload, and perhaps the mileage
      if (length == 0x2F) return false;
      begin();
      gps(r);
      cell(r);
      if (r.left() >= 3) trailer(r);
      if (r.left() >= 4) {
        rec.mileage = r.u32() / 1000.0;
        set(k_mileage);
      }
      return true;
  }
  return false;
}

void Gt06::set(Tag tag) {
  const uint64_t bit = uint64_t{1} << tag;
  if (record_.present & bit) return;
  record_.present |= bit;
  record_.order[record_.size++] = tag;
}

#define SET(member, value)    \
  do {                        \
    record_.member = (value); \
    set(k_##member);          \
  } while (0)

void Gt06::date_time(Reader& r) {
  if (!r.has(6)) {
    r.skip(6);
    return;
  }
  const uint8_t* t = r.p;
  r.p += 6;
  if (t[1] >= 1 && t[1] <= 12 && t[2] >= 1)
    SET(timestamp, epoch_seconds(2000 + t[0], t[1], t[2], t[3], t[4], t[5]) - utc_offset_);
}

void Gt06::gps(Reader& r) {
  date_time(r);
  SET(satellites, r.u8() & 15);
  const uint32_t lat = r.u32(), lon = r.u32();
  SET(speed, r.u8());
  const uint16_t flags = r.u16();
  double latitude = lat / 1800000.0, longitude = lon / 1800000.0;
  if (!(flags & 1 << 10)) latitude = -latitude;
  if (flags & 1 << 11) longitude = -longitude;
  SET(latitude, latitude);
  SET(longitude, longitude);
  SET(direction, flags & 0x3FF);
  SET(valid, (flags & 1 << 12) != 0);
  if (flags & 1 << 14) SET(ignition, (flags & 1 << 15) != 0);
}

// MCC, MNC (2 bytes when the MCC's bit 15 says so), LAC and a 3-byte cell id.
void Gt06::cell(Reader& r) {
  const uint16_t mcc = r.u16();
  SET(mcc, mcc & 0x7FFF);
  SET(mnc, mcc & 0x8000 ? r.u16() : r.u8());
  SET(lac, r.u16());
  SET(cellid, static_cast<int64_t>(r.u24()));
}

// An LBS block led by its length, which counts itself (but a length of 8 never does).
bool Gt06::cell_with_length(Reader& r) {
  const uint8_t length = r.u8();
  if (length == 0) return false;  // no cell, perhaps zero padding: not among the packets
  const size_t size = length != 8 ? length - 1u : length;
  if (!r.has(size)) return false;
  Reader block{r.p, r.p + size};
  r.p += size;
  const uint16_t mcc = block.u16();
  SET(mcc, mcc & 0x7FFF);
  SET(mnc, mcc & 0x8000 ? block.u16() : block.u8());
  if (block.left() >= 12) {
    SET(lac, block.u32());
    SET(cellid, static_cast<int64_t>(block.u64()));
  } else {
    SET(lac, block.u16());
    SET(cellid,
        static_cast<int64_t>(block.left() > 4 ? block.u32() : block.width(static_cast<int>(block.left()))));
  }
  return block.ok;
}

void Gt06::trailer(Reader& r) {
  SET(ignition, r.u8() > 0);
  SET(upload_mode, r.u8());
  SET(reupload, r.u8() > 0);
}

void Gt06::status_bytes(Reader& r) {
  terminal_info(r.u8());
  voltage_level(r.u8());
  gsm_level(r.u8());
  alarm(r.u8());
  if (r.left() > 0) r.skip(1);  // language
}

void Gt06::terminal_info(uint8_t info) {
  SET(status_bits, info);
  SET(armed, (info & 1) != 0);
  SET(ignition, (info & 2) != 0);
  SET(charging, (info & 4) != 0);
  switch (info >> 3 & 7) {
    case 1:
      SET(vibration, true);
      break;
    case 2:
      SET(power_cut, true);
      break;
    case 3:
      SET(low_battery, true);
      break;
    case 4:
      SET(alarm, true);
      break;
    case 6:
      SET(geofence, true);
      break;
    case 7:
      SET(removal, true);
      break;
  }
  SET(gps_tracking, (info & 0x40) != 0);
  SET(relay, (info & 0x80) != 0);
}

void Gt06::voltage_level(uint8_t level) {
  if (level <= 6) {
    SET(battery_level_enum, level);
    SET(battery_level, level * 100 / 6);
  } else if (level <= 100) {
    SET(battery_level, level);
  }
}

void Gt06::gsm_level(uint8_t level) {
  if (level <= 4) {
    SET(gsm_signal, level * 25);
  } else {
    SET(gsm_raw, level);
  }
}

// One alarm code to a line, as in lib/gt06_blocks.pvm.
// clang-format off
void Gt06::alarm(uint8_t code) {
  if (code == 0) return;
  SET(event, code);
  switch (code) {
    case 0x01: SET(alarm, true); break;
    case 0x02: SET(power_cut, true); break;
    case 0x03: case 0x09: SET(vibration, true); break;
    case 0x04: SET(geofence_enter, true); break;
    case 0x05: SET(geofence_exit, true); break;
    case 0x06: SET(overspeeding, true); break;
    case 0x0E: case 0x0F: case 0x19: SET(low_battery, true); break;
    case 0x11: SET(power_off, true); break;
    case 0x0C: case 0x13: case 0x25: SET(tamper, true); break;
    case 0x14: SET(door, true); break;
    case 0x18: SET(removal, true); break;
    case 0x1A: case 0x28: SET(harsh_braking, true); break;
    case 0x1B: case 0x2A: case 0x2B: case 0x2E: SET(harsh_cornering, true); break;
    case 0x23: SET(fall, true); break;
    case 0x29: SET(harsh_acceleration, true); break;
    case 0x2C: SET(crash, true); break;
    case 0x30: SET(jamming, true); break;
  }
}

// clang-format on
#undef SET

void Gt06::write_json(JsonOut& out) const {
  if (!has_record_) return;
  const Record& rec = record_;
  out.raw("{\"ident\":\"");
  out.raw(std::string_view(ident_, ident_size_));
  out.raw("\",\"protocol.id\":\"gt06\"");
  out.envelope();
  for (uint8_t i = 0; i < rec.size; ++i) {
    switch (static_cast<Tag>(rec.order[i])) {
#define WRITE(member, type, writer, name) \
  case k_##member:                        \
    out.writer(KEY(name), rec.member);    \
    break;
      GT06_FIELDS(WRITE)
#undef WRITE
      case kTags:
        break;
    }
  }
  out.end_line();
}

}  // namespace pvm::baseline
