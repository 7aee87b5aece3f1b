// The module's strings as parameter names, prepared once when the module loads: each one's hash
// for the message builder's index and its JSON key ("name":), so that neither is computed again
// for every parameter of every message.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
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
  // Numbers 0..kNumbered-1 of a setn.X prefix have their names kept; others are made per frame.
  static constexpr int64_t kNumbered = 4096;

  explicit ParamNames(const bc::Module& module);
  ~ParamNames();
  ParamNames(const ParamNames&) = delete;
  ParamNames& operator=(const ParamNames&) = delete;

  // Indexed by string-table index.
  const ParamName* data() const { return names_.data(); }
  size_t size() const { return names_.size(); }

  // The name string `prefix` (the S operand of a setn.X) + decimal(n), made the first time any
  // thread asks and kept while the module lives; null when n is outside 0..kNumbered-1 or the
  // heap fails.
  const ParamName* numbered(uint32_t prefix, int64_t n) const;

  // Whether a message can hold a parameter of this name: a string of the module names it, a
  // setn.X prefix and a number make it, or the module names parameters at run time (setd.X).
  bool may_name(std::string_view name) const;

 private:
  struct Numbered {
    std::string key;  // '"', the name, '":' and padding, as keys_ holds a constant name
    ParamName name;
  };
  std::string keys_;  // the quoted names' keys, back to back; never reallocated once filled
  std::vector<ParamName> names_;
  struct Slots {
    std::atomic<Numbered*> name[kNumbered] = {};
  };
  // By string index: whether it is the prefix of a setn.X, and its slots, made on first use.
  std::vector<bool> prefix_;
  std::unique_ptr<std::atomic<Slots*>[]> numbered_;
  std::unordered_map<std::string_view, uint32_t> index_;  // every string, to its index
  bool dynamic_ = false;                                  // a setd.X names parameters at run time
};

}  // namespace pvm::detail
