// The LLVM JIT: each function of a verified module becomes one native function
// `int32 f(StepContext* ctx, Value* regs)` that returns kStepDone or kStepTrapped.
//
// Control flow (jumps, conditional jumps, switch tables) and the instructions of the hot paths
// (constants, moves, arithmetic, comparisons, fixed-width reads, slices) are compiled inline,
// with the view and the fuel in SSA values and the registers in the Scratch's register file.
// Every other instruction, and the slow path of an inline one (a read past the view, a zero
// divisor, a backward jump without the fuel for it), stores the view and fuel into ctx->st and
// calls step(), which runs that instruction in the interpreter: the trap it raises, with its
// offset, reason and source position, is the interpreter's by construction.
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>

#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "jit.h"
#include "step.h"

namespace pvm {

bool jit_available() {
  return true;
}

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
      : cx_(cx), b_(cx), m_(m), fn_(fn) {
    i8_ = b_.getInt8Ty();
    i32_ = b_.getInt32Ty();
    i64_ = b_.getInt64Ty();
    f64_ = b_.getDoubleTy();
    i8p_ = i8_->getPointerTo();
    auto* type = llvm::FunctionType::get(i32_, {i8p_, i8p_}, false);
    f_ = llvm::Function::Create(type, llvm::Function::ExternalLinkage, "", mod);
    f_->addFnAttr(llvm::Attribute::NoUnwind);
    step_type_ = llvm::FunctionType::get(i32_, {i8p_}, false);
  }

  llvm::Function* build(const std::string& name) {
    f_->setName(name);
    ctx_ = f_->getArg(0);
    regs_ = f_->getArg(1);
    auto* entry = llvm::BasicBlock::Create(cx_, "entry", f_);
    b_.SetInsertPoint(entry);
    data_ = b_.CreateAlloca(i8p_, nullptr, "data");
    vb_ = b_.CreateAlloca(i32_, nullptr, "vb");
    ve_ = b_.CreateAlloca(i32_, nullptr, "ve");
    vc_ = b_.CreateAlloca(i32_, nullptr, "vc");
    depth_ = b_.CreateAlloca(i32_, nullptr, "depth");
    fuel_ = b_.CreateAlloca(i64_, nullptr, "fuel");
    reload();

    // A block per instruction; jump targets are instruction starts (the verifier saw to it).
    for (uint32_t pc = 0; pc < fn_.code.size(); pc += words(fn_.code[pc]))
      blocks_[pc] = llvm::BasicBlock::Create(cx_, "pc" + std::to_string(pc), f_);
    end_ = llvm::BasicBlock::Create(cx_, "end", f_);
    dispatch_ = llvm::BasicBlock::Create(cx_, "dispatch", f_);
    b_.CreateBr(block(0));

    for (const auto& [pc, bb] : blocks_) {
      b_.SetInsertPoint(bb);
      emit(pc);
    }
    // Falling off the end is not possible in verified code; should it happen, the run traps.
    b_.SetInsertPoint(end_);
    b_.CreateRet(b_.getInt32(kStepTrapped));
    // After a slow path that did not trap (it always does; this keeps any other case exact),
    // go on wherever step() says.
    b_.SetInsertPoint(dispatch_);
    auto* sw = b_.CreateSwitch(load_field(i32_, offsetof(StepState, pc)), end_, blocks_.size());
    for (const auto& [pc, bb] : blocks_) sw->addCase(b_.getInt32(pc), bb);
    return f_;
  }

 private:
  llvm::BasicBlock* block(uint32_t pc) {
    const auto it = blocks_.find(pc);
    return it == blocks_.end() ? end_ : it->second;
  }

