// The bytecode module: what the assembler builds, the serializer stores as .pvmc, and the
// verifier checks before the interpreter may run it. Depends on nothing but the standard library.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pvm::bc {

enum class Op : uint8_t {
#define X(name, mnemonic, operands, doc) name,
#include "pvm/bytecode/opcodes.def"
#undef X
};

inline constexpr size_t kOpCount = 0
#define X(name, mnemonic, operands, doc) +1
#include "pvm/bytecode/opcodes.def"
#undef X
    ;
static_assert(kOpCount <= 256, "an opcode must fit in the low byte of its word");

// The instructions after which control never reaches the next word: a function must end
// with one, and code after one runs only if something jumps to it.
constexpr bool is_terminator(Op op) {
  return op == Op::Jmp || op == Op::Ret || op == Op::RetI || op == Op::Fail || op == Op::FailS;
}

// The conditional jumps: the last operand is the target, and control may also go on to the next
// instruction.
constexpr bool is_branch(Op op) {
  switch (op) {
    case Op::Jt: case Op::Jf:
    case Op::JeqI: case Op::JneI: case Op::JltI: case Op::JgeI: case Op::JleI: case Op::JgtI:
    case Op::JeqK: case Op::JneK: case Op::JltK: case Op::JgeK: case Op::JleK: case Op::JgtK:
    case Op::LoopI: case Op::LoopK:
      return true;
    default:
      return false;
  }
}

// Whether the instruction writes its first register operand; every other register operand is
// read (the first one too where reads_written_register says so). The exceptions to "the first
// register is the destination" (opcodes.def) are listed here, for tools that follow values
// through registers (the compiler's optimizer).
constexpr bool writes_register(Op op) {
  switch (op) {
    case Op::Jt: case Op::Jf: case Op::JeqI: case Op::JneI: case Op::JltI: case Op::JgeI: case Op::JleI:
    case Op::JgtI: case Op::JeqK: case Op::JneK: case Op::JltK: case Op::JgeK: case Op::JleK: case Op::JgtK:
    case Op::Switch: case Op::RetI: case Op::Expect: case Op::Check:
    case Op::FailS: case Op::WarnS: case Op::Skip: case Op::Seek: case Op::ViewPush: case Op::ViewBytes:
    case Op::SetI: case Op::SetU: case Op::SetF: case Op::SetB: case Op::SetS: case Op::SetY:
    case Op::SetDI: case Op::SetDU: case Op::SetDF: case Op::SetDB: case Op::SetDS: case Op::SetDY:
    case Op::SetDivI:
    case Op::SetDivU:
    case Op::SetNI:
    case Op::SetNU:
    case Op::SetNF:
    case Op::SetNB:
    case Op::SetNS:
    case Op::SetNY:
    case Op::SSetI: case Op::SSetS: case Op::SSetY:
    case Op::WrU8: case Op::WrU16Be: case Op::WrU16Le: case Op::WrU32Be: case Op::WrU32Le:
    case Op::WrU64Be: case Op::WrU64Le: case Op::WrBytes: case Op::WrStr:
      return false;
    default:
      return true;
  }
}

// Whether the instruction reads the register it writes, before writing it: loop.i and loop.k
// count it up.
constexpr bool reads_written_register(Op op) {
  return op == Op::LoopI || op == Op::LoopK;
}

// rdset.X: rd.X into its register, then the set of that register's class (opcodes.def lists
// both groups in the same order).
constexpr bool is_read_set(Op op) {
  return op >= Op::RdSetU8 && op <= Op::RdSetF64Le;
}
// The read a rdset.X or rdat.X stands for (rdat.X: at an offset of the view, the cursor kept,
// for u8, u16, u32, bytes and text).
constexpr Op read_of(Op fused) {
  switch (fused) {
    case Op::RdAtU8:
      return Op::RdU8;
    case Op::RdAtU16Be:
      return Op::RdU16Be;
    case Op::RdAtU16Le:
      return Op::RdU16Le;
    case Op::RdAtU32Be:
      return Op::RdU32Be;
    case Op::RdAtU32Le:
      return Op::RdU32Le;
    case Op::RdAtBytes:
      return Op::RdBytes;
    case Op::RdAtStr:
      return Op::RdStr;
    default:
      return static_cast<Op>(static_cast<int>(Op::RdU8) +
                             (static_cast<int>(fused) - static_cast<int>(Op::RdSetU8)));
  }
}
static_assert(static_cast<int>(Op::RdF64Le) - static_cast<int>(Op::RdU8) ==
              static_cast<int>(Op::RdSetF64Le) - static_cast<int>(Op::RdSetU8));
