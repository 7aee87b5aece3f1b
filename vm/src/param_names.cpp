#include "param_names.h"

#include <charconv>
#include <new>
#include <stdexcept>

#include "message_builder.h"
#include "pvm/vm.h"

namespace pvm::detail {
namespace {

// Parameter names are short; a longer string (a message, a pattern) is not kept twice.
constexpr size_t kMaxQuotedName = 128;

bool needs_no_escaping(std::string_view name) {
  std::string quoted;
  append_json_string(quoted, name);
  return quoted.size() == name.size() + 2;
}

// The keys of the names every message gets, padded as a module's keys are.
constexpr char kBuiltinKeys[32 + kKeyPadding] = "\"ident\":\"protocol.id\":";

ParamName from_key(size_t at, size_t size) {
  const std::string_view name(kBuiltinKeys + at + 1, size - 3);
  return {name, MessageBuilder::hash(name), true};
}

}  // namespace

ParamName ident_param() {
  return from_key(0, 8);
}

ParamName protocol_id_param() {
  return from_key(8, 14);
}

ParamNames::ParamNames(const bc::Module& module) : names_(module.strings.size()) {
  size_t bytes = 0;
  for (size_t s = 0; s < module.strings.size(); ++s) {
    const std::string& name = module.strings[s];
    names_[s] = {name, MessageBuilder::hash(name), name.size() <= kMaxQuotedName && needs_no_escaping(name)};
    if (names_[s].quoted) bytes += name.size() + 3;
  }
  keys_.reserve(bytes + kKeyPadding);
  for (ParamName& n : names_) {
    if (!n.quoted) continue;
    const size_t at = keys_.size();
    keys_.append(1, '"').append(n.name).append("\":");
    n.name = std::string_view(keys_).substr(at + 1, n.name.size());
  }
  keys_.append(kKeyPadding, '\0');

  prefix_.resize(module.strings.size());
  numbered_ = std::make_unique<std::atomic<Slots*>[]>(module.strings.size());
  for (const bc::Function& f : module.functions) {
    bc::for_each_instruction(f, [&](bc::Op op, const uint32_t* operands, size_t) {
      const bool named = op == bc::Op::SetNI || op == bc::Op::SetNU || op == bc::Op::SetNF ||
                         op == bc::Op::SetNB || op == bc::Op::SetNS || op == bc::Op::SetNY;
      if (named && operands[0] < prefix_.size()) prefix_[operands[0]] = true;
      dynamic_ = dynamic_ || op == bc::Op::SetDI || op == bc::Op::SetDU || op == bc::Op::SetDF ||
                 op == bc::Op::SetDB || op == bc::Op::SetDS || op == bc::Op::SetDY;
    });
  }
  for (size_t s = 0; s < module.strings.size(); ++s)
    index_.emplace(module.strings[s], static_cast<uint32_t>(s));
}

bool ParamNames::may_name(std::string_view name) const {
  if (dynamic_ || name == ident_param().name || name == protocol_id_param().name || index_.contains(name))
    return true;
  // A prefix and the decimal of a number, which may be negative.
  size_t end = name.size();
  while (end > 0 && name[end - 1] >= '0' && name[end - 1] <= '9') --end;
  if (end == name.size()) return false;
  const auto is_prefix = [&](std::string_view base) {
    const auto it = index_.find(base);
    return it != index_.end() && prefix_[it->second];
  };
  return is_prefix(name.substr(0, end)) ||
         (end > 0 && name[end - 1] == '-' && is_prefix(name.substr(0, end - 1)));
}

ParamNames::~ParamNames() {
  for (size_t k = 0; k < prefix_.size(); ++k) {
    Slots* slots = numbered_[k].load(std::memory_order_relaxed);
    if (slots == nullptr) continue;
    for (auto& slot : slots->name) delete slot.load(std::memory_order_relaxed);
    delete slots;
  }
}

const ParamName* ParamNames::numbered(uint32_t prefix, int64_t n) const {
  if (prefix >= prefix_.size() || !prefix_[prefix] || n < 0 || n >= kNumbered) return nullptr;
  // Another thread may make the prefix's slots or the name at the same time: the first one
  // stored is kept, and the other is dropped.
  Slots* slots = numbered_[prefix].load(std::memory_order_acquire);
  if (slots == nullptr) {
    std::unique_ptr<Slots> made(new (std::nothrow) Slots());
    if (!made) return nullptr;
    if (numbered_[prefix].compare_exchange_strong(slots, made.get(), std::memory_order_acq_rel))
      slots = made.release();
  }
  std::atomic<Numbered*>& slot = slots->name[n];
  if (const Numbered* kept = slot.load(std::memory_order_acquire)) return &kept->name;
  std::unique_ptr<Numbered> made;
  char digits[24];
  const std::string_view base = names_[prefix].name;
  const std::string_view number(
      digits, static_cast<size_t>(std::to_chars(digits, digits + sizeof digits, n).ptr - digits));
  try {
    made = std::make_unique<Numbered>();
    made->key.reserve(base.size() + number.size() + 3 + kKeyPadding);
  } catch (const std::bad_alloc&) {
    return nullptr;  // the caller makes the name in the frame's arena
  }
  std::string& key = made->key;
  key.append(1, '"').append(base).append(number).append("\":").append(kKeyPadding, '\0');
  const std::string_view name = std::string_view(key).substr(1, base.size() + number.size());
  made->name = {name, MessageBuilder::hash(name), names_[prefix].quoted};
  Numbered* expected = nullptr;
  if (slot.compare_exchange_strong(expected, made.get(), std::memory_order_acq_rel))
    return &made.release()->name;
  return &expected->name;
}

}  // namespace pvm::detail
