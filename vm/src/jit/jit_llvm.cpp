// The LLVM JIT: each function of a verified module becomes one native function
// `int32 f(StepContext* ctx, Value* regs)` that returns kStepDone or kStepTrapped.
//
// Control flow (jumps, conditional jumps, switch tables) and the instructions of the hot paths
// (constants, moves, arithmetic, comparisons, reads, slices) are compiled inline; parameters,
// numbers as text and text as numbers, concatenation, searches, regular expressions, views over
// bytes and options call the fast-path helpers below.
// The view and the fuel stay in ctx->st, which LLVM keeps in machine registers between calls
// (alias tags). The registers are locals, in machine registers too; the Scratch's register file
// holds one only where step() or a helper reads or writes it there. Every other instruction, and
// the slow path of a compiled one (a read past the view, a zero divisor, a backward jump without
// the fuel for it, a full message or arena), calls step(), which runs that instruction in the
// interpreter: the trap it raises, with its offset, reason and source position, is the
// interpreter's by construction.
//
// This file, with the interpreter's step build and a copy of the VM's code, is the JIT library
// that jit_loader.cpp loads; its one export is pvm_jit_entry (jit.h).
#include <llvm/Config/llvm-config.h>
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Transforms/InstCombine/InstCombine.h>
#include <llvm/Transforms/Scalar/EarlyCSE.h>
#include <llvm/Transforms/Scalar/SimplifyCFG.h>
#include <llvm/Transforms/Utils/Mem2Reg.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <optional>
#include <set>
#include <vector>

#include "../text_values.h"
#include "../value_ops.h"
#include "../work.h"
#include "jit.h"
#include "jit_cache.h"
#include "jit_sources_digest.h"
#include "pvm/bytecode/serialize.h"
#include "step.h"

namespace pvm {

namespace detail {
namespace {

using bc::Op;

// Words of an instruction: the opcode and one per operand letter.
uint32_t words(uint32_t opcode) {
  return 1 + static_cast<uint32_t>(bc::op_info(static_cast<Op>(opcode)).operands.size());
}

using NativeFn = int32_t (*)(StepContext*, Value*);

// Native code calls this for every instruction it does not run itself. No exception may cross
// native frames (they have no unwind tables): step() turns std::bad_alloc into a trap.
extern "C" int32_t pvm_jit_step(StepContext* ctx) {
  return step(*ctx->in, *ctx->scratch, *ctx->out, ctx->st);
}

// The fast paths of frequent instructions, called without handing the state over. Each returns
// 0 where the interpreter would trap, having changed nothing, and native code then runs the
// instruction through step(), which traps as the interpreter does. The heap failing counts as
// such a case: no exception may cross native frames, and step() turns it into the trap.
template <typename F>
int32_t guarded(F&& f) {
  try {
    return f() ? 1 : 0;
  } catch (const std::bad_alloc&) {
    return 0;
  }
}

// set.s and set.y of a constant name, and setd.* of a name in a register (`name` null,
// `dynamic` the register).
extern "C" int32_t pvm_jit_set(Scratch* sc, const ParamName* name, const Value* dynamic, uint32_t type,
                               const Value* v) {
  return guarded([&] {
    if (!sc->builder.is_open()) return false;
    const auto t = static_cast<ValueType>(type);
    if (t == ValueType::Float && !std::isfinite(v->f)) return true;  // no JSON form: left unset
    Field* f = name != nullptr ? sc->builder.set(*name) : sc->builder.set(text(*dynamic));
    if (f == nullptr) return false;
    f->s = {};
    f->type = t;
    switch (t) {
      case ValueType::Int:
        f->i = v->i;
        break;
      case ValueType::UInt:
        f->u = v->u;
        break;
      case ValueType::Float:
        f->f = v->f;
        break;
      case ValueType::Bool:
        f->b = v->b;
        break;
      case ValueType::Str:
      case ValueType::Bytes:
        f->s = text(*v);
        break;
    }
    sc->builder.add_raw(field_raw_size(*f));
    return true;
  });
}

// setn.X: the name the module keeps for prefix + the number, for native code to set as it sets
// a constant name; null where the interpreter runs the instruction instead (a number whose name
// is not kept).
extern "C" const ParamName* pvm_jit_numbered(const RunInput* in, uint32_t prefix, int64_t n) {
  return in->names->numbered(prefix, n);
}

// set.i, set.u, set.f and set.b of a constant name, the value passed in a machine register: no
// type switch, and native code need not store the value to the register file for the call.
template <ValueType T>
int32_t set_scalar(Scratch* sc, const ParamName* name, uint64_t bits) {
  return guarded([&] {
    if (!sc->builder.is_open()) return false;
    if constexpr (T == ValueType::Float)
      if (!std::isfinite(std::bit_cast<double>(bits))) return true;  // no JSON form: left unset
    Field* f = sc->builder.set(*name);
    if (f == nullptr) return false;
    f->s = {};
    f->type = T;
    if constexpr (T == ValueType::Bool)
      f->b = bits != 0;
    else
      f->u = bits;
    sc->builder.add_raw(field_raw_size(*f));
    return true;
  });
}
extern "C" int32_t pvm_jit_set_int(Scratch* sc, const ParamName* name, uint64_t bits) {
  return set_scalar<ValueType::Int>(sc, name, bits);
}
extern "C" int32_t pvm_jit_set_uint(Scratch* sc, const ParamName* name, uint64_t bits) {
  return set_scalar<ValueType::UInt>(sc, name, bits);
}
extern "C" int32_t pvm_jit_set_float(Scratch* sc, const ParamName* name, uint64_t bits) {
  return set_scalar<ValueType::Float>(sc, name, bits);
}
extern "C" int32_t pvm_jit_set_bool(Scratch* sc, const ParamName* name, uint64_t bits) {
  return set_scalar<ValueType::Bool>(sc, name, bits);
}

// msg.new when nothing in it can trap: the open message, if any, fits by its raw size and the
// frame's memory; the frame may have another message; the frame's first message can pay for the
// copy of the session's ident, in fuel and frame memory. Room is reserved before the message
// changes, so that a failing heap leaves it as it was for the interpreter's trap (a copied ident
// stays copied and paid for, as the interpreter's next try would find it).
extern "C" int32_t pvm_jit_msg_new(StepContext* ctx, const std::string* protocol, int32_t has_session) {
  Scratch* sc = ctx->scratch;
  return guarded([&] {
    MessageBuilder& mb = sc->builder;
    if (mb.is_open() && !(mb.fits_quickly() && sc->arena.can_account(mb.open_memory()))) return false;
    if (!mb.can_begin()) return false;
    if (has_session != 0 && !sc->ident_fresh) {
      const std::string& id = slot_value(*sc, *ctx->in->session, 0).s;
      if (id.size() > ctx->st.fuel || !copy_ident(*sc, id)) return false;
      ctx->st.fuel -= id.size();
    }
    mb.reserve(2);
    if (mb.is_open()) sc->arena.account(mb.open_memory());
    mb.begin();
    const auto add = [&](const ParamName& name, std::string_view value) {
      Field* f = mb.set(name);
      f->type = ValueType::Str;
      f->s = value;
      mb.add_raw(field_raw_size(*f));
    };
    if (has_session != 0 && !sc->ident.empty()) add(mb.ident, sc->ident);
    add(mb.protocol_id, *protocol);
    return true;
  });
}

// msg.end of a message that fits by its raw size and the frame's memory.
extern "C" int32_t pvm_jit_msg_end(Scratch* sc) {
  return guarded([&] {
    MessageBuilder& mb = sc->builder;
    if (!mb.is_open() || !mb.fits_quickly() || !sc->arena.can_account(mb.open_memory())) return false;
    mb.reserve(0);
    sc->arena.account(mb.open_memory());
    mb.end();
    return true;
  });
}

// crc: guarded because the first use of an algorithm builds its tables.
extern "C" int32_t pvm_jit_crc(uint32_t algorithm, const Value* bytes, Value* out) {
  return guarded([&] {
    out->i = static_cast<int64_t>(bc::crc_compute(static_cast<bc::Crc>(algorithm), bytes->s.p, bytes->s.n));
    return true;
  });
}

extern "C" int32_t pvm_jit_itos(Scratch* sc, int64_t v, Value* out) {
  return guarded([&] { return decimal(*sc, *out, v); });
}

extern "C" int32_t pvm_jit_utos(Scratch* sc, uint64_t v, Value* out) {
  return guarded([&] { return decimal(*sc, *out, v); });
}

extern "C" int32_t pvm_jit_cat(Scratch* sc, Value* out, const Value* b, const Value* c) {
  return guarded([&] { return concat(*sc, *out, *b, *c); });
}

// stoi: the value, or 0 (out unchanged) for text that is not an integer.
extern "C" int32_t pvm_jit_stoi(const Value* in, Value* out) {
  int64_t v = 0;
  if (!parse_int(text(*in), v)) return 0;
  out->i = v;
  return 1;
}

// stof: the same for a float.
extern "C" int32_t pvm_jit_stof(const Value* in, Value* out) {
  double v = 0;
  if (!parse_float(text(*in), v)) return 0;
  out->f = v;
  return 1;
}

// find.s, rd.field and rd.until (`op`): the offset of the first needle in the hay, or -1, the
// search charged as the interpreter charges it; -2, with nothing done, where the interpreter
// must run the instruction: the fuel left does not pay, or rd.until finds no delimiter.
extern "C" int64_t pvm_jit_find(StepContext* ctx, const uint8_t* hay, uint32_t hay_n, const uint8_t* needle,
                                uint32_t needle_n, uint32_t op) {
  const std::string_view h(reinterpret_cast<const char*>(hay), hay_n);
  const std::string_view n(reinterpret_cast<const char*>(needle), needle_n);
  const size_t at = static_cast<Op>(op) == Op::FindS ? find_bytes(h, n) : find_delimiter(h, n);
  const bool none = at == std::string_view::npos;
  const uint64_t cost = search_cost(none ? hay_n : at, needle_n);
  if (cost > ctx->st.fuel || (none && static_cast<Op>(op) == Op::RdUntil)) return -2;
  ctx->st.fuel -= cost;
  return none ? -1 : static_cast<int64_t>(at);
}

// re.match of pattern string s: 1 when it matched (its groups kept where re.group finds them),
// else 0; 2, with nothing done, when the fuel left does not pay for it.
extern "C" int32_t pvm_jit_re_match(StepContext* ctx, uint32_t s, const uint8_t* p, uint32_t n) {
  const Patterns* patterns = ctx->in->patterns;
  if (patterns == nullptr) return 0;
  const uint64_t cost = patterns->cost(s, n);
  if (cost > ctx->st.fuel) return 2;
  ctx->st.fuel -= cost;
  Scratch& sc = *ctx->scratch;
  return patterns->match(s, {reinterpret_cast<const char*>(p), n}, sc.groups.data(), sc.group_count) ? 1 : 0;
}

// view.bytes: enters a view over the n bytes at p as the interpreter does, the parent view
// saved; 0, with nothing done, when views are already nested as deep as they may be.
extern "C" int32_t pvm_jit_view_bytes(StepContext* ctx, const uint8_t* p, uint32_t n, uint32_t name) {
  StepState& st = ctx->st;
  if (st.depth == bc::kMaxViewDepth) return 0;
  Scratch& sc = *ctx->scratch;
  sc.views[st.depth++] = {st.data, st.vb, st.ve, st.vc, sc.origin};
  sc.origin = bytes_view_origin(*ctx->in, sc.origin, st.vc, p, n, name);
  st.data = p;
  st.vb = 0;
  st.ve = n;
  st.vc = 0;
  return 1;
}

// The n bytes (0..8) at p as an unsigned integer.
extern "C" uint64_t pvm_jit_load(const uint8_t* p, uint32_t n, uint32_t big) {
  return load_n(p, n, big != 0);
}

extern "C" int32_t pvm_jit_same(const Value* a, const Value* b) {
  return same_bytes(*a, *b) ? 1 : 0;
}

void put_text(Value* out, std::string_view text) {
  out->s = {reinterpret_cast<const uint8_t*>(text.data()), static_cast<uint32_t>(text.size())};
}

extern "C" void pvm_jit_group(const Scratch* sc, int64_t k, Value* out) {
  put_text(out, match_group(*sc, k));
}

extern "C" int64_t pvm_jit_option_int(const RunInput* in, uint32_t o) {
  return option_int(*in->module, *in->session, o);
}

extern "C" void pvm_jit_option_str(const RunInput* in, uint32_t o, Value* out) {
  put_text(out, option_str(*in->module, *in->session, o));
}

// get.i and has, which cannot fail: the parameter as get.i reads it, or whether it is set.
extern "C" int64_t pvm_jit_get_int(const Scratch* sc, const ParamName* name) {
  return param_int(sc->builder.find(*name));
}
extern "C" int32_t pvm_jit_has(const Scratch* sc, const ParamName* name) {
  return sc->builder.find(*name) != nullptr ? 1 : 0;
}

// sget.i, which cannot fail.
extern "C" int64_t pvm_jit_sget_int(const RunInput* in, const Scratch* sc, uint32_t slot) {
  return slot_value(*sc, *in->session, slot).i;
}

extern "C" int32_t pvm_jit_sset_int(Scratch* sc, uint32_t slot, int64_t v) {
  return guarded([&] {
    mark_dirty(*sc, slot);
    sc->pending[slot].i = v;
    return true;
  });
}

// Whether n more bytes fit the open reply's limit and the memory it already holds (which a
// frame's scratch keeps from the frames before, so that only the first replies grow it through
// step()).
bool reply_room(const Scratch& sc, size_t n) {
  return sc.out_open && sc.out.size() + n <= bc::kMaxOutputBytes && sc.out.capacity() - sc.out.size() >= n;
}

// wr.u8 to wr.u64le: the low `width` bytes of v, most significant first when `big`, into an open
// reply with room for them.
extern "C" int32_t pvm_jit_write(Scratch* sc, uint64_t v, uint32_t width, uint32_t big) {
  if (!reply_room(*sc, width)) return 0;
  append_int(sc->out, v, width, big != 0);
  return 1;
}

// out.new when no output is open (closing one first takes the interpreter).
extern "C" int32_t pvm_jit_out_new(Scratch* sc) {
  if (sc->out_open) return 0;
  sc->out.clear();
  sc->out_open = true;
  return 1;
}

// out.end, wr.bytes / wr.str and out.tail where they need no memory the frame's scratch does not
// already hold (kept from the frames before): they spend the fuel the interpreter spends, and
// where anything stops them they do nothing and the interpreter runs the instruction.
extern "C" int32_t pvm_jit_out_end(StepContext* ctx) {
  Scratch& sc = *ctx->scratch;
  const size_t n = sc.out.size();
  if (!sc.out_open || n > ctx->st.fuel || !sc.arena.can_account(reply_memory(n)) ||
      sc.reply_count == sc.replies.size() || sc.replies[sc.reply_count].capacity() < n)
    return 0;
  ctx->st.fuel -= n;
  return store_reply(sc) ? 1 : 0;  // true: its memory is accounted for and held
}

extern "C" int32_t pvm_jit_write_bytes(StepContext* ctx, const Value* v) {
  const uint32_t n = v->s.n;
  if (!reply_room(*ctx->scratch, n) || n > ctx->st.fuel) return 0;
  ctx->st.fuel -= n;
  ctx->scratch->out.insert(ctx->scratch->out.end(), v->s.p, v->s.p + n);
  return 1;
}

extern "C" int32_t pvm_jit_out_tail(StepContext* ctx, Value* dst, int64_t from) {
  Scratch& sc = *ctx->scratch;
  const auto size = static_cast<int64_t>(sc.out_open ? sc.out.size() : 0);
  const int64_t at = std::clamp<int64_t>(from, 0, size);
  const auto n = static_cast<uint64_t>(size - at);
  if (n > ctx->st.fuel || !to_arena(sc, *dst, sc.out.data() + at, n)) return 0;
  ctx->st.fuel -= n;
  return 1;
}

// ret and ret.i (`has_result`) when nothing is left to close (a sub-view, a message, a reply):
// the run ends as the interpreter's does. Otherwise step() closes them, with their checks.
extern "C" int32_t pvm_jit_ret(StepContext* ctx, uint32_t pc, int64_t result, uint32_t has_result) {
  const Scratch& sc = *ctx->scratch;
  if (ctx->st.depth != 0 || sc.builder.is_open() || sc.out_open) return 0;
  RunOutput& out = *ctx->out;
  if (has_result != 0) out.result = result;
  out.consumed = ctx->st.vc;
  out.end_pc = pc;
  out.fuel_used = ctx->in->fuel - ctx->st.fuel;
  return 1;
}

// Where a std::string_view keeps its length among its two words: the C++ library decides (the
// GNU one puts it first), so it is found once by looking.
size_t view_length_offset() {
  static const size_t offset = [] {
    const std::string_view probe("ab");
    uint64_t words[2];
    static_assert(sizeof probe == sizeof words);
    std::memcpy(words, &probe, sizeof words);
    return words[0] == probe.size() ? size_t{0} : sizeof(uint64_t);
  }();
  return offset;
}

// The ValueType a set.s, set.y, setd.X or setn.X stores, as pvm_jit_set takes it: the class of its
// value register, the last operand.
uint32_t set_type(Op op) {
  switch (bc::op_info(op).operands.back()) {
    case 'i':
      return static_cast<uint32_t>(ValueType::Int);
    case 'u':
      return static_cast<uint32_t>(ValueType::UInt);
    case 'f':
      return static_cast<uint32_t>(ValueType::Float);
    case 'b':
      return static_cast<uint32_t>(ValueType::Bool);
    case 's':
      return static_cast<uint32_t>(ValueType::Str);
    default:
      return static_cast<uint32_t>(ValueType::Bytes);
  }
}

// Every function native code calls, by number: code calls helper k through the context's table
// (StepContext::helpers), so that no address of this process is part of it.
const void* const kHelpers[] = {
    reinterpret_cast<const void*>(&pvm_jit_step),       reinterpret_cast<const void*>(&pvm_jit_set),
    reinterpret_cast<const void*>(&pvm_jit_set_int),    reinterpret_cast<const void*>(&pvm_jit_set_uint),
    reinterpret_cast<const void*>(&pvm_jit_set_float),  reinterpret_cast<const void*>(&pvm_jit_set_bool),
    reinterpret_cast<const void*>(&pvm_jit_msg_new),    reinterpret_cast<const void*>(&pvm_jit_msg_end),
    reinterpret_cast<const void*>(&pvm_jit_crc),        reinterpret_cast<const void*>(&pvm_jit_itos),
    reinterpret_cast<const void*>(&pvm_jit_utos),       reinterpret_cast<const void*>(&pvm_jit_cat),
    reinterpret_cast<const void*>(&pvm_jit_stoi),       reinterpret_cast<const void*>(&pvm_jit_load),
    reinterpret_cast<const void*>(&pvm_jit_same),       reinterpret_cast<const void*>(&pvm_jit_group),
    reinterpret_cast<const void*>(&pvm_jit_option_int), reinterpret_cast<const void*>(&pvm_jit_option_str),
    reinterpret_cast<const void*>(&pvm_jit_sget_int),   reinterpret_cast<const void*>(&pvm_jit_sset_int),
    reinterpret_cast<const void*>(&pvm_jit_write),      reinterpret_cast<const void*>(&pvm_jit_ret),
    reinterpret_cast<const void*>(&pvm_jit_numbered),   reinterpret_cast<const void*>(&pvm_jit_out_new),
    reinterpret_cast<const void*>(&pvm_jit_out_end),    reinterpret_cast<const void*>(&pvm_jit_write_bytes),
    reinterpret_cast<const void*>(&pvm_jit_out_tail),   reinterpret_cast<const void*>(&pvm_jit_get_int),
    reinterpret_cast<const void*>(&pvm_jit_has),        reinterpret_cast<const void*>(&pvm_jit_stof),
    reinterpret_cast<const void*>(&pvm_jit_find),       reinterpret_cast<const void*>(&pvm_jit_re_match),
    reinterpret_cast<const void*>(&pvm_jit_view_bytes),
};

std::string to_string(llvm::Error error) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << error;
  return os.str();
}

// Builds one native function from one bytecode function.
class FunctionBuilder {
 public:
  FunctionBuilder(llvm::LLVMContext& cx, llvm::Module& mod, const bc::Module& m, const bc::Function& fn)
      : cx_(cx), b_(cx), mod_(mod), m_(m), fn_(fn) {
    i8_ = b_.getInt8Ty();
    i32_ = b_.getInt32Ty();
    i64_ = b_.getInt64Ty();
    f64_ = b_.getDoubleTy();
    i8p_ = i8_->getPointerTo();
    auto* type = llvm::FunctionType::get(i32_, {i8p_, i8p_}, false);
    f_ = llvm::Function::Create(type, llvm::Function::ExternalLinkage, "", mod);
    f_->addFnAttr(llvm::Attribute::NoUnwind);
    llvm::MDBuilder md(cx);
    llvm::MDNode* root = md.createTBAARoot("pvm");
    const auto tag = [&](const char* name) {
      llvm::MDNode* type = md.createTBAAScalarTypeNode(name, root);
      return md.createTBAAStructTagNode(type, type, 0);
    };
    state_tag_ = tag("state");
    reg_tag_ = tag("register");
    bytes_tag_ = tag("bytes");
    builder_tag_ = tag("builder");
    view_tag_ = tag("view");
  }

