#include "message_builder.h"

#include <algorithm>

#include "work.h"

namespace pvm::detail {

MessageBuilder::MessageBuilder() : index_(kIndexSize) {}

void MessageBuilder::reset() {
  count_ = 0;
  messages_.clear();
  open_ = false;
}

bool MessageBuilder::begin() {
  if (open_) end();
  if (messages_.size() >= bc::kMaxMessagesPerFrame) return false;
  if (++stamp_ == 0) {  // stamps wrapped: forget every slot once
    std::fill(index_.begin(), index_.end(), Slot{});
    stamp_ = 1;
  }
  open_ = true;
  open_begin_ = count_;
  open_raw_ = 0;
  return true;
}

bool MessageBuilder::fits(uint64_t& scanned) const {
  scanned = 0;
  if (fits_quickly()) return true;
  size_t json = 2;  // {}
  for (size_t k = open_begin_; k < count_; ++k) {
    json += field_json_bound(fields_[k]);
    scanned += fields_[k].name.size() + fields_[k].s.size();
  }
  return json <= bc::kMaxMessageBytes;
}

void MessageBuilder::end() {
  messages_.push_back({open_begin_, count_ - open_begin_});
  open_ = false;
}

void MessageBuilder::grow(size_t n) {
  fields_.resize(std::max(n, 2 * fields_.size() + 16));
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
