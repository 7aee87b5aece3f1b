#include "trace_report.h"

#include <algorithm>

#include "file_io.h"
#include "pvm/printable.h"

namespace pvm::cli {
namespace {

constexpr size_t kShownBytes = 8;  // bytes a text row shows before it says how many there are

TraceValue copy_value(const Field& f) {
  TraceValue v;
  v.set = true;
  v.field = f;
  v.field.name = {};
  v.field.s = {};
  if (f.type == ValueType::Str || f.type == ValueType::Bytes) {
    v.text = f.s.substr(0, kMaxTraceRowBytes);
    v.cut = f.s.size() > kMaxTraceRowBytes;
  }
  return v;
}

// The value as JSON, formatted as message parameters are (append_json); null for a float JSON
// cannot hold.
std::string json_value(const TraceValue& v) {
  Field f = v.field;
  f.name = "v";
  f.s = v.text;
  std::string out;
  append_json(out, Message{std::span<const Field>(&f, 1)});
  return out == "{}" ? "null" : out.substr(5, out.size() - 6);  // {"v":VALUE}
}

// The value for a reader: numbers as in JSON, text quoted, bytes in hex.
std::string text_value(const TraceValue& v) {
  const auto hex = [](std::string_view s) {
    return to_hex(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  };
  switch (v.field.type) {
    case ValueType::Str: {
      // Quotes and backslashes escaped first, so that printable()'s \xNN stays one escape.
      std::string quoted;
      for (char c : v.text) {
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += c;
      }
      return "\"" + printable(quoted) + (v.cut ? "\"..." : "\"");
    }
    case ValueType::Bytes:
      return hex(v.text) + (v.cut ? "..." : "");
    default:
      return json_value(v);
  }
}

bool same_value(const TraceValue& a, const TraceValue& b) {
  return a.field.type == b.field.type && a.text == b.text && json_value(a) == json_value(b);
}

std::string_view kind_name(TraceEvent::Kind k) {
  switch (k) {
    case TraceEvent::Kind::Read:
      return "read";
    case TraceEvent::Kind::Skip:
      return "skip";
    case TraceEvent::Kind::Seek:
      return "seek";
    case TraceEvent::Kind::Within:
      return "within";
    case TraceEvent::Kind::Call:
      return "call";
    case TraceEvent::Kind::Store:
      return "store";
    default:
      return "other";
  }
}

std::string source_text(const TraceRow& r, const std::string& source) {
  if (r.line == 0) return {};
  return printable(r.file.empty() ? source : r.file) + ":" + std::to_string(r.line) + ":" +
         std::to_string(r.col);
}

bool has_bytes(const TraceRow& r) {
  return r.kind == TraceEvent::Kind::Read || r.kind == TraceEvent::Kind::Skip ||
         r.kind == TraceEvent::Kind::Seek || r.kind == TraceEvent::Kind::Within;
}

// "b5 62 01", or the first bytes and how many there are.
std::string bytes_text(const TraceRow& r) {
  if (!has_bytes(r)) return {};
  const size_t shown = r.size <= kShownBytes ? r.size : kShownBytes - 2;
  std::string out;
  for (size_t i = 0; i < shown && i < r.bytes.size(); ++i) {
    if (i) out += ' ';
    append_hex(out, std::span(r.bytes).subspan(i, 1));
  }
  if (shown < r.size) out += " ... " + std::to_string(r.size) + " bytes";
  return out;
}

std::string offset_text(const TraceRow& r) {
  if (!has_bytes(r)) return {};
  if (!r.in_frame) return printable(r.view) + "[" + std::to_string(r.view_offset) + "]";
  return std::to_string(r.offset);
}

// " = VALUE", with the parameter it went to when the statement does not spell it out.
std::string value_text(const TraceRow& r) {
  std::string out;
  // A bytes read shows its bytes already, unless its statement made something else of them.
  const bool plain_bytes = r.kind == TraceEvent::Kind::Read && r.value.field.type == ValueType::Bytes &&
                           (!r.read.set || same_value(r.read, r.value));
  if (r.value.set && !plain_bytes) out = " = " + text_value(r.value);
  if (!r.target.empty() && r.what.find(r.target) == std::string::npos)
    out += " (" + printable(r.target) + ")";
  return out;
}

void pad_right(std::string& out, const std::string& text, size_t width) {
  out += text;
  if (text.size() < width) out.append(width - text.size(), ' ');
}

void pad_left(std::string& out, const std::string& text, size_t width) {
  if (text.size() < width) out.append(width - text.size(), ' ');
  out += text;
}

}  // namespace

void TraceCollector::clear() {
  rows_.clear();
  dropped_ = 0;
  function_.clear();
  ended_ = false;
  stopped_ = 0;
}

void TraceCollector::on_event(const TraceEvent& e) {
  switch (e.kind) {
    case TraceEvent::Kind::Begin:
      clear();
      function_ = e.what;
      stopped_ = base_ + e.offset;
      return;
    case TraceEvent::Kind::End:
      ended_ = true;
      stopped_ = base_ + e.offset;
      return;
    case TraceEvent::Kind::Leave:
      return;  // a row's depth says where a view ends
    case TraceEvent::Kind::Store:
      // The value a read became: shown on the read's row when the same statement stores it.
      if (!rows_.empty()) {
        TraceRow& last = rows_.back();
        if (last.kind == TraceEvent::Kind::Read && last.depth == e.depth && last.line == e.line &&
            last.col == e.col && last.file == e.file) {
          if (!last.read.set) last.read = last.value;
          last.value = copy_value(e.value);
          if (!e.value.name.empty()) last.target = e.value.name;
          return;
        }
      }
      if (e.value.name.empty()) return;  // a variable: only its read says what it holds
      break;
    default:
      break;
  }
  if (rows_.size() >= kMaxTraceRows) {
    ++dropped_;
    return;
  }
  TraceRow& r = rows_.emplace_back();
  r.kind = e.kind;
  r.depth = e.depth;
  r.offset = base_ + e.offset;
  r.length = e.length;
  r.size = static_cast<uint32_t>(e.bytes.size());
  const auto kept = e.bytes.first(std::min(e.bytes.size(), kMaxTraceRowBytes));
  r.bytes.assign(kept.begin(), kept.end());
  r.at = e.at;
  r.in_frame = e.in_frame;
  r.view = e.view;
  r.view_offset = e.view_offset;
  r.file = e.file;
  r.line = e.line;
  r.col = e.col;
  r.what = e.what;
  if (e.kind == TraceEvent::Kind::Read || e.kind == TraceEvent::Kind::Store) r.value = copy_value(e.value);
  if (e.kind == TraceEvent::Kind::Store) r.target = e.value.name;
}

void append_trace_text(std::string& out, const FrameReport& report, const TraceCollector& trace,
                       const std::string& source) {
  const FrameResult& f = *report.frame;
  out += origin_text(*report.input, report.first_origin, report.last_origin) + ": frame " +
         std::to_string(report.number) + " at offset " + std::to_string(report.offset) + ", " +
         std::to_string(f.bytes.size()) + (f.bytes.size() == 1 ? " byte" : " bytes") +
         (report.error.empty() ? "" : ", rejected") + "\n";
  struct Line {
    std::string offset, bytes, source, field;
  };
  std::vector<Line> lines;
  size_t widths[3] = {0, 0, 0};
  for (const TraceRow& r : trace.rows()) {
    Line l{offset_text(r), bytes_text(r), source_text(r, source),
           std::string(2 * r.depth, ' ') + printable(r.what) + value_text(r)};
    widths[0] = std::max(widths[0], l.offset.size());
    widths[1] = std::max(widths[1], l.bytes.size());
    widths[2] = std::max(widths[2], l.source.size());
    lines.push_back(std::move(l));
  }
  for (const Line& l : lines) {
    out += "  ";
    pad_left(out, l.offset, widths[0]);
    out += "  ";
    pad_right(out, l.bytes, widths[1]);
    out += "  ";
    pad_right(out, l.source, widths[2]);
    out += "  " + l.field;
    while (out.back() == ' ') out.pop_back();
    out += '\n';
  }
  if (trace.dropped())
    out += "  ... " + std::to_string(trace.dropped()) + " more steps (a frame's trace keeps " +
           std::to_string(kMaxTraceRows) + ")\n";
  for (const auto& reply : f.replies) out += "  reply   " + to_hex(reply) + "\n";
  for (const std::string& w : report.warnings) out += "  warning " + w + "\n";
  if (!report.error.empty()) {
    // Where the cursor was when the frame was rejected, and in which function.
    if (trace.ended())
      out += "  stopped at offset " + std::to_string(trace.stopped()) + " in " + printable(trace.function()) +
             "\n";
    out += "  error   " + report.error + "\n";
  }
  out += '\n';
}

void append_trace_json(std::string& out, const FrameReport& report, const TraceCollector& trace,
                       const std::string& source) {
  const FrameResult& f = *report.frame;
  std::string head = "{\"input\":";
  append_json_string(head, report.input->name);
  head += ",\"frame\":" + std::to_string(report.number);
  const std::string outcome = report.error.empty() ? "decoded" : "rejected";
  for (const TraceRow& r : trace.rows()) {
    out += head + ",\"event\":\"" + std::string(kind_name(r.kind)) +
           "\",\"depth\":" + std::to_string(r.depth) + ",\"offset\":" + std::to_string(r.offset) +
           ",\"length\":" + std::to_string(r.length) + ",\"hex\":\"";
    append_hex(out, r.bytes);
    out += "\"";
    const bool cut = r.bytes.size() < r.size || r.value.cut || r.read.cut;
    if (cut) out += ",\"cut\":true";
    if (r.at) out += ",\"at\":true";
    if (!r.view.empty()) {
      out += ",\"view\":";
      append_json_string(out, r.view);
      out += ",\"view_offset\":" + std::to_string(r.view_offset);
    }
    if (!r.in_frame) out += ",\"in_frame\":false";
    out += ",\"source\":";
    append_json_string(out, source_text(r, source));
    out += ",\"what\":";
    append_json_string(out, r.what);
    if (r.value.set) out += ",\"value\":" + json_value(r.value);
    if (r.read.set && !same_value(r.read, r.value)) out += ",\"read\":" + json_value(r.read);
    if (!r.target.empty()) {
      out += ",\"target\":";
      append_json_string(out, r.target);
    }
    out += ",\"outcome\":\"" + outcome + "\"}\n";
  }
  out += head + ",\"event\":\"end\",\"function\":";
  if (trace.function().empty()) {
    out += "null";
  } else {
    append_json_string(out, trace.function());
  }
  if (report.input->origin != ChunkOrigin::None && report.first_origin) {
    out += report.input->origin == ChunkOrigin::Line ? ",\"lines\":[" : ",\"packets\":[";
    out += std::to_string(report.first_origin) + "," + std::to_string(report.last_origin) + "]";
  }
  out += ",\"offset\":" + std::to_string(report.offset) + ",\"size\":" + std::to_string(f.bytes.size()) +
         ",\"stopped\":" + std::to_string(trace.ended() ? trace.stopped() : report.offset) +
         ",\"outcome\":\"" + outcome + "\",\"messages\":" + std::to_string(f.messages.size()) +
         ",\"replies\":" + std::to_string(f.replies.size()) +
         ",\"dropped\":" + std::to_string(trace.dropped()) + ",\"warnings\":[";
  for (size_t i = 0; i < report.warnings.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, report.warnings[i]);
  }
  out += "],\"error\":";
  if (report.error.empty()) {
    out += "null";
  } else {
    append_json_string(out, report.error);
  }
  out += "}\n";
}

}  // namespace pvm::cli