  // ---- state: the view and fuel live in allocas (SSA after mem2reg) and in ctx->st around step()
  llvm::Value* field_ptr(llvm::Type* type, size_t offset) {
    return b_.CreateBitCast(b_.CreateConstInBoundsGEP1_64(i8_, ctx_, offset), type->getPointerTo());
  }
  llvm::Value* load_field(llvm::Type* type, size_t offset) { return b_.CreateLoad(type, field_ptr(type, offset)); }
  void reload() {
    b_.CreateStore(load_field(i8p_, offsetof(StepState, data)), data_);
    b_.CreateStore(load_field(i32_, offsetof(StepState, vb)), vb_);
    b_.CreateStore(load_field(i32_, offsetof(StepState, ve)), ve_);
    b_.CreateStore(load_field(i32_, offsetof(StepState, vc)), vc_);
    b_.CreateStore(load_field(i32_, offsetof(StepState, depth)), depth_);
    b_.CreateStore(load_field(i64_, offsetof(StepState, fuel)), fuel_);
  }
  void save(uint32_t pc) {
    b_.CreateStore(b_.CreateLoad(i8p_, data_), field_ptr(i8p_, offsetof(StepState, data)));
    b_.CreateStore(b_.CreateLoad(i32_, vb_), field_ptr(i32_, offsetof(StepState, vb)));
    b_.CreateStore(b_.CreateLoad(i32_, ve_), field_ptr(i32_, offsetof(StepState, ve)));
    b_.CreateStore(b_.CreateLoad(i32_, vc_), field_ptr(i32_, offsetof(StepState, vc)));
    b_.CreateStore(b_.CreateLoad(i32_, depth_), field_ptr(i32_, offsetof(StepState, depth)));
    b_.CreateStore(b_.CreateLoad(i64_, fuel_), field_ptr(i64_, offsetof(StepState, fuel)));
    b_.CreateStore(b_.getInt32(pc), field_ptr(i32_, offsetof(StepState, pc)));
  }

  // Runs the instruction at pc in the interpreter; then `next` (or, when `next` is null, the
  // instruction step() left in st.pc).
  void call_step(uint32_t pc, llvm::BasicBlock* next) {
    save(pc);
    auto* callee = b_.CreateIntToPtr(b_.getInt64(reinterpret_cast<uintptr_t>(&pvm_jit_step)),
                                     step_type_->getPointerTo());
    llvm::Value* rc = b_.CreateCall(step_type_, callee, {ctx_});
    reload();
    auto* go_on = llvm::BasicBlock::Create(cx_, "", f_);
    auto* leave = llvm::BasicBlock::Create(cx_, "", f_);
    b_.CreateCondBr(b_.CreateICmpEQ(rc, b_.getInt32(kStepNext)), go_on, leave);
    b_.SetInsertPoint(leave);
    b_.CreateRet(rc);
    b_.SetInsertPoint(go_on);
    b_.CreateBr(next != nullptr ? next : dispatch_);
  }

  // Branches to a new slow-path block (which runs pc in the interpreter) when `bad`, and leaves
  // the builder on the fast path.
  void slow_if(llvm::Value* bad, uint32_t pc, bool control = false) {
    auto* slow = llvm::BasicBlock::Create(cx_, "slow", f_);
    auto* fast = llvm::BasicBlock::Create(cx_, "", f_);
    b_.CreateCondBr(bad, slow, fast);
    b_.SetInsertPoint(slow);
    call_step(pc, control ? nullptr : next_);
    b_.SetInsertPoint(fast);
  }

  // ---- registers: 16 bytes each; numbers and the byte pointer at 0, a byte length at 8
  llvm::Value* reg_ptr(uint32_t reg, llvm::Type* type, uint32_t offset = 0) {
    return b_.CreateBitCast(b_.CreateConstInBoundsGEP1_64(i8_, regs_, uint64_t{reg} * sizeof(Value) + offset),
                            type->getPointerTo());
  }
  llvm::Value* get(uint32_t reg, llvm::Type* type) { return b_.CreateLoad(type, reg_ptr(reg, type)); }
  void put(uint32_t reg, llvm::Value* v) { b_.CreateStore(v, reg_ptr(reg, v->getType())); }
  llvm::Value* get_i(uint32_t reg) { return get(reg, i64_); }
  llvm::Value* get_f(uint32_t reg) { return get(reg, f64_); }
  llvm::Value* get_b(uint32_t reg) { return b_.CreateICmpNE(get(reg, i8_), b_.getInt8(0)); }
  void put_b(uint32_t reg, llvm::Value* bit) { put(reg, b_.CreateZExt(bit, i8_)); }
  llvm::Value* get_p(uint32_t reg) { return get(reg, i8p_); }
  llvm::Value* get_n(uint32_t reg) { return b_.CreateLoad(i32_, reg_ptr(reg, i32_, 8)); }
  void put_s(uint32_t reg, llvm::Value* p, llvm::Value* n) {
    llvm::Value* const pp = reg_ptr(reg, i8p_);
    llvm::Value* const np = reg_ptr(reg, i32_, 8);
    b_.CreateStore(p, pp);
    b_.CreateStore(n, np);
  }
  llvm::Value* const_ptr(const void* p) {
    return b_.CreateIntToPtr(b_.getInt64(reinterpret_cast<uintptr_t>(p)), i8p_);
  }

