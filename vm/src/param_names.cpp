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

}  // namespace

ParamName param_name_from_key(std::string_view key) {
  const std::string_view name = key.substr(1, key.size() - 3);
  return {name, MessageBuilder::hash(name), true};
}

ParamNames::ParamNames(const bc::Module& module) : names_(module.strings.size()) {
  size_t bytes = 0;
  for (size_t s = 0; s < module.strings.size(); ++s) {
    const std::string& name = module.strings[s];
    names_[s] = {name, MessageBuilder::hash(name), name.size() <= kMaxQuotedName && needs_no_escaping(name)};
    if (names_[s].quoted) bytes += name.size() + 3;
  }
  keys_.reserve(bytes);
  for (ParamName& n : names_) {
    if (!n.quoted) continue;
    const size_t at = keys_.size();
    keys_.append(1, '"').append(n.name).append("\":");
    n.name = std::string_view(keys_).substr(at + 1, n.name.size());
  }
}

}  // namespace pvm::detail