  llvm::Function* build(const std::string& name) {
    f_->setName(name);
    ctx_ = f_->getArg(0);
    regs_ = f_->getArg(1);
    auto* entry = llvm::BasicBlock::Create(cx_, "entry", f_);
    b_.SetInsertPoint(entry);
    data_ = field_ptr(i8p_, offsetof(StepState, data));
    vb_ = field_ptr(i32_, offsetof(StepState, vb));
    ve_ = field_ptr(i32_, offsetof(StepState, ve));
    depth_ = field_ptr(i32_, offsetof(StepState, depth));
    vc_ = field_ptr(i32_, offsetof(StepState, vc));
    fuel_ = field_ptr(i64_, offsetof(StepState, fuel));
    pc_ = field_ptr(i32_, offsetof(StepState, pc));
    // The registers as locals (see reg_ptr), each starting as the interpreter's would: zero,
    // or an argument as passed (step_begin() puts those in the register file). Their addresses in the
    // register file are made here once: made at every use, they gave regs thousands of users, which some of
    // LLVM's analyses look through for every use (GT06 took twice as long to compile).
    for (uint32_t reg = 0; reg < fn_.reg_total(); ++reg) {
      value_.push_back(b_.CreateAlloca(slot_type(reg)));
      home_.push_back(reg_ptr(reg, slot_type(reg)));
      b_.CreateStore(llvm::Constant::getNullValue(slot_type(reg)), value_.back());
      length_.push_back(has_length(reg) ? b_.CreateAlloca(i32_) : nullptr);
      home_length_.push_back(has_length(reg) ? reg_ptr(reg, i32_, 8) : nullptr);
      if (has_length(reg)) b_.CreateStore(b_.getInt32(0), length_.back());
    }
    for (const bc::Param& p : fn_.params) fill(p.reg);
    scratch_ = state(field_ptr(i8p_, offsetof(StepContext, scratch)), i8p_);
    input_ = state(field_ptr(i8p_, offsetof(StepContext, in)), i8p_);
    // The tables of pointers are typed as such: LLVM (with its assertions on) checks that a GEP's
    // element type is its pointer's.
    llvm::Type* const table = i8p_->getPointerTo();
    helpers_ = state(field_ptr(table, offsetof(StepContext, helpers)), table);
    names_base_ = state(field_ptr(i8p_, offsetof(StepContext, names)), i8p_);
    strings_base_ = state(field_ptr(i8p_, offsetof(StepContext, strings)), i8p_);
    text_base_ = state(field_ptr(table, offsetof(StepContext, text)), table);

    // A block where a jump lands (an instruction start: the verifier saw to it) and after each
    // jump; the instructions between follow each other in one block, so that a function of
    // thousands of instructions is a few hundred blocks, not thousands.
    const auto starts = [&](uint32_t pc) {
      if (pc < fn_.code.size() && !blocks_.count(pc))
        blocks_[pc] = llvm::BasicBlock::Create(cx_, "pc" + std::to_string(pc), f_);
    };
    starts(0);
    for (uint32_t pc = 0; pc < fn_.code.size(); pc += words(fn_.code[pc])) {
      const uint32_t* ip = &fn_.code[pc];
      const auto op = static_cast<Op>(ip[0]);
      if (op == Op::Jmp) starts(ip[1]);
      if (bc::is_branch(op)) starts(ip[words(ip[0]) - 1]);
      if (op == Op::Switch) {
        for (const auto& c : fn_.tables[ip[2]].cases) starts(c.second);
        starts(fn_.tables[ip[2]].default_target);
      }
      if (op == Op::Jmp || bc::is_branch(op) || op == Op::Switch) starts(pc + words(ip[0]));
    }
    end_ = llvm::BasicBlock::Create(cx_, "end", f_);
    exit_ = llvm::BasicBlock::Create(cx_, "exit", f_);
    b_.CreateBr(block(0));
    b_.SetInsertPoint(exit_);
    result_ = b_.CreatePHI(i32_, 16);
    b_.CreateRet(result_);

    for (uint32_t pc = 0; pc < fn_.code.size(); pc += words(fn_.code[pc])) {
      if (blocks_.count(pc)) b_.SetInsertPoint(blocks_[pc]);
      emit(pc);
    }
    // Falling off the end is not possible in verified code; should it happen, the run traps.
    if (b_.GetInsertBlock()->getTerminator() == nullptr) b_.CreateBr(end_);
    b_.SetInsertPoint(end_);
    b_.CreateRet(b_.getInt32(kStepTrapped));
    return f_;
  }

