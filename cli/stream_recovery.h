// Where a capture leaves the decoder guessing: where the next frame starts after bytes the
// capture missed, and which direction of a conversation is the device's when no SYN says so.
// Both are answered the same way: by trying the protocol's own framing and decoding.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "decode_run.h"
#include "pvm/vm.h"

namespace pvm::cli {

// Bytes after a gap scanned for a frame start, and bytes a trial frame may take: a frame cut by
// a gap ends within a tracker's largest frames, far below these.
inline constexpr size_t kResyncScanBytes = 16 * 1024;
inline constexpr size_t kResyncWindowBytes = 16 * 1024;
// Bytes (TCP) or datagrams (UDP) of each direction decoded to tell the device's side.
inline constexpr size_t kSideProbeBytes = 64 * 1024;
inline constexpr size_t kSideProbeDatagrams = 64;

struct ResyncResult {
  bool found = false;
  size_t skipped = 0;  // bytes before the frame start (all of them when none was found)
};

// The first offset in chunks[begin, end) at which a frame decodes without error, for a session
// with `options` and `ident`.
ResyncResult find_frame_start(const std::shared_ptr<const Program>& program, const DecodeOptions& options,
                              std::string_view ident, const std::vector<std::vector<uint8_t>>& chunks,
                              size_t begin, size_t end);

// How well `stream` decodes as the device's side: frames decoded, less frames rejected.
int64_t device_score(const std::shared_ptr<const Program>& program, const DecodeOptions& options,
                     const InputStream& stream);

}  // namespace pvm::cli
