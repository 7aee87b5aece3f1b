#include "decode_run.h"

#include <algorithm>
#include <cmath>
#include <ostream>

#include "file_io.h"
#include "frame_report.h"
#include "pvm/gateway/message_origin.h"
#include "stream_recovery.h"
#include "trace_report.h"

namespace pvm::cli {
namespace {

// "offset N: warning: rest" reads like an error line with the severity where the reader looks.
// A tolerated failure (a lenient `check`) reads as a warning, not as the rejection it would be.
std::string warning_text(Error warning, const std::string& source) {
  warning.trap = Trap::None;
  return warning.format(source);
}

class FrameWriter {
 public:
  FrameWriter(const InputStream& input, const Program& program, const std::string& source,
              const DecodeSinks& sinks, DecodeStats& stats, bool origin, TraceCollector& trace)
      : input_(input),
        program_(program),
        source_(source),
        sinks_(sinks),
        stats_(stats),
        origin_(origin),
        trace_(trace) {
    // Stream offsets count the bytes a capture missed, so a chunk after a gap starts past it.
    uint64_t offset = 0;
    size_t gap = 0;
    for (size_t i = 0; i < input.chunks.size(); ++i) {
      if (gap < input.gaps.size() && input.gaps[gap].chunk == i) offset = input.gaps[gap++].to + 1;
      chunk_starts_.push_back(offset);
      offset += input.chunks[i].size();
    }
  }

  // Stream offset of the session's first byte: a session restarted after a gap counts from 0.
  void set_base(uint64_t base) {
    base_ = base;
    trace_.set_base(base);
  }
  // Receive time of the chunk being fed, Unix seconds: the messages' server.timestamp.
  void set_time(double seconds) { time_ms_ = std::llround(seconds * 1000); }

