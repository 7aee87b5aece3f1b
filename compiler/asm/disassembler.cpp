// Module -> assembly text that assembles back to the same bytes. Labels are named after the
// word offset they mark (L12) and printed only where something jumps. The module need not be
// verified: anything out of range prints as "?what<n>", which the assembler rejects, so a
// damaged module is shown as far as it can be but never silently turned into another program.
#include <string>
#include <string_view>
#include <vector>

#include "asm/literals.h"
#include "pvm/compiler/asm.h"

namespace pvm::compiler {
namespace {

using asm_syntax::float_literal;
using asm_syntax::hex_literal;
using asm_syntax::name_literal;
using asm_syntax::quote;

std::string bad(std::string_view what, uint64_t n) {
  return "?" + std::string(what) + std::to_string(n);
}

class Printer {
 public:
  explicit Printer(const bc::Module& m) : m_(m) {}

  std::string run();

 private:
  void function(const bc::Function& f);
  std::vector<bool> jump_targets(const bc::Function& f) const;
  std::string operand(const bc::Function& f, char letter, uint32_t word) const;
  std::string reg(const bc::Function& f, uint32_t r) const;
  std::string label(uint32_t target) const { return "L" + std::to_string(target); }
  std::string table(const bc::Function& f, uint32_t t) const;
  void loc(const bc::Function& f, const bc::LineEntry& e);
  std::string file(uint32_t k) const;
  static std::string byte_hex(uint32_t b);

  bool has_string(uint32_t i) const { return i < m_.strings.size(); }
  std::string string(uint32_t i) const { return has_string(i) ? quote(m_.strings[i]) : bad("string", i); }
  std::string name(uint32_t i) const {
    return has_string(i) ? name_literal(m_.strings[i]) : bad("string", i);
  }
  static char class_letter(bc::RegClass c) {
    const auto k = static_cast<size_t>(c);
    return k < bc::kRegClassCount ? bc::kRegClassLetters[k] : '?';
  }

