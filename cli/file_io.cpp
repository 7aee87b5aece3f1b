#include "file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

namespace pvm::cli {

namespace {

// The whole file in `out` with as few read(2) calls as its size allows: a regular file is read
// into a buffer of its size (one byte more, to see its end without another call); pipes and
// terminals grow the buffer as they go.
template <typename Bytes>
bool read_all(const std::string& path, Bytes& out, std::string& error) {
  const bool is_stdin = path == "-";
  const int fd = is_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  const bool known = ::fstat(fd, &st) == 0;
  if (known && S_ISDIR(st.st_mode)) {
    ::close(fd);
    error = "cannot read " + path + ": it is a folder";
    return false;
  }
  constexpr size_t kMinRead = 64 * 1024;
  const size_t expected = known && S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) : 0;
  out.resize(std::max(expected + 1, kMinRead));
  size_t used = 0;
  int saved = 0;
  while (true) {
    if (used == out.size()) out.resize(out.size() * 2);
    const ssize_t n = ::read(fd, out.data() + used, out.size() - used);
    if (n > 0) {
      used += static_cast<size_t>(n);
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      saved = errno;
      break;
    }
  }
  if (!is_stdin) ::close(fd);
  out.resize(used);
  if (saved != 0) {
    error = "cannot read " + path + ": " + std::strerror(saved);
    return false;
  }
  return true;
}

}  // namespace

bool read_file(const std::string& path, std::string& out, std::string& error) {
  return read_all(path, out, error);
}

bool read_file(const std::string& path, std::vector<uint8_t>& out, std::string& error) {
  return read_all(path, out, error);
}

bool write_file(const std::string& path, std::string_view data, std::string& error) {
  if (path == "-") {
    std::cout.write(data.data(), static_cast<std::streamsize>(data.size()));
    std::cout.flush();
    if (!std::cout) {
      error = "cannot write standard output";
      return false;
    }
    return true;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

void append_hex(std::string& out, std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
}

std::string to_hex(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  append_hex(out, bytes);
  return out;
}

std::string base_name(std::string_view path) {
  size_t slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace pvm::cli