 private:
  llvm::BasicBlock* block(uint32_t pc) {
    const auto it = blocks_.find(pc);
    return it == blocks_.end() ? end_ : it->second;
  }

  // ---- memory: the view and fuel live in ctx->st, where step() reads and writes them too.
  // Type-based alias tags tell LLVM that the state, the registers and the bytes read never
  // overlap, so that between two calls of step() the state stays in machine registers.
  llvm::Value* field_ptr(llvm::Type* type, size_t offset) { return ptr_at(ctx_, offset, type); }
  // A `type` at `offset` bytes from `base`.
  llvm::Value* ptr_at(llvm::Value* base, uint64_t offset, llvm::Type* type) {
    return b_.CreateBitCast(b_.CreateConstInBoundsGEP1_64(i8_, base, offset), type->getPointerTo());
  }
  // A load of memory no run changes (the context's tables, the module's names): LLVM may reuse it.
  llvm::Value* invariant_load(llvm::Type* type, llvm::Value* ptr) {
    llvm::LoadInst* v = b_.CreateLoad(type, ptr);
    v->setMetadata(llvm::LLVMContext::MD_invariant_load, llvm::MDNode::get(cx_, {}));
    return v;
  }
  llvm::Value* load(llvm::Type* type, llvm::Value* ptr, llvm::MDNode* tag, unsigned align = 0) {
    llvm::LoadInst* v =
        align ? b_.CreateAlignedLoad(type, ptr, llvm::MaybeAlign(align)) : b_.CreateLoad(type, ptr);
    v->setMetadata(llvm::LLVMContext::MD_tbaa, tag);
    return v;
  }
  void store(llvm::Value* v, llvm::Value* ptr, llvm::MDNode* tag) {
    b_.CreateStore(v, ptr)->setMetadata(llvm::LLVMContext::MD_tbaa, tag);
  }
  llvm::Value* state(llvm::Value* field, llvm::Type* type) { return load(type, field, state_tag_); }
  void set_state(llvm::Value* field, llvm::Value* v) { store(v, field, state_tag_); }
  void save(uint32_t pc) { set_state(pc_, b_.getInt32(pc)); }

  // The block where the instruction being emitted ends, made when something needs it.
  llvm::BasicBlock* after() {
    if (after_ == nullptr) after_ = llvm::BasicBlock::Create(cx_, "", f_);
    return after_;
  }

  // Runs the instruction at pc in the interpreter; then goes on after it, or leaves the function
  // with what step() said when it ended the run. With `go_on` false (the slow path of a jump,
  // which is always out of fuel: the interpreter tests what native code tested) it leaves.
  // The registers the instruction reads are spilled for it, and the one it writes filled after.
  void call_step(uint32_t pc, bool go_on = true) {
    const uint32_t* ip = &fn_.code[pc];
    const auto op = static_cast<Op>(ip[0]);
    const std::string_view letters = bc::op_info(op).operands;
    std::optional<uint32_t> written;
    for (size_t k = 0; k < letters.size(); ++k) {
      if (bc::kRegClassLetters.find(letters[k]) == std::string_view::npos) continue;
      if (!written && bc::writes_register(op)) {
        written = ip[1 + k];
        if (!bc::reads_written_register(op)) continue;
      }
      spill(ip[1 + k]);
    }
    save(pc);
    llvm::Value* rc = call(reinterpret_cast<const void*>(&pvm_jit_step), i32_, {ctx_});
    result_->addIncoming(rc, b_.GetInsertBlock());
    if (!go_on) {
      b_.CreateBr(exit_);
      return;
    }
    auto* next = llvm::BasicBlock::Create(cx_, "", f_);
    b_.CreateCondBr(b_.CreateICmpEQ(rc, b_.getInt32(kStepNext)), next, exit_);
    b_.SetInsertPoint(next);
    if (written) fill(*written);
    b_.CreateBr(after());
  }

  // Calls one of the fast-path helpers above, found in `table` (ctx->helpers; by default the one
  // this function loaded).
  llvm::Value* call(const void* helper, llvm::Type* result, std::initializer_list<llvm::Value*> args,
                    llvm::Value* table = nullptr) {
    std::vector<llvm::Type*> types;
    for (llvm::Value* a : args) types.push_back(a->getType());
    auto* type = llvm::FunctionType::get(result, types, false);
    const auto k =
        static_cast<uint64_t>(std::find(std::begin(kHelpers), std::end(kHelpers), helper) - kHelpers);
    if (k == std::size(kHelpers)) std::abort();  // a helper missing from kHelpers: a bug of this file
    llvm::Value* at = b_.CreateBitCast(b_.CreateConstInBoundsGEP1_64(i8p_, table ? table : helpers_, k),
                                       type->getPointerTo()->getPointerTo());
    return b_.CreateCall(type, invariant_load(type->getPointerTo(), at), args);
  }

  // Branches to a new slow-path block (which runs pc in the interpreter) when `bad`, and leaves
  // the builder on the fast path. `cursor`, when given, is put back first: the cursor before an
  // instruction whose native code moved it before it found it must take the slow path.
  void slow_if(llvm::Value* bad, uint32_t pc, bool control = false, llvm::Value* cursor = nullptr) {
    auto* slow = llvm::BasicBlock::Create(cx_, "slow", f_);
    auto* fast = llvm::BasicBlock::Create(cx_, "", f_);
    b_.CreateCondBr(bad, slow, fast);
    b_.SetInsertPoint(slow);
    if (cursor != nullptr) set_state(vc_, cursor);
    call_step(pc, !control);
    b_.SetInsertPoint(fast);
  }
  // The slow path where a fast-path helper returned 0 (`ok`, its i32 result): it changed nothing,
  // and the interpreter runs the instruction, trapping where it would.
  void slow_unless(llvm::Value* ok, uint32_t pc, llvm::Value* cursor = nullptr) {
    slow_if(b_.CreateICmpEQ(ok, b_.getInt32(0)), pc, false, cursor);
  }

  // ---- registers: each a local of its class's type (i64, double, i8, a byte pointer and an
  // i32 length), which LLVM keeps in machine registers. The register file (regs_: 16 bytes a
  // register, numbers and the byte pointer at 0, a byte length at 8) holds a register only
  // where something other than native code reads or writes it: step() and the helpers given
  // a register's address. spill() copies a local there, fill() copies it back.
  llvm::Type* slot_type(uint32_t reg) const {
    switch (fn_.reg_class(reg)) {
      case bc::RegClass::Int:
      case bc::RegClass::UInt:
        return i64_;
      case bc::RegClass::Float:
        return f64_;
      case bc::RegClass::Bool:
        return i8_;
      default:
        return i8p_;
    }
  }
  bool has_length(uint32_t reg) const { return slot_type(reg) == i8p_; }
  llvm::Value* reg_ptr(uint32_t reg, llvm::Type* type, uint32_t offset = 0) {
    return ptr_at(regs_, uint64_t{reg} * sizeof(Value) + offset, type);
  }
  void spill(uint32_t reg) {
    store(b_.CreateLoad(slot_type(reg), value_[reg]), home_[reg], reg_tag_);
    if (has_length(reg)) store(b_.CreateLoad(i32_, length_[reg]), home_length_[reg], reg_tag_);
  }
  void fill(uint32_t reg) {
    b_.CreateStore(load(slot_type(reg), home_[reg], reg_tag_), value_[reg]);
    if (has_length(reg)) b_.CreateStore(load(i32_, home_length_[reg], reg_tag_), length_[reg]);
  }
  // A register's address in the register file, for a helper that reads it (spilled first) or
  // writes it (filled back once it has: fill()).
  llvm::Value* reg_in(uint32_t reg) {
    spill(reg);
    return reg_address(reg);
  }
  llvm::Value* reg_address(uint32_t reg) { return b_.CreateBitCast(home_[reg], i8p_); }
  // The register as a `type`: a float's bits as an i64 (mov.f moves them so) and back.
  llvm::Value* get(uint32_t reg, llvm::Type* type) {
    llvm::Value* v = b_.CreateLoad(slot_type(reg), value_[reg]);
    return v->getType() == type ? v : b_.CreateBitCast(v, type);
  }
  void put(uint32_t reg, llvm::Value* v) {
    if (v->getType() != slot_type(reg)) v = b_.CreateBitCast(v, slot_type(reg));
    b_.CreateStore(v, value_[reg]);
  }
  llvm::Value* get_i(uint32_t reg) { return get(reg, i64_); }
  llvm::Value* constant(uint32_t k) { return b_.getInt64(static_cast<uint64_t>(m_.ints[k])); }  // a K operand
  llvm::Value* get_f(uint32_t reg) { return get(reg, f64_); }
  llvm::Value* get_b(uint32_t reg) { return b_.CreateICmpNE(get(reg, i8_), b_.getInt8(0)); }
  void put_b(uint32_t reg, llvm::Value* bit) { put(reg, b_.CreateZExt(bit, i8_)); }
  llvm::Value* get_p(uint32_t reg) { return get(reg, i8p_); }
  llvm::Value* get_n(uint32_t reg) { return b_.CreateLoad(i32_, length_[reg]); }
  void put_s(uint32_t reg, llvm::Value* p, llvm::Value* n) {
    put(reg, p);
    b_.CreateStore(n, length_[reg]);
  }
  // The address of parameter name k, of module string k, and of that string's bytes.
  llvm::Value* name_ptr(uint32_t k) {
    return b_.CreateConstInBoundsGEP1_64(i8_, names_base_, uint64_t{k} * sizeof(ParamName));
  }
  llvm::Value* string_ptr(uint32_t k) {
    return b_.CreateConstInBoundsGEP1_64(i8_, strings_base_, uint64_t{k} * sizeof(std::string));
  }
  llvm::Value* text_ptr(uint32_t k) {
    return invariant_load(i8p_, b_.CreateConstInBoundsGEP1_64(i8p_, text_base_, k));
  }
  llvm::Value* null_ptr() { return llvm::ConstantPointerNull::get(i8p_); }

