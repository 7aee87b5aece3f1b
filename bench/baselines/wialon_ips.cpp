#include "wialon_ips.h"

#include <charconv>

#include "crc16.h"

namespace pvm::baseline {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// "\d+" from `at`; returns the position after the digits (== at when there are none).
size_t digits(std::string_view s, size_t at) {
  while (at < s.size() && is_digit(s[at])) ++at;
  return at;
}

bool all_digits(std::string_view s) {
  return !s.empty() && digits(s, 0) == s.size();
}

// -?\d+(?:\.\d*)?  (with `sign`), or \d+(?:\.\d+)? when the fraction needs a digit.
bool decimal(std::string_view s, bool sign, bool fraction_digit) {
  size_t at = sign && !s.empty() && s[0] == '-' ? 1 : 0;
  const size_t end = digits(s, at);
  if (end == at) return false;
  if (end == s.size()) return true;
  if (s[end] != '.') return false;
  const size_t after = digits(s, end + 1);
  return after == s.size() && (!fraction_digit || after > end + 1);
}

bool na(std::string_view s) {
  return s == "NA";
}

bool given(std::string_view s) {
  return !s.empty() && !na(s);
}

// Text to numbers as the VM converts them.
double to_float(std::string_view s) {
  const bool negative = !s.empty() && s[0] == '-';
  if (negative) s.remove_prefix(1);
  double v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
  return negative ? -v : v;
}

int64_t to_int(std::string_view s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

int64_t two_digits(std::string_view s, size_t at) {
  return (s[at] - '0') * 10 + (s[at + 1] - '0');
}

// ddmm.mmmm or dddmm.mmmm and its hemisphere, in degrees.
double nmea_degrees(std::string_view value, std::string_view hemisphere) {
  const double raw = to_float(value);
  const int64_t degrees = static_cast<int64_t>(raw) / 100;
  const double result = static_cast<double>(degrees) + (raw - static_cast<double>(degrees * 100)) / 60;
  return hemisphere == "S" || hemisphere == "W" ? -result : result;
}

// The CRC written after the covered text: up to 4 hex digits, perhaps after "0x".
bool crc_matches(std::string_view covered, std::string_view written) {
  if (written.size() > 2 && written[0] == '0' && (written[1] == 'x' || written[1] == 'X'))
    written.remove_prefix(2);
  if (written.empty() || written.size() > 4) return false;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(written.data(), written.data() + written.size(), value, 16);
  if (ec != std::errc() || end != written.data() + written.size()) return false;
  return value == crc16_arc(reinterpret_cast<const uint8_t*>(covered.data()), covered.size());
}

// Splits `s` at its first `n` semicolons into n + 1 fields; false when it has fewer.
template <size_t N>
bool split(std::string_view s, std::string_view (&fields)[N]) {
  size_t start = 0;
  for (size_t i = 0; i + 1 < N; ++i) {
    const size_t semi = s.find(';', start);
    if (semi == std::string_view::npos) return false;
    fields[i] = s.substr(start, semi - start);
    start = semi + 1;
  }
  fields[N - 1] = s.substr(start);
  return true;
}

constexpr std::string_view kLoginOk = "#AL#1\r\n";
constexpr std::string_view kPing = "#AP#\r\n";
constexpr std::string_view kShortOk = "#ASD#1\r\n";
constexpr std::string_view kDataOk = "#AD#1\r\n";

}  // namespace

int64_t WialonIps::frame_length(const uint8_t* p, size_t n) {
  const size_t limit = n < kMaxFrame + 1 ? n : kMaxFrame + 1;
  for (size_t i = 0; i + 1 < limit; ++i)
    if (p[i] == '\r' && p[i + 1] == '\n') return static_cast<int64_t>(i + 2);
  return n > kMaxFrame ? -1 : 0;
}

bool WialonIps::decode(const uint8_t* p, size_t n) {
  has_record_ = false;
  reply_ = {};
  const std::string_view line(reinterpret_cast<const char*>(p), n - 2);
  // "#TYPE#body": no prefix (the UDP form), a type of capital letters.
  if (line.empty() || line[0] != '#') return false;
  size_t at = 1;
  while (at < line.size() && line[at] >= 'A' && line[at] <= 'Z') ++at;
  if (at == 1 || at == line.size() || line[at] != '#') return false;
  const std::string_view type = line.substr(1, at - 1), body = line.substr(at + 1);
  if (body.find('\n') != std::string_view::npos) return false;
  if (type == "L") return login(body);
  if (type == "P") {
    reply_ = kPing;
    return true;
  }
  if (type == "SD") return data(body, 10);
  if (type == "D") return data(body, 16);
  return false;
}

bool WialonIps::login(std::string_view body) {
  std::string_view f[4];
  if (split(body, f) && f[3].find(';') == std::string_view::npos &&
      f[0].find('.') != std::string_view::npos) {
    if (!crc_matches(body.substr(0, body.size() - f[3].size()), f[3])) return false;  // #AL#10: not handled
    ident_.assign(f[1]);
  } else {
    const std::string_view first = body.substr(0, body.find(';'));
    if (first.empty()) return false;
    ident_.assign(first);
  }
  reply_ = kLoginOk;
  return true;
}

// An #SD# (10 fields) or #D# (16 fields) packet; one field more is the CRC of what precedes it.
bool WialonIps::data(std::string_view body, size_t fields) {
  size_t semicolons = 0;
  for (char c : body) semicolons += c == ';';
  std::string_view record = body;
  if (semicolons == fields) {
    const size_t last = body.rfind(';');
    if (!crc_matches(body.substr(0, last + 1), body.substr(last + 1)))
      return false;  // error reply: not handled
    record = body.substr(0, last);
  }
  names_.clear();
  names_.reserve(body.size());
  if (!parse_record(record)) return false;  // the -1 reply: not handled
  has_record_ = true;
  reply_ = fields == 10 ? kShortOk : kDataOk;
  return true;
}

bool WialonIps::parse_record(std::string_view text) {
  // date;time;lat;N|S;lon;E|W;speed;course;altitude;satellites[;extended]
  std::string_view f[10];
  if (!split(text, f)) return false;
  std::string_view extended;
  if (const size_t semi = f[9].find(';'); semi != std::string_view::npos) {
    extended = f[9].substr(semi + 1);
    f[9] = f[9].substr(0, semi);
  }
  const auto number_or_empty = [](std::string_view s, bool sign) {
    return s.empty() || na(s) || decimal(s, sign, false);
  };
  const bool ok = (na(f[0]) || (f[0].size() == 6 && all_digits(f[0]))) &&
                  (na(f[1]) || (f[1].size() >= 6 && digits(f[1], 0) >= 6 &&
                                (f[1].size() == 6 || (decimal(f[1], false, true) && f[1][6] == '.')))) &&
                  (na(f[2]) || decimal(f[2], false, true)) && (na(f[3]) || f[3] == "N" || f[3] == "S") &&
                  (na(f[4]) || decimal(f[4], false, true)) && (na(f[5]) || f[5] == "E" || f[5] == "W") &&
                  number_or_empty(f[6], false) && number_or_empty(f[7], false) &&
                  number_or_empty(f[8], true) && (f[9].empty() || na(f[9]) || all_digits(f[9]));
  if (!ok) return false;
  Record& rec = record_;
  rec.has = 0;
  rec.analog.clear();
  rec.params.clear();
  if (!extended.empty() && !parse_extended(extended)) return false;
  if (!na(f[0]) && !na(f[1])) {
    rec.has |= Record::kTime;
    rec.seconds = epoch_seconds(2000 + two_digits(f[0], 4), two_digits(f[0], 2), two_digits(f[0], 0),
                                two_digits(f[1], 0), two_digits(f[1], 2), two_digits(f[1], 4));
    if (f[1].size() > 6) {
      rec.has |= Record::kTimeFraction;
      rec.timestamp = static_cast<double>(rec.seconds) + to_float(f[1].substr(6));
    }
  }
  const bool located = !na(f[2]) && !na(f[3]) && !na(f[4]) && !na(f[5]);
  if (located) {
    rec.has |= Record::kLocated;
    rec.latitude = nmea_degrees(f[2], f[3]);
    rec.longitude = nmea_degrees(f[4], f[5]);
  }
  if (given(f[6])) rec.has |= Record::kSpeed, rec.speed = to_float(f[6]);
  if (given(f[7])) rec.has |= Record::kCourse, rec.course = to_float(f[7]);
  if (given(f[8])) rec.has |= Record::kAltitude, rec.altitude = to_float(f[8]);
  if (given(f[9])) {
    rec.has |= Record::kSatellites;
    rec.satellites = to_int(f[9]);
    if (located) rec.has |= Record::kValid, rec.valid = rec.satellites >= 3;
  }
  return true;
}

// hdop;inputs;outputs;adc;ibutton;params
bool WialonIps::parse_extended(std::string_view text) {
  std::string_view f[6];
  if (!split(text, f) || f[5].find(';') != std::string_view::npos) return false;
  const auto count = [](std::string_view s) { return s.empty() || na(s) || all_digits(s); };
  if (!(f[0].empty() || na(f[0]) || decimal(f[0], false, false)) || !count(f[1]) || !count(f[2]))
    return false;
  Record& rec = record_;
  if (given(f[0])) rec.has |= Record::kHdop, rec.hdop = to_float(f[0]);
  if (given(f[1])) rec.has |= Record::kInputs, rec.inputs = to_int(f[1]);
  if (given(f[2])) rec.has |= Record::kOutputs, rec.outputs = to_int(f[2]);
  if (given(f[3])) {  // adc1,adc2,...: entries that are not numbers keep their place
    std::string_view rest = f[3];
    for (int64_t i = 1;; ++i) {
      const size_t comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      if (decimal(item, true, false)) rec.analog.push_back({i, to_float(item)});
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  if (given(f[4])) rec.has |= Record::kIbutton, rec.ibutton = f[4];
  if (given(f[5])) {  // NAME:TYPE:VALUE,...
    std::string_view rest = f[5];
    while (true) {
      const size_t comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      const size_t colon = item.find(':');
      if (colon != std::string_view::npos && colon > 0 && colon + 2 < item.size() && item[colon + 1] >= '1' &&
          item[colon + 1] <= '3' && item[colon + 2] == ':') {
        const size_t at = names_.size();
        for (char c : item.substr(0, colon)) names_ += c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
        param(std::string_view(names_).substr(at, colon), item[colon + 1], item.substr(colon + 3));
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return true;
}

void WialonIps::param(std::string_view name, char type, std::string_view value) {
  Param p{};
  const bool number = decimal(value, true, false);
  bool normalized = false;
  if (number) {
    p.f = to_float(value);
    normalized = true;
    if (name == "pwr_ext")
      p.kind = Param::kExternalVoltage;
    else if (name == "pwr_int")
      p.kind = Param::kBatteryVoltage;
    else if (name == "sos")
      p.kind = Param::kSos;
    else if (name == "battery")
      p.kind = Param::kBatteryLevel;
    else if (name == "engine_temp")
      p.kind = Param::kEngineTemperature;
    else if (name == "cool_temp")
      p.kind = Param::kCoolantTemperature;
    else if (name == "fuel_volume")
      p.kind = Param::kFuelVolume;
    else
      normalized = false;
  }
  if (!normalized) {
    p.name = name;
    const size_t sign = !value.empty() && value[0] == '-' ? 1 : 0;
    if (type == '1' && value.size() > sign && value.size() - sign <= 18 && all_digits(value.substr(sign))) {
      p.kind = Param::kCustomInt;
      p.i = to_int(value);
    } else if (type != '3' && number) {
      p.kind = Param::kCustomFloat;
    } else {
      p.kind = Param::kCustomText;
      p.text = value;
    }
  }
  // A parameter seen before in the record keeps its place and takes the new value.
  for (Param& q : record_.params) {
    const bool same = q.kind == p.kind && q.kind < Param::kCustomInt;
    const bool same_custom = q.kind >= Param::kCustomInt && p.kind >= Param::kCustomInt && q.name == p.name;
    if (same || same_custom) {
      q = p;
      return;
    }
  }
  record_.params.push_back(p);
}

void WialonIps::write_json(JsonOut& out) const {
  if (!has_record_) return;
  const Record& rec = record_;
  out.raw("{\"ident\":");
  out.string(ident_);
  out.raw(",\"protocol.id\":\"wialon_ips\"");
  out.envelope();
  if (rec.has & Record::kTime) {
    if (rec.has & Record::kTimeFraction) {
      out.f64(KEY("timestamp"), rec.timestamp);
    } else {
      out.i64(KEY("timestamp"), rec.seconds);
    }
  }
  if (rec.has & Record::kLocated) {
    out.f64(KEY("position.latitude"), rec.latitude);
    out.f64(KEY("position.longitude"), rec.longitude);
  }
  if (rec.has & Record::kSpeed) out.f64(KEY("position.speed"), rec.speed);
  if (rec.has & Record::kCourse) out.f64(KEY("position.direction"), rec.course);
  if (rec.has & Record::kAltitude) out.f64(KEY("position.altitude"), rec.altitude);
  if (rec.has & Record::kSatellites) out.i64(KEY("position.satellites"), rec.satellites);
  if (rec.has & Record::kValid) out.boolean(KEY("position.valid"), rec.valid);
  if (rec.has & Record::kHdop) out.f64(KEY("position.hdop"), rec.hdop);
  if (rec.has & Record::kInputs) out.i64(KEY("din"), rec.inputs);
  if (rec.has & Record::kOutputs) out.i64(KEY("dout"), rec.outputs);
  for (const Analog& a : rec.analog) {
    char key[32] = ",\"ain.";
    char* end = std::to_chars(key + 6, key + sizeof key, a.index).ptr;
    *end++ = '"';
    *end++ = ':';
    out.raw(std::string_view(key, static_cast<size_t>(end - key)));
    out.raw_f64(a.value);
  }
  if (rec.has & Record::kIbutton) out.str(KEY("ibutton.code"), rec.ibutton);
  for (const Param& p : rec.params) {
    switch (p.kind) {
      case Param::kExternalVoltage:
        out.f64(KEY("external.powersource.voltage"), p.f);
        break;
      case Param::kBatteryVoltage:
        out.f64(KEY("battery.voltage"), p.f);
        break;
      case Param::kSos:
        out.boolean(KEY("alarm.event.trigger"), p.f != 0);
        break;
      case Param::kBatteryLevel:
        out.f64(KEY("battery.level"), p.f);
        break;
      case Param::kEngineTemperature:
        out.f64(KEY("can.engine.temperature"), p.f);
        break;
      case Param::kCoolantTemperature:
        out.f64(KEY("can.engine.coolant.temperature"), p.f);
        break;
      case Param::kFuelVolume:
        out.f64(KEY("can.fuel.volume"), p.f);
        break;
      case Param::kCustomInt:
      case Param::kCustomFloat:
      case Param::kCustomText:
        if (p.kind == Param::kCustomFloat && !std::isfinite(p.f)) break;
        out.raw(",\"custom.");
        out.string_body(p.name);
        out.raw("\":");
        if (p.kind == Param::kCustomInt) {
          out.raw_i64(p.i);
        } else if (p.kind == Param::kCustomFloat) {
          out.raw_f64(p.f);
        } else {
          out.string(p.text);
        }
        break;
    }
  }
  out.end_line();
}

}  // namespace pvm::baseline
