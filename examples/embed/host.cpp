// A minimal embedding host: what a gateway does for one connection, in one file.
//
//   pvm_embed_host MODULE.pvmc [HEX_FILE]
//
// Loads a compiled module, reads hex lines (from HEX_FILE or standard input; blank lines and
// lines starting with '#' are skipped), feeds each line's bytes to one TCP session as a segment
// of the stream, and prints every message as a JSON line and every reply as "reply: <hex>" on
// standard output. Rejected frames and warnings go to standard error. Exit status: 0 when every
// frame decoded, 1 when some frame was rejected, 2 when the module or input could not be read.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "pvm/vm.h"

namespace {

bool read_file(const char* path, std::vector<uint8_t>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Hex digits with optional spaces between bytes ("00 00 00 0f" or "0000000f").
bool parse_hex_line(const std::string& line, std::vector<uint8_t>& out) {
  out.clear();
  int high = -1;
  for (char c : line) {
    if (c == ' ' || c == '\t' || c == '\r') continue;
    const int d = hex_digit(c);
    if (d < 0) return false;
    if (high < 0) {
      high = d;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | d));
      high = -1;
    }
  }
  return high < 0;
}

std::string to_hex(const std::vector<uint8_t>& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: pvm_embed_host MODULE.pvmc [HEX_FILE]\n";
    return 2;
  }
  std::vector<uint8_t> pvmc;
  if (!read_file(argv[1], pvmc)) {
    std::cerr << argv[1] << ": cannot read\n";
    return 2;
  }
  // Load once, share among all connections: the program is immutable and verified.
  std::string error;
  const std::shared_ptr<const pvm::Program> program = pvm::Program::load(pvmc, error);
  if (program == nullptr) {
    std::cerr << argv[1] << ": " << error << "\n";
    return 2;
  }

  std::ifstream file;
  if (argc == 3) {
    file.open(argv[2]);
    if (!file) {
      std::cerr << argv[2] << ": cannot read\n";
      return 2;
    }
  }
  std::istream& input = argc == 3 ? static_cast<std::istream&>(file) : std::cin;

  // One session per connection; it keeps the stream buffer and the device's session state.
  pvm::Session session(program, pvm::SessionOptions{});
  const std::string source = program->module().str(program->module().source);
  bool rejected = false;
  pvm::JsonBuffer json;  // written in place, reused for every message
  // Called once per frame. Views in `frame` are valid only during the call: a real host copies
  // or serializes what it keeps, stores the messages, and only then sends the replies.
  const pvm::FrameCallback on_frame = [&](const pvm::FrameResult& frame) {
    for (const pvm::Error& w : frame.warnings) std::cerr << "warning: " << w.format(source) << "\n";
    if (frame.error != nullptr) {
      rejected = true;
      std::cerr << "error: " << frame.error->format(source) << "\n";
      return;
    }
    for (const pvm::Message& m : frame.messages) {
      json.clear();
      pvm::append_json(json, m);
      std::cout << json.view() << "\n";
    }
    for (const std::vector<uint8_t>& reply : frame.replies) std::cout << "reply: " << to_hex(reply) << "\n";
  };

  std::string line;
  std::vector<uint8_t> bytes;
  for (int number = 1; std::getline(input, line); ++number) {
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    if (!parse_hex_line(line, bytes)) {
      std::cerr << (argc == 3 ? argv[2] : "<stdin>") << ":" << number << ": not hex\n";
      return 2;
    }
    session.feed(bytes, on_frame);
  }
  session.finish(on_frame);
  return rejected ? 1 : 0;
}
