// The code lowering builds for one function before it is printed as assembly: instructions over
// virtual registers (as many as the function asks for, each with its class), labels and `.loc`
// lines. The optimizer (optimize.h) rewrites it; printing numbers the registers it leaves.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "pvm/bytecode/module.h"

namespace pvm::compiler::code {

using bc::Op;
using bc::RegClass;

// A virtual register: `id` is unique in the function whatever the class.
struct Reg {
  RegClass cls = RegClass::Int;
  uint32_t id = 0;
  bool operator==(const Reg& o) const { return id == o.id; }
};

struct Label {
  uint32_t id;
};
struct SwitchOperand {
  std::vector<std::pair<int64_t, Label>> cases;
  Label def;
};
struct Raw {  // an operand printed as is: @slot, %option, crc name, delimiter
  std::string text;
};
struct Bytes {
  std::string value;
};
using Operand = std::variant<Reg, int64_t, double, std::string, Bytes, Label, SwitchOperand, Raw>;

struct Line {
  enum Kind : uint8_t { Instr, LabelDef, Loc } kind;
  Op op = Op::Ret;
  std::vector<Operand> ops;
  uint32_t label = 0;
  std::string loc;
};

struct Function {
  std::vector<Line> lines;
  std::vector<RegClass> regs;  // the class of each virtual register, by id
  std::vector<std::pair<std::string, Reg>> params;
  uint32_t labels = 0;  // label ids in use are below this

  Reg reg(RegClass c) {
    regs.push_back(c);
    return Reg{c, static_cast<uint32_t>(regs.size() - 1)};
  }
};

// The register an instruction writes (its first register operand, see bc::writes_register), or
// null.
inline Reg* written(Line& ln) {
  if (!bc::writes_register(ln.op)) return nullptr;
  for (Operand& o : ln.ops)
    if (Reg* r = std::get_if<Reg>(&o)) return r;
  return nullptr;
}
inline const Reg* written(const Line& ln) {
  return written(const_cast<Line&>(ln));
}

// Calls f(Reg&) for every register the instruction reads. For loop.i and loop.k that includes
// the register written(): the same operand.
template <typename F>
void for_each_read(Line& ln, F&& f) {
  bool first = bc::writes_register(ln.op) && !bc::reads_written_register(ln.op);
  for (Operand& o : ln.ops) {
    if (Reg* r = std::get_if<Reg>(&o)) {
      if (first) {
        first = false;
        continue;
      }
      f(*r);
    }
  }
}
template <typename F>
void for_each_read(const Line& ln, F&& f) {
  for_each_read(const_cast<Line&>(ln), [&](Reg& r) { f(static_cast<const Reg&>(r)); });
}

}  // namespace pvm::compiler::code
