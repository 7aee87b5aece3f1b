#include "metrics.h"

#include <cstdio>

#include "process_metrics.h"
#include "pvm/gateway/message_origin.h"

namespace pvm::gateway {
namespace {

constexpr std::array<std::string_view, kReasonCount> kReasonNames{
    "truncated",   "rejected",    "bad_value",    "division_by_zero", "out_of_fuel", "limit",
    "bad_frame",   "incomplete",  "idle_timeout", "connection_limit", "reset",       "slow_reader",
    "sink_failed", "udp_backlog", "udp_evicted",  "frame_timeout",    "buffer_limit", "tls_failed"};

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, std::string_view name, std::string_view labels, double value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  char buf[40];
  // Counters print as integers; a histogram's sum keeps its nanoseconds.
  if (value == static_cast<double>(static_cast<int64_t>(value))) {
    std::snprintf(buf, sizeof buf, " %lld\n", static_cast<long long>(value));
  } else {
    std::snprintf(buf, sizeof buf, " %.9f\n", value);
  }
  out += buf;
}

// A label value as the text format wants it: backslash, quote and newline escaped.
std::string label_value(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// The _bucket, _sum and _count lines of one labelled histogram, summed over `parts`.
void histogram_lines(std::string& out, std::string_view name, const std::string& labels,
                     const std::vector<const Histogram*>& parts, const Bounds& bounds) {
  uint64_t cumulative = 0;
  double sum = 0;
  const std::string bucket = std::string(name) + "_bucket";
  const std::string prefix = labels.empty() ? "" : labels + ",";
  for (size_t i = 0; i <= bounds.size(); ++i) {
    for (const Histogram* h : parts) cumulative += h->bucket(i);
    char le[32];
    if (i < bounds.size()) {
      std::snprintf(le, sizeof le, "%g", bounds[i]);
    } else {
      std::snprintf(le, sizeof le, "+Inf");
    }
    sample(out, bucket, prefix + "le=\"" + le + "\"", static_cast<double>(cumulative));
  }
  for (const Histogram* h : parts) sum += h->sum();
  sample(out, std::string(name) + "_sum", labels, sum);
  sample(out, std::string(name) + "_count", labels, static_cast<double>(cumulative));
}

}  // namespace

BuildInfo build_info() {
  return {PVM_VERSION, PVM_COMMIT};
}

std::string_view reason_name(Reason reason) {
  return kReasonNames[static_cast<size_t>(reason)];
}

Reason reason_of(Trap trap) {
  switch (trap) {
    case Trap::Truncated:
      return Reason::Truncated;
    case Trap::Rejected:
      return Reason::Rejected;
    case Trap::BadValue:
      return Reason::BadValue;
    case Trap::DivByZero:
      return Reason::DivByZero;
    case Trap::OutOfFuel:
      return Reason::OutOfFuel;
    case Trap::Limit:
      return Reason::Limit;
    case Trap::Incomplete:
      return Reason::Incomplete;
    case Trap::None:
    case Trap::NeedMore:
    case Trap::BadFrame:
      return Reason::BadFrame;
  }
  return Reason::BadFrame;
}

void Histogram::observe(double seconds) {
  size_t i = 0;
  while (i < bounds_.size() && seconds > bounds_[i]) ++i;
  buckets_[i].add();
  sum_nanos_.add(seconds > 0 ? static_cast<uint64_t>(seconds * 1e9) : 0);
}

Metrics::Metrics(std::vector<SeriesLabel> series, std::vector<std::string> sinks, unsigned workers)
    : series_(std::move(series)),
      sinks_(std::move(sinks)),
      start_time_(static_cast<double>(unix_millis()) / 1000) {
  for (unsigned i = 0; i < workers; ++i)
    workers_.push_back(std::make_unique<WorkerStats>(series_.size(), sinks_.size()));
}

std::string Metrics::render() const {
  std::string out;
  const BuildInfo build = build_info();
  header(out, "pvm_build_info", "gauge",
         "The pvm binary: version, git commit, and whether a JIT runs the protocols.");
  sample(out, "pvm_build_info",
         "version=\"" + label_value(build.version) + "\",commit=\"" + label_value(build.commit) +
             "\",jit=\"" + (jit_.load(std::memory_order_relaxed) ? "true" : "false") + "\"",
         1);
  header(out, "pvm_jit_compiling", "gauge",
         "Protocols whose native code the JIT is compiling; the interpreter runs them meanwhile.");
  sample(out, "pvm_jit_compiling", "", static_cast<double>(jit_compiling_.load(std::memory_order_relaxed)));
  append_process_metrics(out, start_time_);
  auto labels = [&](size_t s) {
    return "protocol=\"" + series_[s].protocol + "\",transport=\"" + series_[s].transport + "\"";
  };
  // Sums one field of SeriesStats over the workers.
  auto per_series = [&](std::string_view name, std::string_view type, std::string_view help, auto field) {
    header(out, name, type, help);
    for (size_t s = 0; s < series_.size(); ++s) {
      double total = 0;
      for (const auto& w : workers_) total += static_cast<double>(field(w->series[s]).get());
      sample(out, name, labels(s), total);
    }
  };
  per_series("pvm_connections_total", "counter", "TCP connections accepted and UDP peers seen.",
             [](const SeriesStats& x) -> const Counter& { return x.accepted; });
  per_series("pvm_connections_open", "gauge", "TCP connections open and UDP peers remembered.",
             [](const SeriesStats& x) -> const Gauge& { return x.open; });
  per_series("pvm_frames_total", "counter", "Frames decoded or rejected.",
             [](const SeriesStats& x) -> const Counter& { return x.frames; });
  per_series("pvm_messages_total", "counter", "Messages decoded and handed to the sinks.",
             [](const SeriesStats& x) -> const Counter& { return x.messages; });
  per_series("pvm_received_bytes_total", "counter", "Bytes received from devices.",
             [](const SeriesStats& x) -> const Counter& { return x.bytes_in; });
  per_series("pvm_sent_bytes_total", "counter", "Bytes sent to devices (replies and commands).",
             [](const SeriesStats& x) -> const Counter& { return x.bytes_out; });
  per_series("pvm_replies_total", "counter", "Replies (ACKs) sent to devices.",
             [](const SeriesStats& x) -> const Counter& { return x.replies; });

  header(out, "pvm_errors_total", "counter", "Rejected frames and failed connections by reason.");
  for (size_t s = 0; s < series_.size(); ++s)
    for (size_t r = 0; r < kReasonCount; ++r) {
      double total = 0;
      for (const auto& w : workers_) total += static_cast<double>(w->series[s].errors[r].get());
      sample(out, "pvm_errors_total", labels(s) + ",reason=\"" + std::string(kReasonNames[r]) + "\"", total);
    }

  auto per_series_histogram = [&](std::string_view name, std::string_view help, auto field,
                                  const Bounds& bounds) {
    header(out, name, "histogram", help);
    for (size_t s = 0; s < series_.size(); ++s) {
      std::vector<const Histogram*> parts;
      for (const auto& w : workers_) parts.push_back(&field(w->series[s]));
      histogram_lines(out, name, labels(s), parts, bounds);
    }
  };
  per_series_histogram(
      "pvm_decode_seconds", "Time the VM took to frame and decode one frame.",
      [](const SeriesStats& x) -> const Histogram& { return x.decode; }, kDecodeBounds);
  per_series_histogram(
      "pvm_ack_latency_seconds",
      "Time from receiving a frame to sending its replies (the sinks' delay included).",
      [](const SeriesStats& x) -> const Histogram& { return x.ack; }, kLatencyBounds);

  header(out, "pvm_sink_latency_seconds", "histogram",
         "Time from handing a message to a sink until the sink accepted it.");
  for (size_t k = 0; k < sinks_.size(); ++k) {
    std::vector<const Histogram*> parts;
    for (const auto& w : workers_) parts.push_back(w->sink_latency[k].get());
    histogram_lines(out, "pvm_sink_latency_seconds", "sink=\"" + label_value(sinks_[k]) + "\"", parts,
                    kLatencyBounds);
  }

  auto per_worker = [&](std::string_view name, std::string_view type, std::string_view help, auto field) {
    header(out, name, type, help);
    for (size_t i = 0; i < workers_.size(); ++i)
      sample(out, name, "worker=\"" + std::to_string(i) + "\"",
             static_cast<double>(field(*workers_[i]).get()));
  };
  per_worker("pvm_sink_queue_depth", "gauge", "Messages handed to the sinks and not yet accepted.",
             [](const WorkerStats& w) -> const Gauge& { return w.sink_queue; });
  per_worker("pvm_pending_frames", "gauge", "Decoded frames whose replies wait for the sinks.",
             [](const WorkerStats& w) -> const Gauge& { return w.pending_frames; });
  per_worker("pvm_sinks_up", "gauge", "1 when every sink of the worker takes messages.",
             [](const WorkerStats& w) -> const Gauge& { return w.sinks_up; });
  per_worker("pvm_spool_bytes", "gauge", "Bytes in spool segments not yet wholly published.",
             [](const WorkerStats& w) -> const Gauge& { return w.spool_bytes; });
  per_worker("pvm_buffered_bytes", "gauge", "Bytes of unfinished frames held for connections.",
             [](const WorkerStats& w) -> const Gauge& { return w.buffered_bytes; });
  per_worker("pvm_commands_total", "counter", "Commands sent to devices.",
             [](const WorkerStats& w) -> const Counter& { return w.commands; });
  return out;
}

}  // namespace pvm::gateway