constexpr bool is_fixed_read(Op op) {
  return op >= Op::RdU8 && op <= Op::RdF64Le;
}
constexpr Op read_set_of(Op fixed_read) {
  return static_cast<Op>(static_cast<int>(Op::RdSetU8) + (static_cast<int>(fixed_read) - static_cast<int>(Op::RdU8)));
}
// The rdat.X of a read; the read itself when it has none.
constexpr Op read_at_of(Op read) {
  for (int k = static_cast<int>(Op::RdAtU8); k <= static_cast<int>(Op::RdAtStr); ++k)
    if (read_of(static_cast<Op>(k)) == read) return static_cast<Op>(k);
  return read;
}
constexpr Op set_of(Op read_set) {
  if (read_set == Op::RdSetU64Be || read_set == Op::RdSetU64Le) return Op::SetU;
  if (read_set >= Op::RdSetF32Be) return Op::SetF;
  return Op::SetI;
}

struct OpInfo {
  std::string_view mnemonic;
  std::string_view operands;  // one letter per operand word, see opcodes.def
  std::string_view doc;
};
const OpInfo& op_info(Op op);
// Looks up a mnemonic; false when there is none.
bool op_from_mnemonic(std::string_view mnemonic, Op& out);

enum class Crc : uint8_t {
#define X(name, asm_name, width, poly, init, refin, refout, xorout, check) name,
#include "pvm/bytecode/crc.def"
#undef X
};
inline constexpr size_t kCrcCount = 0
#define X(name, asm_name, width, poly, init, refin, refout, xorout, check) +1
#include "pvm/bytecode/crc.def"
#undef X
    ;
std::string_view crc_name(Crc c);
bool crc_from_name(std::string_view name, Crc& out);
uint64_t crc_compute(Crc c, const uint8_t* data, size_t n);

// Register classes; a register's class is fixed for the whole function.
enum class RegClass : uint8_t { Int, UInt, Float, Bool, Str, Bytes };
inline constexpr size_t kRegClassCount = 6;
inline constexpr std::string_view kRegClassLetters = "iufbsy";

// Limits, each tied to its encoding or to the memory a frame may use. docs/security.md lists
// them all with what each bounds.
inline constexpr uint32_t kMaxRegisters = 4096;        // per function, all classes together
inline constexpr uint32_t kMaxCodeWords = 1u << 22;    // per function
inline constexpr uint32_t kMaxFunctions = 1024;
inline constexpr uint32_t kMaxStrings = 1u << 20;
inline constexpr uint32_t kMaxPoolEntries = 1u << 20;  // ints, and floats, of one module
inline constexpr uint32_t kMaxStringBytes = 1u << 20;  // one string or bytes constant
inline constexpr uint32_t kMaxModuleBytes = 1u << 26;  // a whole .pvmc file
inline constexpr uint32_t kMaxSwitchCases = 1u << 16;  // per switch table
inline constexpr uint32_t kMaxViewDepth = 32;          // nested sub-views at run time
// Fuel is work: a backward jump costs the code words from its target to itself (an upper
// bound of what one pass through the loop ran), and a built-in that walks bytes (crc, find,
// cat, hex, re.match, writes, ...) costs one unit per byte. A unit is about a nanosecond.
inline constexpr uint64_t kDefaultFuel = 1u << 25;
inline constexpr uint32_t kMaxMessagesPerFrame = 4096;
inline constexpr uint32_t kMaxParamsPerMessage = 1024;
inline constexpr uint32_t kMaxMessageBytes = 1u << 20;  // one message's JSON, bounded from above
inline constexpr uint32_t kMaxOutputBytes = 1u << 16;   // one reply or encoded command
// Everything one frame makes: arena strings, message fields and their JSON, replies, session
// writes. Counted before the memory is taken; the frame traps Limit beyond it.
inline constexpr uint32_t kMaxFrameMemory = 1u << 22;
inline constexpr uint32_t kMaxWarningsPerFrame = 64;   // later ones are dropped
inline constexpr uint32_t kMaxErrorReasonBytes = 256;  // longer reasons are cut (device text)
inline constexpr uint32_t kMaxFrameBytes = 1u << 20;   // upper bound a framing function may return
inline constexpr uint32_t kMaxRegexGroups = 15;        // capturing groups of one re.match pattern

struct SwitchTable {
  std::vector<std::pair<int64_t, uint32_t>> cases;  // key -> target word offset, keys ascending
  uint32_t default_target = 0;
  // Derived when a program loads (index_switches), never serialized: the target of every key
  // from dense_low on, when the keys are close enough for an array; empty otherwise (the
  // interpreter then searches `cases`).
  int64_t dense_low = 0;
  std::vector<uint32_t> dense;
};

// Maps a code-word offset to the source position and what the code there does,
// so a runtime error can name the .pvm line and field that failed.
struct LineEntry {
  uint32_t pc = 0;    // first code word this entry covers (entries ascend by pc)
  uint32_t line = 0;  // 1-based
  uint32_t col = 0;   // 1-based
  uint32_t what = 0;  // string index: "u32 $length", "record.timestamp", ...
  uint32_t file = 0;  // 0: the module's source; k: Module::files[k - 1] (a used file)
  uint32_t site = 0;  // 0: not inlined; k: Function::sites[k - 1], the call it was inlined at
};

