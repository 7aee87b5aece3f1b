#include "message_builder.h"

#include <algorithm>

#include "work.h"

namespace pvm::detail {

MessageBuilder::MessageBuilder() : index_(kIndexSize) {
  hot_.index = index_.data();
}

void MessageBuilder::reset() {
  hot_.count = 0;
  messages_.clear();
  hot_.open = false;
  update_room();
}

bool MessageBuilder::begin() {
  if (hot_.open) end();
  if (messages_.size() >= bc::kMaxMessagesPerFrame) return false;
  if (++hot_.stamp == 0) {  // stamps wrapped: forget every slot once
    std::fill(index_.begin(), index_.end(), Slot{});
    hot_.stamp = 1;
  }
  hot_.open = true;
  hot_.open_begin = hot_.count;
  hot_.open_raw = 0;
  update_room();
  return true;
}

bool MessageBuilder::fits(uint64_t& scanned) const {
  scanned = 0;
  if (fits_quickly()) return true;
  size_t json = 2;  // {}
  for (size_t k = hot_.open_begin; k < hot_.count; ++k) {
    json += field_json_bound(fields_[k]);
    scanned += fields_[k].name.size() + fields_[k].s.size();
  }
  return json <= bc::kMaxMessageBytes;
}

void MessageBuilder::end() {
  messages_.push_back({hot_.open_begin, hot_.count - hot_.open_begin});
  hot_.open = false;
  update_room();
}

void MessageBuilder::grow(size_t n) {
  fields_.resize(std::max(n, 2 * fields_.size() + 16));
  hot_.fields = fields_.data();
  hot_.capacity = static_cast<uint32_t>(fields_.size());
  update_room();
}

void MessageBuilder::publish(std::vector<Message>& out) const {
  out.clear();
  for (const Range& r : messages_)
    out.push_back(Message{std::span<const Field>(fields_.data() + r.begin, r.count)});
}

}  // namespace pvm::detail

namespace pvm {

const Field* Message::find(std::string_view name) const {
  for (const Field& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace pvm