  // ---- the view
  llvm::Value* vc() { return state(vc_, i32_); }
  llvm::Value* left() { return b_.CreateSub(state(ve_, i32_), vc()); }
  // The address of the view's byte at offset `at` (an i32 of the data, within the view).
  llvm::Value* address_of(llvm::Value* at) {
    return b_.CreateInBoundsGEP(i8_, state(data_, i8p_), b_.CreateZExt(at, i64_));
  }
  llvm::Value* at_cursor() { return address_of(vc()); }
  void advance(llvm::Value* n32) { set_state(vc_, b_.CreateAdd(vc(), n32)); }

  // A fixed-width read of `bytes` bytes: the raw bits as an integer of that width, byte order
  // applied; the slow path when fewer are left. At the cursor, which moves past them, or at
  // offset `at` of the data (an i32 in the view), the cursor kept.
  llvm::Value* read_bits(uint32_t pc, unsigned bytes, bool big, llvm::Value* at = nullptr) {
    llvm::Value* from = at != nullptr ? at : vc();
    slow_if(b_.CreateICmpULT(b_.CreateSub(state(ve_, i32_), from), b_.getInt32(bytes)), pc);
    llvm::Type* t = b_.getIntNTy(8 * bytes);
    llvm::Value* v = load(t, b_.CreateBitCast(address_of(from), t->getPointerTo()), bytes_tag_, 1);
    llvm::Value* bits = v;
    if (bytes > 1 && big) bits = b_.CreateUnaryIntrinsic(llvm::Intrinsic::bswap, v);
    if (at == nullptr) advance(b_.getInt32(bytes));
    return bits;
  }

  // The n32 bytes (0..8, all in the view) at the cursor as an unsigned integer: widths 1, 2, 4
  // and 8 by one load each, others through pvm_jit_load.
  llvm::Value* load_width(llvm::Value* n32, bool big) {
    llvm::Value* at = at_cursor();
    auto* done = llvm::BasicBlock::Create(cx_, "", f_);
    auto* other = llvm::BasicBlock::Create(cx_, "", f_);
    auto* sw = b_.CreateSwitch(n32, other, 4);
    b_.SetInsertPoint(done);
    llvm::PHINode* v = b_.CreatePHI(i64_, 5);
    for (const unsigned bytes : {1u, 2u, 4u, 8u}) {
      auto* arm = llvm::BasicBlock::Create(cx_, "", f_);
      sw->addCase(b_.getInt32(bytes), arm);
      b_.SetInsertPoint(arm);
      llvm::Type* t = b_.getIntNTy(8 * bytes);
      llvm::Value* bits = load(t, b_.CreateBitCast(at, t->getPointerTo()), bytes_tag_, 1);
      if (bytes > 1 && big) bits = b_.CreateUnaryIntrinsic(llvm::Intrinsic::bswap, bits);
      v->addIncoming(b_.CreateZExt(bits, i64_), arm);
      b_.CreateBr(done);
    }
    b_.SetInsertPoint(other);
    llvm::Value* loaded =
        call(reinterpret_cast<const void*>(&pvm_jit_load), i64_, {at, n32, b_.getInt32(big ? 1 : 0)});
    v->addIncoming(loaded, b_.GetInsertBlock());
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
    return v;
  }

  // The value of a fixed-width read (rd.u8 .. rd.f64le) as its register holds it, the cursor
  // moved past it (or, given `at`, the read there, as read_bits).
  llvm::Value* fixed_read(uint32_t pc, Op op, llvm::Value* at = nullptr) {
    switch (op) {
      case Op::RdU8:
        return b_.CreateZExt(read_bits(pc, 1, true, at), i64_);
      case Op::RdI8:
        return b_.CreateSExt(read_bits(pc, 1, true, at), i64_);
      case Op::RdU16Be:
      case Op::RdU16Le:
        return b_.CreateZExt(read_bits(pc, 2, op == Op::RdU16Be, at), i64_);
      case Op::RdU32Be:
      case Op::RdU32Le:
        return b_.CreateZExt(read_bits(pc, 4, op == Op::RdU32Be, at), i64_);
      case Op::RdI16Be:
      case Op::RdI16Le:
        return b_.CreateSExt(read_bits(pc, 2, op == Op::RdI16Be, at), i64_);
      case Op::RdI32Be:
      case Op::RdI32Le:
        return b_.CreateSExt(read_bits(pc, 4, op == Op::RdI32Be, at), i64_);
      case Op::RdU64Be:
      case Op::RdI64Be:
      case Op::RdU64Le:
      case Op::RdI64Le:
        return read_bits(pc, 8, op == Op::RdU64Be || op == Op::RdI64Be, at);
      case Op::RdF32Be:
      case Op::RdF32Le:
        return b_.CreateFPExt(b_.CreateBitCast(read_bits(pc, 4, op == Op::RdF32Be, at), b_.getFloatTy()),
                              f64_);
      default:  // rd.f64be, rd.f64le
        return b_.CreateBitCast(read_bits(pc, 8, op == Op::RdF64Be, at), f64_);
    }
  }

  // set.i, set.u, set.f or set.b of constant name `name` with `value` (an i64, an f64, or an i1
  // for set.b); what it gives is 0 where the interpreter would trap.
  llvm::Value* set_scalar(Op set, uint32_t name, llvm::Value* value) {
    return set_scalar(set, name_ptr(name), b_.getInt64(m_.strings[name].size()), value);
  }
  // Register `reg` as set.X (`set`) takes its value.
  llvm::Value* scalar(Op set, uint32_t reg) {
    return set == Op::SetB ? get_b(reg) : set == Op::SetF ? get_f(reg) : get_i(reg);
  }
  // The same of a ParamName at `name`, `length` bytes long.
  llvm::Value* set_scalar(Op set, llvm::Value* name, llvm::Value* length, llvm::Value* value) {
    llvm::Value* bits = set == Op::SetF   ? b_.CreateBitCast(value, i64_)
                        : set == Op::SetB ? b_.CreateZExt(value, i64_)
                                          : value;
    Field unnamed;  // what FIELD_DONE counts for a number, besides its name's bytes
    unnamed.type = ValueType::Int;
    llvm::Value* raw = b_.CreateAdd(length, b_.getInt64(field_raw_size(unnamed)));
    return b_.CreateCall(set_function(set), {ctx_, name, bits, raw});
  }

  // The native set.X of a constant name, one function per type in the module (inlined at every
  // site, GT06's thousands of sets took 70% longer to compile): `i32 (ctx, ParamName*, bits,
  // raw size)` adds the field as MessageBuilder::set does when the name is new in the open
  // message and there is room, and calls the helper for the rest (no open message, a name set
  // before or a taken slot, a full message, no room left in the field vector, a float with no
  // JSON form).
  llvm::Function* set_function(Op set) {
    using Hot = MessageBuilder::Hot;
    using Slot = MessageBuilder::Slot;
    const std::string fn_name = "pvm." + std::string(bc::op_info(set).mnemonic);
    if (llvm::Function* existing = mod_.getFunction(fn_name)) return existing;
    auto* fn = llvm::Function::Create(llvm::FunctionType::get(i32_, {i8p_, i8p_, i64_, i64_}, false),
                                      llvm::Function::InternalLinkage, fn_name, mod_);
    fn->addFnAttr(llvm::Attribute::NoUnwind);
    llvm::IRBuilderBase::InsertPointGuard keep(b_);
    b_.SetInsertPoint(llvm::BasicBlock::Create(cx_, "", fn));
    llvm::Value* ctx = fn->getArg(0);
    llvm::Value* np = fn->getArg(1);
    llvm::Value* bits = fn->getArg(2);

    const void* helper = set == Op::SetI   ? reinterpret_cast<const void*>(&pvm_jit_set_int)
                         : set == Op::SetU ? reinterpret_cast<const void*>(&pvm_jit_set_uint)
                         : set == Op::SetF ? reinterpret_cast<const void*>(&pvm_jit_set_float)
                                           : reinterpret_cast<const void*>(&pvm_jit_set_bool);
    const ValueType type = set == Op::SetI   ? ValueType::Int
                           : set == Op::SetU ? ValueType::UInt
                           : set == Op::SetF ? ValueType::Float
                                             : ValueType::Bool;
    llvm::Value* hot_base = invariant_load(i8p_, ptr_at(ctx, offsetof(StepContext, builder), i8p_));
    const auto hot = [&](size_t offset, llvm::Type* t) { return ptr_at(hot_base, offset, t); };

    llvm::Value* h = invariant_load(i32_, ptr_at(np, offsetof(ParamName, hash), i32_));
    llvm::Value* stamp = load(i32_, hot(offsetof(Hot, stamp), i32_), builder_tag_);
    llvm::Value* index = load(i8p_, hot(offsetof(Hot, index), i8p_), builder_tag_);
    llvm::Value* slot = b_.CreateInBoundsGEP(
        i8_, index,
        b_.CreateMul(b_.CreateZExt(b_.CreateAnd(h, MessageBuilder::kIndexSize - 1), i64_),
                     b_.getInt64(sizeof(Slot))));
    llvm::Value* count = load(i32_, hot(offsetof(Hot, count), i32_), builder_tag_);
    llvm::Value* bad = b_.CreateOr(
        b_.CreateICmpEQ(load(i32_, ptr_at(slot, offsetof(Slot, stamp), i32_), builder_tag_), stamp),
        b_.CreateICmpUGE(count, load(i32_, hot(offsetof(Hot, room), i32_), builder_tag_)));
    if (set == Op::SetF) {
      llvm::Value* magnitude = b_.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, b_.CreateBitCast(bits, f64_));
      bad = b_.CreateOr(bad, b_.CreateFCmpUEQ(magnitude, llvm::ConstantFP::getInfinity(f64_)));
    }
    auto* fast = llvm::BasicBlock::Create(cx_, "", fn);
    auto* slow = llvm::BasicBlock::Create(cx_, "slow", fn);
    b_.CreateCondBr(bad, slow, fast);

    b_.SetInsertPoint(fast);
    llvm::Value* fields = load(i8p_, hot(offsetof(Hot, fields), i8p_), builder_tag_);
    llvm::Value* f = b_.CreateInBoundsGEP(
        i8_, fields, b_.CreateMul(b_.CreateZExt(count, i64_), b_.getInt64(sizeof(Field))));
    static_assert(offsetof(ParamName, name) == 0 && offsetof(Field, name) == 0 &&
                  sizeof(std::string_view) == 16);
    for (uint64_t k = 0; k < 16; k += 8)
      store(invariant_load(i64_, ptr_at(np, k, i64_)), ptr_at(f, k, i64_), builder_tag_);
    store(b_.getInt8(static_cast<uint8_t>(type)), ptr_at(f, offsetof(Field, type), i8_), builder_tag_);
    store(invariant_load(i8_, ptr_at(np, offsetof(ParamName, quoted), i8_)),
          ptr_at(f, offsetof(Field, name_quoted), i8_), builder_tag_);
    store(bits, ptr_at(f, offsetof(Field, i), i64_), builder_tag_);
    for (uint64_t k = 0; k < 16; k += 8)
      store(b_.getInt64(0), ptr_at(f, offsetof(Field, s) + k, i64_), builder_tag_);
    store(stamp, ptr_at(slot, offsetof(Slot, stamp), i32_), builder_tag_);
    store(h, ptr_at(slot, offsetof(Slot, hash), i32_), builder_tag_);
    store(count, ptr_at(slot, offsetof(Slot, field), i32_), builder_tag_);
    store(b_.CreateAdd(count, b_.getInt32(1)), hot(offsetof(Hot, count), i32_), builder_tag_);
    llvm::Value* raw = hot(offsetof(Hot, open_raw), i64_);
    store(b_.CreateAdd(load(i64_, raw, builder_tag_), fn->getArg(3)), raw, builder_tag_);
    b_.CreateRet(b_.getInt32(1));

    b_.SetInsertPoint(slow);
    llvm::Value* table = invariant_load(i8p_->getPointerTo(),
                                        ptr_at(ctx, offsetof(StepContext, helpers), i8p_->getPointerTo()));
    llvm::Value* scratch = invariant_load(i8p_, ptr_at(ctx, offsetof(StepContext, scratch), i8p_));
    b_.CreateRet(call(helper, i32_, {scratch, np, bits}, table));
    return fn;
  }