// A call of an inlined function: where it was (file as in LineEntry) and the call it was itself
// inlined at (0: none; k: sites[k - 1], always an earlier entry, so every chain ends).
struct CallSite {
  uint32_t file = 0;
  uint32_t line = 0;
  uint32_t col = 0;
  uint32_t parent = 0;
};

// `frame delimited 0x7e escape { x"7d02" => 0x7e, x"7d01" => 0x7d }`: a frame that starts with
// `delimiter` runs to the next one, and between them each escape sequence stands for its byte.
struct Escape {
  std::string sequence;  // 2 or more bytes
  uint8_t byte = 0;
};
struct Delimited {
  uint8_t delimiter = 0;
  std::vector<Escape> escapes;
};
// `escape NAME { x"7d01" => 0x7d, ... }`: escapes that no framing uses, only unescape() and
// escape(), for protocols that escape a part of a frame.
struct NamedEscapes {
  std::string name;
  std::vector<Escape> escapes;
};
// An escape-table operand (E) below this is a delimiter; from it on, the named table
// escape_tables[operand - kNamedEscapesBase].
inline constexpr uint32_t kNamedEscapesBase = 256;

// Why escapes cannot be undone one way ("" when they can): every sequence has 2 to 8 bytes and
// none is the start of another, each byte has one sequence and the first byte of every sequence
// is escaped. `at` receives the index of the escape at fault.
std::string escapes_problem(const std::vector<Escape>& escapes, size_t* at = nullptr);
// The same for a delimited framing, whose delimiter must also be escaped and in no sequence;
// `at` is escapes.size() when the fault is the delimiter's.
std::string delimited_problem(const Delimited& d, size_t* at = nullptr);

struct Param {  // an argument a host passes to an entry (command encoders)
  uint32_t name = 0;  // string index
  uint32_t reg = 0;   // register that receives it
};

struct Function {
  uint32_t name = 0;  // string index: "framing.tcp", "packet.tcp", "packet.udp", "command.<name>"
  // Registers are numbered class by class: ints first, then uints, floats, bools, strs, bytes.
  std::array<uint16_t, kRegClassCount> reg_count{};
  std::vector<Param> params;
  std::vector<uint32_t> code;  // word 0 of an instruction: the opcode; then one word per operand
  std::vector<SwitchTable> tables;
  std::vector<LineEntry> lines;
  std::vector<CallSite> sites;

  // Inline: every run of the function asks for it (1% of a GT06 decode as a call).
  uint32_t reg_total() const {
    uint32_t n = 0;
    for (uint16_t c : reg_count) n += c;
    return n;
  }
  uint32_t reg_base(RegClass c) const;
  RegClass reg_class(uint32_t reg) const;  // reg < reg_total()
};

// Calls f(op, operands, pc) for each instruction of a function whose opcodes all exist and have
// their operand words (a verified one); `operands` points at the instruction's first operand word.
template <class F>
void for_each_instruction(const Function& fn, F&& f) {
  for (size_t pc = 0; pc < fn.code.size();) {
    const auto op = static_cast<Op>(fn.code[pc]);
    f(op, fn.code.data() + pc + 1, pc);
    pc += 1 + op_info(op).operands.size();
  }
}

struct SessionSlot {
  uint32_t name = 0;  // string index; slot 0 is always "ident" of class Str
  RegClass cls = RegClass::Int;
};

struct OptionDef {
  uint32_t name = 0;  // string index
  RegClass cls = RegClass::Bool;  // Int, Bool or Str
  int64_t int_default = 0;        // Int and Bool
  uint32_t str_default = 0;       // Str: string index
};

struct Module {
  uint32_t protocol = 0;  // string index of the protocol name
  uint32_t source = 0;    // string index of the source file path ("" when unknown)
  std::vector<std::string> strings;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::vector<SessionSlot> session;
  std::vector<OptionDef> options;
  std::vector<uint32_t> files;       // string indexes: the used files line entries name
  std::vector<Delimited> delimited;  // ascending by delimiter, each escape table by sequence
  std::vector<NamedEscapes> escape_tables;  // each table by sequence
  std::vector<Function> functions;

  const std::string& str(uint32_t i) const { return strings.at(i); }
  // Index of the function with this name, or -1.
  int find_function(std::string_view name) const;
  // The declaration of this delimiter, or null.
  const Delimited* find_delimited(uint8_t delimiter) const;
  // Whether an E operand names a declared table.
  bool has_escapes(uint32_t operand) const;
};

// Renumbers the string, int and float pools in order of first use (header, session, options,
// then each function's params, code and line table), the file table and each function's call
// sites in order of first use by the line tables, drops unused entries, and sorts the delimited
// declarations, so that any two texts describing the same program assemble to the same bytes.
void canonicalize(Module& m);
// Fills the dense arrays of the module's switch tables whose keys span at most 256 values or
// 32 times their count, and 4,096 at most.
void index_switches(Module& m);

}  // namespace pvm::bc
