#include "positions.h"

#include <algorithm>
#include <limits>

namespace pvm::lsp {

namespace {

// Bytes of the UTF-8 character starting at s[i] (1 for a byte that starts none).
size_t char_bytes(std::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (i + n > s.size()) return 1;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  return n;
}

}  // namespace

uint32_t utf16_length(std::string_view utf8) {
  uint32_t units = 0;
  for (size_t i = 0; i < utf8.size();) {
    const size_t n = char_bytes(utf8, i);
    units += n == 4 ? 2 : 1;
    i += n;
  }
  return units;
}

LineIndex::LineIndex(std::string_view text) : text_(text) {
  starts_.push_back(0);
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') starts_.push_back(i + 1);
}

std::string_view LineIndex::line_text(uint32_t line0) const {
  if (line0 >= starts_.size()) return {};
  const size_t start = starts_[line0];
  size_t end = line0 + 1 < starts_.size() ? starts_[line0 + 1] - 1 : text_.size();
  if (end > start && text_[end - 1] == '\r') --end;
  return text_.substr(start, end - start);
}

size_t LineIndex::offset(uint32_t line, uint32_t character) const {
  if (line >= starts_.size()) return text_.size();
  const std::string_view l = line_text(line);
  size_t i = 0;
  uint32_t units = 0;
  while (i < l.size() && units < character) {
    const size_t n = char_bytes(l, i);
    units += n == 4 ? 2 : 1;
    i += n;
  }
  return starts_[line] + i;
}

compiler::SourcePos LineIndex::source_pos(uint32_t line, uint32_t character) const {
  if (line >= starts_.size()) line = static_cast<uint32_t>(starts_.size() - 1);
  return {line + 1, static_cast<uint32_t>(offset(line, character) - starts_[line] + 1)};
}

json LineIndex::position(compiler::SourcePos pos) const {
  const uint32_t line0 =
      pos.line == 0 ? 0 : std::min<uint32_t>(pos.line - 1, static_cast<uint32_t>(starts_.size() - 1));
  const std::string_view l = line_text(line0);
  const size_t bytes = std::min<size_t>(pos.col == 0 ? 0 : pos.col - 1, l.size());
  return {{"line", line0}, {"character", utf16_length(l.substr(0, bytes))}};
}

json LineIndex::range(const compiler::SourceRange& r) const {
  return range(r.begin, r.end);
}

json LineIndex::range(compiler::SourcePos begin, compiler::SourcePos end) const {
  return {{"start", position(begin)}, {"end", position(end)}};
}

bool read_position(const json& j, uint32_t& line, uint32_t& character) {
  if (!j.is_object()) return false;
  auto l = j.find("line"), c = j.find("character");
  if (l == j.end() || c == j.end() || !l->is_number_integer() || !c->is_number_integer()) return false;
  const int64_t lv = l->get<int64_t>(), cv = c->get<int64_t>();
  constexpr int64_t kMax = std::numeric_limits<uint32_t>::max() / 2;
  if (lv < 0 || cv < 0) return false;
  line = static_cast<uint32_t>(std::min(lv, kMax));
  character = static_cast<uint32_t>(std::min(cv, kMax));
  return true;
}

}  // namespace pvm::lsp
