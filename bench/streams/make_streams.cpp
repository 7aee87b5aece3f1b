// pvm_bench_streams DIR [--seed N] [--packets N]: writes DIR/PROTOCOL.bin for every benchmark
// protocol (the streams of streams.h). --packets overrides every stream's packet count (the
// tests use small streams).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "streams.h"

int main(int argc, char** argv) {
  std::string dir;
  uint64_t seed = 1;
  int packets = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--packets" && i + 1 < argc) {
      packets = std::atoi(argv[++i]);
    } else if (dir.empty() && !arg.starts_with("-")) {
      dir = arg;
    } else {
      dir.clear();
      break;
    }
  }
  if (dir.empty()) {
    std::fprintf(stderr, "usage: pvm_bench_streams DIR [--seed N] [--packets N]\n");
    return 2;
  }
  for (const auto& kind : pvm::bench::stream_kinds()) {
    const auto bytes = kind.make(seed, packets > 0 ? packets : kind.packets);
    const std::string path = dir + "/" + std::string(kind.protocol) + ".bin";
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() ||
        std::fclose(f) != 0) {
      std::fprintf(stderr, "pvm_bench_streams: cannot write %s\n", path.c_str());
      return 1;
    }
  }
  return 0;
}
