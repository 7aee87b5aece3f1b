// Structured logs: one JSON object per line on standard error, written with a single write(2)
// so that lines from different threads never interleave.
//
//   LogLine(Level::Info, "listening").str("listen", spec.text()).num("worker", 0);
//   -> {"ts":"2026-01-02T03:04:05.678Z","level":"info","event":"listening","listen":"...","worker":0}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pvm/gateway/config.h"

namespace pvm::gateway {

using Level = LogLevel;

void set_log_level(Level level);
bool log_enabled(Level level);

class LogLine {
 public:
  LogLine(Level level, std::string_view event);
  ~LogLine();
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;

  LogLine& str(std::string_view key, std::string_view value);
  LogLine& num(std::string_view key, int64_t value);

 private:
  bool enabled_;
  std::string line_;
};

}  // namespace pvm::gateway
