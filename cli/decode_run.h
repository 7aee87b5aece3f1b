// The decode engine behind `pvm decode` and `pvm test`: runs byte streams through a program, one
// Session per stream, and writes messages, replies, per-frame records and error lines.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pvm/vm.h"

namespace pvm::cli {

// One connection (TCP) or one peer (UDP) of input.
struct InputStream {
  std::string name;  // starts every error line: "capture.hex: offset 18: ..."
  Transport transport = Transport::Tcp;
  // Every chunk is one complete frame (decoded with feed_frame, no framing and no finish);
  // otherwise chunks are consecutive TCP segments. UDP chunks are always whole datagrams.
  bool whole_frames = false;
  std::vector<std::vector<uint8_t>> chunks;
  std::vector<double> times;  // each chunk's receive time, Unix seconds; NaN (or none): the wall clock
};

struct DecodeOptions {
  bool lenient_checks = false;                               // --crc warn
  std::vector<std::pair<std::string, std::string>> options;  // --option NAME=VALUE
};

// Where output goes; a null stream is not written.
struct DecodeSinks {
  std::ostream* messages = nullptr;  // one JSON object per line per message
  std::ostream* replies = nullptr;   // one lowercase hex line per reply
  std::ostream* frames = nullptr;    // one JSON object per line per frame
  std::ostream* errors = nullptr;    // "NAME: offset N: ..." per rejected frame and warning
};

struct DecodeStats {
  uint64_t frames = 0;
  uint64_t messages = 0;
  uint64_t replies = 0;
  uint64_t bad_frames = 0;
  uint64_t warnings = 0;
};

// Decodes every stream in order. False with a reason when a session rejects an option (a usage
// error); rejected frames are not failures here, they are counted in `stats.bad_frames`.
bool run_decode(std::shared_ptr<const Program> program, const DecodeOptions& options,
                const std::vector<InputStream>& inputs, const DecodeSinks& sinks, DecodeStats& stats,
                std::string& error);

// "NAME=VALUE" -> {NAME, VALUE}; false when there is no '=' or no name.
bool split_assignment(std::string_view text, std::pair<std::string, std::string>& out);

}  // namespace pvm::cli
