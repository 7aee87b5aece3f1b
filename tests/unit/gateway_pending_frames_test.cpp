// Replies wait for their frame's messages and leave in frame order.
#include <doctest/doctest.h>

#include "pending_frames.h"

using pvm::gateway::PendingFrames;

namespace {

std::vector<std::vector<uint8_t>> replies(std::initializer_list<std::vector<uint8_t>> r) {
  return r;
}

std::vector<std::string> release_all(PendingFrames& p) {
  std::vector<std::string> out;
  p.release([&](const PendingFrames::Frame& f) {
    std::string s = f.failed ? "F" : "";
    PendingFrames::for_each_reply(f, [&](std::span<const uint8_t> r) {
      s += std::to_string(r.size()) + ":";
      for (uint8_t b : r) s += std::to_string(b);
      s += ' ';
    });
    out.push_back(s);
  });
  return out;
}

}  // namespace

TEST_CASE("gateway: frames release in order once settled") {
  PendingFrames p;
  const uint64_t a = p.push(2, replies({{1}}), 10);
  const uint64_t b = p.push(1, replies({{2}, {3, 4}}), 10);
  const uint64_t c = p.push(0, replies({}), 10);
  CHECK(p.size() == 3);
  CHECK(p.settle(b, false));
  CHECK(release_all(p).empty());  // b is done but a is not: nothing may leave
  CHECK(p.settle(a, false));
  CHECK(release_all(p).empty());
  CHECK(p.settle(a, false));
  CHECK(release_all(p) == std::vector<std::string>{"1:1 ", "1:2 2:34 ", ""});
  CHECK(p.empty());
  CHECK_FALSE(p.settle(a, false));  // already released
  CHECK_FALSE(p.settle(c + 1, false));
}

TEST_CASE("gateway: a failed delivery marks its frame") {
  PendingFrames p;
  const uint64_t a = p.push(2, replies({{9}}), 1);
  CHECK(p.settle(a, true));
  CHECK(p.settle(a, false));
  CHECK_FALSE(p.settle(a, false));  // more settlements than deliveries are ignored
  CHECK(release_all(p) == std::vector<std::string>{"F1:9 "});
}

TEST_CASE("gateway: many frames through the queue") {
  PendingFrames p;
  std::vector<uint64_t> seqs;
  for (uint8_t i = 0; i < 100; ++i) seqs.push_back(p.push(1, replies({{i}}), 1));
  size_t released = 0;
  for (size_t i = 0; i < seqs.size(); ++i) {
    CHECK(p.settle(seqs[i], false));
    released += release_all(p).size();
    CHECK(p.size() == seqs.size() - i - 1);
  }
  CHECK(released == 100);
  CHECK(p.empty());
}
