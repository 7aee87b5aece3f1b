#include "stream_recovery.h"

#include <algorithm>

namespace pvm::cli {
namespace {

// Bytes fed at a time to a trial session, so that it stops soon after its first frame.
constexpr size_t kTrialStep = 256;

// True when the first frame a session cuts from `bytes` decodes without error.
bool first_frame_decodes(const std::shared_ptr<const Program>& program, const DecodeOptions& options,
                         std::span<const uint8_t> bytes) {
  std::string error;
  std::unique_ptr<Session> session = open_session(program, options, Transport::Tcp, error);
  if (!session) return false;
  bool seen = false, ok = false;
  const FrameCallback on_frame = [&](const FrameResult& frame) {
    if (!seen) ok = frame.error == nullptr;
    seen = true;
  };
  for (size_t pos = 0; pos < bytes.size() && !seen; pos += kTrialStep)
    session->feed(bytes.subspan(pos, std::min(kTrialStep, bytes.size() - pos)), on_frame);
  return seen && ok;
}

}  // namespace

ResyncResult find_frame_start(const std::shared_ptr<const Program>& program, const DecodeOptions& options,
                              std::string_view ident, const std::vector<std::vector<uint8_t>>& chunks,
                              size_t begin, size_t end) {
  DecodeOptions trial = options;
  trial.ident = std::string(ident);
  std::vector<uint8_t> bytes;
  size_t total = 0;
  for (size_t i = begin; i < end; ++i) {
    total += chunks[i].size();
    if (bytes.size() < kResyncScanBytes + kResyncWindowBytes)
      bytes.insert(bytes.end(), chunks[i].begin(), chunks[i].end());
  }
  const size_t scan = std::min(bytes.size(), kResyncScanBytes);
  for (size_t k = 0; k < scan; ++k) {
    const auto window =
        std::span<const uint8_t>(bytes).subspan(k, std::min(kResyncWindowBytes, bytes.size() - k));
    if (first_frame_decodes(program, trial, window)) return {true, k};
  }
  return {false, total};
}

int64_t device_score(const std::shared_ptr<const Program>& program, const DecodeOptions& options,
                     const InputStream& stream) {
  std::string error;
  std::unique_ptr<Session> session = open_session(program, options, stream.transport, error);
  if (!session) return 0;
  int64_t score = 0;
  const FrameCallback on_frame = [&](const FrameResult& frame) { score += frame.error ? -1 : 1; };
  size_t fed = 0;
  for (const auto& chunk : stream.chunks) {
    if (stream.transport == Transport::Udp) {
      if (fed++ == kSideProbeDatagrams) break;
      session->feed_frame(chunk, on_frame);
      continue;
    }
    if (fed >= kSideProbeBytes) break;
    session->feed(chunk, on_frame);
    fed += chunk.size();
  }
  return score;
}

}  // namespace pvm::cli
