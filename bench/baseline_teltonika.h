// A hand-written C++ decoder of Teltonika TCP AVL frames (codec 8, 8E, 16) producing the same
// normalized parameters as stdlib-protocols/teltonika.pvm, as the benchmarks' baseline.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "pvm/vm.h"

namespace pvm::bench {

class BaselineTeltonika {
 public:
  // Decodes one frame; returns the number of records (0 on a bad frame). The messages stay
  // valid until the next call.
  size_t decode(std::span<const uint8_t> frame);
  std::span<const Message> messages() const { return messages_; }

 private:
  void io(int id, uint64_t raw, int width);
  Field& add(std::string_view name);
  void set_i(std::string_view name, int64_t v);
  void set_u(std::string_view name, uint64_t v);
  void set_f(std::string_view name, double v);
  void set_b(std::string_view name, bool v);
  // `stable` outlives the frame; set_s copies text made while decoding into the arena.
  void set_text(std::string_view name, std::string_view stable);
  void set_s(std::string_view name, std::string_view v) { set_text(name, keep(v)); }
  std::string_view keep(std::string_view s);

  std::vector<Field> fields_;
  std::vector<size_t> starts_;
  std::vector<Message> messages_;
  std::string arena_;
  std::string ident_ = "356307042441013";
};

}  // namespace pvm::bench
