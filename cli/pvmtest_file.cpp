#include "pvmtest_file.h"

#include <algorithm>

namespace pvm::cli {
namespace {

constexpr std::string_view kHeaderKeys[] = {"protocol", "transport", "framed", "crc", "option", "encode"};
constexpr std::string_view kInputSections[] = {"program", "input"};
constexpr std::string_view kSectionMarker = "--- ";

template <size_t N>
bool contains(const std::string_view (&list)[N], std::string_view name) {
  return std::find(std::begin(list), std::end(list), name) != std::end(list);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

void drop_trailing_blank_lines(std::vector<std::string>& lines) {
  while (!lines.empty() && trim(lines.back()).empty()) lines.pop_back();
}

}  // namespace

const PvmTestSection* PvmTestFile::section(std::string_view name) const {
  for (const auto& s : sections)
    if (s.name == name) return &s;
  return nullptr;
}

PvmTestSection* PvmTestFile::section(std::string_view name) {
  return const_cast<PvmTestSection*>(static_cast<const PvmTestFile*>(this)->section(name));
}

std::string PvmTestFile::header(std::string_view key, std::string_view fallback) const {
  std::string value(fallback);
  for (const auto& [k, v] : headers)
    if (k == key) value = v;
  return value;
}

bool is_expected_section(std::string_view name) {
  return contains(kExpectedSections, name);
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.emplace_back(line);
    pos = end + 1;
  }
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

bool parse_pvmtest(std::string_view text, PvmTestFile& out, std::string& error) {
  std::vector<std::string> lines = split_lines(text);
  PvmTestSection* current = nullptr;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    std::string where = "line " + std::to_string(i + 1) + ": ";
    if (line.starts_with(kSectionMarker)) {
      std::string name(trim(std::string_view(line).substr(kSectionMarker.size())));
      if (!is_expected_section(name) && !contains(kInputSections, name)) {
        error = where + "unknown section '" + name + "'";
        return false;
      }
      if (out.section(name)) {
        error = where + "section '" + name + "' appears twice";
        return false;
      }
      if (current) drop_trailing_blank_lines(current->lines);
      out.sections.push_back({name, static_cast<uint32_t>(i + 2), {}});
      current = &out.sections.back();
      continue;
    }
    if (current) {
      current->lines.push_back(line);
      continue;
    }
    out.header_text.push_back(line);
    std::string_view content = trim(line);
    if (content.empty() || content.front() == '#') continue;
    size_t colon = content.find(':');
    if (colon == std::string_view::npos) {
      error = where + "expected 'key: value' or a '--- section' line";
      return false;
    }
    std::string key(trim(content.substr(0, colon)));
    if (!contains(kHeaderKeys, key)) {
      error = where + "unknown header '" + key + "'";
      return false;
    }
    out.headers.emplace_back(key, std::string(trim(content.substr(colon + 1))));
  }
  if (current) drop_trailing_blank_lines(current->lines);
  return true;
}

std::string write_pvmtest(const PvmTestFile& file) {
  std::vector<std::string> header = file.header_text;
  drop_trailing_blank_lines(header);
  std::string out = join_lines(header);
  for (const auto& s : file.sections) {
    if (!out.empty()) out += "\n";  // one blank line before each section
    out += std::string(kSectionMarker) + s.name + "\n" + join_lines(s.lines);
  }
  return out;
}

}  // namespace pvm::cli
