#include "streams.h"

#include <cstdio>
#include <string>

#include "../baselines/crc16.h"

namespace pvm::bench {
namespace {

// splitmix64: a tiny generator whose output is the same everywhere (the standard library's
// distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int64_t range(int64_t low, int64_t high) {  // inclusive
    return low + static_cast<int64_t>(next() % static_cast<uint64_t>(high - low + 1));
  }
  bool chance(int percent) { return static_cast<int>(next() % 100) < percent; }

 private:
  uint64_t state_;
};

void put(std::vector<uint8_t>& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void put_text(std::vector<uint8_t>& out, std::string_view text) {
  out.insert(out.end(), text.begin(), text.end());
}

// A position wandering around a city, as consecutive records of one vehicle do.
struct Track {
  int64_t latitude_e7;
  int64_t longitude_e7;
  void step(Rng& rng) {
    latitude_e7 += rng.range(-3000, 3000);
    longitude_e7 += rng.range(-3000, 3000);
  }
};

// ---- Teltonika codec 8 Extended ----

struct TeltonikaIo {
  int id;
  int width;
  int percent;  // how often a record carries it
};

// What an FMB device reports in every record, then what some configurations add.
constexpr TeltonikaIo kTeltonikaIo[] = {
    {239, 1, 100}, {240, 1, 100}, {80, 1, 100},  {21, 1, 100}, {69, 1, 100},  {1, 1, 30},  {113, 1, 30},
    {200, 1, 20},  {250, 1, 10},  {252, 1, 5},   {66, 2, 100}, {182, 2, 100}, {67, 2, 30}, {68, 2, 20},
    {24, 2, 40},   {205, 2, 20},  {206, 2, 20},  {181, 2, 30}, {9, 2, 10},    {17, 2, 10}, {18, 2, 10},
    {19, 2, 10},   {16, 4, 100},  {241, 4, 100}, {199, 4, 20}, {12, 4, 5},    {11, 8, 10}, {78, 8, 5},
};

// One IO id to a line.
// clang-format off
uint64_t teltonika_value(Rng& rng, int id, uint64_t odometer) {
  switch (id) {
    case 239: case 240: case 1: case 250: case 252: return rng.chance(70) ? 1 : 0;
    case 80: return static_cast<uint64_t>(rng.range(0, 5));
    case 21: return static_cast<uint64_t>(rng.range(0, 5));
    case 69: return rng.chance(90) ? 1 : static_cast<uint64_t>(rng.range(0, 3));
    case 113: return static_cast<uint64_t>(rng.range(0, 100));
    case 200: return static_cast<uint64_t>(rng.range(0, 2));
    case 66: return static_cast<uint64_t>(rng.range(11500, 14500));
    case 182: case 181: return static_cast<uint64_t>(rng.range(4, 30));
    case 67: return static_cast<uint64_t>(rng.range(3600, 4200));
    case 68: return static_cast<uint64_t>(rng.range(0, 900));
    case 24: return static_cast<uint64_t>(rng.range(0, 130));
    case 205: return static_cast<uint64_t>(rng.range(1000, 65000));
    case 206: return static_cast<uint64_t>(rng.range(1, 9000));
    case 9: return static_cast<uint64_t>(rng.range(0, 30000));
    case 17: case 18: case 19: return static_cast<uint16_t>(rng.range(-1200, 1200));  // two's complement
    case 16: return odometer;
    case 241: {
      constexpr uint64_t kOperators[] = {24602, 24603, 310260, 26201, 50501};
      return kOperators[rng.range(0, 4)];
    }
    case 199: return static_cast<uint64_t>(rng.range(0, 90000));
    case 12: return static_cast<uint64_t>(rng.range(0, 500000));
    case 11: return 8937020000000000000ull + static_cast<uint64_t>(rng.range(0, 999999999));
    case 78: return rng.chance(50) ? 0 : rng.next();
  }
  return 0;
}

// clang-format on
void teltonika_record(std::vector<uint8_t>& data, Rng& rng, const std::vector<const TeltonikaIo*>& ios,
                      uint64_t& time_ms, Track& track, uint64_t& odometer) {
  time_ms += static_cast<uint64_t>(rng.range(1000, 30000));
  track.step(rng);
  odometer += static_cast<uint64_t>(rng.range(0, 400));
  put(data, time_ms, 8);
  data.push_back(rng.chance(90) ? 0 : static_cast<uint8_t>(rng.range(1, 2)));  // priority
  put(data, static_cast<uint32_t>(track.longitude_e7), 4);
  put(data, static_cast<uint32_t>(track.latitude_e7), 4);
  put(data, static_cast<uint64_t>(rng.range(80, 220)), 2);  // altitude
  put(data, static_cast<uint64_t>(rng.range(0, 359)), 2);   // angle
  data.push_back(rng.chance(5) ? 0 : static_cast<uint8_t>(rng.range(4, 16)));
  put(data, static_cast<uint64_t>(rng.range(0, 130)), 2);           // speed
  put(data, rng.chance(85) ? 0 : (rng.chance(50) ? 239 : 240), 2);  // event IO id
  const bool vin = rng.chance(2);
  put(data, ios.size() + (vin ? 1 : 0), 2);  // N total
  for (int width : {1, 2, 4, 8}) {
    int n = 0;
    for (const TeltonikaIo* io : ios) n += io->width == width;
    put(data, static_cast<uint64_t>(n), 2);
    for (const TeltonikaIo* io : ios) {
      if (io->width != width) continue;
      put(data, static_cast<uint64_t>(io->id), 2);
      put(data, teltonika_value(rng, io->id, odometer), width);
    }
  }
  put(data, vin ? 1 : 0, 2);  // NX
  if (vin) {
    constexpr std::string_view kVin = "WVWZZZ1JZXW000123";
    put(data, 256, 2);
    put(data, kVin.size(), 2);
    put_text(data, kVin);
  }
}

// ---- Ruptela ----

struct RuptelaIo {
  int id;
  int width;
  int percent;
};

constexpr RuptelaIo kRuptelaIo[] = {
    {2, 1, 100}, {3, 1, 100},  {27, 1, 100}, {173, 1, 100}, {4, 1, 30},   {5, 1, 20},
    {32, 1, 20}, {76, 1, 30},  {29, 2, 100}, {30, 2, 100},  {22, 2, 30},  {23, 2, 20},
    {94, 2, 20}, {179, 2, 30}, {65, 4, 100}, {150, 4, 100}, {164, 4, 20}, {34, 8, 10},
};
// Extended records (0x44) carry 2-byte ids and report some newer ones.
constexpr RuptelaIo kRuptelaExtendedIo[] = {{409, 1, 60}, {758, 1, 10}, {645, 4, 30}};

// One IO id to a line.
// clang-format off
uint64_t ruptela_value(Rng& rng, int id, uint64_t odometer) {
  switch (id) {
    case 2: case 3: case 4: case 5: case 173: case 409: case 758: return rng.chance(60) ? 1 : 0;
    case 27: return static_cast<uint64_t>(rng.range(0, 31));
    case 32: return static_cast<uint8_t>(rng.range(-20, 60));
    case 76: return static_cast<uint64_t>(rng.range(0, 255));
    case 29: return static_cast<uint64_t>(rng.range(11500, 14500));
    case 30: return static_cast<uint64_t>(rng.range(3600, 4200));
    case 22: case 23: return static_cast<uint64_t>(rng.range(0, 30000));
    case 94: return static_cast<uint64_t>(rng.range(2400, 12000));
    case 179: return static_cast<uint64_t>(rng.range(0, 65535));
    case 65: return odometer;
    case 150: return rng.chance(50) ? 24602 : 24701;
    case 164: return static_cast<uint64_t>(rng.range(0, 20000));
    case 645: return odometer / 1000;
    case 34: return rng.chance(50) ? 0 : rng.next();
  }
  return 0;
}

// clang-format on
// ---- GT06 ----

void gt06_frame(std::vector<uint8_t>& out, const std::vector<uint8_t>& content, uint16_t serial) {
  std::vector<uint8_t> f = {0x78, 0x78, static_cast<uint8_t>(content.size() + 4)};
  f.insert(f.end(), content.begin(), content.end());
  put(f, serial, 2);
  put(f, baseline::crc16_x25(f.data() + 2, f.size() - 2), 2);
  put(f, 0x0D0A, 2);
  out.insert(out.end(), f.begin(), f.end());
}

void gt06_time(std::vector<uint8_t>& c, int64_t t) {
  // t: seconds since 2024-01-01 in the device's zone, kept within one month for simplicity.
  const int64_t day = t / 86400 % 28, second = t % 86400;
  const uint8_t fields[] = {24,
                            5,
                            static_cast<uint8_t>(day + 1),
                            static_cast<uint8_t>(second / 3600),
                            static_cast<uint8_t>(second / 60 % 60),
                            static_cast<uint8_t>(second % 60)};
  c.insert(c.end(), std::begin(fields), std::end(fields));
}

void gt06_gps(std::vector<uint8_t>& c, Rng& rng, int64_t t, const Track& track) {
  gt06_time(c, t);
  c.push_back(static_cast<uint8_t>(0xC0 | rng.range(0, 12)));
  put(c, static_cast<uint64_t>(track.latitude_e7 * 18 / 100), 4);  // 1/30000 minute = 1/1800000 degree
  put(c, static_cast<uint64_t>(track.longitude_e7 * 18 / 100), 4);
  c.push_back(static_cast<uint8_t>(rng.range(0, 120)));
  uint64_t flags = static_cast<uint64_t>(rng.range(0, 359)) | 1u << 10;     // north, east
  if (rng.chance(95)) flags |= 1u << 12;                                    // positioned
  if (rng.chance(30)) flags |= 1u << 14 | (rng.chance(50) ? 1u << 15 : 0);  // carries the ACC
  put(c, flags, 2);
}

void gt06_cell(std::vector<uint8_t>& c, Rng& rng) {
  put(c, 460, 2);  // MCC
  c.push_back(static_cast<uint8_t>(rng.range(0, 11)));
  put(c, static_cast<uint64_t>(rng.range(1, 65000)), 2);
  put(c, static_cast<uint64_t>(rng.range(1, 0xFFFFFF)), 3);
}

void gt06_status(std::vector<uint8_t>& c, Rng& rng, int alarm) {
  c.push_back(static_cast<uint8_t>(0x40 | rng.range(0, 7)));  // tracking on, armed/ACC/charging
  c.push_back(static_cast<uint8_t>(rng.range(0, 6)));
  c.push_back(static_cast<uint8_t>(rng.range(0, 4)));
  c.push_back(static_cast<uint8_t>(alarm));
  c.push_back(0x02);  // language: English
}

// ---- Wialon IPS ----

std::string wialon_crc(std::string_view covered) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04X",
                baseline::crc16_arc(reinterpret_cast<const uint8_t*>(covered.data()), covered.size()));
  return buf;
}

