// JSON-lines sinks accept a message only once its line is written.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "file_sink.h"
#include "pvm/gateway/limits.h"

using namespace pvm::gateway;

namespace {

struct Recorder : DeliveryListener {
  std::vector<uint64_t> accepted_frames;
  size_t failures = 0;
  void accepted(std::span<const Ticket> tickets) override {
    for (const Ticket& t : tickets) accepted_frames.push_back(t.frame);
  }
  void failed(Ticket) override { ++failures; }
};

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("gateway: jsonl sink writes, then accepts") {
  char path[] = "/tmp/pvm_file_sink_XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  SharedFile file;
  file.fd = fd;
  file.name = path;
  Recorder r;
  FileSink sink(file, false, r, 2);
  CHECK(sink.ready());
  sink.submit({"p", "1", "{\"a\":1}"}, {1, 1});
  CHECK(sink.ready());
  sink.submit({"p", "1", "{\"a\":2}"}, {1, 2});
  CHECK_FALSE(sink.ready());  // max_queue reached: the worker stops reading
  CHECK(sink.queued() == 2);
  CHECK(r.accepted_frames.empty());
  CHECK(read_all(path).empty());  // batched until the end of the loop iteration
  sink.flush();
  CHECK(r.accepted_frames == std::vector<uint64_t>{1, 2});
  CHECK(read_all(path) == "{\"a\":1}\n{\"a\":2}\n");
  CHECK(sink.ready());
  ::close(fd);
  std::remove(path);
}

TEST_CASE("gateway: a full batch is written at once") {
  char path[] = "/tmp/pvm_file_sink_XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  SharedFile file;
  file.fd = fd;
  Recorder r;
  FileSink sink(file, false, r, 1000);
  const std::string line(kFileSinkBatch / 2 - 1, 'x');  // with its newline: half a batch
  sink.submit({"p", "1", line}, {1, 1});
  CHECK(r.accepted_frames.empty());
  sink.submit({"p", "1", line}, {1, 2});
  CHECK(r.accepted_frames.size() == 2);
  ::close(fd);
  std::remove(path);
}

TEST_CASE("gateway: a sink that cannot write accepts nothing") {
  SharedFile file;
  file.fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  REQUIRE(file.fd >= 0);
  Recorder r;
  FileSink sink(file, false, r, 10);
  sink.submit({"p", "1", "{}"}, {1, 1});
  sink.flush();
  CHECK(r.accepted_frames.empty());
  CHECK_FALSE(sink.ready());
  CHECK(sink.queued() == 1);
  ::close(file.fd);
}
