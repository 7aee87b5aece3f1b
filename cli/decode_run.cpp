#include "decode_run.h"

#include <cmath>
#include <ostream>

#include "file_io.h"

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
  FrameWriter(const InputStream& input, const std::string& source, const DecodeSinks& sinks,
              DecodeStats& stats)
      : input_(input), source_(source), sinks_(sinks), stats_(stats) {}

  void operator()(const FrameResult& frame) {
    ++stats_.frames;
    for (const Error& w : frame.warnings) {
      ++stats_.warnings;
      if (sinks_.errors) *sinks_.errors << input_.name << ": " << warning_text(w, source_) << '\n';
    }
    std::string error_text;
    if (frame.error) {
      ++stats_.bad_frames;
      error_text = frame.error->format(source_);
      if (sinks_.errors) *sinks_.errors << input_.name << ": " << error_text << '\n';
    }
    for (const Message& m : frame.messages) {
      ++stats_.messages;
      if (!sinks_.messages) continue;
      line_.clear();
      append_json(line_, m);
      line_ += '\n';
      *sinks_.messages << line_;
    }
    for (const auto& reply : frame.replies) {
      ++stats_.replies;
      if (sinks_.replies) *sinks_.replies << to_hex(reply) << '\n';
    }
    if (sinks_.frames) {
      line_ = "{\"offset\":" + std::to_string(frame.offset) +
              ",\"size\":" + std::to_string(frame.bytes.size()) + ",\"hex\":\"";
      append_hex(line_, frame.bytes);
      line_ += "\",\"messages\":" + std::to_string(frame.messages.size()) +
               ",\"replies\":" + std::to_string(frame.replies.size()) +
               ",\"warnings\":" + std::to_string(frame.warnings.size()) + ",\"error\":";
      if (frame.error) {
        append_json_string(line_, error_text);
      } else {
        line_ += "null";
      }
      line_ += "}\n";
      *sinks_.frames << line_;
    }
  }

 private:
  const InputStream& input_;
  const std::string& source_;
  const DecodeSinks& sinks_;
  DecodeStats& stats_;
  std::string line_;  // reused: one allocation for the whole run
};

}  // namespace

bool run_decode(std::shared_ptr<const Program> program, const DecodeOptions& options,
                const std::vector<InputStream>& inputs, const DecodeSinks& sinks, DecodeStats& stats,
                std::string& error) {
  const std::string source = program->source_name();
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
    for (size_t k = 0; k < input.chunks.size(); ++k) {
      const double t = k < input.times.size() && !std::isnan(input.times[k]) ? input.times[k] : unix_time();
      if (whole_frames) {
        session.feed_frame(input.chunks[k], on_frame, t);
      } else {
        session.feed(input.chunks[k], on_frame, t);
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