std::string nmea(int64_t e7, int degree_digits) {
  const int64_t degrees = e7 / 10000000;
  const double minutes = static_cast<double>(e7 % 10000000) * 60 / 1e7;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*lld%07.4f", degree_digits, static_cast<long long>(degrees), minutes);
  return buf;
}

}  // namespace

std::vector<uint8_t> teltonika_stream(uint64_t seed, int packets) {
  Rng rng(seed);
  std::vector<uint8_t> out;
  const std::string imei = std::to_string(356307042441013ull + seed % 1000000);
  put(out, imei.size(), 2);
  put_text(out, imei);
  uint64_t time_ms = 1700000000000ull;
  uint64_t odometer = 1000000;
  Track track{546674250, 252560283};
  std::vector<uint8_t> data;
  std::vector<const TeltonikaIo*> ios;
  for (int p = 0; p < packets; ++p) {
    ios.clear();
    for (const TeltonikaIo& io : kTeltonikaIo)
      if (rng.chance(io.percent)) ios.push_back(&io);
    const int records = static_cast<int>(rng.range(1, 50));
    data.assign({0x8E, static_cast<uint8_t>(records)});
    for (int r = 0; r < records; ++r) teltonika_record(data, rng, ios, time_ms, track, odometer);
    data.push_back(static_cast<uint8_t>(records));
    put(out, 0, 4);
    put(out, data.size(), 4);
    out.insert(out.end(), data.begin(), data.end());
    put(out, baseline::crc16_arc(data.data(), data.size()), 4);
  }
  return out;
}