  // ---- the view
  llvm::Value* vc() { return b_.CreateLoad(i32_, vc_); }
  llvm::Value* left() { return b_.CreateSub(b_.CreateLoad(i32_, ve_), vc()); }
  llvm::Value* at_cursor() { return b_.CreateInBoundsGEP(i8_, b_.CreateLoad(i8p_, data_), b_.CreateZExt(vc(), i64_)); }
  void advance(llvm::Value* n32) { b_.CreateStore(b_.CreateAdd(vc(), n32), vc_); }

  // A fixed-width read of `bytes` bytes: the raw bits as an integer of that width, byte order
  // applied; the slow path when fewer are left.
  llvm::Value* read_bits(uint32_t pc, unsigned bytes, bool big) {
    slow_if(b_.CreateICmpULT(left(), b_.getInt32(bytes)), pc);
    llvm::Type* t = b_.getIntNTy(8 * bytes);
    llvm::Value* p = b_.CreateBitCast(at_cursor(), t->getPointerTo());
    llvm::LoadInst* v = b_.CreateAlignedLoad(t, p, llvm::MaybeAlign(1));
    llvm::Value* bits = v;
    if (bytes > 1 && big) bits = b_.CreateUnaryIntrinsic(llvm::Intrinsic::bswap, v);
    advance(b_.getInt32(bytes));
    return bits;
  }

  // A jump from pc (an instruction of `len` words) to `to`: a backward one first pays for the
  // code words it loops over, as the interpreter's JUMP does.
  void jump(uint32_t pc, uint32_t len, uint32_t to) {
    if (to <= pc) {
      const uint64_t cost = pc + len - to;
      llvm::Value* fuel = b_.CreateLoad(i64_, fuel_);
      slow_if(b_.CreateICmpUGT(b_.getInt64(cost), fuel), pc, true);
      b_.CreateStore(b_.CreateSub(fuel, b_.getInt64(cost)), fuel_);
    }
    b_.CreateBr(block(to));
  }

  // A conditional jump: to `to` when `taken`, else to the next instruction.
  void branch(uint32_t pc, uint32_t len, llvm::Value* taken, uint32_t to) {
    auto* yes = llvm::BasicBlock::Create(cx_, "", f_);
    b_.CreateCondBr(taken, yes, next_);
    b_.SetInsertPoint(yes);
    jump(pc, len, to);
  }