  // A jump from pc (an instruction of `len` words) to `to`: a backward one first pays for the
  // code words it loops over, as the interpreter's JUMP does.
  void jump(uint32_t pc, uint32_t len, uint32_t to) {
    pay(pc, len, to);
    b_.CreateBr(block(to));
  }
  // The payment of jump(): short of fuel, the interpreter runs the instruction at pc again.
  void pay(uint32_t pc, uint32_t len, uint32_t to) {
    if (to <= pc) {
      const uint64_t cost = pc + len - to;
      llvm::Value* fuel = state(fuel_, i64_);
      slow_if(b_.CreateICmpUGT(b_.getInt64(cost), fuel), pc, true);
      set_state(fuel_, b_.CreateSub(fuel, b_.getInt64(cost)));
    }
  }

  // The signed compare of a compare-and-jump, its row counted from `first` (jeq.i or jeq.k; both
  // groups list ==, !=, <, >=, <=, > in that order).
  static llvm::CmpInst::Predicate int_predicate(Op op, Op first) {
    static constexpr llvm::CmpInst::Predicate kOrder[] = {llvm::CmpInst::ICMP_EQ,  llvm::CmpInst::ICMP_NE,
                                                          llvm::CmpInst::ICMP_SLT, llvm::CmpInst::ICMP_SGE,
                                                          llvm::CmpInst::ICMP_SLE, llvm::CmpInst::ICMP_SGT};
    return kOrder[static_cast<int>(op) - static_cast<int>(first)];
  }

  // A conditional jump: to `to` when `taken`, else to the next instruction.
  void branch(uint32_t pc, uint32_t len, llvm::Value* taken, uint32_t to) {
    auto* yes = llvm::BasicBlock::Create(cx_, "", f_);
    b_.CreateCondBr(taken, yes, next_);
    b_.SetInsertPoint(yes);
    jump(pc, len, to);
  }

  // Emits the instruction at pc where the builder is, and leaves the builder where the next
  // one goes (a jump leaves it in no block: the next instruction starts one).
  void emit(uint32_t pc) {
    const uint32_t* ip = &fn_.code[pc];
    const auto op = static_cast<Op>(ip[0]);
    const uint32_t len = words(ip[0]);
    next_ = block(pc + len);
    after_ = nullptr;
    emit_op(pc, ip, op, len);
    if (after_ != nullptr) {
      if (b_.GetInsertBlock()->getTerminator() == nullptr) b_.CreateBr(after_);
      b_.SetInsertPoint(after_);
    }
    if (blocks_.count(pc + len) && b_.GetInsertBlock()->getTerminator() == nullptr) b_.CreateBr(next_);
  }

