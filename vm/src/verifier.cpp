// The verifier. Operand checks are driven by the operand letters of opcodes.def, so a new
// opcode is verified by its table row alone; only control flow (terminators, ret vs ret.i)
// names opcodes.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "pvm/verify.h"
#include "pvm/vm.h"

namespace pvm {
namespace {

using bc::Op;
using bc::RegClass;

constexpr std::string_view kClassNames[] = {"int", "uint", "float", "bool", "str", "bytes"};

std::string_view class_name(RegClass c) {
  return kClassNames[static_cast<size_t>(c)];
}

bool valid_class(RegClass c) {
  return static_cast<size_t>(c) < bc::kRegClassCount;
}

// The register class an operand letter names, or false for non-register letters.
bool letter_class(char letter, RegClass& out) {
  const size_t k = bc::kRegClassLetters.find(letter);
  if (k == std::string_view::npos) return false;
  out = static_cast<RegClass>(k);
  return true;
}

class Verifier {
 public:
  Verifier(const bc::Module& m, std::string& error) : m_(m), error_(error) {}

  bool run() {
    if (!header() || !session() || !options() || !files() || !delimited()) return false;
    if (m_.functions.size() > bc::kMaxFunctions)
      return fail("module has " + std::to_string(m_.functions.size()) + " functions, the limit is " +
                  std::to_string(bc::kMaxFunctions));
    std::unordered_set<std::string_view> names;
    for (size_t i = 0; i < m_.functions.size(); ++i) {
      const bc::Function& f = m_.functions[i];
      if (f.name >= m_.strings.size())
        return fail("function #" + std::to_string(i) + ": name is string " + std::to_string(f.name) +
                    ", the table has " + std::to_string(m_.strings.size()));
      if (!names.insert(m_.strings[f.name]).second) return fail(shown(f.name) + ": defined twice");
      if (!function(f)) return false;
    }
    return true;
  }

 private:
  bool fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  bool string_index(uint32_t index) const { return index < m_.strings.size(); }

  // A module string as an error message may show it: escaped, and cut when long.
  std::string shown(uint32_t index) const {
    const std::string& s = m_.strings[index];
    return printable(std::string_view(s).substr(0, kShownBytes)) + (s.size() > kShownBytes ? "..." : "");
  }
  static constexpr size_t kShownBytes = 64;

  bool header() {
    if (m_.strings.size() > bc::kMaxStrings)
      return fail("module has " + std::to_string(m_.strings.size()) + " strings, the limit is " +
                  std::to_string(bc::kMaxStrings));
    for (size_t i = 0; i < m_.strings.size(); ++i) {
      if (m_.strings[i].size() > bc::kMaxStringBytes)
        return fail("string " + std::to_string(i) + " is " + std::to_string(m_.strings[i].size()) +
                    " bytes long, the limit is " + std::to_string(bc::kMaxStringBytes));
    }
    if (m_.ints.size() > bc::kMaxPoolEntries || m_.floats.size() > bc::kMaxPoolEntries)
      return fail("module has " + std::to_string(m_.ints.size()) + " ints and " +
                  std::to_string(m_.floats.size()) + " floats, the limit is " +
                  std::to_string(bc::kMaxPoolEntries) + " each");
    if (!string_index(m_.protocol)) return fail("protocol name is not a valid string index");
    if (!string_index(m_.source)) return fail("source file name is not a valid string index");
    return true;
  }

  bool session() {
    std::unordered_set<std::string_view> names;
    for (size_t i = 0; i < m_.session.size(); ++i) {
      const bc::SessionSlot& s = m_.session[i];
      const std::string where = "session slot " + std::to_string(i);
      if (!string_index(s.name)) return fail(where + ": name is not a valid string index");
      if (i == 0 && (m_.strings[s.name] != "ident" || s.cls != RegClass::Str))
        return fail("session slot 0 must be \"ident\" of class str");
      if (s.cls != RegClass::Int && s.cls != RegClass::Str && s.cls != RegClass::Bytes)
        return fail(where + " (" + shown(s.name) + "): class must be int, str or bytes");
      if (!names.insert(m_.strings[s.name]).second)
        return fail(where + ": \"" + shown(s.name) + "\" declared twice");
    }
    return true;
  }

