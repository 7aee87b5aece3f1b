#include "json_rpc.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace pvm::lsp {

namespace {

// Reads one header line without its "\r\n"; false at the end of input or past the length cap.
bool read_line(std::istream& in, std::string& line, bool& too_long) {
  line.clear();
  too_long = false;
  int c;
  while ((c = in.get()) != EOF) {
    if (c == '\n') {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return true;
    }
    if (line.size() >= kMaxHeaderLine) {
      too_long = true;
      return false;
    }
    line += static_cast<char>(c);
  }
  return false;
}

bool iequals_prefix(const std::string& line, std::string_view prefix) {
  if (line.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != prefix[i]) return false;
  return true;
}

// Nesting depth of a JSON text, counting brackets outside strings.
int json_depth(const std::string& text) {
  int depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{')
      max_depth = std::max(max_depth, ++depth);
    else if (c == ']' || c == '}')
      --depth;
  }
  return max_depth;
}

}  // namespace

ReadStatus read_message(std::istream& in, std::string& body, std::string& error) {
  std::string line;
  bool too_long = false;
  long long length = -1;
  size_t lines = 0;
  while (true) {
    if (!read_line(in, line, too_long)) {
      if (too_long) {
        error = "a header line is longer than " + std::to_string(kMaxHeaderLine) + " bytes";
        return ReadStatus::Broken;
      }
      if (lines == 0 && line.empty()) return ReadStatus::End;
      error = "the input ended inside a message header";
      return ReadStatus::Broken;
    }
    if (line.empty()) {
      if (lines == 0) continue;  // stray blank lines between messages
      break;
    }
    if (++lines > kMaxHeaderLines) {
      error = "more than " + std::to_string(kMaxHeaderLines) + " header lines";
      return ReadStatus::Broken;
    }
    if (iequals_prefix(line, "content-length:")) {
      size_t start = line.find_first_not_of(' ', 15);
      long long n = -1;
      auto [end, ec] =
          std::from_chars(line.data() + std::min(start, line.size()), line.data() + line.size(), n);
      if (start == std::string::npos || ec != std::errc() || end != line.data() + line.size() || n < 0) {
        error = "a Content-Length that is not a number";
        return ReadStatus::Broken;
      }
      length = n;
    }
  }
  if (length < 0) {
    error = "a message without a Content-Length header";
    return ReadStatus::Broken;
  }
  if (static_cast<unsigned long long>(length) > kMaxMessageBytes) {
    // Read past it in pieces, so the next message can still be understood.
    char buf[65536];
    long long left = length;
    while (left > 0 && in.read(buf, std::min<long long>(left, sizeof buf))) left -= in.gcount();
    if (left > 0) {
      error = "the input ended inside a message";
      return ReadStatus::Broken;
    }
    error = "a message of " + std::to_string(length) + " bytes is larger than the limit of " +
            std::to_string(kMaxMessageBytes);
    return ReadStatus::Rejected;
  }
  body.resize(static_cast<size_t>(length));
  if (length > 0 && !in.read(body.data(), length)) {
    error = "the input ended inside a message";
    return ReadStatus::Broken;
  }
  return ReadStatus::Message;
}

bool parse_json(const std::string& body, json& out, std::string& error) {
  if (json_depth(body) > kMaxJsonDepth) {
    error = "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
    return false;
  }
  out = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) {
    error = "the message is not valid JSON";
    return false;
  }
  return true;
}

std::string frame(const json& message) {
  std::string body = message.dump(-1, ' ', false, json::error_handler_t::replace);
  return "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace pvm::lsp
