#include "frame_report.h"

#include "file_io.h"

namespace pvm::cli {

namespace {

constexpr size_t kDumpRow = 16;  // bytes per row of the hex dump

void append_list(std::string& out, const std::vector<std::string>& items, bool raw_json) {
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    if (raw_json)
      out += items[i];
    else
      append_json_string(out, items[i]);
  }
  out += ']';
}

void append_padded(std::string& out, uint64_t n, size_t width) {
  std::string digits = std::to_string(n);
  if (digits.size() < width) out.append(width - digits.size(), ' ');
  out += digits;
}

}  // namespace

std::string origin_text(const InputStream& input, uint32_t first, uint32_t last) {
  if (input.origin == ChunkOrigin::None || first == 0) return input.name;
  const std::string range = std::to_string(first) + (last > first ? "-" + std::to_string(last) : "");
  if (input.origin == ChunkOrigin::Line) return input.name + ":" + range;
  return input.name + (last > first ? " packets " : " packet ") + range;
}

void append_frame_json(std::string& out, const FrameReport& r) {
  const FrameResult& f = *r.frame;
  out += "{\"input\":";
  append_json_string(out, r.input->name);
  if (r.input->origin != ChunkOrigin::None && r.first_origin) {
    out += r.input->origin == ChunkOrigin::Line ? ",\"lines\":[" : ",\"packets\":[";
    out += std::to_string(r.first_origin) + "," + std::to_string(r.last_origin) + "]";
  }
  out += ",\"frame\":" + std::to_string(r.number) + ",\"offset\":" + std::to_string(r.offset) +
         ",\"size\":" + std::to_string(f.bytes.size()) + ",\"hex\":\"";
  append_hex(out, f.bytes);
  out += "\",\"messages\":";
  append_list(out, r.messages, true);
  out += ",\"replies\":[";
  for (size_t i = 0; i < f.replies.size(); ++i) {
    out += i ? ",\"" : "\"";
    append_hex(out, f.replies[i]);
    out += '"';
  }
  out += "],\"warnings\":";
  append_list(out, r.warnings, false);
  out += ",\"error\":";
  if (r.error.empty())
    out += "null";
  else
    append_json_string(out, r.error);
  out += "}\n";
}

void append_frame_listing(std::string& out, const FrameReport& r) {
  const FrameResult& f = *r.frame;
  out += origin_text(*r.input, r.first_origin, r.last_origin) + ": frame " + std::to_string(r.number) +
         " at offset " + std::to_string(r.offset) + ", " + std::to_string(f.bytes.size()) +
         (f.bytes.size() == 1 ? " byte" : " bytes") + (r.error.empty() ? "" : ", rejected") + "\n";
  const size_t width = std::to_string(f.bytes.empty() ? 0 : f.bytes.size() - 1).size();
  for (size_t row = 0; row < f.bytes.size(); row += kDumpRow) {
    out += "    ";
    append_padded(out, row, width);
    out += " |";
    for (size_t i = row; i < row + kDumpRow && i < f.bytes.size(); ++i) {
      out += ' ';
      append_hex(out, f.bytes.subspan(i, 1));
    }
    out += '\n';
  }
  for (const std::string& m : r.messages) out += "  message " + m + "\n";
  for (const auto& reply : f.replies) out += "  reply   " + to_hex(reply) + "\n";
  for (const std::string& w : r.warnings) out += "  warning " + w + "\n";
  if (!r.error.empty()) {
    out += "  error   " + r.error;
    if (f.error && f.error->offset >= f.offset && f.error->offset - f.offset <= f.bytes.size())
      out += " [byte " + std::to_string(f.error->offset - f.offset) + " of the frame]";
    out += "\n";
  }
  out += '\n';  // a blank line between frames
}

}  // namespace pvm::cli
