#include "decode_run.h"

#include <algorithm>
#include <ostream>

#include "file_io.h"
#include "frame_report.h"

namespace pvm::cli {
namespace {

// The name runtime errors cite for the program's source: its base name, so that output does
// not depend on where the protocol was compiled.
std::string source_name(const Program& program) {
  const bc::Module& m = program.module();
  if (m.source < m.strings.size() && !m.strings[m.source].empty()) return base_name(m.strings[m.source]);
  return std::string(program.protocol()) + ".pvm";
}

// "offset N: warning: rest" reads like an error line with the severity where the reader looks.
// A tolerated failure (a lenient `check`) reads as a warning, not as the rejection it would be.
std::string warning_text(Error warning, const std::string& source) {
  warning.trap = Trap::None;
  return warning.format(source);
}

class FrameWriter {
 public:
  FrameWriter(const InputStream& input, const std::string& source, const DecodeSinks& sinks,
              DecodeStats& stats)
      : input_(input), source_(source), sinks_(sinks), stats_(stats) {
    uint64_t offset = 0;
    for (const auto& chunk : input.chunks) {
      chunk_starts_.push_back(offset);
      offset += chunk.size();
    }
  }

  void operator()(const FrameResult& frame) {
    ++stats_.frames;
    FrameReport report;
    report.input = &input_;
    report.number = ++frames_;
    report.frame = &frame;
    if (!frame.bytes.empty()) {
      report.first_origin = origin_of(frame.offset);
      report.last_origin = origin_of(frame.offset + frame.bytes.size() - 1);
    }
    for (const Error& w : frame.warnings) {
      ++stats_.warnings;
      report.warnings.push_back(warning_text(w, source_));
      if (sinks_.errors) *sinks_.errors << where(w.offset) << ": " << report.warnings.back() << '\n';
    }
    if (frame.error) {
      ++stats_.bad_frames;
      report.error = frame.error->format(source_);
      if (sinks_.errors) *sinks_.errors << where(frame.error->offset) << ": " << report.error << '\n';
    }
    const bool keep = sinks_.frames || sinks_.listing;
    for (const Message& m : frame.messages) {
      ++stats_.messages;
      line_.clear();
      append_json(line_, m);
      if (keep) report.messages.push_back(line_);
      if (!sinks_.messages) continue;
      line_ += '\n';
      *sinks_.messages << line_;
    }
    for (const auto& reply : frame.replies) {
      ++stats_.replies;
      if (sinks_.replies) *sinks_.replies << to_hex(reply) << '\n';
    }
    if (sinks_.frames) {
      line_.clear();
      append_frame_json(line_, report);
      *sinks_.frames << line_;
    }
    if (sinks_.listing) {
      line_.clear();
      append_frame_listing(line_, report);
      *sinks_.listing << line_;
    }
  }

 private:
  // The line or packet number of the chunk holding a stream offset (0 when the input has none).
  uint32_t origin_of(uint64_t offset) const {
    if (input_.origin == ChunkOrigin::None || input_.origins.size() != chunk_starts_.size() || chunk_starts_.empty())
      return 0;
    auto after = std::upper_bound(chunk_starts_.begin(), chunk_starts_.end(), offset);
    const size_t chunk = after == chunk_starts_.begin() ? 0 : after - chunk_starts_.begin() - 1;
    return input_.origins[chunk];
  }

  // What an error line starts with: the input, and its line or packet when it has them.
  std::string where(uint64_t offset) const {
    const uint32_t origin = origin_of(offset);
    return origin_text(input_, origin, origin);
  }

  const InputStream& input_;
  const std::string& source_;
  const DecodeSinks& sinks_;
  DecodeStats& stats_;
  std::vector<uint64_t> chunk_starts_;  // the stream offset of each chunk's first byte
  uint64_t frames_ = 0;
  std::string line_;  // reused: one allocation for the whole run
};

}  // namespace

bool run_decode(std::shared_ptr<const Program> program, const DecodeOptions& options,
                const std::vector<InputStream>& inputs, const DecodeSinks& sinks, DecodeStats& stats,
                std::string& error) {
  const std::string source = source_name(*program);
  for (const InputStream& input : inputs) {
    SessionOptions session_options;
    session_options.transport = input.transport;
    session_options.lenient_checks = options.lenient_checks;
    Session session(program, session_options);
    for (const auto& [name, value] : options.options) {
      if (!session.set_option(name, value, error)) {
        error = "option " + name + "=" + value + ": " + error;
        return false;
      }
    }
    FrameWriter writer(input, source, sinks, stats);
    FrameCallback on_frame = std::ref(writer);
    bool whole_frames = input.whole_frames || input.transport == Transport::Udp;
    for (const auto& chunk : input.chunks) {
      if (whole_frames) {
        session.feed_frame(chunk, on_frame);
      } else {
        session.feed(chunk, on_frame);
      }
    }
    if (!whole_frames) session.finish(on_frame);
  }
  return true;
}

bool split_assignment(std::string_view text, std::pair<std::string, std::string>& out) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) return false;
  out = {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
  return true;
}

}  // namespace pvm::cli