  void operator()(const FrameResult& frame) {
    ++stats_.frames;
    FrameReport report;
    report.input = &input_;
    report.number = ++frames_;
    report.frame = &frame;
    report.offset = base_ + frame.offset;
    if (!frame.bytes.empty()) {
      report.first_origin = origin_of(report.offset);
      report.last_origin = origin_of(report.offset + frame.bytes.size() - 1);
    }
    for (Error w : frame.warnings) {
      ++stats_.warnings;
      w.offset += base_;
      report.warnings.push_back(warning_text(w, source_));
      if (sinks_.errors) *sinks_.errors << where(w.offset) << ": " << report.warnings.back() << '\n';
    }
    if (frame.error) {
      ++stats_.bad_frames;
      Error e = *frame.error;
      e.offset += base_;
      report.error = e.format(source_);
      if (sinks_.errors) *sinks_.errors << where(e.offset) << ": " << report.error << '\n';
    }
    const bool keep = sinks_.frames || sinks_.listing;
    stats_.messages += frame.messages.size();
    // --output none: nobody reads the JSON, so it is not written.
    const std::span<const Message> written =
        keep || sinks_.messages ? frame.messages : std::span<const Message>();
    if (origin_ && !written.empty())
      origin_members_.set(gateway::MessageOrigin{time_ms_, input_.peer}, &program_);
    for (const Message& m : written) {
      json_.clear();
      append_json(json_, m, origin_ ? origin_members_.for_message(m) : std::string_view());
      if (keep) report.messages.emplace_back(json_.view());
      if (!sinks_.messages) continue;
      json_.push_back('\n');
      sinks_.messages->write(json_.view().data(), static_cast<std::streamsize>(json_.size()));
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
    if (sinks_.trace) {
      line_.clear();
      if (sinks_.trace_format == TraceFormat::Json) {
        append_trace_json(line_, report, trace_, source_);
      } else {
        append_trace_text(line_, report, trace_, source_);
      }
      *sinks_.trace << line_;
      trace_.clear();
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
  const Program& program_;
  const std::string& source_;
  const DecodeSinks& sinks_;
  DecodeStats& stats_;
  std::vector<uint64_t> chunk_starts_;  // the stream offset of each chunk's first byte
  uint64_t frames_ = 0;
  bool origin_;
  TraceCollector& trace_;
  uint64_t base_ = 0;
  int64_t time_ms_ = 0;
  std::string line_;  // reused: one allocation for the whole run
  JsonBuffer json_;   // a message's line, written in place
  gateway::OriginMembers origin_members_;
};

}  // namespace

std::unique_ptr<Session> open_session(std::shared_ptr<const Program> program, const DecodeOptions& options,
                                      Transport transport, std::string& error) {
  SessionOptions session_options;
  session_options.transport = transport;
  session_options.lenient_checks = options.lenient_checks;
  auto session = std::make_unique<Session>(std::move(program), session_options);
  for (const auto& [name, value] : options.options) {
    if (!session->set_option(name, value, error)) {
      error = "option " + name + "=" + value + ": " + error;
      return nullptr;
    }
  }
  if (!options.ident.empty()) session->set_ident(options.ident);
  return session;
}

bool run_decode(std::shared_ptr<const Program> program, const DecodeOptions& options,
                const std::vector<InputStream>& inputs, const DecodeSinks& sinks, DecodeStats& stats,
                std::string& error) {
  const std::string source = program->source_name();
  TraceCollector trace;
  const auto traced = [&](std::unique_ptr<Session> session) {
    if (session && sinks.trace) session->set_trace([&trace](const TraceEvent& e) { trace.on_event(e); });
    return session;
  };
  for (const InputStream& input : inputs) {
    std::unique_ptr<Session> session = traced(open_session(program, options, input.transport, error));
    if (!session) return false;
    const bool origin = options.server_fields && !input.peer.empty();
    trace.clear();
    trace.set_base(0);
    FrameWriter writer(input, *program, source, sinks, stats, origin, trace);
    FrameCallback on_frame = std::ref(writer);
    bool whole_frames = input.whole_frames || input.transport == Transport::Udp;
    size_t gap = 0;
    size_t skip = 0;  // bytes of the next chunks to leave out: the tail of a frame cut by a gap
    for (size_t i = 0; i < input.chunks.size(); ++i) {
      if (gap < input.gaps.size() && input.gaps[gap].chunk == i && !whole_frames) {
        // The bytes before the gap end a frame that can never complete: drop them unreported,
        // say once what is missing, and start again at the next frame start after the gap.
        const StreamGap& g = input.gaps[gap++];
        ++stats.gaps;
        const std::string ident(session->ident());
        session = traced(open_session(program, options, input.transport, error));
        if (!ident.empty()) session->set_ident(ident);
        const size_t end = gap < input.gaps.size() ? input.gaps[gap].chunk : input.chunks.size();
        const ResyncResult resync =
            find_frame_start(program, options, session->ident(), input.chunks, i, end);
        skip = resync.skipped;
        writer.set_base(g.to + 1 + skip);
        if (sinks.errors) {
          *sinks.errors << input.name << ": bytes " << g.from << ".." << g.to
                        << " of the stream are missing from the capture";
          if (resync.found) {
            *sinks.errors << "; decoding resumes at byte " << g.to + 1 + skip << "\n";
          } else {
            *sinks.errors << "; no frame starts in the " << skip << " bytes after them\n";
          }
        }
      }
      std::span<const uint8_t> chunk = input.chunks[i];
      if (skip >= chunk.size()) {
        skip -= chunk.size();
        continue;
      }
      chunk = chunk.subspan(skip);
      skip = 0;
      const double t = i < input.times.size() && !std::isnan(input.times[i]) ? input.times[i] : unix_time();
      writer.set_time(t);
      if (whole_frames) {
        session->feed_frame(chunk, on_frame, t);
      } else {
        session->feed(chunk, on_frame, t);
      }
    }
    if (!whole_frames) session->finish(on_frame);
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
