// Wialon IPS over TCP: the login (1.1 and 2.0), pings, and short (#SD#) and full (#D#) data
// packets with or without their CRC, parsed by hand where wialon_ips.pvm uses regular
// expressions, accepting exactly what its patterns accept. Black boxes (#B#), driver messages
// (#M#), UDP-style prefixes, and packets the VM answers with an error code are rejected.
#pragma once

#include <string>
#include <vector>

#include "decoder.h"

namespace pvm::baseline {

class WialonIps {
 public:
  static constexpr uint64_t kMaxFrame = 1 << 16;

  // A parameter of the params field: a normalized one, or custom.<name>.
  struct Param {
    enum Kind : uint8_t {
      kExternalVoltage,
      kBatteryVoltage,
      kSos,
      kBatteryLevel,
      kEngineTemperature,
      kCoolantTemperature,
      kFuelVolume,
      kCustomInt,
      kCustomFloat,
      kCustomText,
    };
    Kind kind;
    std::string_view name;  // lowercased; custom parameters only
    int64_t i;
    double f;
    std::string_view text;
  };

  struct Analog {
    int64_t index;
    double value;
  };

  // One #SD# or #D# record; `has` says which fields it carries.
  struct Record {
    enum : uint16_t {
      kTime = 1 << 0,
      kTimeFraction = 1 << 1,  // the time has a fraction: a float timestamp
      kLocated = 1 << 2,
      kSpeed = 1 << 3,
      kCourse = 1 << 4,
      kAltitude = 1 << 5,
      kSatellites = 1 << 6,
      kValid = 1 << 7,
      kHdop = 1 << 8,
      kInputs = 1 << 9,
      kOutputs = 1 << 10,
      kIbutton = 1 << 11,
    };
    uint16_t has;
    int64_t seconds;
    double timestamp;
    double latitude;
    double longitude;
    double speed;
    double course;
    double altitude;
    int64_t satellites;
    bool valid;
    double hdop;
    int64_t inputs;
    int64_t outputs;
    std::string_view ibutton;
    std::vector<Analog> analog;
    std::vector<Param> params;
  };

  static int64_t frame_length(const uint8_t* p, size_t n);
  bool decode(const uint8_t* p, size_t n);
  size_t messages() const { return has_record_ ? 1 : 0; }
  std::span<const uint8_t> reply() const {
    return {reinterpret_cast<const uint8_t*>(reply_.data()), reply_.size()};
  }
  std::string_view ident() const { return ident_; }
  const Record& record() const { return record_; }
  void write_json(JsonOut& out) const;

 private:
  bool login(std::string_view body);
  bool data(std::string_view body, size_t fields);
  bool parse_record(std::string_view text);
  bool parse_extended(std::string_view text);
  void param(std::string_view name, char type, std::string_view value);

  std::string ident_;
  Record record_;
  bool has_record_ = false;
  std::string names_;  // lowercased parameter names of this frame
  std::string_view reply_;
};

}  // namespace pvm::baseline
