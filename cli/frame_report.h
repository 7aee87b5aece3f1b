// One decoded frame as `pvm decode` shows it: as a JSON-lines record for tools (--frames FILE)
// and as a block of text for a protocol author at a terminal (--output frames).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "decode_run.h"

namespace pvm::cli {

struct FrameReport {
  const InputStream* input = nullptr;
  uint64_t number = 0;                         // the frame's number in its input, from 1
  uint64_t offset = 0;                         // stream offset of its first byte, gaps counted
  uint32_t first_origin = 0, last_origin = 0;  // lines or packets of its first and last byte (0: none)
  const FrameResult* frame = nullptr;
  std::vector<std::string> messages;  // each message as a JSON object
  std::vector<std::string> warnings;  // "offset N: warning: ..."
  std::string error;                  // "offset N: ...", or "" when the frame decoded
};

// "capture.hex:3", "capture.hex:3-4", "capture.pcap[a->b] packet 12", or the input's name.
std::string origin_text(const InputStream& input, uint32_t first, uint32_t last);

// {"input":..,"lines":[3,4],"frame":1,"offset":..,"size":..,"hex":..,"messages":[{..}],
//  "replies":["hex"],"warnings":[".."],"error":".."|null} and a newline.
void append_frame_json(std::string& out, const FrameReport& report);

// The frame's place, a hex dump with offsets in the frame, its messages, replies, warnings
// and error, one per line.
void append_frame_listing(std::string& out, const FrameReport& report);

}  // namespace pvm::cli