  const bc::Module& m_;
  std::string out_;
};

std::string Printer::run() {
  out_ += ".protocol " + string(m_.protocol) + "\n";
  out_ += ".source " + string(m_.source) + "\n";
  for (const bc::SessionSlot& s : m_.session)
    out_ += ".session " + name(s.name) + " " + class_letter(s.cls) + "\n";
  for (const bc::OptionDef& o : m_.options) {
    out_ += ".option " + name(o.name) + " " + class_letter(o.cls) + " ";
    if (o.cls == bc::RegClass::Str) {
      out_ += string(o.str_default);
    } else if (o.cls == bc::RegClass::Bool) {
      out_ += o.int_default ? "true" : "false";
    } else {
      out_ += std::to_string(o.int_default);
    }
    out_ += "\n";
  }
  for (const bc::Delimited& d : m_.delimited) {
    out_ += ".delimited " + byte_hex(d.delimiter) + " {";
    for (size_t k = 0; k < d.escapes.size(); ++k)
      out_ += (k ? ", " : "") + hex_literal(d.escapes[k].sequence) + ": " + byte_hex(d.escapes[k].byte);
    out_ += "}\n";
  }
  for (const bc::NamedEscapes& t : m_.escape_tables) {
    out_ += ".escape " + t.name + " {";
    for (size_t k = 0; k < t.escapes.size(); ++k)
      out_ += (k ? ", " : "") + hex_literal(t.escapes[k].sequence) + ": " + byte_hex(t.escapes[k].byte);
    out_ += "}\n";
  }
  for (const bc::Function& f : m_.functions) function(f);
  return std::move(out_);
}

std::vector<bool> Printer::jump_targets(const bc::Function& f) const {
  std::vector<bool> target(f.code.size(), false);
  const auto mark = [&](uint32_t pc) {
    if (pc < target.size()) target[pc] = true;
  };
  for (size_t pc = 0; pc < f.code.size();) {
    if (f.code[pc] >= bc::kOpCount) {
      ++pc;
      continue;
    }
    const std::string_view letters = bc::op_info(static_cast<bc::Op>(f.code[pc])).operands;
    for (size_t k = 0; k < letters.size() && pc + 1 + k < f.code.size(); ++k) {
      const uint32_t w = f.code[pc + 1 + k];
      if (letters[k] == 'L') mark(w);
      if (letters[k] == 'T' && w < f.tables.size()) {
        for (const auto& [key, to] : f.tables[w].cases) mark(to);
        mark(f.tables[w].default_target);
      }
    }
    pc += 1 + letters.size();
  }
  return target;
}

void Printer::function(const bc::Function& f) {
  out_ += "\n.func " + name(f.name) + "\n.regs";
  for (size_t k = 0; k < bc::kRegClassCount; ++k) {
    out_ += " ";
    out_ += bc::kRegClassLetters[k];
    out_ += "=" + std::to_string(f.reg_count[k]);
  }
  out_ += "\n";
  for (const bc::Param& p : f.params) out_ += ".param " + name(p.name) + " " + reg(f, p.reg) + "\n";
  const std::vector<bool> targets = jump_targets(f);
  size_t line = 0;
  for (size_t pc = 0; pc < f.code.size();) {
    if (targets[pc]) out_ += label(static_cast<uint32_t>(pc)) + ":\n";
    for (; line < f.lines.size() && f.lines[line].pc <= pc; ++line) loc(f, f.lines[line]);
    const uint32_t word = f.code[pc];
    if (word >= bc::kOpCount) {
      out_ += "    " + bad("opcode", word) + "\n";
      ++pc;
      continue;
    }
    const bc::OpInfo& info = bc::op_info(static_cast<bc::Op>(word));
    out_ += "    ";
    out_ += info.mnemonic;
    for (size_t k = 0; k < info.operands.size(); ++k) {
      out_ += k == 0 ? " " : ", ";
      const size_t at = pc + 1 + k;
      out_ += at < f.code.size() ? operand(f, info.operands[k], f.code[at]) : bad("missing", k + 1);
    }
    out_ += "\n";
    pc += 1 + info.operands.size();
  }
  for (; line < f.lines.size(); ++line) loc(f, f.lines[line]);
  out_ += ".end\n";
}

std::string Printer::byte_hex(uint32_t b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  if (b > 255) return std::to_string(b);
  return std::string("0x") + kDigits[b >> 4] + kDigits[b & 15];
}

std::string Printer::file(uint32_t k) const {
  if (k == 0) return {};
  return " in " + (k <= m_.files.size() ? string(m_.files[k - 1]) : bad("file", k));
}

void Printer::loc(const bc::Function& f, const bc::LineEntry& e) {
  out_ += ".loc " + std::to_string(e.line) + " " + std::to_string(e.col) + " " + string(e.what) + file(e.file);
  // The call chain, innermost first; a bad index or a parent that is not earlier ends it.
  uint32_t site = e.site;
  for (size_t n = 0; site != 0; ++n) {
    if (site > f.sites.size() || n > f.sites.size()) {
      out_ += " via " + bad("site", site);
      break;
    }
    const bc::CallSite& c = f.sites[site - 1];
    out_ += " via " + std::to_string(c.line) + " " + std::to_string(c.col) + file(c.file);
    site = c.parent;
  }
  out_ += "\n";
}

std::string Printer::reg(const bc::Function& f, uint32_t r) const {
  if (r >= f.reg_total()) return bad("reg", r);
  const bc::RegClass c = f.reg_class(r);
  return class_letter(c) + std::to_string(r - f.reg_base(c));
}

std::string Printer::table(const bc::Function& f, uint32_t t) const {
  if (t >= f.tables.size()) return bad("table", t);
  std::string out = "{";
  for (const auto& [key, to] : f.tables[t].cases) out += std::to_string(key) + ": " + label(to) + ", ";
  return out + "_: " + label(f.tables[t].default_target) + "}";
}

std::string Printer::operand(const bc::Function& f, char letter, uint32_t word) const {
  switch (letter) {
    case 'K':
      return word < m_.ints.size() ? std::to_string(m_.ints[word]) : bad("int", word);
    case 'D':
      return word < m_.floats.size() ? float_literal(m_.floats[word]) : bad("float", word);
    case 'S':
      return string(word);
    case 'X':
      return has_string(word) ? hex_literal(m_.strings[word]) : bad("string", word);
    case 'L':
      return label(word);
    case 'T':
      return table(f, word);
    case 'V':
      return word < m_.session.size() ? "@" + name(m_.session[word].name) : bad("slot", word);
    case 'O':
      return word < m_.options.size() ? "%" + name(m_.options[word].name) : bad("option", word);
    case 'C':
      return word < bc::kCrcCount ? std::string(bc::crc_name(static_cast<bc::Crc>(word))) : bad("crc", word);
    case 'n':
      return std::to_string(word);
    case 'E':
      if (word < bc::kNamedEscapesBase) return byte_hex(word);
      return word - bc::kNamedEscapesBase < m_.escape_tables.size()
                 ? m_.escape_tables[word - bc::kNamedEscapesBase].name
                 : bad("escape table", word);
    default:
      return reg(f, word);
  }
}

}  // namespace

std::string disassemble(const bc::Module& module) {
  return Printer(module).run();
}

}  // namespace pvm::compiler