  bool options() {
    std::unordered_set<std::string_view> names;
    for (size_t i = 0; i < m_.options.size(); ++i) {
      const bc::OptionDef& o = m_.options[i];
      const std::string where = "option " + std::to_string(i);
      if (!string_index(o.name)) return fail(where + ": name is not a valid string index");
      if (o.cls != RegClass::Int && o.cls != RegClass::Bool && o.cls != RegClass::Str)
        return fail(where + " (" + shown(o.name) + "): class must be int, bool or str");
      if (o.cls == RegClass::Str && !string_index(o.str_default))
        return fail(where + " (" + shown(o.name) + "): default is not a valid string index");
      if (!names.insert(m_.strings[o.name]).second)
        return fail(where + ": \"" + shown(o.name) + "\" declared twice");
    }
    return true;
  }

  bool files() {
    for (size_t i = 0; i < m_.files.size(); ++i)
      if (!string_index(m_.files[i]))
        return fail("file " + std::to_string(i + 1) + ": name is not a valid string index");
    return true;
  }

  bool delimited() {
    for (size_t i = 0; i < m_.delimited.size(); ++i) {
      const bc::Delimited& d = m_.delimited[i];
      const std::string where = "delimited declaration " + std::to_string(d.delimiter);
      if (i > 0 && d.delimiter <= m_.delimited[i - 1].delimiter)
        return fail(where + " does not follow " + std::to_string(m_.delimited[i - 1].delimiter) +
                    " (delimiters ascend, each once)");
      if (const std::string why = bc::delimited_problem(d); !why.empty()) return fail(where + ": " + why);
    }
    for (size_t i = 0; i < m_.escape_tables.size(); ++i) {
      const bc::NamedEscapes& t = m_.escape_tables[i];
      // The disassembler names a table in each operand: a name must say which one.
      if (t.name.empty()) return fail("escape table " + std::to_string(i) + " has no name");
      for (size_t k = 0; k < i; ++k)
        if (m_.escape_tables[k].name == t.name) return fail("escape table " + t.name + " is declared twice");
      if (const std::string why = bc::escapes_problem(t.escapes); !why.empty())
        return fail("escape table " + t.name + ": " + why);
    }
    return true;
  }

  std::string reg_text(const bc::Function& f, uint32_t reg) const {
    const RegClass c = f.reg_class(reg);
    return std::string(1, bc::kRegClassLetters[static_cast<size_t>(c)]) + std::to_string(reg - f.reg_base(c));
  }

