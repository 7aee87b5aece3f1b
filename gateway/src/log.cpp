#include "log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <iterator>

#include "pvm/vm.h"

namespace pvm::gateway {
namespace {

std::atomic<Level> g_level{Level::Info};

constexpr std::string_view kLevelNames[] = {"debug", "info", "warn", "error"};

void append_timestamp(std::string& out) {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  out.append(buf, n);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms % 1000));
  out += frac;
}

}  // namespace

bool parse_log_level(std::string_view text, LogLevel& out) {
  for (size_t i = 0; i < std::size(kLevelNames); ++i)
    if (kLevelNames[i] == text) {
      out = static_cast<LogLevel>(i);
      return true;
    }
  return false;
}

void set_log_level(Level level) {
  g_level.store(level, std::memory_order_relaxed);
}
bool log_enabled(Level level) {
  return level >= g_level.load(std::memory_order_relaxed);
}

LogLine::LogLine(Level level, std::string_view event) : enabled_(log_enabled(level)) {
  if (!enabled_) return;
  line_ = "{\"ts\":\"";
  append_timestamp(line_);
  line_ += "\",\"level\":\"";
  line_ += kLevelNames[static_cast<int>(level)];
  line_ += "\",\"event\":";
  append_json_string(line_, event);
}

LogLine& LogLine::str(std::string_view key, std::string_view value) {
  if (!enabled_) return *this;
  line_ += ',';
  append_json_string(line_, key);
  line_ += ':';
  append_json_string(line_, value);
  return *this;
}

LogLine& LogLine::num(std::string_view key, int64_t value) {
  if (!enabled_) return *this;
  line_ += ',';
  append_json_string(line_, key);
  line_ += ':';
  line_ += std::to_string(value);
  return *this;
}

LogLine::~LogLine() {
  if (!enabled_) return;
  line_ += "}\n";
  // Best effort: a full or closed stderr must not stop the gateway.
  const ssize_t n = ::write(STDERR_FILENO, line_.data(), line_.size());
  (void)n;
}

}  // namespace pvm::gateway
