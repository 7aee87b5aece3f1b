// The module's strings as parameter names, prepared once when the module loads: each one's hash
// for the message builder's index and its JSON key ("name":), so that neither is computed again
// for every parameter of every message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pvm/bytecode/module.h"

namespace pvm::detail {

// Every quoted name's key is followed by at least this many readable bytes, so that the JSON
// writer copies a key that short with one fixed-size move.
inline constexpr size_t kKeyPadding = 32;

struct ParamName {
  // When quoted, `name` is the middle of its JSON key: '"' precedes it, '":' and then at least
  // kKeyPadding readable bytes follow.
  std::string_view name;
  uint32_t hash = 0;
  bool quoted = false;  // false when JSON must escape the name, or it is too long to keep twice
};

// The entries of "ident" and "protocol.id", the names the VM gives every message.
ParamName ident_param();
ParamName protocol_id_param();

class ParamNames {
 public:
  explicit ParamNames(const bc::Module& module);
  ParamNames(const ParamNames&) = delete;
  ParamNames& operator=(const ParamNames&) = delete;

  // Indexed by string-table index.
  const ParamName* data() const { return names_.data(); }
  size_t size() const { return names_.size(); }

 private:
  std::string keys_;  // the quoted names' keys, back to back; never reallocated once filled
  std::vector<ParamName> names_;
};

}  // namespace pvm::detail