  bool function(const bc::Function& f) {
    const bool framing = m_.strings[f.name].starts_with("framing.");
    const std::string name = shown(f.name);
    const uint32_t regs = f.reg_total();
    if (regs > bc::kMaxRegisters)
      return fail(name + ": " + std::to_string(regs) + " registers, the limit is " +
                  std::to_string(bc::kMaxRegisters));
    if (f.code.empty()) return fail(name + ": no code");
    if (f.code.size() > bc::kMaxCodeWords)
      return fail(name + ": " + std::to_string(f.code.size()) + " code words, the limit is " +
                  std::to_string(bc::kMaxCodeWords));

    // Pass 1: instruction boundaries, opcodes and operand counts.
    std::vector<bool> starts(f.code.size(), false);
    size_t last = 0;
    for (size_t pc = 0; pc < f.code.size();) {
      // Messages are built only on failure: a module may hold millions of instructions.
      const auto at = [&] { return name + "+" + std::to_string(pc) + ": "; };
      if (f.code[pc] >= bc::kOpCount)
        return fail(at() + "opcode " + std::to_string(f.code[pc]) + " does not exist");
      const bc::OpInfo& info = bc::op_info(static_cast<Op>(f.code[pc]));
      const size_t have = f.code.size() - pc - 1;
      if (have < info.operands.size())
        return fail(at() + std::string(info.mnemonic) + " needs " + std::to_string(info.operands.size()) +
                    " operand words, the code ends after " + std::to_string(have));
      starts[pc] = true;
      last = pc;
      pc += 1 + info.operands.size();
    }
    const Op last_op = static_cast<Op>(f.code[last]);
    if (!bc::is_terminator(last_op))
      return fail(name + "+" + std::to_string(last) + ": the function ends with " +
                  std::string(bc::op_info(last_op).mnemonic) + ", which falls through");

    // Pass 2: every operand against the function, the module and the instruction's classes.
    for (size_t pc = 0; pc < f.code.size();) {
      const Op op = static_cast<Op>(f.code[pc]);
      const bc::OpInfo& info = bc::op_info(op);
      const auto at = [&] { return name + "+" + std::to_string(pc) + ": " + std::string(info.mnemonic); };
      if (op == Op::RetI && !framing) return fail(at() + " outside a framing function");
      if (op == Op::Ret && framing) return fail(at() + " in a framing function, which must end with ret.i");
      // The class of the instruction's register operand, which a slot or option must match.
      RegClass reg_cls = RegClass::Int;
      for (char letter : info.operands) letter_class(letter, reg_cls);
      for (size_t k = 0; k < info.operands.size(); ++k) {
        const char letter = info.operands[k];
        const uint32_t v = f.code[pc + 1 + k];
        const auto operand = [&] { return at() + " operand " + std::to_string(k + 1); };
        RegClass need;
        if (letter_class(letter, need)) {
          if (v >= regs)
            return fail(operand() + " is register " + std::to_string(v) + ", the function has " +
                        std::to_string(regs));
          if (f.reg_class(v) != need)
            return fail(operand() + " is " + reg_text(f, v) + ", needs " + std::string(article(need)) + " " +
                        std::string(class_name(need)) + " register");
          continue;
        }
        switch (letter) {
          case 'K':
            if (v >= m_.ints.size()) return fail(pool(operand(), "int constant", v, m_.ints.size()));
            break;
          case 'D':
            if (v >= m_.floats.size()) return fail(pool(operand(), "float constant", v, m_.floats.size()));
            break;
          case 'S':
          case 'X':
            if (v >= m_.strings.size()) return fail(pool(operand(), "string", v, m_.strings.size()));
            break;
          case 'T':
            if (v >= f.tables.size()) return fail(pool(operand(), "switch table", v, f.tables.size()));
            break;
          case 'C':
            if (v >= bc::kCrcCount) return fail(pool(operand(), "CRC algorithm", v, bc::kCrcCount));
            break;
          case 'E':
            if (!m_.has_escapes(v))
              return fail(operand() + (v < bc::kNamedEscapesBase
                                           ? " is delimiter " + std::to_string(v) + ", which no .delimited declares"
                                           : " is escape table " + std::to_string(v - bc::kNamedEscapesBase) +
                                                 ", which no .escape declares"));
            break;
          case 'L':
            if (const std::string e = bad_target(f, starts, v); !e.empty()) return fail(operand() + e);
            break;
          case 'V':
            if (v >= m_.session.size()) return fail(pool(operand(), "session slot", v, m_.session.size()));
            if (m_.session[v].cls != reg_cls)
              return fail(operand() + " is session slot " + shown(m_.session[v].name) + " of class " +
                          std::string(class_name(m_.session[v].cls)) + ", needs " +
                          std::string(class_name(reg_cls)));
            break;
          case 'O':
            if (v >= m_.options.size()) return fail(pool(operand(), "option", v, m_.options.size()));
            if (m_.options[v].cls != reg_cls)
              return fail(operand() + " is option " + shown(m_.options[v].name) + " of class " +
                          std::string(class_name(m_.options[v].cls)) + ", needs " +
                          std::string(class_name(reg_cls)));
            break;
          case 'n':
            break;
          default:
            return fail(operand() + " has an unknown operand letter");
        }
      }
      pc += 1 + info.operands.size();
    }

    for (size_t t = 0; t < f.tables.size(); ++t) {
      const bc::SwitchTable& table = f.tables[t];
      const std::string where = name + ": switch table " + std::to_string(t);
      if (table.cases.size() > bc::kMaxSwitchCases)
        return fail(where + " has " + std::to_string(table.cases.size()) + " cases, the limit is " +
                    std::to_string(bc::kMaxSwitchCases));
      for (size_t c = 0; c < table.cases.size(); ++c) {
        if (c > 0 && table.cases[c].first <= table.cases[c - 1].first)
          return fail(where + ": key " + std::to_string(table.cases[c].first) + " at case " +
                      std::to_string(c) + " does not follow " + std::to_string(table.cases[c - 1].first) +
                      " (keys ascend, each once)");
        if (const std::string e = bad_target(f, starts, table.cases[c].second); !e.empty())
          return fail(where + " case " + std::to_string(c) + e);
      }
      if (const std::string e = bad_target(f, starts, table.default_target); !e.empty())
        return fail(where + " default" + e);
    }

    std::unordered_set<std::string_view> params;
    for (size_t p = 0; p < f.params.size(); ++p) {
      const bc::Param& param = f.params[p];
      const std::string where = name + ": param " + std::to_string(p);
      if (!string_index(param.name)) return fail(where + ": name is not a valid string index");
      if (param.reg >= regs)
        return fail(where + " (" + shown(param.name) + ") names register " + std::to_string(param.reg) +
                    ", the function has " + std::to_string(regs));
      if (!params.insert(m_.strings[param.name]).second)
        return fail(where + ": \"" + shown(param.name) + "\" declared twice");
    }

    for (size_t l = 0; l < f.lines.size(); ++l) {
      const bc::LineEntry& e = f.lines[l];
      const std::string where = name + ": line entry " + std::to_string(l);
      if (l > 0 && e.pc < f.lines[l - 1].pc)
        return fail(where + ": pc " + std::to_string(e.pc) + " goes backwards");
      if (!string_index(e.what)) return fail(where + ": text is not a valid string index");
      if (e.file > m_.files.size()) return fail(pool(where + ": file", "file", e.file, m_.files.size()));
      if (e.site > f.sites.size()) return fail(pool(where + ": site", "call site", e.site, f.sites.size()));
    }
    for (size_t k = 0; k < f.sites.size(); ++k) {
      const bc::CallSite& c = f.sites[k];
      const std::string where = name + ": call site " + std::to_string(k + 1);
      if (c.file > m_.files.size()) return fail(pool(where + ": file", "file", c.file, m_.files.size()));
      // A parent is an earlier site, so following parents always ends.
      if (c.parent > k)
        return fail(where + ": parent " + std::to_string(c.parent) + " is not an earlier site");
    }
    return true;
  }

