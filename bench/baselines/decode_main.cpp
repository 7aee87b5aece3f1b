// pvm_baseline_decode -p PROTOCOL [--output json|none] [--replies FILE] FILE: the hand-written
// counterpart of `pvm decode` on one TCP stream, for whole-process comparisons. It reads the
// file, decodes every frame and writes the same JSON lines (or, with --output none, the same
// summary line), and the replies as hex lines.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "gt06.h"
#include "ruptela.h"
#include "teltonika.h"
#include "wialon_ips.h"

namespace {

using pvm::baseline::JsonOut;
using pvm::baseline::StreamCounts;

bool read_file(const char* path, std::vector<uint8_t>& out) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) return false;
  out.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(done);
  return true;
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

template <typename Decoder>
int run(const std::vector<uint8_t>& input, bool json, std::FILE* replies) {
  Decoder decoder;
  JsonOut out;
  StreamCounts counts;
  bool bad_framing = false;
  const size_t used = pvm::baseline::decode_frames(decoder, input, counts, bad_framing, [&](bool ok) {
    if (!ok) return;
    if (json) {
      decoder.write_json(out);
      if (out.size() >= 1 << 16) {
        write_all(1, out.view());
        out.clear();
      }
    }
    if (replies != nullptr && !decoder.reply().empty()) {
      for (uint8_t b : decoder.reply()) std::fprintf(replies, "%02x", b);
      std::fputc('\n', replies);
    }
  });
  write_all(1, out.view());
  if (bad_framing) {
    std::fprintf(stderr, "pvm_baseline_decode: offset %zu: not a frame\n", used);
    return 1;
  }
  if (used < input.size()) {  // `pvm decode` reports the rest as an incomplete frame
    ++counts.frames;
    ++counts.rejected;
  }
  if (!json)
    std::printf(
        "%llu frames, %llu messages, %llu replies, %llu rejected, 0 warnings\n",
        static_cast<unsigned long long>(counts.frames), static_cast<unsigned long long>(counts.messages),
        static_cast<unsigned long long>(counts.replies), static_cast<unsigned long long>(counts.rejected));
  return counts.rejected ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string protocol, output = "json", replies_path, input_path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if ((arg == "-p" || arg == "--protocol") && i + 1 < argc) {
      protocol = argv[++i];
    } else if (arg == "--output" && i + 1 < argc) {
      output = argv[++i];
    } else if (arg == "--replies" && i + 1 < argc) {
      replies_path = argv[++i];
    } else if (input_path.empty() && !arg.starts_with("-")) {
      input_path = arg;
    } else {
      input_path.clear();
      break;
    }
  }
  if (input_path.empty() || (output != "json" && output != "none")) {
    std::fprintf(stderr,
                 "usage: pvm_baseline_decode -p teltonika|ruptela|gt06|wialon_ips [--output json|none] "
                 "[--replies FILE] FILE\n");
    return 2;
  }
  std::vector<uint8_t> input;
  if (!read_file(input_path.c_str(), input)) {
    std::fprintf(stderr, "pvm_baseline_decode: cannot read %s\n", input_path.c_str());
    return 2;
  }
  std::FILE* replies = nullptr;
  if (!replies_path.empty() && (replies = std::fopen(replies_path.c_str(), "w")) == nullptr) {
    std::fprintf(stderr, "pvm_baseline_decode: cannot write %s\n", replies_path.c_str());
    return 2;
  }
  const bool json = output == "json";
  int status = 2;
  if (protocol == "teltonika")
    status = run<pvm::baseline::Teltonika>(input, json, replies);
  else if (protocol == "ruptela")
    status = run<pvm::baseline::Ruptela>(input, json, replies);
  else if (protocol == "gt06")
    status = run<pvm::baseline::Gt06>(input, json, replies);
  else if (protocol == "wialon_ips")
    status = run<pvm::baseline::WialonIps>(input, json, replies);
  else
    std::fprintf(stderr, "pvm_baseline_decode: no baseline for protocol '%s'\n", protocol.c_str());
  if (replies != nullptr) std::fclose(replies);
  return status;
}
