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

enum class TraceFormat : uint8_t { Text, Json };

// Where the chunks of an input came from, so that output can point back into the input.
enum class ChunkOrigin : uint8_t {
  None,    // a binary file: one chunk
  Line,    // a hex dump: the line of each chunk
  Packet,  // a capture: the packet number of each chunk
};

// Bytes of a TCP stream its capture does not hold: stream offsets `from`..`to` (inclusive) are
// missing before chunks[chunk].
struct StreamGap {
  size_t chunk = 0;
  uint64_t from = 0;
  uint64_t to = 0;
};

// One connection (TCP) or one peer (UDP) of input.
struct InputStream {
  std::string name;  // starts every error line: "capture.hex:3: offset 18: ..."
  Transport transport = Transport::Tcp;
  // Every chunk is one complete frame (decoded with feed_frame, no framing and no finish);
  // otherwise chunks are consecutive TCP segments. UDP chunks are always whole datagrams.
  bool whole_frames = false;
  std::vector<std::vector<uint8_t>> chunks;
  ChunkOrigin origin = ChunkOrigin::None;
  std::vector<uint32_t> origins;  // one per chunk: its line or packet number
  // Each chunk's receive time, Unix seconds (a capture's packet times, a hex dump's `@` lines);
  // NaN or none: the wall clock when it is decoded. The frames' `now`, and on messages of a
  // capture their `server.timestamp`.
  std::vector<double> times;
  // From a capture: the device's address, which messages carry as `peer`, and the bytes the
  // capture missed.
  std::string peer;
  std::vector<StreamGap> gaps;
};

struct DecodeOptions {
  bool lenient_checks = false;                               // --crc warn
  std::vector<std::pair<std::string, std::string>> options;  // --option NAME=VALUE
  std::string ident;                                         // --ident: the session's ident before any login
  bool server_fields = true;  // peer and server.timestamp on messages of streams that have them
};

// Where output goes; a null stream is not written.
struct DecodeSinks {
  std::ostream* messages = nullptr;  // one JSON object per line per message
  std::ostream* replies = nullptr;   // one lowercase hex line per reply
  std::ostream* frames = nullptr;    // one JSON object per line per frame, with its messages and replies
  std::ostream* errors = nullptr;    // "NAME:LINE: offset N: ..." per rejected frame and warning
  std::ostream* listing = nullptr;   // each frame for a reader: where it came from, its bytes, what it gave
  std::ostream* trace = nullptr;     // each frame's fields (pvm decode --trace), in trace_format
  TraceFormat trace_format = TraceFormat::Text;
};

struct DecodeStats {
  uint64_t frames = 0;
  uint64_t messages = 0;
  uint64_t replies = 0;
  uint64_t bad_frames = 0;
  uint64_t warnings = 0;
  uint64_t gaps = 0;  // stretches of a stream missing from its capture
};

// Decodes every stream in order. False with a reason when a session rejects an option (a usage
// error); rejected frames are not failures here, they are counted in `stats.bad_frames`.
bool run_decode(std::shared_ptr<const Program> program, const DecodeOptions& options,
                const std::vector<InputStream>& inputs, const DecodeSinks& sinks, DecodeStats& stats,
                std::string& error);

// A session for `transport` with the options and ident of `options`; null with a reason when
// the program rejects an option.
std::unique_ptr<Session> open_session(std::shared_ptr<const Program> program, const DecodeOptions& options,
                                      Transport transport, std::string& error);

// "NAME=VALUE" -> {NAME, VALUE}; false when there is no '=' or no name.
bool split_assignment(std::string_view text, std::pair<std::string, std::string>& out);

}  // namespace pvm::cli
