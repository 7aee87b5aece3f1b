#include "text_edit.h"

#include "positions.h"

namespace pvm::lsp {

bool apply_change(std::string& text, const json& change, std::string& error) {
  if (!change.is_object()) {
    error = "a content change is an object";
    return false;
  }
  auto new_text = change.find("text");
  if (new_text == change.end() || !new_text->is_string()) {
    error = "a content change needs its 'text'";
    return false;
  }
  const std::string& replacement = new_text->get_ref<const std::string&>();
  auto range = change.find("range");
  if (range == change.end()) {
    text = replacement;
    return true;
  }
  uint32_t l1, c1, l2, c2;
  if (!range->is_object() || !range->contains("start") || !range->contains("end") ||
      !read_position((*range)["start"], l1, c1) || !read_position((*range)["end"], l2, c2)) {
    error = "a content change's range is {start, end} positions";
    return false;
  }
  LineIndex lines(text);
  size_t from = lines.offset(l1, c1), to = lines.offset(l2, c2);
  if (to < from) std::swap(from, to);
  if (text.size() - (to - from) + replacement.size() > kMaxDocumentBytes) {
    error = "the document would be larger than " + std::to_string(kMaxDocumentBytes) + " bytes";
    return false;
  }
  text.replace(from, to - from, replacement);
  return true;
}

}  // namespace pvm::lsp
