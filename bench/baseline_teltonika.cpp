#include "baseline_teltonika.h"

#include <array>
#include <charconv>

namespace pvm::bench {

namespace {

struct Reader {
  const uint8_t* p;
  const uint8_t* end;
  bool ok = true;
  uint64_t be(int n) {
    if (end - p < n) {
      ok = false;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = v << 8 | p[i];
    p += n;
    return v;
  }
};

// Table-driven CRC-16/ARC, a byte per step.
uint16_t crc_arc(const uint8_t* p, size_t n) {
  static const auto table = [] {
    std::array<uint16_t, 256> t{};
    for (unsigned b = 0; b < 256; ++b) {
      uint16_t c = static_cast<uint16_t>(b);
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0xA001 : c >> 1;
      t[b] = c;
    }
    return t;
  }();
  uint16_t c = 0;
  for (size_t i = 0; i < n; ++i) c = static_cast<uint16_t>((c >> 8) ^ table[(c ^ p[i]) & 0xFF]);
  return c;
}

}  // namespace

Field& BaselineTeltonika::add(std::string_view name) {
  fields_.emplace_back();
  fields_.back().name = name;
  return fields_.back();
}

void BaselineTeltonika::set_i(std::string_view name, int64_t v) {
  Field& f = add(name);
  f.type = ValueType::Int;
  f.i = v;
}

void BaselineTeltonika::set_u(std::string_view name, uint64_t v) {
  Field& f = add(name);
  f.type = ValueType::UInt;
  f.u = v;
}

void BaselineTeltonika::set_f(std::string_view name, double v) {
  Field& f = add(name);
  f.type = ValueType::Float;
  f.f = v;
}

void BaselineTeltonika::set_b(std::string_view name, bool v) {
  Field& f = add(name);
  f.type = ValueType::Bool;
  f.b = v;
}

void BaselineTeltonika::set_text(std::string_view name, std::string_view stable) {
  Field& f = add(name);
  f.type = ValueType::Str;
  f.s = stable;
}

std::string_view BaselineTeltonika::keep(std::string_view s) {
  // The arena is reserved up front so views into it stay valid for the frame.
  size_t at = arena_.size();
  arena_.append(s);
  return std::string_view(arena_).substr(at, s.size());
}

size_t BaselineTeltonika::decode(std::span<const uint8_t> frame) {
  fields_.clear();
  starts_.clear();
  messages_.clear();
  arena_.clear();
  if (arena_.capacity() < 1 << 16) arena_.reserve(1 << 16);
  if (fields_.capacity() < 4096) fields_.reserve(4096);
  Reader r{frame.data(), frame.data() + frame.size()};
  if (r.be(4) != 0) return 0;
  uint64_t length = r.be(4);
  if (!r.ok || length + 12 != frame.size()) return 0;
  if ((crc_arc(frame.data() + 8, length) != (frame[frame.size() - 2] << 8 | frame[frame.size() - 1]))) return 0;
  int codec = static_cast<int>(r.be(1));
  int count = static_cast<int>(r.be(1));
  int id_w = codec == 0x08 ? 1 : 2, count_w = codec == 0x8E ? 2 : 1;
  for (int rec = 0; rec < count && r.ok; ++rec) {
    starts_.push_back(fields_.size());
    set_text("ident", ident_);
    set_text("protocol.id", "teltonika");
    set_i("codec.id", codec);
    set_f("timestamp", static_cast<double>(r.be(8)) / 1000);
    set_i("event.priority.enum", static_cast<int64_t>(r.be(1)));
    set_f("position.longitude", static_cast<int32_t>(r.be(4)) / 1e7);
    set_f("position.latitude", static_cast<int32_t>(r.be(4)) / 1e7);
    set_i("position.altitude", static_cast<int16_t>(r.be(2)));
    set_i("position.direction", static_cast<int64_t>(r.be(2)));
    int64_t sats = static_cast<int64_t>(r.be(1));
    set_i("position.satellites", sats);
    set_i("position.speed", static_cast<int64_t>(r.be(2)));
    set_b("position.valid", sats != 0);
    set_i("event.enum", static_cast<int64_t>(r.be(id_w)));
    if (codec == 0x10) set_i("record.generation.enum", static_cast<int64_t>(r.be(1)));
    r.be(count_w);
    for (int width : {1, 2, 4, 8}) {
      uint64_t n = r.be(count_w);
      for (uint64_t k = 0; k < n && r.ok; ++k) {
        int id = static_cast<int>(r.be(id_w));
        io(id, r.be(width), width);
      }
    }
    if (codec == 0x8E) {
      uint64_t n = r.be(2);
      for (uint64_t k = 0; k < n && r.ok; ++k) {
        int id = static_cast<int>(r.be(2));
        uint64_t len = r.be(2);
        if (static_cast<uint64_t>(r.end - r.p) < len) return 0;
        static const char* kHex = "0123456789abcdef";
        std::string hex;
        for (uint64_t b = 0; b < len; ++b) {
          hex += kHex[r.p[b] >> 4];
          hex += kHex[r.p[b] & 15];
        }
        r.p += len;
        set_s(keep("teltonika.io." + std::to_string(id)), hex);
      }
    }
  }
  if (!r.ok || static_cast<int>(r.be(1)) != count) return 0;
  starts_.push_back(fields_.size());
  for (size_t m = 0; m + 1 < starts_.size(); ++m)
    messages_.push_back(Message{std::span<const Field>(fields_.data() + starts_[m], starts_[m + 1] - starts_[m])});
  return static_cast<size_t>(count);
}

void BaselineTeltonika::io(int id, uint64_t raw, int width) {
  auto sign = [&](uint64_t v) {
    int shift = 64 - width * 8;
    return static_cast<int64_t>(v << shift) >> shift;
  };
  char buf[24];
  switch (id) {
    case 1: case 2: case 3: {
      static constexpr std::string_view kNames[] = {"din.1", "din.2", "din.3"};
      set_b(kNames[id - 1], raw != 0);
      // din accumulates the inputs' bits, so it is the one field looked up before it is added.
      Field* din = nullptr;
      for (size_t i = starts_.back(); i < fields_.size(); ++i)
        if (fields_[i].name == "din") din = &fields_[i];
      if (!din) {
        din = &add("din");
        din->type = ValueType::Int;
        din->i = 0;
      }
      din->i |= static_cast<int64_t>(raw != 0) << (id - 1);
      break;
    }
    case 6: set_f("ain.2", raw / 1000.0); break;
    case 9: set_f("ain.1", raw / 1000.0); break;
    case 11: set_s("sim.iccid", std::string_view(buf, std::to_chars(buf, buf + sizeof buf, raw).ptr - buf)); break;
    case 12: set_f("gps.fuel.consumed", raw / 1000.0); break;
    case 14: set_s("sim.iccid.2", std::string_view(buf, std::to_chars(buf, buf + sizeof buf, raw).ptr - buf)); break;
    case 16: set_f("vehicle.mileage", raw / 1000.0); break;
    case 17: set_f("x.acceleration", sign(raw) / 1000.0); break;
    case 18: set_f("y.acceleration", sign(raw) / 1000.0); break;
    case 19: set_f("z.acceleration", sign(raw) / 1000.0); break;
    case 21: set_i("gsm.signal.level", static_cast<int64_t>(raw) * 20); break;
    case 66: set_f("external.powersource.voltage", raw / 1000.0); break;
    case 67: set_f("battery.voltage", raw / 1000.0); break;
    case 68: set_f("battery.current", raw / 1000.0); break;
    case 69:
      set_u("gnss.state.enum", raw);
      set_b("gnss.status", raw == 1);
      break;
    case 78:
      if (raw) {
        static const char* kHex = "0123456789abcdef";
        char h[16];
        for (int i = 0; i < 16; ++i) h[i] = kHex[(raw >> (60 - 4 * i)) & 15];
        set_s("ibutton.code", std::string_view(h, 16));
      }
      break;
    case 80: set_u("data.mode.enum", raw); break;
    case 113: set_u("battery.level", raw); break;
    case 181: set_f("position.pdop", raw / 10.0); break;
    case 182: set_f("position.hdop", raw / 10.0); break;
    case 199: set_f("trip.vehicle.mileage", raw / 1000.0); break;
    case 200: set_u("sleep.mode.enum", raw); break;
    case 205: set_u("gsm.cellid", raw); break;
    case 206: set_u("gsm.lac", raw); break;
    case 239: set_b("engine.ignition.status", raw != 0); break;
    case 240: set_b("movement.status", raw != 0); break;
    case 241: {
      std::string_view digits(buf, std::to_chars(buf, buf + sizeof buf, raw).ptr - buf);
      set_s("gsm.operator.code", digits);
      if (digits.size() > 3) {
        int64_t mcc = 0, mnc = 0;
        std::from_chars(digits.data(), digits.data() + 3, mcc);
        std::from_chars(digits.data() + 3, digits.data() + digits.size(), mnc);
        set_i("gsm.mcc", mcc);
        set_i("gsm.mnc", mnc);
      }
      break;
    }
    default: {
      char name[32] = "teltonika.io.";
      char* end = std::to_chars(name + 13, name + sizeof name, id).ptr;
      set_u(keep(std::string_view(name, end - name)), raw);
    }
  }
}

}  // namespace pvm::bench