std::vector<uint8_t> ruptela_stream(uint64_t seed, int packets) {
  Rng rng(seed);
  std::vector<uint8_t> out, body;
  const uint64_t imei = 863071010000000ull + seed % 1000000;
  uint32_t time = 1700000000;
  uint64_t odometer = 1000000;
  Track track{546674250, 252560283};
  std::vector<RuptelaIo> ios;
  for (int p = 0; p < packets; ++p) {
    const bool extended = rng.chance(30);
    ios.clear();
    for (const RuptelaIo& io : kRuptelaIo)
      if (rng.chance(io.percent)) ios.push_back(io);
    if (extended)
      for (const RuptelaIo& io : kRuptelaExtendedIo)
        if (rng.chance(io.percent)) ios.push_back(io);
    const int records = static_cast<int>(rng.range(1, 40));
    body.clear();
    put(body, imei, 8);
    body.push_back(extended ? 0x44 : 0x01);
    body.push_back(static_cast<uint8_t>(rng.range(0, 5)));  // records left
    body.push_back(static_cast<uint8_t>(records));
    for (int r = 0; r < records; ++r) {
      time += static_cast<uint32_t>(rng.range(1, 30));
      track.step(rng);
      odometer += static_cast<uint64_t>(rng.range(0, 400));
      put(body, time, 4);
      body.push_back(0);                // timestamp extension
      if (extended) body.push_back(0);  // record extension: a record on its own
      body.push_back(0);                // priority
      const bool fix = rng.chance(97);
      put(body, fix ? static_cast<uint32_t>(track.longitude_e7) : 0x80000000u, 4);
      put(body, fix ? static_cast<uint32_t>(track.latitude_e7) : 0x80000000u, 4);
      put(body, static_cast<uint64_t>(rng.range(800, 2200)), 2);  // altitude, 0.1 m
      put(body, static_cast<uint64_t>(rng.range(0, 35999)), 2);   // angle, 0.01 degree
      body.push_back(static_cast<uint8_t>(rng.range(4, 16)));
      put(body, static_cast<uint64_t>(rng.range(0, 130)), 2);
      body.push_back(static_cast<uint8_t>(rng.range(5, 30)));  // HDOP, 0.1
      put(body, rng.chance(80) ? 0 : 2, extended ? 2 : 1);     // event id
      for (int width : {1, 2, 4, 8}) {
        int n = 0;
        for (const RuptelaIo& io : ios) n += io.width == width;
        body.push_back(static_cast<uint8_t>(n));
        for (const RuptelaIo& io : ios) {
          if (io.width != width) continue;
          put(body, static_cast<uint64_t>(io.id), extended ? 2 : 1);
          put(body, ruptela_value(rng, io.id, odometer), width);
        }
      }
    }
    put(out, body.size(), 2);
    out.insert(out.end(), body.begin(), body.end());
    put(out, baseline::crc16_kermit(body.data(), body.size()), 2);
  }
  return out;
}