  void emit_op(uint32_t pc, const uint32_t* ip, Op op, uint32_t len) {
    llvm::Value* v = nullptr;
    const auto text = [&](uint32_t k) -> const std::string& { return m_.strings[k]; };
    switch (op) {
      case Op::LdK:
      case Op::LdU:
        put(ip[1], constant(ip[2]));
        break;
      case Op::LdD:
        put(ip[1], llvm::ConstantFP::get(f64_, m_.floats[ip[2]]));
        break;
      case Op::LdB:
        put(ip[1], b_.getInt8(ip[2] != 0));
        break;
      case Op::LdS:
      case Op::LdY:
        put_s(ip[1], text_ptr(ip[2]), b_.getInt32(static_cast<uint32_t>(text(ip[2]).size())));
        break;
      case Op::MovI:
      case Op::MovU:
      case Op::MovF:
        put(ip[1], get_i(ip[2]));
        break;
      case Op::MovB:
        put(ip[1], get(ip[2], i8_));
        break;
      case Op::MovS:
      case Op::MovY: {
        llvm::Value* p = get_p(ip[2]);
        llvm::Value* n = get_n(ip[2]);
        put_s(ip[1], p, n);
        break;
      }

      case Op::AddI:
      case Op::AddU:
        put(ip[1], b_.CreateAdd(get_i(ip[2]), get_i(ip[3])));
        break;
      case Op::AddK:
        put(ip[1], b_.CreateAdd(get_i(ip[2]), constant(ip[3])));
        break;
      case Op::MulK:
        put(ip[1], b_.CreateMul(get_i(ip[2]), constant(ip[3])));
        break;
      case Op::AndK:
        put(ip[1], b_.CreateAnd(get_i(ip[2]), constant(ip[3])));
        break;
      case Op::SubI:
      case Op::SubU:
        put(ip[1], b_.CreateSub(get_i(ip[2]), get_i(ip[3])));
        break;
      case Op::MulI:
      case Op::MulU:
        put(ip[1], b_.CreateMul(get_i(ip[2]), get_i(ip[3])));
        break;
      case Op::AndI:
      case Op::AndU:
        put(ip[1], b_.CreateAnd(get_i(ip[2]), get_i(ip[3])));
        break;
      case Op::OrI:
      case Op::OrU:
        put(ip[1], b_.CreateOr(get_i(ip[2]), get_i(ip[3])));
        break;
      case Op::XorI:
      case Op::XorU:
        put(ip[1], b_.CreateXor(get_i(ip[2]), get_i(ip[3])));
        break;
      case Op::NegI:
        put(ip[1], b_.CreateSub(b_.getInt64(0), get_i(ip[2])));
        break;
      case Op::NotI:
      case Op::NotU:
        put(ip[1], b_.CreateNot(get_i(ip[2])));
        break;
      case Op::ShlI:
      case Op::ShlU:
      case Op::ShrU: {
        // Shifts by a count outside 0..63 give 0 (the interpreter's rule, not LLVM's poison).
        llvm::Value* x = get_i(ip[2]);
        llvm::Value* c = get_i(ip[3]);
        llvm::Value* out_of_range = b_.CreateICmpUGT(c, b_.getInt64(63));
        llvm::Value* safe = b_.CreateAnd(c, b_.getInt64(63));
        llvm::Value* shifted = op == Op::ShrU ? b_.CreateLShr(x, safe) : b_.CreateShl(x, safe);
        put(ip[1], b_.CreateSelect(out_of_range, b_.getInt64(0), shifted));
        break;
      }
      case Op::ShrI:
      case Op::ShrK: {
        llvm::Value* x = get_i(ip[2]);
        llvm::Value* c = op == Op::ShrK ? constant(ip[3]) : get_i(ip[3]);
        llvm::Value* out_of_range = b_.CreateICmpUGT(c, b_.getInt64(63));
        llvm::Value* fill = b_.CreateAShr(x, b_.getInt64(63));
        put(ip[1], b_.CreateSelect(out_of_range, fill, b_.CreateAShr(x, b_.CreateAnd(c, b_.getInt64(63)))));
        break;
      }
      case Op::DivI:
      case Op::ModI:
      case Op::DivK:
      case Op::ModK:
      case Op::DivU:
      case Op::ModU: {
        const bool k = op == Op::DivK || op == Op::ModK;
        llvm::Value* x = get_i(ip[2]);
        llvm::Value* c = k ? constant(ip[3]) : get_i(ip[3]);
        slow_if(b_.CreateICmpEQ(c, b_.getInt64(0)), pc);  // folded away for a constant
        if (op == Op::DivU) {
          v = b_.CreateUDiv(x, c);
        } else if (op == Op::ModU) {
          v = b_.CreateURem(x, c);
        } else {
          // c == -1: the wrapping negation (div) or 0 (mod), where sdiv/srem of INT64_MIN overflow.
          llvm::Value* minus_one = b_.CreateICmpEQ(c, b_.getInt64(static_cast<uint64_t>(-1)));
          llvm::Value* safe_c = b_.CreateSelect(minus_one, b_.getInt64(1), c);
          v = op == Op::DivI || op == Op::DivK
                  ? b_.CreateSelect(minus_one, b_.CreateSub(b_.getInt64(0), x), b_.CreateSDiv(x, safe_c))
                  : b_.CreateSelect(minus_one, b_.getInt64(0), b_.CreateSRem(x, safe_c));
        }
        put(ip[1], v);
        break;
      }

      case Op::AddF:
        put(ip[1], b_.CreateFAdd(get_f(ip[2]), get_f(ip[3])));
        break;
      case Op::SubF:
        put(ip[1], b_.CreateFSub(get_f(ip[2]), get_f(ip[3])));
        break;
      case Op::MulF:
        put(ip[1], b_.CreateFMul(get_f(ip[2]), get_f(ip[3])));
        break;
      case Op::DivF:
        put(ip[1], b_.CreateFDiv(get_f(ip[2]), get_f(ip[3])));
        break;
      case Op::NegF:
        put(ip[1], b_.CreateFNeg(get_f(ip[2])));
        break;

      case Op::I2F:
        put(ip[1], b_.CreateSIToFP(get_i(ip[2]), f64_));
        break;
      case Op::U2F:
        put(ip[1], b_.CreateUIToFP(get_i(ip[2]), f64_));
        break;
      case Op::I2U:
      case Op::U2I:
        put(ip[1], get_i(ip[2]));
        break;
      case Op::F2I:  // truncated and saturated, NaN 0: exactly llvm.fptosi.sat
        put(ip[1], b_.CreateIntrinsic(llvm::Intrinsic::fptosi_sat, {i64_, f64_}, {get_f(ip[2])}));
        break;
      case Op::B2I:
        put(ip[1], b_.CreateZExt(get_b(ip[2]), i64_));
        break;

      case Op::EqI:
      case Op::EqU:
        put_b(ip[1], b_.CreateICmpEQ(get_i(ip[2]), get_i(ip[3])));
        break;
      case Op::NeI:
      case Op::NeU:
        put_b(ip[1], b_.CreateICmpNE(get_i(ip[2]), get_i(ip[3])));
        break;
      case Op::LtI:
        put_b(ip[1], b_.CreateICmpSLT(get_i(ip[2]), get_i(ip[3])));
        break;
      case Op::LeI:
        put_b(ip[1], b_.CreateICmpSLE(get_i(ip[2]), get_i(ip[3])));
        break;
      case Op::LtU:
        put_b(ip[1], b_.CreateICmpULT(get_i(ip[2]), get_i(ip[3])));
        break;
      case Op::LeU:
        put_b(ip[1], b_.CreateICmpULE(get_i(ip[2]), get_i(ip[3])));
        break;
      case Op::EqF:
        put_b(ip[1], b_.CreateFCmpOEQ(get_f(ip[2]), get_f(ip[3])));
        break;
      case Op::NeF:
        put_b(ip[1], b_.CreateFCmpUNE(get_f(ip[2]), get_f(ip[3])));
        break;
      case Op::LtF:
        put_b(ip[1], b_.CreateFCmpOLT(get_f(ip[2]), get_f(ip[3])));
        break;
      case Op::LeF:
        put_b(ip[1], b_.CreateFCmpOLE(get_f(ip[2]), get_f(ip[3])));
        break;
      case Op::EqB:
        put_b(ip[1], b_.CreateICmpEQ(get_b(ip[2]), get_b(ip[3])));
        break;
      case Op::NeB:
        put_b(ip[1], b_.CreateICmpNE(get_b(ip[2]), get_b(ip[3])));
        break;
      case Op::NotB:
        put_b(ip[1], b_.CreateNot(get_b(ip[2])));
        break;

      case Op::Jmp:
        jump(pc, len, ip[1]);
        return;
      case Op::Jt:
        branch(pc, len, get_b(ip[1]), ip[2]);
        return;
      case Op::Jf:
        branch(pc, len, b_.CreateNot(get_b(ip[1])), ip[2]);
        return;
      case Op::JeqI:
      case Op::JneI:
      case Op::JltI:
      case Op::JgeI:
      case Op::JleI:
      case Op::JgtI:
        branch(pc, len, b_.CreateICmp(int_predicate(op, Op::JeqI), get_i(ip[1]), get_i(ip[2])), ip[3]);
        return;
      case Op::JeqK:
      case Op::JneK:
      case Op::JltK:
      case Op::JgeK:
      case Op::JleK:
      case Op::JgtK:
        branch(pc, len, b_.CreateICmp(int_predicate(op, Op::JeqK), get_i(ip[1]), constant(ip[2])), ip[3]);
        return;
      case Op::LoopI:
      case Op::LoopK: {
        // add.k a, a, 1 then jlt.i or jlt.k. Short of fuel for the jump back, the interpreter runs
        // all of loop.* again: a is written only once the jump is paid for (a bound in a's own
        // register is the new a all the same).
        llvm::Value* a = b_.CreateAdd(get_i(ip[1]), b_.getInt64(1));
        llvm::Value* limit = op == Op::LoopK ? constant(ip[2]) : ip[2] == ip[1] ? a : get_i(ip[2]);
        auto* taken = llvm::BasicBlock::Create(cx_, "", f_);
        auto* not_taken = llvm::BasicBlock::Create(cx_, "", f_);
        b_.CreateCondBr(b_.CreateICmpSLT(a, limit), taken, not_taken);
        b_.SetInsertPoint(not_taken);
        put(ip[1], a);
        b_.CreateBr(next_);
        b_.SetInsertPoint(taken);
        pay(pc, len, ip[3]);
        put(ip[1], a);
        b_.CreateBr(block(ip[3]));
        return;
      }
      case Op::Switch: {
        const bc::SwitchTable& t = fn_.tables[ip[2]];
        auto* otherwise = llvm::BasicBlock::Create(cx_, "", f_);
        auto* sw = b_.CreateSwitch(get_i(ip[1]), otherwise, t.cases.size());
        std::set<int64_t> seen;  // the first case of a key wins, as the interpreter's search finds it
        std::map<uint32_t, llvm::BasicBlock*> arms;  // one arm per target: its fuel charge
        const auto arm = [&](uint32_t to) {
          auto [it, fresh] = arms.try_emplace(to, nullptr);
          if (fresh) {
            it->second = llvm::BasicBlock::Create(cx_, "", f_);
            llvm::IRBuilderBase::InsertPointGuard guard(b_);
            b_.SetInsertPoint(it->second);
            jump(pc, len, to);
          }
          return it->second;
        };
        for (const auto& [key, to] : t.cases)
          if (seen.insert(key).second) sw->addCase(b_.getInt64(static_cast<uint64_t>(key)), arm(to));
        b_.SetInsertPoint(otherwise);
        jump(pc, len, t.default_target);
        return;
      }

      case Op::RdU8:
      case Op::RdI8:
      case Op::RdU16Be:
      case Op::RdU16Le:
      case Op::RdU32Be:
      case Op::RdU32Le:
      case Op::RdI16Be:
      case Op::RdI16Le:
      case Op::RdI32Be:
      case Op::RdI32Le:
      case Op::RdU64Be:
      case Op::RdI64Be:
      case Op::RdU64Le:
      case Op::RdI64Le:
      case Op::RdF32Be:
      case Op::RdF32Le:
      case Op::RdF64Be:
      case Op::RdF64Le:
        put(ip[1], fixed_read(pc, op));
        break;
      case Op::RdBytes:
      case Op::RdStr:
      case Op::Skip: {
        // A negative length, or more than is left, takes the slow path (which traps).
        const uint32_t count = op == Op::Skip ? ip[1] : ip[2];
        llvm::Value* n = get_i(count);
        slow_if(b_.CreateICmpUGT(n, b_.CreateZExt(left(), i64_)), pc);
        llvm::Value* n32 = b_.CreateTrunc(n, i32_);
        if (op != Op::Skip) put_s(ip[1], at_cursor(), n32);
        advance(n32);
        break;
      }
      case Op::RdAtU8:
      case Op::RdAtU16Be:
      case Op::RdAtU16Le:
      case Op::RdAtU32Be:
      case Op::RdAtU32Le:
      case Op::RdAtBytes:
      case Op::RdAtStr: {
        // The offset checked as seek checks it, then the read there; the cursor never moves. A
        // failing check takes the slow path, where the interpreter traps as seek or the read does.
        const bool sized = op == Op::RdAtBytes || op == Op::RdAtStr;
        llvm::Value* to = get_i(ip[sized ? 3 : 2]);
        llvm::Value* vb = state(vb_, i32_);
        llvm::Value* ve = state(ve_, i32_);
        slow_if(b_.CreateICmpUGT(to, b_.CreateZExt(b_.CreateSub(ve, vb), i64_)), pc);
        llvm::Value* at = b_.CreateAdd(vb, b_.CreateTrunc(to, i32_));
        if (!sized) {
          put(ip[1], fixed_read(pc, bc::read_of(op), at));
          break;
        }
        llvm::Value* n = get_i(ip[2]);
        slow_if(b_.CreateICmpUGT(n, b_.CreateZExt(b_.CreateSub(ve, at), i64_)), pc);
        put_s(ip[1], address_of(at), b_.CreateTrunc(n, i32_));
        break;
      }
      case Op::RdRest:
        put_s(ip[1], at_cursor(), left());
        set_state(vc_, state(ve_, i32_));
        break;
      case Op::Pos:
        put(ip[1], b_.CreateZExt(b_.CreateSub(vc(), state(vb_, i32_)), i64_));
        break;
      case Op::Size:
        put(ip[1], b_.CreateZExt(b_.CreateSub(state(ve_, i32_), state(vb_, i32_)), i64_));
        break;
      case Op::Remain:
        put(ip[1], b_.CreateZExt(left(), i64_));
        break;

      case Op::LenS:
      case Op::LenY:
        put(ip[1], b_.CreateZExt(get_n(ip[2]), i64_));
        break;
      case Op::SliceS:
      case Op::SliceY: {
        // b[c..d] clamped to b: a = clamp(c, 0, n), e = clamp(d, a, n).
        llvm::Value* p = get_p(ip[2]);
        llvm::Value* n = b_.CreateZExt(get_n(ip[2]), i64_);
        const auto clamp = [&](llvm::Value* x, llvm::Value* lo) {
          llvm::Value* low = b_.CreateSelect(b_.CreateICmpSLT(x, lo), lo, x);
          return b_.CreateSelect(b_.CreateICmpSGT(low, n), n, low);
        };
        llvm::Value* a = clamp(get_i(ip[3]), b_.getInt64(0));
        llvm::Value* e = clamp(get_i(ip[4]), a);
        put_s(ip[1], b_.CreateInBoundsGEP(i8_, p, a), b_.CreateTrunc(b_.CreateSub(e, a), i32_));
        break;
      }
      case Op::ByteY: {
        llvm::Value* k = get_i(ip[3]);
        slow_if(b_.CreateICmpUGE(k, b_.CreateZExt(get_n(ip[2]), i64_)), pc);
        llvm::Value* byte = load(i8_, b_.CreateInBoundsGEP(i8_, get_p(ip[2]), k), bytes_tag_);
        put(ip[1], b_.CreateZExt(byte, i64_));
        break;
      }

      case Op::Ret:
      case Op::RetI: {
        llvm::Value* result = op == Op::RetI ? get_i(ip[1]) : b_.getInt64(0);
        llvm::Value* ok = call(reinterpret_cast<const void*>(&pvm_jit_ret), i32_,
                               {ctx_, b_.getInt32(pc), result, b_.getInt32(op == Op::RetI ? 1 : 0)});
        auto* done = llvm::BasicBlock::Create(cx_, "", f_);
        auto* slow = llvm::BasicBlock::Create(cx_, "slow", f_);
        b_.CreateCondBr(b_.CreateICmpNE(ok, b_.getInt32(0)), done, slow);
        b_.SetInsertPoint(done);
        result_->addIncoming(b_.getInt32(kStepDone), done);
        b_.CreateBr(exit_);
        b_.SetInsertPoint(slow);
        call_step(pc);
        break;
      }
      case Op::SGetI:
        put(ip[1], call(reinterpret_cast<const void*>(&pvm_jit_sget_int), i64_,
                        {input_, scratch_, b_.getInt32(ip[2])}));
        break;
      case Op::SSetI: {
        llvm::Value* ok = call(reinterpret_cast<const void*>(&pvm_jit_sset_int), i32_,
                               {scratch_, b_.getInt32(ip[1]), get_i(ip[2])});
        slow_unless(ok, pc);
        break;
      }
      case Op::WrU8:
      case Op::WrU16Be:
      case Op::WrU16Le:
      case Op::WrU32Be:
      case Op::WrU32Le:
      case Op::WrU64Be:
      case Op::WrU64Le: {
        const uint32_t width = op == Op::WrU8                           ? 1
                               : op == Op::WrU16Be || op == Op::WrU16Le ? 2
                               : op == Op::WrU32Be || op == Op::WrU32Le ? 4
                                                                        : 8;
        const bool big = op == Op::WrU8 || op == Op::WrU16Be || op == Op::WrU32Be || op == Op::WrU64Be;
        llvm::Value* ok = call(reinterpret_cast<const void*>(&pvm_jit_write), i32_,
                               {scratch_, get_i(ip[1]), b_.getInt32(width), b_.getInt32(big ? 1 : 0)});
        slow_unless(ok, pc);
        break;
      }
      case Op::OutNew:
        slow_unless(call(reinterpret_cast<const void*>(&pvm_jit_out_new), i32_, {scratch_}), pc);
        break;
      case Op::OutEnd:
        slow_unless(call(reinterpret_cast<const void*>(&pvm_jit_out_end), i32_, {ctx_}), pc);
        break;
      case Op::WrBytes:
      case Op::WrStr: {
        llvm::Value* ok =
            call(reinterpret_cast<const void*>(&pvm_jit_write_bytes), i32_, {ctx_, reg_in(ip[1])});
        slow_unless(ok, pc);
        break;
      }
      case Op::OutTail: {
        llvm::Value* ok = call(reinterpret_cast<const void*>(&pvm_jit_out_tail), i32_,
                               {ctx_, reg_address(ip[1]), get_i(ip[2])});
        slow_unless(ok, pc);
        fill(ip[1]);
        break;
      }
      case Op::MsgNew: {
        llvm::Value* ok = call(reinterpret_cast<const void*>(&pvm_jit_msg_new), i32_,
                               {ctx_, string_ptr(m_.protocol), b_.getInt32(m_.session.empty() ? 0 : 1)});
        slow_unless(ok, pc);
        break;
      }
      case Op::MsgEnd: {
        llvm::Value* ok = call(reinterpret_cast<const void*>(&pvm_jit_msg_end), i32_, {scratch_});
        slow_unless(ok, pc);
        break;
      }
      case Op::SetI:
      case Op::SetU:
      case Op::SetF:
      case Op::SetB:
        slow_unless(set_scalar(op, ip[1], scalar(op, ip[2])), pc);
        break;
      case Op::SetDivI:
      case Op::SetDivU: {
        llvm::Value* x = get_i(ip[2]);
        x = op == Op::SetDivI ? b_.CreateSIToFP(x, f64_) : b_.CreateUIToFP(x, f64_);
        llvm::Value* ok = set_scalar(Op::SetF, ip[1], b_.CreateFDiv(x, get_f(ip[3])));
        slow_unless(ok, pc);
        break;
      }
      case Op::RdSetU8:
      case Op::RdSetU16Be:
      case Op::RdSetU16Le:
      case Op::RdSetU32Be:
      case Op::RdSetU32Le:
      case Op::RdSetU64Be:
      case Op::RdSetU64Le:
      case Op::RdSetI8:
      case Op::RdSetI16Be:
      case Op::RdSetI16Le:
      case Op::RdSetI32Be:
      case Op::RdSetI32Le:
      case Op::RdSetI64Be:
      case Op::RdSetI64Le:
      case Op::RdSetF32Be:
      case Op::RdSetF32Le:
      case Op::RdSetF64Be:
      case Op::RdSetF64Le: {
        // The read as rd.X runs it (its slow path runs all of rdset in the interpreter), then the
        // set's helper; should that fail, the cursor goes back and the interpreter runs it all.
        llvm::Value* from = vc();
        v = fixed_read(pc, bc::read_of(op));
        put(ip[1], v);
        slow_unless(set_scalar(bc::set_of(op), ip[2], v), pc, from);
        break;
      }
      case Op::SetNI:
      case Op::SetNU:
      case Op::SetNF:
      case Op::SetNB:
      case Op::SetNS:
      case Op::SetNY: {
        // The kept name set as a constant one is; its length paid in fuel once it is set, as the
        // interpreter pays it (a float with no JSON form included). A number whose name is not
        // kept, too little fuel or a set the helper refuses: the interpreter runs it.
        llvm::Value* name = call(reinterpret_cast<const void*>(&pvm_jit_numbered), i8p_,
                                 {input_, b_.getInt32(ip[1]), get_i(ip[2])});
        slow_if(b_.CreateIsNull(name), pc);
        llvm::Value* length =
            invariant_load(i64_, ptr_at(name, offsetof(ParamName, name) + view_length_offset(), i64_));
        llvm::Value* fuel = state(fuel_, i64_);
        slow_if(b_.CreateICmpUGT(length, fuel), pc);
        llvm::Value* ok = nullptr;
        if (op == Op::SetNS || op == Op::SetNY) {
          ok = call(reinterpret_cast<const void*>(&pvm_jit_set), i32_,
                    {scratch_, name, null_ptr(), b_.getInt32(set_type(op)), reg_in(ip[3])});
        } else {
          static constexpr Op kSet[] = {Op::SetI, Op::SetU, Op::SetF, Op::SetB};
          static_assert(static_cast<int>(Op::SetNB) - static_cast<int>(Op::SetNI) == 3);
          const Op set = kSet[static_cast<size_t>(op) - static_cast<size_t>(Op::SetNI)];
          ok = set_scalar(set, name, length, scalar(set, ip[3]));
        }
        slow_unless(ok, pc);
        set_state(fuel_, b_.CreateSub(fuel, length));
        break;
      }
      case Op::SetS:
      case Op::SetY: {
        llvm::Value* ok =
            call(reinterpret_cast<const void*>(&pvm_jit_set), i32_,
                 {scratch_, name_ptr(ip[1]), null_ptr(), b_.getInt32(set_type(op)), reg_in(ip[2])});
        slow_unless(ok, pc);
        break;
      }
      case Op::SetDI:
      case Op::SetDU:
      case Op::SetDF:
      case Op::SetDB:
      case Op::SetDS:
      case Op::SetDY: {
        llvm::Value* ok =
            call(reinterpret_cast<const void*>(&pvm_jit_set), i32_,
                 {scratch_, null_ptr(), reg_in(ip[1]), b_.getInt32(set_type(op)), reg_in(ip[2])});
        slow_unless(ok, pc);
        break;
      }
      case Op::IToS:
      case Op::UToS: {
        const void* helper = op == Op::IToS ? reinterpret_cast<const void*>(&pvm_jit_itos)
                                            : reinterpret_cast<const void*>(&pvm_jit_utos);
        llvm::Value* ok = call(helper, i32_, {scratch_, get_i(ip[2]), reg_address(ip[1])});
        slow_unless(ok, pc);
        fill(ip[1]);
        break;
      }
      case Op::CatS:
      case Op::CatY:
      case Op::SToI:
      case Op::SToF: {
        // Charged before the work, as the interpreter's CHARGE is; spent only once it is done,
        // so that a slow path finds the fuel as the interpreter would.
        const bool parse = op == Op::SToI || op == Op::SToF;
        llvm::Value* cost = b_.CreateZExt(get_n(ip[2]), i64_);
        if (!parse) cost = b_.CreateAdd(cost, b_.CreateZExt(get_n(ip[3]), i64_));
        llvm::Value* fuel = state(fuel_, i64_);
        slow_if(b_.CreateICmpUGT(cost, fuel), pc);
        const void* parser = op == Op::SToI ? reinterpret_cast<const void*>(&pvm_jit_stoi)
                                            : reinterpret_cast<const void*>(&pvm_jit_stof);
        llvm::Value* ok = parse ? call(parser, i32_, {reg_in(ip[2]), reg_address(ip[1])})
                                : call(reinterpret_cast<const void*>(&pvm_jit_cat), i32_,
                                       {scratch_, reg_address(ip[1]), reg_in(ip[2]), reg_in(ip[3])});
        slow_unless(ok, pc);
        fill(ip[1]);
        set_state(fuel_, b_.CreateSub(fuel, cost));
        break;
      }
      case Op::SToY:
      case Op::YToS:
        put_s(ip[1], get_p(ip[2]), get_n(ip[2]));
        break;
      case Op::FindS:
      case Op::RdField:
      case Op::RdUntil: {
        // The helper searches and charges; where the interpreter must run the instruction (short
        // of fuel, an rd.until without its delimiter) it does nothing, and step() traps.
        const bool read = op != Op::FindS;
        llvm::Value* hay = read ? at_cursor() : get_p(ip[2]);
        llvm::Value* hay_n = read ? left() : get_n(ip[2]);
        const uint32_t needle = ip[read ? 2 : 3];
        llvm::Value* at = call(reinterpret_cast<const void*>(&pvm_jit_find), i64_,
                               {ctx_, hay, hay_n, get_p(needle), get_n(needle), b_.getInt32(ip[0])});
        slow_if(b_.CreateICmpEQ(at, b_.getInt64(-2)), pc);
        if (!read) {
          put(ip[1], at);
          break;
        }
        llvm::Value* none = b_.CreateICmpSLT(at, b_.getInt64(0));
        llvm::Value* n32 = b_.CreateSelect(none, hay_n, b_.CreateTrunc(at, i32_));
        put_s(ip[1], hay, n32);
        advance(b_.CreateSelect(none, n32, b_.CreateAdd(n32, get_n(needle))));
        break;
      }
      case Op::ReMatch: {
        llvm::Value* rc = call(reinterpret_cast<const void*>(&pvm_jit_re_match), i32_,
                               {ctx_, b_.getInt32(ip[3]), get_p(ip[2]), get_n(ip[2])});
        slow_if(b_.CreateICmpEQ(rc, b_.getInt32(2)), pc);
        put_b(ip[1], b_.CreateICmpEQ(rc, b_.getInt32(1)));
        break;
      }
      case Op::ViewBytes: {
        llvm::Value* ok = call(reinterpret_cast<const void*>(&pvm_jit_view_bytes), i32_,
                               {ctx_, get_p(ip[1]), get_n(ip[1]), b_.getInt32(ip[2])});
        slow_unless(ok, pc);
        break;
      }
      case Op::Crc: {
        // Charged per byte before the work, as the interpreter's CHARGE is.
        llvm::Value* cost = b_.CreateZExt(get_n(ip[2]), i64_);
        llvm::Value* fuel = state(fuel_, i64_);
        slow_if(b_.CreateICmpUGT(cost, fuel), pc);
        llvm::Value* ok = call(reinterpret_cast<const void*>(&pvm_jit_crc), i32_,
                               {b_.getInt32(ip[3]), reg_in(ip[2]), reg_address(ip[1])});
        slow_unless(ok, pc);
        fill(ip[1]);
        set_state(fuel_, b_.CreateSub(fuel, cost));
        break;
      }
      case Op::RdUnBe:
      case Op::RdUnLe:
      case Op::RdSnBe:
      case Op::RdSnLe:
      case Op::RdUnBeI:
      case Op::RdUnLeI: {
        // A width outside least..8, or more than is left, takes the slow path (which traps).
        const bool is_signed = op == Op::RdSnBe || op == Op::RdSnLe;
        llvm::Value* w = get_i(ip[2]);
        llvm::Value* bad = b_.CreateOr(b_.CreateICmpSLT(w, b_.getInt64(is_signed ? 1 : 0)),
                                       b_.CreateICmpSGT(w, b_.getInt64(8)));
        bad = b_.CreateOr(bad, b_.CreateICmpUGT(w, b_.CreateZExt(left(), i64_)));
        slow_if(bad, pc);
        llvm::Value* n32 = b_.CreateTrunc(w, i32_);
        const bool big = op == Op::RdUnBe || op == Op::RdSnBe || op == Op::RdUnBeI;
        v = load_width(n32, big);
        if (is_signed) {
          llvm::Value* shift = b_.CreateSub(b_.getInt64(64), b_.CreateMul(w, b_.getInt64(8)));
          v = b_.CreateAShr(b_.CreateShl(v, shift), shift);
        }
        put(ip[1], v);
        advance(n32);
        break;
      }
      case Op::ViewPush:
      case Op::ViewPop: {
        // The parent view saved to (or taken back from) scratch->views[depth], as the
        // interpreter does; a length past the view, too deep a nesting or a pop without a push
        // takes the slow path, which traps.
        llvm::Value* depth = state(depth_, i32_);
        const bool push = op == Op::ViewPush;
        llvm::Value* n = push ? get_i(ip[1]) : nullptr;
        slow_if(push ? b_.CreateOr(b_.CreateICmpUGT(n, b_.CreateZExt(left(), i64_)),
                                   b_.CreateICmpEQ(depth, b_.getInt32(bc::kMaxViewDepth)))
                     : b_.CreateICmpEQ(depth, b_.getInt32(0)),
                pc);
        llvm::Value* saved = b_.CreateInBoundsGEP(
            i8_, state(field_ptr(i8p_, offsetof(StepContext, views)), i8p_),
            b_.CreateMul(b_.CreateZExt(push ? depth : b_.CreateSub(depth, b_.getInt32(1)), i64_),
                         b_.getInt64(sizeof(View))));
        llvm::Value* origin = state(field_ptr(i8p_, offsetof(StepContext, origin)), i8p_);
        const auto copy_origin = [&](llvm::Value* from, llvm::Value* to) {
          static_assert(sizeof(ViewOrigin) == 16 && std::is_trivially_copyable_v<ViewOrigin>);
          for (uint64_t k = 0; k < 16; k += 8)
            store(load(i64_, ptr_at(from, k, i64_), view_tag_), ptr_at(to, k, i64_), view_tag_);
        };
        llvm::Value* saved_origin = ptr_at(saved, offsetof(View, origin), i8_);
        if (push) {
          llvm::Value* vc = this->vc();
          llvm::Value* end = b_.CreateAdd(vc, b_.CreateTrunc(n, i32_));
          store(state(data_, i8p_), ptr_at(saved, offsetof(View, data), i8p_), view_tag_);
          store(state(vb_, i32_), ptr_at(saved, offsetof(View, begin), i32_), view_tag_);
          store(state(ve_, i32_), ptr_at(saved, offsetof(View, end), i32_), view_tag_);
          store(end, ptr_at(saved, offsetof(View, cursor), i32_), view_tag_);
          copy_origin(origin, saved_origin);
          set_state(depth_, b_.CreateAdd(depth, b_.getInt32(1)));
          set_state(vb_, vc);
          set_state(ve_, end);
        } else {
          set_state(data_, load(i8p_, ptr_at(saved, offsetof(View, data), i8p_), view_tag_));
          set_state(vb_, load(i32_, ptr_at(saved, offsetof(View, begin), i32_), view_tag_));
          set_state(ve_, load(i32_, ptr_at(saved, offsetof(View, end), i32_), view_tag_));
          set_state(vc_, load(i32_, ptr_at(saved, offsetof(View, cursor), i32_), view_tag_));
          copy_origin(saved_origin, origin);
          set_state(depth_, b_.CreateSub(depth, b_.getInt32(1)));
        }
        break;
      }
      case Op::Seek: {
        llvm::Value* to = get_i(ip[1]);
        llvm::Value* vb = state(vb_, i32_);
        slow_if(b_.CreateICmpUGT(to, b_.CreateZExt(b_.CreateSub(state(ve_, i32_), vb), i64_)), pc);
        set_state(vc_, b_.CreateAdd(vb, b_.CreateTrunc(to, i32_)));
        break;
      }
      case Op::Expect:
      case Op::Check:
        slow_if(b_.CreateNot(get_b(ip[1])), pc);
        break;
      case Op::EqS:
      case Op::NeS:
      case Op::EqY:
      case Op::NeY: {
        // Charged the first operand's length, as the interpreter's CHARGE does.
        llvm::Value* cost = b_.CreateZExt(get_n(ip[2]), i64_);
        llvm::Value* fuel = state(fuel_, i64_);
        slow_if(b_.CreateICmpUGT(cost, fuel), pc);
        set_state(fuel_, b_.CreateSub(fuel, cost));
        llvm::Value* same = b_.CreateICmpNE(
            call(reinterpret_cast<const void*>(&pvm_jit_same), i32_, {reg_in(ip[2]), reg_in(ip[3])}),
            b_.getInt32(0));
        put_b(ip[1], op == Op::EqS || op == Op::EqY ? same : b_.CreateNot(same));
        break;
      }

      case Op::ReGroup:
        call(reinterpret_cast<const void*>(&pvm_jit_group), b_.getVoidTy(),
             {scratch_, get_i(ip[2]), reg_address(ip[1])});
        fill(ip[1]);
        break;
      case Op::GetI:
        put(ip[1], call(reinterpret_cast<const void*>(&pvm_jit_get_int), i64_, {scratch_, name_ptr(ip[2])}));
        break;
      case Op::Has:
        put_b(ip[1], b_.CreateICmpNE(
                         call(reinterpret_cast<const void*>(&pvm_jit_has), i32_, {scratch_, name_ptr(ip[2])}),
                         b_.getInt32(0)));
        break;
      case Op::OptI:
      case Op::OptB:
        v = call(reinterpret_cast<const void*>(&pvm_jit_option_int), i64_, {input_, b_.getInt32(ip[2])});
        if (op == Op::OptI) put(ip[1], v);
        if (op == Op::OptB) put_b(ip[1], b_.CreateICmpNE(v, b_.getInt64(0)));
        break;
      case Op::OptS:
        call(reinterpret_cast<const void*>(&pvm_jit_option_str), b_.getVoidTy(),
             {input_, b_.getInt32(ip[2]), reg_address(ip[1])});
        fill(ip[1]);
        break;

      default:
        call_step(pc);
        return;
    }
  }

