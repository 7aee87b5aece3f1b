#include "topic.h"

#include <vector>

#include "utf8.h"

namespace pvm::gateway {
namespace {

constexpr std::string_view kProtocol = "{protocol}";
constexpr std::string_view kIdent = "{ident}";
constexpr std::string_view kCommands = "commands";

// '/', '+', '#', control bytes and bytes that are not UTF-8 would change the topic's levels, be
// wildcards, or make the broker refuse the topic.
void append_level_text(std::string& out, std::string_view value) {
  for (size_t i = 0; i < value.size();) {
    const size_t n = utf8_sequence(value, i);
    const char c = value[i];
    if (n > 1) {
      out.append(value, i, n);
      i += n;
      continue;
    }
    const bool special = n == 0 || c == '/' || c == '+' || c == '#' || static_cast<unsigned char>(c) < 0x20;
    out += special ? '_' : c;
    ++i;
  }
}

std::vector<std::string_view> levels(std::string_view topic) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t slash = topic.find('/', start);
    out.push_back(topic.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

}  // namespace

void append_topic(std::string& out, std::string_view pattern, std::string_view protocol,
                  std::string_view ident) {
  size_t pos = 0;
  while (pos < pattern.size()) {
    if (pattern.compare(pos, kProtocol.size(), kProtocol) == 0) {
      append_level_text(out, protocol);
      pos += kProtocol.size();
    } else if (pattern.compare(pos, kIdent.size(), kIdent) == 0) {
      append_level_text(out, ident.empty() ? std::string_view("unknown") : ident);
      pos += kIdent.size();
    } else {
      out += pattern[pos++];
    }
  }
}

bool command_subscription(std::string_view pattern, std::string& out, std::string& error) {
  out.clear();
  for (std::string_view level : levels(pattern)) {
    if (level == kProtocol || level == kIdent) {
      out += '+';
    } else if (level.find('{') != std::string_view::npos || level.find('+') != std::string_view::npos ||
               level.find('#') != std::string_view::npos) {
      error = "topic '" + std::string(pattern) + "': a placeholder must be a whole level for commands";
      return false;
    } else {
      out += level;
    }
    out += '/';
  }
  out += kCommands;
  out += "/+";
  return true;
}

bool parse_command_topic(std::string_view pattern, std::string_view topic, CommandTopic& out) {
  const auto want = levels(pattern);
  const auto got = levels(topic);
  if (got.size() != want.size() + 2 || got[want.size()] != kCommands || got.back().empty()) return false;
  CommandTopic result;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] == kProtocol) {
      result.protocol = std::string(got[i]);
    } else if (want[i] == kIdent) {
      result.ident = std::string(got[i]);
    } else if (want[i] != got[i]) {
      return false;
    }
  }
  result.command = std::string(got.back());
  out = std::move(result);
  return true;
}

}  // namespace pvm::gateway