  // Empty when `t` is the first word of an instruction of `f`; otherwise what is wrong with it.
  static std::string bad_target(const bc::Function& f, const std::vector<bool>& starts, uint32_t t) {
    if (t >= f.code.size())
      return " targets word " + std::to_string(t) + ", past the end of the code (" +
             std::to_string(f.code.size()) + " words)";
    if (!starts[t]) return " targets word " + std::to_string(t) + ", inside an instruction";
    return {};
  }

  static std::string pool(const std::string& operand, std::string_view kind, uint32_t v, size_t size) {
    return operand + " is " + std::string(kind) + " " + std::to_string(v) + ", there are " +
           std::to_string(size);
  }

  static std::string_view article(RegClass c) { return c == RegClass::Int ? "an" : "a"; }

  const bc::Module& m_;
  std::string& error_;
};

}  // namespace

bool verify(const bc::Module& module, std::string& error) {
  for (const bc::SessionSlot& s : module.session) {
    if (!valid_class(s.cls)) {
      error = "session slot with class " + std::to_string(static_cast<unsigned>(s.cls)) +
              ", which does not exist";
      return false;
    }
  }
  for (const bc::OptionDef& o : module.options) {
    if (!valid_class(o.cls)) {
      error = "option with class " + std::to_string(static_cast<unsigned>(o.cls)) + ", which does not exist";
      return false;
    }
  }
  return Verifier(module, error).run();
}

}  // namespace pvm