  void emit(uint32_t pc) {
    const uint32_t* ip = &fn_.code[pc];
    const auto op = static_cast<Op>(ip[0]);
    const uint32_t len = words(ip[0]);
    next_ = block(pc + len);
    llvm::Value* v = nullptr;
    const auto text = [&](uint32_t k) -> const std::string& { return m_.strings[k]; };
    switch (op) {
      case Op::LdK: put(ip[1], b_.getInt64(static_cast<uint64_t>(m_.ints[ip[2]]))); break;
      case Op::LdU: put(ip[1], b_.getInt64(static_cast<uint64_t>(m_.ints[ip[2]]))); break;
      case Op::LdD: put(ip[1], llvm::ConstantFP::get(f64_, m_.floats[ip[2]])); break;
      case Op::LdB: put(ip[1], b_.getInt8(ip[2] != 0)); break;
      case Op::LdS:
      case Op::LdY:
        put_s(ip[1], const_ptr(text(ip[2]).data()), b_.getInt32(static_cast<uint32_t>(text(ip[2]).size())));
        break;
      case Op::MovI:
      case Op::MovU:
      case Op::MovF: put(ip[1], get_i(ip[2])); break;
      case Op::MovB: put(ip[1], get(ip[2], i8_)); break;
      case Op::MovS:
      case Op::MovY: {
        llvm::Value* p = get_p(ip[2]);
        llvm::Value* n = get_n(ip[2]);
        put_s(ip[1], p, n);
        break;
      }

      case Op::AddI:
      case Op::AddU: put(ip[1], b_.CreateAdd(get_i(ip[2]), get_i(ip[3]))); break;
      case Op::SubI:
      case Op::SubU: put(ip[1], b_.CreateSub(get_i(ip[2]), get_i(ip[3]))); break;
      case Op::MulI:
      case Op::MulU: put(ip[1], b_.CreateMul(get_i(ip[2]), get_i(ip[3]))); break;
      case Op::AndI:
      case Op::AndU: put(ip[1], b_.CreateAnd(get_i(ip[2]), get_i(ip[3]))); break;
      case Op::OrI:
      case Op::OrU: put(ip[1], b_.CreateOr(get_i(ip[2]), get_i(ip[3]))); break;
      case Op::XorI:
      case Op::XorU: put(ip[1], b_.CreateXor(get_i(ip[2]), get_i(ip[3]))); break;
      case Op::NegI: put(ip[1], b_.CreateSub(b_.getInt64(0), get_i(ip[2]))); break;
      case Op::NotI:
      case Op::NotU: put(ip[1], b_.CreateNot(get_i(ip[2]))); break;
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
      case Op::ShrI: {
        llvm::Value* x = get_i(ip[2]);
        llvm::Value* c = get_i(ip[3]);
        llvm::Value* out_of_range = b_.CreateICmpUGT(c, b_.getInt64(63));
        llvm::Value* fill = b_.CreateAShr(x, b_.getInt64(63));
        put(ip[1], b_.CreateSelect(out_of_range, fill, b_.CreateAShr(x, b_.CreateAnd(c, b_.getInt64(63)))));
        break;
      }
      case Op::DivI:
      case Op::ModI:
      case Op::DivU:
      case Op::ModU: {
        llvm::Value* x = get_i(ip[2]);
        llvm::Value* c = get_i(ip[3]);
        slow_if(b_.CreateICmpEQ(c, b_.getInt64(0)), pc);
        if (op == Op::DivU) {
          v = b_.CreateUDiv(x, c);
        } else if (op == Op::ModU) {
          v = b_.CreateURem(x, c);
        } else {
          // c == -1: the wrapping negation (div) or 0 (mod), where sdiv/srem of INT64_MIN overflow.
          llvm::Value* minus_one = b_.CreateICmpEQ(c, b_.getInt64(static_cast<uint64_t>(-1)));
          llvm::Value* safe_c = b_.CreateSelect(minus_one, b_.getInt64(1), c);
          v = op == Op::DivI ? b_.CreateSelect(minus_one, b_.CreateSub(b_.getInt64(0), x), b_.CreateSDiv(x, safe_c))
                             : b_.CreateSelect(minus_one, b_.getInt64(0), b_.CreateSRem(x, safe_c));
        }
        put(ip[1], v);
        break;
      }

      case Op::AddF: put(ip[1], b_.CreateFAdd(get_f(ip[2]), get_f(ip[3]))); break;
      case Op::SubF: put(ip[1], b_.CreateFSub(get_f(ip[2]), get_f(ip[3]))); break;
      case Op::MulF: put(ip[1], b_.CreateFMul(get_f(ip[2]), get_f(ip[3]))); break;
      case Op::DivF: put(ip[1], b_.CreateFDiv(get_f(ip[2]), get_f(ip[3]))); break;
      case Op::NegF: put(ip[1], b_.CreateFNeg(get_f(ip[2]))); break;

      case Op::I2F: put(ip[1], b_.CreateSIToFP(get_i(ip[2]), f64_)); break;
      case Op::U2F: put(ip[1], b_.CreateUIToFP(get_i(ip[2]), f64_)); break;
      case Op::I2U:
      case Op::U2I: put(ip[1], get_i(ip[2])); break;
      case Op::F2I:  // truncated and saturated, NaN 0: exactly llvm.fptosi.sat
        put(ip[1], b_.CreateIntrinsic(llvm::Intrinsic::fptosi_sat, {i64_, f64_}, {get_f(ip[2])}));
        break;
      case Op::B2I: put(ip[1], b_.CreateZExt(get_b(ip[2]), i64_)); break;

      case Op::EqI:
      case Op::EqU: put_b(ip[1], b_.CreateICmpEQ(get_i(ip[2]), get_i(ip[3]))); break;
      case Op::NeI:
      case Op::NeU: put_b(ip[1], b_.CreateICmpNE(get_i(ip[2]), get_i(ip[3]))); break;
      case Op::LtI: put_b(ip[1], b_.CreateICmpSLT(get_i(ip[2]), get_i(ip[3]))); break;
      case Op::LeI: put_b(ip[1], b_.CreateICmpSLE(get_i(ip[2]), get_i(ip[3]))); break;
      case Op::LtU: put_b(ip[1], b_.CreateICmpULT(get_i(ip[2]), get_i(ip[3]))); break;
      case Op::LeU: put_b(ip[1], b_.CreateICmpULE(get_i(ip[2]), get_i(ip[3]))); break;
      case Op::EqF: put_b(ip[1], b_.CreateFCmpOEQ(get_f(ip[2]), get_f(ip[3]))); break;
      case Op::NeF: put_b(ip[1], b_.CreateFCmpUNE(get_f(ip[2]), get_f(ip[3]))); break;
      case Op::LtF: put_b(ip[1], b_.CreateFCmpOLT(get_f(ip[2]), get_f(ip[3]))); break;
      case Op::LeF: put_b(ip[1], b_.CreateFCmpOLE(get_f(ip[2]), get_f(ip[3]))); break;
      case Op::EqB: put_b(ip[1], b_.CreateICmpEQ(get_b(ip[2]), get_b(ip[3]))); break;
      case Op::NeB: put_b(ip[1], b_.CreateICmpNE(get_b(ip[2]), get_b(ip[3]))); break;
      case Op::NotB: put_b(ip[1], b_.CreateNot(get_b(ip[2]))); break;

      case Op::Jmp: jump(pc, len, ip[1]); return;
      case Op::Jt: branch(pc, len, get_b(ip[1]), ip[2]); return;
      case Op::Jf: branch(pc, len, b_.CreateNot(get_b(ip[1])), ip[2]); return;
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

      case Op::RdU8: put(ip[1], b_.CreateZExt(read_bits(pc, 1, true), i64_)); break;
      case Op::RdI8: put(ip[1], b_.CreateSExt(read_bits(pc, 1, true), i64_)); break;
      case Op::RdU16Be: put(ip[1], b_.CreateZExt(read_bits(pc, 2, true), i64_)); break;
      case Op::RdU16Le: put(ip[1], b_.CreateZExt(read_bits(pc, 2, false), i64_)); break;
      case Op::RdU32Be: put(ip[1], b_.CreateZExt(read_bits(pc, 4, true), i64_)); break;
      case Op::RdU32Le: put(ip[1], b_.CreateZExt(read_bits(pc, 4, false), i64_)); break;
      case Op::RdI16Be: put(ip[1], b_.CreateSExt(read_bits(pc, 2, true), i64_)); break;
      case Op::RdI16Le: put(ip[1], b_.CreateSExt(read_bits(pc, 2, false), i64_)); break;
      case Op::RdI32Be: put(ip[1], b_.CreateSExt(read_bits(pc, 4, true), i64_)); break;
      case Op::RdI32Le: put(ip[1], b_.CreateSExt(read_bits(pc, 4, false), i64_)); break;
      case Op::RdU64Be:
      case Op::RdI64Be: put(ip[1], read_bits(pc, 8, true)); break;
      case Op::RdU64Le:
      case Op::RdI64Le: put(ip[1], read_bits(pc, 8, false)); break;
      case Op::RdF32Be:
      case Op::RdF32Le:
        v = b_.CreateBitCast(read_bits(pc, 4, op == Op::RdF32Be), b_.getFloatTy());
        put(ip[1], b_.CreateFPExt(v, f64_));
        break;
      case Op::RdF64Be:
      case Op::RdF64Le: put(ip[1], b_.CreateBitCast(read_bits(pc, 8, op == Op::RdF64Be), f64_)); break;
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
      case Op::RdRest:
        put_s(ip[1], at_cursor(), left());
        b_.CreateStore(b_.CreateLoad(i32_, ve_), vc_);
        break;
      case Op::Pos: put(ip[1], b_.CreateZExt(b_.CreateSub(vc(), b_.CreateLoad(i32_, vb_)), i64_)); break;
      case Op::Size:
        put(ip[1], b_.CreateZExt(b_.CreateSub(b_.CreateLoad(i32_, ve_), b_.CreateLoad(i32_, vb_)), i64_));
        break;
      case Op::Remain: put(ip[1], b_.CreateZExt(left(), i64_)); break;

      case Op::LenS:
      case Op::LenY: put(ip[1], b_.CreateZExt(get_n(ip[2]), i64_)); break;
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
        llvm::Value* byte = b_.CreateLoad(i8_, b_.CreateInBoundsGEP(i8_, get_p(ip[2]), k));
        put(ip[1], b_.CreateZExt(byte, i64_));
        break;
      }

      default:
        call_step(pc, next_);
        return;
    }
    b_.CreateBr(next_);
  }

  llvm::LLVMContext& cx_;
  llvm::IRBuilder<> b_;
  const bc::Module& m_;
  const bc::Function& fn_;
  llvm::Function* f_ = nullptr;
  llvm::FunctionType* step_type_ = nullptr;
  llvm::IntegerType* i8_ = nullptr;
  llvm::IntegerType* i32_ = nullptr;
  llvm::IntegerType* i64_ = nullptr;
  llvm::Type* f64_ = nullptr;
  llvm::PointerType* i8p_ = nullptr;
  llvm::Value* ctx_ = nullptr;
  llvm::Value* regs_ = nullptr;
  llvm::AllocaInst* data_ = nullptr;
  llvm::AllocaInst* vb_ = nullptr;
  llvm::AllocaInst* ve_ = nullptr;
  llvm::AllocaInst* vc_ = nullptr;
  llvm::AllocaInst* depth_ = nullptr;
  llvm::AllocaInst* fuel_ = nullptr;
  std::map<uint32_t, llvm::BasicBlock*> blocks_;
  llvm::BasicBlock* end_ = nullptr;
  llvm::BasicBlock* dispatch_ = nullptr;
  llvm::BasicBlock* next_ = nullptr;
};

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
  pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2).run(mod, mam);
}

}  // namespace

