#include "param_names.h"

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
}

}  // namespace pvm::detail