  llvm::LLVMContext& cx_;
  llvm::IRBuilder<> b_;
  llvm::Module& mod_;  // the functions of set.* are shared by the module's functions
  const bc::Module& m_;
  const bc::Function& fn_;
  llvm::Value* scratch_ = nullptr;  // ctx->scratch
  llvm::Value* input_ = nullptr;    // ctx->in
  llvm::Value* helpers_ = nullptr;  // ctx->helpers, names, strings, text
  llvm::Value* names_base_ = nullptr;
  llvm::Value* strings_base_ = nullptr;
  llvm::Value* text_base_ = nullptr;
  llvm::Function* f_ = nullptr;
  llvm::IntegerType* i8_ = nullptr;
  llvm::IntegerType* i32_ = nullptr;
  llvm::IntegerType* i64_ = nullptr;
  llvm::Type* f64_ = nullptr;
  llvm::PointerType* i8p_ = nullptr;
  llvm::Value* ctx_ = nullptr;
  llvm::Value* regs_ = nullptr;            // the register file
  std::vector<llvm::AllocaInst*> value_;   // by register: its local
  std::vector<llvm::AllocaInst*> length_;  // and a str or bytes register's length
  std::vector<llvm::Value*> home_;         // by register: its place in the register file
  std::vector<llvm::Value*> home_length_;  // and its length's
  llvm::Value* data_ = nullptr;  // the fields of ctx->st native code uses
  llvm::Value* vb_ = nullptr;
  llvm::Value* ve_ = nullptr;
  llvm::Value* depth_ = nullptr;
  llvm::Value* vc_ = nullptr;
  llvm::Value* fuel_ = nullptr;
  llvm::Value* pc_ = nullptr;  // and the one only step() reads
  llvm::MDNode* state_tag_ = nullptr;
  llvm::MDNode* reg_tag_ = nullptr;
  llvm::MDNode* bytes_tag_ = nullptr;
  llvm::MDNode* builder_tag_ = nullptr;  // MessageBuilder::Hot and the fields it points to
  llvm::MDNode* view_tag_ = nullptr;     // the saved parent views
  std::map<uint32_t, llvm::BasicBlock*> blocks_;
  llvm::BasicBlock* end_ = nullptr;
  llvm::BasicBlock* next_ = nullptr;   // the instruction after the one being emitted
  llvm::BasicBlock* after_ = nullptr;  // where the one being emitted ends, once needed
  llvm::BasicBlock* exit_ = nullptr;   // returns result_
  llvm::PHINode* result_ = nullptr;
};

// A short pipeline, linear in the code: loads of the state and registers in one straight
// stretch forwarded, instructions combined, the branches tidied. The whole O2
// pipeline took seconds for a large protocol and gave little more.
void optimize(llvm::Module& mod) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb;
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::FunctionPassManager fpm;
  fpm.addPass(llvm::PromotePass());
  fpm.addPass(llvm::EarlyCSEPass(true));
  fpm.addPass(llvm::InstCombinePass());
  fpm.addPass(llvm::SimplifyCFGPass());
  llvm::ModulePassManager mpm;
  mpm.addPass(llvm::createModuleToFunctionPassAdaptor(std::move(fpm)));
  mpm.run(mod, mam);
}