std::vector<uint8_t> gt06_stream(uint64_t seed, int packets) {
  Rng rng(seed);
  std::vector<uint8_t> out, c;
  uint16_t serial = 1;
  // Login: terminal id "0" + IMEI in BCD, type code, time zone GMT+8 (0x320 = 800 = 8:00, east).
  c = {0x01, 0x03, 0x53, 0x41, 0x90, 0x36, 0x06, 0x60, static_cast<uint8_t>(seed % 100 / 10 << 4 | seed % 10),
       0x36, 0x08, 0x32, 0x00};
  gt06_frame(out, c, serial++);
  int64_t t = 0;
  Track track{225000000, 1140500000};
  for (int p = 0; p < packets; ++p) {
    t += rng.range(5, 60);
    track.step(rng);
    c.clear();
    const int kind = static_cast<int>(rng.range(0, 99));
    if (kind < 65) {  // GPS + LBS + ACC, upload mode, re-upload; some with the mileage
      c.push_back(0x22);
      gt06_gps(c, rng, t, track);
      gt06_cell(c, rng);
      c.push_back(static_cast<uint8_t>(rng.range(0, 1)));
      c.push_back(static_cast<uint8_t>(rng.range(0, 3)));
      c.push_back(rng.chance(10) ? 1 : 0);
      if (kind >= 55) put(c, static_cast<uint64_t>(rng.range(0, 90000000)), 4);
    } else if (kind < 75) {  // GPS + LBS
      c.push_back(0x12);
      gt06_gps(c, rng, t, track);
      gt06_cell(c, rng);
    } else if (kind < 95) {  // status heartbeat
      c.push_back(0x13);
      gt06_status(c, rng, 0);
    } else {  // alarm: GPS, LBS led by its length, status with the alarm code
      constexpr int kAlarms[] = {0x01, 0x02, 0x03, 0x06, 0x0E, 0x13};
      c.push_back(0x16);
      gt06_gps(c, rng, t, track);
      c.push_back(9);
      gt06_cell(c, rng);
      gt06_status(c, rng, kAlarms[rng.range(0, 5)]);
    }
    gt06_frame(out, c, serial++);
  }
  return out;
}