struct JitCode::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::vector<NativeFn> functions;  // by function index
};

JitCode::JitCode(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JitCode::~JitCode() = default;

std::unique_ptr<JitCode> JitCode::compile(const bc::Module& m, std::string& error) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  auto cx = std::make_unique<llvm::LLVMContext>();
  auto mod = std::make_unique<llvm::Module>("pvm", *cx);
  std::vector<std::string> names;
  for (size_t k = 0; k < m.functions.size(); ++k) {
    names.push_back("f" + std::to_string(k));
    FunctionBuilder(*cx, *mod, m, m.functions[k]).build(names.back());
  }
  std::string broken;
  llvm::raw_string_ostream os(broken);
  if (llvm::verifyModule(*mod, &os)) {
    error = "the JIT built invalid code: " + os.str();
    return nullptr;
  }
  auto jit = llvm::orc::LLJITBuilder().create();
  if (!jit) {
    error = "the JIT cannot start: " + to_string(jit.takeError());
    return nullptr;
  }
  mod->setDataLayout((*jit)->getDataLayout());
  optimize(*mod);
  if (auto e = (*jit)->addIRModule(llvm::orc::ThreadSafeModule(std::move(mod), std::move(cx)))) {
    error = "the JIT cannot compile: " + to_string(std::move(e));
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  for (const std::string& name : names) {
    auto symbol = (*jit)->lookup(name);
    if (!symbol) {
      error = "the JIT cannot compile: " + to_string(symbol.takeError());
      return nullptr;
    }
    impl->functions.push_back(reinterpret_cast<NativeFn>(symbol->getAddress()));
  }
  impl->jit = std::move(*jit);
  return std::unique_ptr<JitCode>(new JitCode(std::move(impl)));
}

// UBSan's function-type check reads a signature before the callee, which native code lacks.
#if defined(__clang__)
[[clang::no_sanitize("function")]]
#endif
bool JitCode::run(const RunInput& in, Scratch& scratch, RunOutput& out) const {
  StepContext ctx;
  ctx.in = &in;
  ctx.scratch = &scratch;
  ctx.out = &out;
  if (!step_begin(in, scratch, ctx.st)) return false;
  const auto index = static_cast<size_t>(in.function - in.module->functions.data());
  return impl_->functions[index](&ctx, scratch.regs.data()) == kStepDone;
}

bool run_native(const RunInput& in, Scratch& scratch, RunOutput& out) {
  return in.jit->run(in, scratch, out);
}

}  // namespace detail
}  // namespace pvm