// The native code of one module: what pvm_jit_entry's compile returns.
struct NativeCode {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::vector<NativeFn> functions;  // by function index
  std::vector<const char*> text;    // the bytes of the module's strings, for StepContext::text
  bool cached = false;              // the code came from the cache
  std::string cache_note;           // why the cache was not used, if it was asked for
};

// Names everything the native code of module `m` is made from: the module's bytes, the sources of
// this JIT (which decide what IR it makes of them, and how that IR is optimized), the LLVM that
// compiles it and the machine it is for. The code holds no address of the process that made it
// (StepContext), so the same key gives code that runs the same anywhere.
std::string cache_key(const bc::Module& m, const llvm::orc::JITTargetMachineBuilder& machine) {
  std::string text = "pvm jit " PVM_JIT_SOURCES " llvm " LLVM_VERSION_STRING "\n";
  text += machine.getTargetTriple().str() + "\n" + machine.getCPU() + "\n" +
          machine.getFeatures().getString() + "\n";
  const std::vector<uint8_t> bytes = bc::serialize(m);
  text.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return JitCache::digest(text);
}

// The function names of the object code: f0, f1, ... by function index.
std::string function_name(size_t k) {
  std::string name = std::to_string(k);
  name.insert(0, 1, 'f');  // not "f" + ...: GCC 12 -O3 warns falsely (-Wrestrict) of that
  return name;
}

// Compiles every function of `m` to an object file; empty with the reason when it cannot.
std::string compile_object(const bc::Module& m, llvm::orc::JITTargetMachineBuilder& machine,
                           std::string& error) {
  auto cx = std::make_unique<llvm::LLVMContext>();
  auto mod = std::make_unique<llvm::Module>("pvm", *cx);
  for (size_t k = 0; k < m.functions.size(); ++k)
    FunctionBuilder(*cx, *mod, m, m.functions[k]).build(function_name(k));
  std::string broken;
  llvm::raw_string_ostream os(broken);
  if (llvm::verifyModule(*mod, &os)) {
    error = "the JIT built invalid code: " + os.str();
    return "";
  }
  auto target = machine.createTargetMachine();
  if (!target) {
    error = "the JIT cannot start: " + to_string(target.takeError());
    return "";
  }
  mod->setDataLayout((*target)->createDataLayout());
  mod->setTargetTriple(machine.getTargetTriple().str());
  optimize(*mod);
  auto object = llvm::orc::SimpleCompiler(**target)(*mod);
  if (!object) {
    error = "the JIT cannot compile: " + to_string(object.takeError());
    return "";
  }
  return (*object)->getBuffer().str();
}

NativeCode* compile(const bc::Module& m, const std::string& cache_dir, std::string& error) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  auto machine = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!machine) {
    error = "the JIT cannot start: " + to_string(machine.takeError());
    return nullptr;
  }
  machine->setCodeGenOptLevel(llvm::CodeGenOpt::Default);

  auto impl = std::make_unique<NativeCode>();
  // Code compiled before for the same module and machine, or compiled now (and kept).
  std::optional<JitCache> cache;
  std::string key;
  if (!cache_dir.empty()) {
    cache.emplace(cache_dir);
    if (cache->open(impl->cache_note))
      key = cache_key(m, *machine);
    else
      cache.reset();
  }
  std::optional<std::string> code = cache ? cache->load(key) : std::nullopt;
  impl->cached = code.has_value();
  if (!code) {
    code = compile_object(m, *machine, error);
    if (code->empty()) return nullptr;
    if (cache) cache->store(key, *code, impl->cache_note);
  }
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*machine)).create();
  if (!jit) {
    error = "the JIT cannot start: " + to_string(jit.takeError());
    return nullptr;
  }
  if (auto e = (*jit)->addObjectFile(llvm::MemoryBuffer::getMemBufferCopy(*code, "pvm"))) {
    error = "the JIT cannot load its code: " + to_string(std::move(e));
    return nullptr;
  }
  for (const std::string& s : m.strings) impl->text.push_back(s.data());
  for (size_t k = 0; k < m.functions.size(); ++k) {
    auto symbol = (*jit)->lookup(function_name(k));
    if (!symbol) {
      error = "the JIT cannot load its code: " + to_string(symbol.takeError());
      return nullptr;
    }
    impl->functions.push_back(reinterpret_cast<NativeFn>(symbol->getAddress()));
  }
  impl->jit = std::move(*jit);
  return impl.release();
}

// UBSan's function-type check reads a signature before the callee, which native code lacks.
#if defined(__clang__)
[[clang::no_sanitize("function")]]
#endif
bool run_code(const NativeCode& code, const RunInput& in, Scratch& scratch, RunOutput& out) {
  StepContext ctx;
  ctx.in = &in;
  ctx.scratch = &scratch;
  ctx.out = &out;
  ctx.helpers = kHelpers;
  ctx.names = in.names->data();
  ctx.strings = in.module->strings.data();
  ctx.text = code.text.data();
  ctx.builder = scratch.builder.hot();
  ctx.views = scratch.views.data();
  ctx.origin = &scratch.origin;
  if (!step_begin(in, scratch, ctx.st)) return false;
  const auto index = static_cast<size_t>(in.function - in.module->functions.data());
  // Every trap records its error; one left over from an earlier frame must not stand in for it.
  scratch.error.trap = Trap::None;
  if (code.functions[index](&ctx, scratch.regs.data()) == kStepDone) return true;
  if (scratch.error.trap == Trap::None) {  // native code failed without a trap: a bug of this file
    scratch.error = Error{};
    scratch.error.trap = Trap::Limit;
    scratch.error.reason = "native code stopped without a reason";
  }
  return false;
}

// No exception may leave the library: the loader's side expects none (the heap failing while
// LLVM compiles is a failed compile).
void* compile_entry(const bc::Module& m, const std::string& cache_dir, std::string& error) {
  try {
    return compile(m, cache_dir, error);
  } catch (const std::bad_alloc&) {
    error = "the JIT ran out of memory";
    return nullptr;
  }
}

constexpr JitEntry kEntry{
    PVM_VM_BUILD,
    compile_entry,
    [](void* code) { delete static_cast<NativeCode*>(code); },
    [](const void* code) { return static_cast<const NativeCode*>(code)->cached; },
    [](const void* code) -> const std::string& { return static_cast<const NativeCode*>(code)->cache_note; },
    [](const void* code, const RunInput& in, Scratch& scratch, RunOutput& out) {
      return run_code(*static_cast<const NativeCode*>(code), in, scratch, out);
    },
};

}  // namespace
}  // namespace detail
}  // namespace pvm

// The library's one export (jit.h).
extern "C" __attribute__((visibility("default"))) const pvm::detail::JitEntry* pvm_jit_entry() {
  return &pvm::detail::kEntry;
}