std::vector<uint8_t> wialon_ips_stream(uint64_t seed, int packets) {
  Rng rng(seed);
  std::vector<uint8_t> out;
  const std::string login = "2.0;" + std::to_string(862462030000000ull + seed % 1000000) + ";NA;";
  put_text(out, "#L#" + login + wialon_crc(login) + "\r\n");
  int64_t t = 0;
  double odometer = 12345.6;
  Track track{556674250, 375560283};
  std::string fields;
  char buf[256];
  for (int p = 0; p < packets; ++p) {
    const int kind = static_cast<int>(rng.range(0, 99));
    if (kind < 3) {
      put_text(out, "#P#\r\n");
      continue;
    }
    t += rng.range(5, 60);
    track.step(rng);
    const int64_t day = t / 86400 % 28, second = t % 86400;
    const bool fix = rng.chance(95);
    std::snprintf(buf, sizeof buf, "%02lld0524;%02lld%02lld%02lld;", static_cast<long long>(day + 1),
                  static_cast<long long>(second / 3600), static_cast<long long>(second / 60 % 60),
                  static_cast<long long>(second % 60));
    fields = buf;
    fields += fix ? nmea(track.latitude_e7, 2) + ";N;" + nmea(track.longitude_e7, 3) + ";E;" : "NA;NA;NA;NA;";
    std::snprintf(buf, sizeof buf, "%lld;%lld;%lld.0;%lld;", static_cast<long long>(rng.range(0, 130)),
                  static_cast<long long>(rng.range(0, 359)), static_cast<long long>(rng.range(80, 220)),
                  static_cast<long long>(fix ? rng.range(4, 16) : 0));
    fields += buf;
    const bool full = kind >= 28;
    if (full) {  // #D#: hdop;inputs;outputs;adc;ibutton;params
      odometer += static_cast<double>(rng.range(0, 5000)) / 10;
      std::snprintf(buf, sizeof buf, "%.1f;%lld;%lld;", static_cast<double>(rng.range(5, 30)) / 10,
                    static_cast<long long>(rng.range(0, 3)), static_cast<long long>(rng.range(0, 1)));
      fields += buf;
      if (rng.chance(40)) {
        std::snprintf(buf, sizeof buf, "%.2f,%.2f", static_cast<double>(rng.range(0, 2400)) / 100,
                      static_cast<double>(rng.range(0, 500)) / 100);
        fields += buf;
      }
      fields += ";NA;";
      std::snprintf(
          buf, sizeof buf,
          "pwr_ext:2:%.2f,pwr_int:2:%.2f,battery:1:%lld,gsm_csq:1:%lld,odo:2:%.1f,fuel_lvl:1:%lld,SOS:1:%d",
          static_cast<double>(rng.range(1150, 1450)) / 100, static_cast<double>(rng.range(360, 420)) / 100,
          static_cast<long long>(rng.range(0, 100)), static_cast<long long>(rng.range(0, 31)), odometer,
          static_cast<long long>(rng.range(0, 600)), rng.chance(2) ? 1 : 0);
      fields += buf;
      if (rng.chance(10)) fields += ",fw:3:V4.5.2";
      fields += ';';
      put_text(out, "#D#" + fields + wialon_crc(fields) + "\r\n");
    } else {
      put_text(out, "#SD#" + fields + wialon_crc(fields) + "\r\n");
    }
  }
  return out;
}

const std::vector<StreamKind>& stream_kinds() {
  static const std::vector<StreamKind> kinds = {
      {"teltonika", teltonika_stream, 6000},
      {"ruptela", ruptela_stream, 7500},
      {"gt06", gt06_stream, 150000},
      {"wialon_ips", wialon_ips_stream, 50000},
  };
  return kinds;
}

}  // namespace pvm::bench
