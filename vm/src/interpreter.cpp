// The interpreter: one dispatch function over verified code words. Handlers are written once
// between OP(name) and END; with GCC or Clang they are threaded by computed goto (a jump table
// generated from opcodes.def), elsewhere, or with PVM_SWITCH_DISPATCH, by a plain switch.
//
// The verifier has checked every operand, so handlers index registers, pools and tables
// without checks; what depends on the frame's bytes (reads, widths, divisors, lengths, limits)
// is checked here and traps.
//
// This file is compiled as itself for every frame (run), by interpreter_traced.cpp with
// PVM_TRACED_INTERPRETER for traced frames (run_traced, Session::set_trace), whose handlers
// report to the tracer after each instruction traced() names, and, in a build with the JIT, by
// jit/interpreter_step.cpp with PVM_STEP_INTERPRETER as step() (jit/step.h), which runs one
// instruction over state the native code keeps. The trace hook is one `if constexpr` in END, so
// the untraced build has no trace of it (the same instructions as without the hook, up to the
// choice of registers).
#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>

#include "runtime.h"
#include "text_values.h"
#include "trace_step.h"
#include "value_ops.h"
#include "work.h"

#ifndef PVM_TRACED_INTERPRETER
#define PVM_TRACED_INTERPRETER 0
#endif
#ifndef PVM_STEP_INTERPRETER
#define PVM_STEP_INTERPRETER 0
#endif
#if PVM_STEP_INTERPRETER
#include "jit/step.h"
#endif

#if (defined(__GNUC__) || defined(__clang__)) && !defined(PVM_SWITCH_DISPATCH)
#define PVM_THREADED 1
#else
#define PVM_THREADED 0
#endif

namespace pvm::detail {
namespace {

using bc::Op;

constexpr bool kTrace = PVM_TRACED_INTERPRETER;

// Words of each instruction: the opcode and one per operand letter.
constexpr uint8_t kWords[] = {
#define X(name, mnemonic, operands, doc) sizeof(operands),
#include "pvm/bytecode/opcodes.def"
#undef X
};

int64_t wrap(uint64_t v) {
  return static_cast<int64_t>(v);
}
uint64_t bits(int64_t v) {
  return static_cast<uint64_t>(v);
}

int64_t saturate(double f) {
  if (std::isnan(f)) return 0;
  if (f >= 9223372036854775808.0) return std::numeric_limits<int64_t>::max();
  if (f < -9223372036854775808.0) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(f);
}

// v[from..to] clamped to v, for str and bytes alike: a view, never a copy.
void slice(Value& out, const Value& v, int64_t from, int64_t to) {
  const int64_t a = std::clamp<int64_t>(from, 0, v.s.n);
  const int64_t b = std::clamp<int64_t>(to, a, v.s.n);
  out.s = {v.s.p + a, static_cast<uint32_t>(b - a)};
}

std::string need_text(uint64_t need, uint64_t left) {
  return "need " + std::to_string(need) + " byte" + (need == 1 ? "" : "s") + ", " + std::to_string(left) +
         " left";
}

std::string seek_text(int64_t to, uint32_t size) {
  return "seek to " + std::to_string(to) + " outside 0.." + std::to_string(size);
}

// setn.X, out of the dispatch loop: with its body inline the loop kept one register fewer and
// Teltonika's decode ran 12% slower. Makes the name (`named`), spends fuel for its length as
// cat.s does for a name it joins, and sets the field as set.X does; what stops it is the trap.
enum class Numbered : uint8_t { Done, ArenaFull, OutOfFuel, Outside, Full };
[[gnu::noinline]] Numbered set_numbered(Scratch& sc, const ParamNames& names, const uint32_t* ip,
                                        const Value* r, ValueType type, uint64_t& fuel, uint64_t& want,
                                        ParamName& named) {
  if (!numbered_name(sc, names, ip[1], r[ip[2]].i, named)) return Numbered::ArenaFull;
  if (named.name.size() > fuel) {
    want = named.name.size();
    return Numbered::OutOfFuel;
  }
  fuel -= named.name.size();
  const Value& v = r[ip[3]];
  if (!sc.builder.is_open()) return Numbered::Outside;
  if (type == ValueType::Float && !std::isfinite(v.f)) return Numbered::Done;  // no JSON form: left unset
  Field* f = sc.builder.set(named);
  if (f == nullptr) return Numbered::Full;
  f->s = {};
  f->type = type;
  if (type == ValueType::Bool) {
    f->b = v.b;
  } else if (type == ValueType::Str || type == ValueType::Bytes) {
    f->s = text(v);
  } else {
    f->u = v.u;  // the int, uint or float bits
  }
  sc.builder.add_raw(field_raw_size(*f));
  return Numbered::Done;
}

const std::string kTooManyParams =
    "more than " + std::to_string(bc::kMaxParamsPerMessage) + " parameters in a message";
const std::string kArenaFull = "frame memory exceeds " + std::to_string(bc::kMaxFrameMemory) + " bytes";
const std::string kMessageFull =
    "message longer than " + std::to_string(bc::kMaxMessageBytes) + " bytes of JSON";

[[gnu::cold]] std::string fuel_text(uint64_t limit, uint64_t left, uint64_t want) {
  return "out of fuel after " + std::to_string(limit - left) + " units of work (the next step needs " +
         std::to_string(want) + ", " + std::to_string(left) + " left)";
}

// A reason from the program may carry device text of any length: it is cut, saying how long it was.
std::string capped(std::string reason) {
  if (reason.size() > bc::kMaxErrorReasonBytes) {
    const size_t n = reason.size();
    reason.resize(bc::kMaxErrorReasonBytes);
    reason += "... (" + std::to_string(n) + " bytes)";
  }
  return reason;
}

// Everything a handler's slow path needs to describe a trap.
struct Site {
  Scratch& sc;
  const RunInput& in;
};

// `offset` is in the current view's bytes; sc.origin says where they came from.
[[gnu::cold]] Error make_error(const Site& at, Trap kind, uint64_t offset, uint32_t pc, std::string reason) {
  Error e;
  e.trap = kind;
  e.reason = capped(std::move(reason));
  const ViewOrigin& o = at.sc.origin;
  e.offset = o.in_frame ? o.base + offset : o.base;
  if (o.name != ViewOrigin::kNoName) {
    e.value = at.in.module->strings[o.name];
    e.value_offset = static_cast<uint32_t>(offset);
  }
  locate(*at.in.module, *at.in.function, pc, e);
  return e;
}

[[gnu::cold]] void trap(const Site& at, Trap kind, uint64_t offset, uint32_t pc, std::string reason) {
  at.sc.error = make_error(at, kind, offset, pc, std::move(reason));
}

[[gnu::cold]] void warn(const Site& at, Trap kind, uint64_t offset, uint32_t pc, std::string reason) {
  if (at.sc.warnings.size() < bc::kMaxWarningsPerFrame)
    at.sc.warnings.push_back(make_error(at, kind, offset, pc, std::move(reason)));
}

}  // namespace

#if !PVM_TRACED_INTERPRETER && !PVM_STEP_INTERPRETER
void locate(const bc::Module& module, const bc::Function& function, uint32_t pc, Error& error) {
  const auto& lines = function.lines;
  const auto it = std::upper_bound(lines.begin(), lines.end(), pc,
                                   [](uint32_t p, const bc::LineEntry& e) { return p < e.pc; });
  if (it == lines.begin()) return;
  const bc::LineEntry& e = *(it - 1);
  // The verifier saw every file and site index in range, and every parent earlier.
  const auto file = [&](uint32_t k) { return k == 0 ? std::string() : module.strings[module.files[k - 1]]; };
  error.line = e.line;
  error.col = e.col;
  error.file = file(e.file);
  error.what = module.strings[e.what];
  error.via.clear();
  for (uint32_t site = e.site; site != 0;) {
    const bc::CallSite& c = function.sites[site - 1];
    error.via.push_back({file(c.file), c.line, c.col});
    site = c.parent;
  }
}

void commit(Scratch& sc, SessionData& session) {
  session.slot_bytes = sc.slot_bytes;
  for (uint32_t slot : sc.dirty_list) {
    std::swap(session.slots[slot], sc.pending[slot]);
    sc.dirty[slot] = 0;
  }
  sc.dirty_list.clear();
  sc.builder.publish(sc.messages);
}
#endif

namespace {

// Resets the scratch for a run of in.function and puts its arguments in their registers,
// zeroing the others first unless `zero` is false (native code starts from registers of its
// own); false when the frame cannot run.
bool begin(const RunInput& in, Scratch& sc, bool zero) {
  const bc::Module& m = *in.module;
  const bc::Function& fn = *in.function;
  SessionData& session = *in.session;
  sc.arena.reset();
  sc.builder.reset();
  sc.out.clear();
  sc.out_open = false;
  sc.reply_count = 0;
  sc.warnings.clear();
  sc.group_count = 0;
  for (uint32_t slot : sc.dirty_list) sc.dirty[slot] = 0;
  sc.dirty_list.clear();
  sc.slot_bytes = session.slot_bytes;
  if (sc.pending.size() < m.session.size()) {
    sc.pending.resize(m.session.size());
    sc.dirty.resize(m.session.size());
  }
  sc.ident_fresh = false;

  const uint32_t nregs = fn.reg_total();
  if (sc.regs.size() < nregs) sc.regs.resize(nregs);
  Value* const r = sc.regs.data();
  if (zero && nregs > 0) std::memset(static_cast<void*>(r), 0, sizeof(Value) * nregs);
  for (const auto& [reg, value] : in.args) r[reg] = value;

  if (in.frame.size() > std::numeric_limits<uint32_t>::max()) {
    trap(Site{sc, in}, Trap::Limit, 0, 0, "frame longer than 4 GiB");
    return false;
  }
  sc.origin = ViewOrigin{in.offset, ViewOrigin::kNoName, true};
  return true;
}

// GCC's global CSE makes it keep `ip` on the stack across the threaded handlers (a load and a
// store on every dispatch); without it `ip` stays in a register and a 20-record decode loop
// runs 8% faster. GCC's manual gives the same advice for computed-goto code.
#if PVM_THREADED && !defined(__clang__)
[[gnu::optimize("no-gcse")]]
#endif
#if PVM_STEP_INTERPRETER
StepResult
step_one(const RunInput& in, Scratch& sc, RunOutput& out, StepState& st) {
#else
bool interpret(const RunInput& in, Scratch& sc, RunOutput& out) {
#endif
  const bc::Module& m = *in.module;
  const bc::Function& fn = *in.function;
  SessionData& session = *in.session;
  const Site site{sc, in};
  const uint32_t* const code = fn.code.data();
  uint64_t want = 0;  // what the step that ran out of fuel needed
#if PVM_STEP_INTERPRETER
  const uint8_t* data = st.data;
  uint32_t vb = st.vb;
  uint32_t ve = st.ve;
  uint32_t vc = st.vc;
  uint32_t depth = st.depth;
  uint64_t fuel = st.fuel;
  const uint32_t* ip = code + st.pc;
#else
  if (!begin(in, sc, true)) return false;
  // The current view: the bytes `data`, the window [vb, ve) and the cursor vc in offsets of
  // `data`. Only view.bytes and view.pop change `data`, so a read costs what it did when every
  // view was a window of the frame.
  const uint8_t* data = in.frame.data();
  uint32_t vb = 0;
  uint32_t ve = static_cast<uint32_t>(in.frame.size());
  uint32_t vc = 0;
  uint32_t depth = 0;  // saved parent views in sc.views
  uint64_t fuel = in.fuel;
  const uint32_t* ip = code;
#endif
  Value* const r = sc.regs.data();  // sized by begin()
  const int64_t* const ints = m.ints.data();
  const double* const floats = m.floats.data();
  const std::string* const strings = m.strings.data();
  const ParamName* const names = in.names->data();

  // The handlers below read best one opcode to a line, in opcodes.def order.
  // clang-format off
#define PC static_cast<uint32_t>(ip - code)
#define R(k) r[ip[k]]
#define TRAP_AT(kind, offset, reason)     \
  do {                                    \
    trap(site, kind, offset, PC, reason); \
    goto trapped;                         \
  } while (0)
#define TRAP(kind, reason) TRAP_AT(kind, vc, reason)
  // Traps Truncated unless n more bytes are left in the view.
#define NEED(n) \
  if (static_cast<uint64_t>(n) > ve - vc) [[unlikely]] TRAP(Trap::Truncated, need_text(n, ve - vc))
#define ARENA(dst, src, n) \
  if (!to_arena(sc, dst, src, n)) [[unlikely]] TRAP(Trap::Limit, kArenaFull)
  // Spends n units of fuel (work.h says what costs what).
#define CHARGE(n)                                  \
  do {                                             \
    const uint64_t cost = (n);                     \
    if (cost > fuel) [[unlikely]] {                \
      want = cost;                                 \
      goto out_of_fuel;                            \
    }                                              \
    fuel -= cost;                                  \
  } while (0)
  // A backward jump pays for the code words from its target to itself: whatever ran since the
  // previous backward jump went forward only, so fuel bounds every instruction run.
#define JUMP(target)                               \
  do {                                             \
    const uint32_t to = (target);                  \
    if (to <= PC) CHARGE(PC + kLen - to);          \
    ip = code + to;                                \
    DISPATCH();                                    \
  } while (0)
  // A field counts its raw size (work.h) towards its message.
#define FIELD_DONE(f) sc.builder.add_raw(field_raw_size(*f))
  // The open message, if any, must fit kMaxMessageBytes of JSON, and its fields the frame's
  // memory, before it is stored.
#define MESSAGE_FITS()                                                                        \
  do {                                                                                        \
    if (sc.builder.is_open()) {                                                               \
      uint64_t scanned = 0;                                                                   \
      const bool fits = sc.builder.fits(scanned);                                             \
      CHARGE(scanned);                                                                        \
      if (!fits) [[unlikely]] TRAP(Trap::Limit, kMessageFull);                                \
      if (!sc.arena.account(sc.builder.open_memory())) [[unlikely]] TRAP(Trap::Limit, kArenaFull); \
    }                                                                                         \
  } while (0)
  // The cursor to offset R(k) of the view (0..size).
#define SEEK(k)                                                                                    \
  {                                                                                                \
    const int64_t to = R(k).i;                                                                     \
    if (to < 0 || to > ve - vb) [[unlikely]] TRAP(Trap::Truncated, seek_text(to, ve - vb));        \
    vc = vb + static_cast<uint32_t>(to);                                                           \
  }
  // rdat.X with its offset in R(k): seek, `read` (rd.X's body) and the seek back, each reported
  // as that instruction.
#define AT_READ(k, read)                                                                           \
  const uint32_t back = vc;                                                                        \
  SEEK(k);                                                                                         \
  TRACE_AS(Op::Seek, r, back, ip[k]);                                                              \
  const uint32_t at = vc;                                                                          \
  read;                                                                                            \
  TRACE_AS(bc::read_of(kOp), r, at, ip[1], ip[2]);                                                 \
  const uint32_t after = vc;                                                                       \
  vc = back;                                                                                       \
  TRACE_AS(Op::Seek, r, after, ip[k])
  // setn.X of a value of type T; the traced build reports the setd.X of its name (`setd`) the
  // instruction stands for.
#define NUMBERED(T, setd)                                                                          \
  ParamName named;                                                                                 \
  switch (set_numbered(sc, *in.names, ip, r, ValueType::T, fuel, want, named)) {                  \
    case Numbered::Done: break;                                                                    \
    case Numbered::ArenaFull: TRAP(Trap::Limit, kArenaFull);                                       \
    case Numbered::OutOfFuel: goto out_of_fuel;                                                    \
    case Numbered::Outside: TRAP(Trap::Rejected, "parameter set outside a message");              \
    case Numbered::Full: TRAP(Trap::Limit, kTooManyParams);                                        \
  }                                                                                                \
  if constexpr (kTrace) {                                                                          \
    Value shown[2];                                                                                \
    shown[0].s = {reinterpret_cast<const uint8_t*>(named.name.data()), static_cast<uint32_t>(named.name.size())}; \
    shown[1] = R(3);                                                                               \
    TRACE_AS(Op::setd, shown, vc, 0, 1);                                                           \
  }
  // R(2) bytes at the cursor, zero-copy, for rd.bytes and rd.str.
#define BYTES_READ()                                                                               \
  const int64_t n = R(2).i;                                                                        \
  if (n < 0) [[unlikely]] TRAP(Trap::Truncated, "negative length " + std::to_string(n));           \
  NEED(n);                                                                                         \
  R(1).s = {data + vc, static_cast<uint32_t>(n)};                                                  \
  vc += static_cast<uint32_t>(n)
  // A fixed-width integer, sign- or zero-extended to 64 bits (a uint64 keeps its bits).
#define INT_READ(T, big)                                 \
  NEED(sizeof(T));                                       \
  R(1).i = static_cast<T>(load<std::make_unsigned_t<T>>(data + vc, big)); \
  vc += sizeof(T)
  // An IEEE float F stored as the integer U.
#define FLOAT_READ(F, U, big)                                      \
  NEED(sizeof(U));                                                 \
  R(1).f = std::bit_cast<F>(load<U>(data + vc, big));              \
  vc += sizeof(U)
  // An integer of R(2) bytes, from `least` to 8; `store` sees the width as n.
#define VAR_READ(least, store)                                                                      \
  const int64_t w = R(2).i;                                                                         \
  if (w < (least) || w > 8) [[unlikely]]                                                            \
    TRAP(Trap::BadValue, "width " + std::to_string(w) + " outside " #least "..8");                  \
  NEED(w);                                                                                          \
  const auto n = static_cast<uint32_t>(w);                                                          \
  store;                                                                                            \
  vc += n
#define FIELD(name)                                                                                 \
  Field* f = nullptr;                                                                              \
  if (!sc.builder.is_open()) [[unlikely]]                                                           \
    TRAP(Trap::Rejected, "parameter set outside a message");                                      \
  f = sc.builder.set(name);                                                                        \
  if (f == nullptr) [[unlikely]]                                                                    \
    TRAP(Trap::Limit, kTooManyParams);                                                             \
  f->s = {}
  // Keeps the session's str and bytes slots within max_session_bytes when `slot` becomes n bytes.
#define SLOT_BYTES(slot, n)                                                                        \
  {                                                                                                \
    const size_t bytes = sc.slot_bytes - slot_value(sc, session, slot).s.size() + (n);            \
    if (bytes > in.max_session_bytes) [[unlikely]]                                                 \
      TRAP(Trap::Limit, "session values would take " + std::to_string(bytes) + " bytes, over max_session_bytes (" + \
                            std::to_string(in.max_session_bytes) + ")");                           \
    sc.slot_bytes = bytes;                                                                         \
  }
#define WRITE(n)                                                                                   \
  if (!sc.out_open) [[unlikely]]                                                                    \
    TRAP(Trap::Rejected, "bytes written outside an output");                                      \
  if (sc.out.size() + (n) > bc::kMaxOutputBytes) [[unlikely]]                                      \
    TRAP(Trap::Limit, "output longer than " + std::to_string(bc::kMaxOutputBytes) + " bytes")
#define WRITE_INT(T, v, big)                                     \
  {                                                              \
    WRITE(sizeof(T));                                            \
    append_int(sc.out, static_cast<T>(v), sizeof(T), big);       \
  }

  // A float parameter; a non-finite one has no JSON form and is left unset rather than null.
#define SET_FLOAT(k, v)                                                                            \
  if (std::isfinite(v)) {                                                                          \
    FIELD(names[ip[k]]);                                                                           \
    f->type = ValueType::Float;                                                                    \
    f->f = (v);                                                                                    \
    FIELD_DONE(f);                                                                                 \
  } else if (!sc.builder.is_open()) [[unlikely]] {                                                 \
    TRAP(Trap::Rejected, "parameter set outside a message");                                      \
  }
  // In the traced build, reports instruction `op` with operand words `...` over the registers
  // `regs`, the cursor having gone from `from` to vc: what a superinstruction stands for.
#define TRACE_AS(op, regs, from, ...)                                                              \
  if constexpr (kTrace) {                                                                          \
    const uint32_t words[] = {static_cast<uint32_t>(op), __VA_ARGS__};                             \
    trace_step(*sc.tracer, TraceStep{op, words, PC, regs, data, from, vc, depth, sc.origin});      \
  }
  // The second half of rdset.X, after its read: the read reported, then set S (ip[2]) to R(1)
  // as a field of type T (the register's member m), reported as the instruction `set`.
#define READ_SET(T, m, set)                                                                        \
  TRACE_AS(bc::read_of(kOp), r, traced_from, ip[1]);                                               \
  {                                                                                                \
    FIELD(names[ip[2]]);                                                                           \
    f->type = ValueType::T;                                                                        \
    f->m = R(1).m;                                                                                 \
    FIELD_DONE(f);                                                                                 \
  }                                                                                                \
  TRACE_AS(Op::set, r, vc, ip[2], ip[1])
#define READ_SET_F()                                                                               \
  TRACE_AS(bc::read_of(kOp), r, traced_from, ip[1]);                                               \
  SET_FLOAT(2, R(1).f);                                                                            \
  TRACE_AS(Op::SetF, r, vc, ip[2], ip[1])

#if PVM_THREADED
  static const void* const kHandlers[] = {
#define X(name, mnemonic, operands, doc) &&op_##name,
#include "pvm/bytecode/opcodes.def"
#undef X
  };
  static_assert(std::size(kHandlers) == bc::kOpCount);
#if PVM_STEP_INTERPRETER
#define DISPATCH() goto stepped
#else
#define DISPATCH() goto* kHandlers[*ip]
#endif
#define OP(name) \
  op_##name : {  \
    OP_BODY(name)
#else
#define DISPATCH() goto dispatch
#define OP(name)      \
  case Op::name: {    \
    OP_BODY(name)
#endif
#define OP_BODY(name)                                           \
    constexpr Op kOp = Op::name;                                \
    constexpr uint32_t kLen = kWords[static_cast<size_t>(kOp)]; \
    [[maybe_unused]] const uint32_t traced_from = vc;
#define END                                                                           \
  if constexpr (kTrace && traced(kOp))                                                \
    trace_step(*sc.tracer, TraceStep{kOp, ip, PC, r, data, traced_from, vc, depth, sc.origin}); \
  ip += kLen;                                                                         \
  DISPATCH();                                                                         \
  }

#if PVM_THREADED
  goto* kHandlers[*ip];
#else
dispatch:
  switch (static_cast<Op>(*ip)) {
#endif

  // ---- constants and moves
  OP(LdK) R(1).i = ints[ip[2]]; END
  OP(LdU) R(1).u = bits(ints[ip[2]]); END
  OP(LdD) R(1).f = floats[ip[2]]; END
  OP(LdB) R(1).b = ip[2] != 0; END
  OP(LdS) R(1).s = {reinterpret_cast<const uint8_t*>(strings[ip[2]].data()), static_cast<uint32_t>(strings[ip[2]].size())}; END
  OP(LdY) R(1).s = {reinterpret_cast<const uint8_t*>(strings[ip[2]].data()), static_cast<uint32_t>(strings[ip[2]].size())}; END
  OP(MovI) R(1).i = R(2).i; END
  OP(MovU) R(1).u = R(2).u; END
  OP(MovF) R(1).f = R(2).f; END
  OP(MovB) R(1).b = R(2).b; END
  OP(MovS) copy_view(R(1), R(2)); END
  OP(MovY) copy_view(R(1), R(2)); END

  // ---- int64 arithmetic: through uint64, where overflow wraps instead of being undefined
  OP(AddI) R(1).i = wrap(bits(R(2).i) + bits(R(3).i)); END
  OP(SubI) R(1).i = wrap(bits(R(2).i) - bits(R(3).i)); END
  OP(MulI) R(1).i = wrap(bits(R(2).i) * bits(R(3).i)); END
  // By a register or a constant operand alike; -1 divides without INT64_MIN / -1 overflowing.
#define DIVIDE_I(divisor, by_minus_one, op)                                   \
  {                                                                           \
    const int64_t b = R(2).i, c = (divisor);                                  \
    if (c == 0) [[unlikely]] TRAP(Trap::DivByZero, "division by zero");       \
    R(1).i = c == -1 ? (by_minus_one) : b op c;                               \
  }
  OP(DivI) DIVIDE_I(R(3).i, wrap(0 - bits(b)), /) END
  OP(ModI) DIVIDE_I(R(3).i, 0, %) END
  OP(NegI) R(1).i = wrap(0 - bits(R(2).i)); END
  OP(AndI) R(1).i = R(2).i & R(3).i; END
  OP(OrI) R(1).i = R(2).i | R(3).i; END
  OP(XorI) R(1).i = R(2).i ^ R(3).i; END
  OP(NotI) R(1).i = ~R(2).i; END
  OP(ShlI) {
    const int64_t c = R(3).i;
    R(1).i = c < 0 || c > 63 ? 0 : wrap(bits(R(2).i) << c);
  } END
#define SHIFT_RIGHT_I(amount)                                  \
  {                                                            \
    const int64_t b = R(2).i, c = (amount);                    \
    R(1).i = c < 0 || c > 63 ? (b < 0 ? -1 : 0) : b >> c;     \
  }
  OP(ShrI) SHIFT_RIGHT_I(R(3).i) END
  OP(AddK) R(1).i = wrap(bits(R(2).i) + bits(ints[ip[3]])); END
  OP(MulK) R(1).i = wrap(bits(R(2).i) * bits(ints[ip[3]])); END
  OP(DivK) DIVIDE_I(ints[ip[3]], wrap(0 - bits(b)), /) END
  OP(ModK) DIVIDE_I(ints[ip[3]], 0, %) END
#undef DIVIDE_I
  OP(AndK) R(1).i = R(2).i & ints[ip[3]]; END
  OP(ShrK) SHIFT_RIGHT_I(ints[ip[3]]) END
#undef SHIFT_RIGHT_I

  // ---- uint64 arithmetic
  OP(AddU) R(1).u = R(2).u + R(3).u; END
  OP(SubU) R(1).u = R(2).u - R(3).u; END
  OP(MulU) R(1).u = R(2).u * R(3).u; END
  OP(DivU) {
    if (R(3).u == 0) [[unlikely]] TRAP(Trap::DivByZero, "division by zero");
    R(1).u = R(2).u / R(3).u;
  } END
  OP(ModU) {
    if (R(3).u == 0) [[unlikely]] TRAP(Trap::DivByZero, "division by zero");
    R(1).u = R(2).u % R(3).u;
  } END
  OP(AndU) R(1).u = R(2).u & R(3).u; END
  OP(OrU) R(1).u = R(2).u | R(3).u; END
  OP(XorU) R(1).u = R(2).u ^ R(3).u; END
  OP(NotU) R(1).u = ~R(2).u; END
  OP(ShlU) {
    const int64_t c = R(3).i;
    R(1).u = c < 0 || c > 63 ? 0 : R(2).u << c;
  } END
  OP(ShrU) {
    const int64_t c = R(3).i;
    R(1).u = c < 0 || c > 63 ? 0 : R(2).u >> c;
  } END

  // ---- double arithmetic
  OP(AddF) R(1).f = R(2).f + R(3).f; END
  OP(SubF) R(1).f = R(2).f - R(3).f; END
  OP(MulF) R(1).f = R(2).f * R(3).f; END
  OP(DivF) R(1).f = R(2).f / R(3).f; END
  OP(NegF) R(1).f = -R(2).f; END

  // ---- conversions
  OP(I2F) R(1).f = static_cast<double>(R(2).i); END
  OP(U2F) R(1).f = static_cast<double>(R(2).u); END
  OP(I2U) R(1).u = bits(R(2).i); END
  OP(U2I) R(1).i = wrap(R(2).u); END
  OP(F2I) R(1).i = saturate(R(2).f); END
  OP(B2I) R(1).i = R(2).b ? 1 : 0; END

  // ---- comparisons
  OP(EqI) R(1).b = R(2).i == R(3).i; END
  OP(NeI) R(1).b = R(2).i != R(3).i; END
  OP(LtI) R(1).b = R(2).i < R(3).i; END
  OP(LeI) R(1).b = R(2).i <= R(3).i; END
  OP(EqU) R(1).b = R(2).u == R(3).u; END
  OP(NeU) R(1).b = R(2).u != R(3).u; END
  OP(LtU) R(1).b = R(2).u < R(3).u; END
  OP(LeU) R(1).b = R(2).u <= R(3).u; END
  OP(EqF) R(1).b = R(2).f == R(3).f; END
  OP(NeF) R(1).b = R(2).f != R(3).f; END
  OP(LtF) R(1).b = R(2).f < R(3).f; END
  OP(LeF) R(1).b = R(2).f <= R(3).f; END
  OP(EqB) R(1).b = R(2).b == R(3).b; END
  OP(NeB) R(1).b = R(2).b != R(3).b; END
  OP(NotB) R(1).b = !R(2).b; END
  OP(EqS) CHARGE(R(2).s.n); R(1).b = same_bytes(R(2), R(3)); END
  OP(NeS) CHARGE(R(2).s.n); R(1).b = !same_bytes(R(2), R(3)); END
  OP(EqY) CHARGE(R(2).s.n); R(1).b = same_bytes(R(2), R(3)); END
  OP(NeY) CHARGE(R(2).s.n); R(1).b = !same_bytes(R(2), R(3)); END

  // ---- control
  OP(Jmp) JUMP(ip[1]); END
  OP(Jt) if (R(1).b) JUMP(ip[2]); END
  OP(Jf) if (!R(1).b) JUMP(ip[2]); END
  OP(JeqI) if (R(1).i == R(2).i) JUMP(ip[3]); END
  OP(JneI) if (R(1).i != R(2).i) JUMP(ip[3]); END
  OP(JltI) if (R(1).i < R(2).i) JUMP(ip[3]); END
  OP(JgeI) if (R(1).i >= R(2).i) JUMP(ip[3]); END
  OP(JleI) if (R(1).i <= R(2).i) JUMP(ip[3]); END
  OP(JgtI) if (R(1).i > R(2).i) JUMP(ip[3]); END
  OP(JeqK) if (R(1).i == ints[ip[2]]) JUMP(ip[3]); END
  OP(JneK) if (R(1).i != ints[ip[2]]) JUMP(ip[3]); END
  OP(JltK) if (R(1).i < ints[ip[2]]) JUMP(ip[3]); END
  OP(JgeK) if (R(1).i >= ints[ip[2]]) JUMP(ip[3]); END
  OP(JleK) if (R(1).i <= ints[ip[2]]) JUMP(ip[3]); END
  OP(JgtK) if (R(1).i > ints[ip[2]]) JUMP(ip[3]); END
  // add.k a, a, 1 then jlt.i or jlt.k. Neither of those is traced, so the traced build has
  // nothing to report for the pair either.
  static_assert(!traced(Op::AddK) && !traced(Op::JltI) && !traced(Op::JltK));
  OP(LoopI) R(1).i = wrap(bits(R(1).i) + 1); if (R(1).i < R(2).i) JUMP(ip[3]); END
  OP(LoopK) R(1).i = wrap(bits(R(1).i) + 1); if (R(1).i < ints[ip[2]]) JUMP(ip[3]); END
  OP(Switch) {
    const bc::SwitchTable& t = fn.tables[ip[2]];
    const int64_t key = R(1).i;
    const uint64_t at = static_cast<uint64_t>(key) - static_cast<uint64_t>(t.dense_low);
    if (!t.dense.empty()) JUMP(at < t.dense.size() ? t.dense[at] : t.default_target);
    const auto it = std::lower_bound(t.cases.begin(), t.cases.end(), key,
                                     [](const std::pair<int64_t, uint32_t>& c, int64_t k) { return c.first < k; });
    JUMP(it != t.cases.end() && it->first == key ? it->second : t.default_target);
  } END
  OP(Ret) goto done; END
  OP(RetI) out.result = R(1).i; goto done; END
  OP(Fail) TRAP(Trap::Rejected, strings[ip[1]]); END
  OP(Expect) if (!R(1).b) [[unlikely]] TRAP(Trap::Rejected, strings[ip[2]]); END
  OP(Check) {
    if (!R(1).b) [[unlikely]] {
      if (!in.lenient) TRAP(Trap::Rejected, strings[ip[2]]);
      warn(site, Trap::Rejected, vc, PC, strings[ip[2]]);
    }
  } END
  OP(Warn) warn(site, Trap::None, vc, PC, strings[ip[1]]); END
  OP(FailS) CHARGE(R(1).s.n); TRAP(Trap::Rejected, std::string(text(R(1)))); END
  OP(WarnS) CHARGE(R(1).s.n); warn(site, Trap::None, vc, PC, std::string(text(R(1)))); END

  // ---- reads
  OP(RdU8) INT_READ(uint8_t, true); END
  OP(RdU16Be) INT_READ(uint16_t, true); END
  OP(RdU16Le) INT_READ(uint16_t, false); END
  OP(RdU32Be) INT_READ(uint32_t, true); END
  OP(RdU32Le) INT_READ(uint32_t, false); END
  OP(RdU64Be) INT_READ(uint64_t, true); END
  OP(RdU64Le) INT_READ(uint64_t, false); END
  OP(RdI8) INT_READ(int8_t, true); END
  OP(RdI16Be) INT_READ(int16_t, true); END
  OP(RdI16Le) INT_READ(int16_t, false); END
  OP(RdI32Be) INT_READ(int32_t, true); END
  OP(RdI32Le) INT_READ(int32_t, false); END
  OP(RdI64Be) INT_READ(int64_t, true); END
  OP(RdI64Le) INT_READ(int64_t, false); END
  OP(RdF32Be) FLOAT_READ(float, uint32_t, true); END
  OP(RdF32Le) FLOAT_READ(float, uint32_t, false); END
  OP(RdF64Be) FLOAT_READ(double, uint64_t, true); END
  OP(RdF64Le) FLOAT_READ(double, uint64_t, false); END
  OP(RdUnBe) { VAR_READ(0, R(1).u = load_n(data + vc, n, true)); } END
  OP(RdUnLe) { VAR_READ(0, R(1).u = load_n(data + vc, n, false)); } END
  OP(RdSnBe) { VAR_READ(1, R(1).i = sign_extend(load_n(data + vc, n, true), n)); } END
  OP(RdSnLe) { VAR_READ(1, R(1).i = sign_extend(load_n(data + vc, n, false), n)); } END
  OP(RdUnBeI) { VAR_READ(0, R(1).i = wrap(load_n(data + vc, n, true))); } END
  OP(RdUnLeI) { VAR_READ(0, R(1).i = wrap(load_n(data + vc, n, false))); } END
  OP(RdBytes) { BYTES_READ(); } END
  OP(RdStr) { BYTES_READ(); } END
  OP(RdCStr) {
    const void* nul = ve > vc ? std::memchr(data + vc, 0, ve - vc) : nullptr;
    if (nul == nullptr) [[unlikely]] {
      CHARGE(ve - vc);
      TRAP(Trap::Truncated, "no NUL in the " + std::to_string(ve - vc) + " bytes left");
    }
    const auto n = static_cast<uint32_t>(static_cast<const uint8_t*>(nul) - (data + vc));
    CHARGE(n);
    R(1).s = {data + vc, n};
    vc += n + 1;
  } END
  OP(RdUntil) {
    const std::string_view rest(reinterpret_cast<const char*>(data + vc), ve - vc);
    const size_t at = find_delimiter(rest, text(R(2)));
    CHARGE(search_cost(at == std::string_view::npos ? rest.size() : at, R(2).s.n));
    if (at == std::string_view::npos) [[unlikely]]
      TRAP(Trap::Truncated, "no " + quote(text(R(2))) + " in the " + std::to_string(ve - vc) + " bytes left");
    R(1).s = {data + vc, static_cast<uint32_t>(at)};
    vc += static_cast<uint32_t>(at + R(2).s.n);
  } END
  OP(RdField) {
    const std::string_view rest(reinterpret_cast<const char*>(data + vc), ve - vc);
    const size_t at = find_delimiter(rest, text(R(2)));
    CHARGE(search_cost(at == std::string_view::npos ? rest.size() : at, R(2).s.n));
    const size_t n = at == std::string_view::npos ? rest.size() : at;
    R(1).s = {data + vc, static_cast<uint32_t>(n)};
    vc += static_cast<uint32_t>(at == std::string_view::npos ? n : n + R(2).s.n);
  } END
  OP(RdBcd) {
    const int64_t w = R(2).i;
    // 9 bytes are 18 digits, the most that always fit in an int64.
    if (w < 0 || w > 9) [[unlikely]] TRAP(Trap::BadValue, "BCD width " + std::to_string(w) + " outside 0..9");
    NEED(w);
    int64_t v = 0;
    for (uint32_t k = 0; k < w; ++k) {
      const uint8_t byte = data[vc + k];
      if ((byte >> 4) > 9 || (byte & 15) > 9) [[unlikely]]
        TRAP_AT(Trap::BadValue, vc + k, "BCD byte " + std::to_string(byte) + " has a nibble above 9");
      v = v * 100 + (byte >> 4) * 10 + (byte & 15);
    }
    R(1).i = v;
    vc += static_cast<uint32_t>(w);
  } END
  OP(RdRest) R(1).s = {data + vc, ve - vc}; vc = ve; END
  OP(Skip) {
    const int64_t n = R(1).i;
    if (n < 0) [[unlikely]] TRAP(Trap::Truncated, "negative length " + std::to_string(n));
    NEED(n);
    vc += static_cast<uint32_t>(n);
  } END
  OP(Seek) SEEK(1); END
  OP(Pos) R(1).i = vc - vb; END
  OP(Size) R(1).i = ve - vb; END
  OP(Remain) R(1).i = ve - vc; END
  OP(ViewPush) {
    const int64_t n = R(1).i;
    if (n < 0) [[unlikely]] TRAP(Trap::Truncated, "negative length " + std::to_string(n));
    NEED(n);
    if (depth == bc::kMaxViewDepth) [[unlikely]]
      TRAP(Trap::Limit, "more than " + std::to_string(bc::kMaxViewDepth) + " nested views");
    // The parent's cursor is saved past the sub-view: that is where view.pop leaves it.
    sc.views[depth++] = {data, vb, ve, vc + static_cast<uint32_t>(n), sc.origin};
    vb = vc;
    ve = vc + static_cast<uint32_t>(n);
  } END
  OP(ViewBytes) {
    if (depth == bc::kMaxViewDepth) [[unlikely]]
      TRAP(Trap::Limit, "more than " + std::to_string(bc::kMaxViewDepth) + " nested views");
    sc.views[depth++] = {data, vb, ve, vc, sc.origin};
    sc.origin = bytes_view_origin(in, sc.origin, vc, R(1).s.p, R(1).s.n, ip[2]);
    data = R(1).s.p;
    vb = 0;
    ve = R(1).s.n;
    vc = 0;
  } END
  OP(ViewPop) {
    if (depth == 0) [[unlikely]] TRAP(Trap::Limit, "view.pop without a sub-view");
    const View& parent = sc.views[--depth];
    data = parent.data;
    vb = parent.begin;
    ve = parent.end;
    vc = parent.cursor;
    sc.origin = parent.origin;
  } END

  // ---- strings and bytes
  OP(LenS) R(1).i = R(2).s.n; END
  OP(LenY) R(1).i = R(2).s.n; END
  OP(CatS) CHARGE(uint64_t{R(2).s.n} + R(3).s.n); if (!concat(sc, R(1), R(2), R(3))) [[unlikely]] TRAP(Trap::Limit, kArenaFull); END
  OP(CatY) CHARGE(uint64_t{R(2).s.n} + R(3).s.n); if (!concat(sc, R(1), R(2), R(3))) [[unlikely]] TRAP(Trap::Limit, kArenaFull); END
  OP(SliceS) slice(R(1), R(2), R(3).i, R(4).i); END
  OP(SliceY) slice(R(1), R(2), R(3).i, R(4).i); END
  OP(ByteY) {
    const uint32_t n = R(2).s.n;
    const int64_t k = R(3).i;
    if (k < 0 || k >= n) [[unlikely]] TRAP(Trap::Truncated, "byte " + std::to_string(k) + " of " + std::to_string(n));
    R(1).i = R(2).s.p[k];
  } END
  OP(IToS) if (!decimal(sc, R(1), R(2).i)) [[unlikely]] TRAP(Trap::Limit, kArenaFull); END
  OP(UToS) if (!decimal(sc, R(1), R(2).u)) [[unlikely]] TRAP(Trap::Limit, kArenaFull); END
  OP(FToS) {
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, R(2).f);
    ARENA(R(1), buf, static_cast<size_t>(res.ptr - buf));
  } END
  OP(HexY) {
    static constexpr char kHex[] = "0123456789abcdef";
    const uint8_t* const bp = R(2).s.p;
    const uint32_t bn = R(2).s.n;
    CHARGE(uint64_t{bn} * 2);
    if (bn == 0) {
      R(1).s = {nullptr, 0};
    } else {
      uint8_t* p = sc.arena.alloc(size_t{bn} * 2);
      if (p == nullptr) [[unlikely]] TRAP(Trap::Limit, kArenaFull);
      for (uint32_t k = 0; k < bn; ++k) {
        p[2 * k] = kHex[bp[k] >> 4];
        p[2 * k + 1] = kHex[bp[k] & 15];
      }
      R(1).s = {p, bn * 2};
    }
  } END
  OP(HexU) {
    static constexpr char kHex[] = "0123456789abcdef";
    char buf[16];
    const uint64_t v = R(2).u;
    for (int k = 0; k < 16; ++k) buf[k] = kHex[(v >> (60 - 4 * k)) & 15];
    ARENA(R(1), buf, sizeof buf);
  } END
  OP(HexW) {
    static constexpr char kHex[] = "0123456789abcdef";
    const int64_t w = R(3).i;
    if (w < 0 || w > 64) [[unlikely]] TRAP(Trap::BadValue, "width " + std::to_string(w) + " outside 0..64");
    char buf[64];
    uint64_t v = R(2).u;
    size_t n = 0;
    do {
      buf[63 - n++] = kHex[v & 15];
      v >>= 4;
    } while (v != 0);
    while (n < static_cast<size_t>(w)) buf[63 - n++] = '0';
    ARENA(R(1), buf + 64 - n, n);
  } END
  OP(DecW) {
    const int64_t w = R(3).i;
    if (w < 0 || w > 64) [[unlikely]] TRAP(Trap::BadValue, "width " + std::to_string(w) + " outside 0..64");
    const int64_t x = R(2).i;
    char digits[24];
    const auto res = std::to_chars(digits, digits + sizeof digits, x);
    const std::string_view d(digits, static_cast<size_t>(res.ptr - digits));
    const size_t sign = x < 0 ? 1 : 0;
    char buf[88];
    size_t n = 0;
    if (sign) buf[n++] = '-';
    for (size_t k = d.size(); k < static_cast<size_t>(w); ++k) buf[n++] = '0';
    d.substr(sign).copy(buf + n, d.size() - sign);
    ARENA(R(1), buf, n + d.size() - sign);
  } END
  OP(PackBe) {
    const uint32_t n = ip[3];
    if (n < 1 || n > 8) [[unlikely]] TRAP(Trap::BadValue, "width " + std::to_string(n) + " outside 1..8");
    uint8_t buf[8];
    for (uint32_t k = 0; k < n; ++k) buf[k] = static_cast<uint8_t>(R(2).u >> (8 * (n - 1 - k)));
    ARENA(R(1), buf, n);
  } END
  OP(PackLe) {
    const uint32_t n = ip[3];
    if (n < 1 || n > 8) [[unlikely]] TRAP(Trap::BadValue, "width " + std::to_string(n) + " outside 1..8");
    uint8_t buf[8];
    for (uint32_t k = 0; k < n; ++k) buf[k] = static_cast<uint8_t>(R(2).u >> (8 * k));
    ARENA(R(1), buf, n);
  } END
  OP(YToS) copy_view(R(1), R(2)); END
  OP(SToY) copy_view(R(1), R(2)); END
  OP(SToI) {
    CHARGE(R(2).s.n);
    int64_t v = 0;
    if (!parse_int(text(R(2)), v)) [[unlikely]] TRAP(Trap::BadValue, "not a number: " + quote(text(R(2))));
    R(1).i = v;
  } END
  OP(SToF) {
    CHARGE(R(2).s.n);
    double v = 0;
    if (!parse_float(text(R(2)), v)) [[unlikely]] TRAP(Trap::BadValue, "not a number: " + quote(text(R(2))));
    R(1).f = v;
  } END
  OP(Crc) CHARGE(R(2).s.n); R(1).i = wrap(bc::crc_compute(static_cast<bc::Crc>(ip[3]), R(2).s.p, R(2).s.n)); END
  OP(FindS) {
    const size_t at = find_bytes(text(R(2)), text(R(3)));
    CHARGE(search_cost(at == std::string_view::npos ? R(2).s.n : at, R(3).s.n));
    R(1).i = at == std::string_view::npos ? -1 : static_cast<int64_t>(at);
  } END
  OP(TrimS) {
    CHARGE(R(2).s.n);
    std::string_view t = text(R(2));
    const size_t first = t.find_first_not_of(" \t\r\n");
    t = first == std::string_view::npos ? std::string_view{} : t.substr(first, t.find_last_not_of(" \t\r\n") + 1 - first);
    R(1).s = {reinterpret_cast<const uint8_t*>(t.data()), static_cast<uint32_t>(t.size())};
  } END
  OP(LowerS) {
    CHARGE(R(2).s.n);
    const std::string_view t = text(R(2));
    Value v;
    ARENA(v, t.data(), t.size());
    uint8_t* p = const_cast<uint8_t*>(v.s.p);
    for (uint32_t k = 0; k < v.s.n; ++k)
      if (p[k] >= 'A' && p[k] <= 'Z') p[k] = static_cast<uint8_t>(p[k] + 32);
    copy_view(R(1), v);
  } END
  OP(ReplS) {
    const std::string_view t = text(R(2)), from = text(R(3)), to = text(R(4));
    if (from.empty()) {
      copy_view(R(1), R(2));
    } else {
      // Two passes, so that the result's size is known (and checked) before it is made: the
      // first counts the matches, the second writes into the arena.
      CHARGE(search_cost(t.size(), from.size()));
      uint64_t matches = 0;
      for (size_t k = 0, at; (at = find_bytes(t.substr(k), from)) != std::string_view::npos; k += at + from.size())
        ++matches;
      const uint64_t size = t.size() - matches * from.size() + matches * to.size();
      if (size > bc::kMaxFrameMemory) [[unlikely]] TRAP(Trap::Limit, kArenaFull);
      CHARGE(search_cost(t.size(), from.size()) + size);
      if (size == 0) {
        R(1).s = {nullptr, 0};
      } else {
        uint8_t* const p = sc.arena.alloc(size);
        if (p == nullptr) [[unlikely]] TRAP(Trap::Limit, kArenaFull);
        uint8_t* w = p;
        for (size_t k = 0;;) {
          const size_t at = find_bytes(t.substr(k), from);
          const std::string_view keep = t.substr(k, at);
          std::memcpy(w, keep.data(), keep.size());
          w += keep.size();
          if (at == std::string_view::npos) break;
          if (!to.empty()) std::memcpy(w, to.data(), to.size());
          w += to.size();
          k += at + from.size();
        }
        R(1).s = {p, static_cast<uint32_t>(size)};
      }
    }
  } END
  OP(SToUHex) {
    CHARGE(R(2).s.n);
    const std::string_view t = text(R(2));
    uint64_t v = 0;
    bool ok = !t.empty() && t.size() <= 16;
    for (char c : t) {
      const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) ok = false;
      v = v << 4 | static_cast<uint64_t>(d & 15);
    }
    if (!ok) [[unlikely]] TRAP(Trap::BadValue, "not a hex number: " + quote(t));
    R(1).u = v;
  } END
  OP(Unescape) {
    const EscapeTable& table = in.escapes->of(ip[3]);  // the verifier saw it declared
    const Value v = R(2);
    CHARGE(v.s.n);
    if (v.s.n == 0) {
      R(1).s = {nullptr, 0};
    } else {
      uint8_t* p = sc.arena.alloc(v.s.n);
      if (p == nullptr) [[unlikely]] TRAP(Trap::Limit, kArenaFull);
      R(1).s = {p, static_cast<uint32_t>(table.unescape({v.s.p, v.s.n}, p))};
    }
  } END
  OP(Escape) {
    const EscapeTable& table = in.escapes->of(ip[3]);
    const Value v = R(2);
    CHARGE(v.s.n);  // sizing walks the bytes once, writing them once more
    const size_t n = table.escaped_size({v.s.p, v.s.n});
    CHARGE(n);
    if (n == 0) {
      R(1).s = {nullptr, 0};
    } else {
      uint8_t* p = n > bc::kMaxFrameMemory ? nullptr : sc.arena.alloc(n);
      if (p == nullptr) [[unlikely]] TRAP(Trap::Limit, kArenaFull);
      table.escape({v.s.p, v.s.n}, p);
      R(1).s = {p, static_cast<uint32_t>(n)};
    }
  } END
  OP(ReMatch) {
    if (in.patterns != nullptr) CHARGE(in.patterns->cost(ip[3], R(2).s.n));
    R(1).b = in.patterns != nullptr && in.patterns->match(ip[3], text(R(2)), sc.groups.data(), sc.group_count);
  } END
  OP(ReGroup) {
    const std::string_view g = match_group(sc, R(2).i);
    R(1).s = {reinterpret_cast<const uint8_t*>(g.data()), static_cast<uint32_t>(g.size())};
  } END

  // ---- messages
  OP(MsgNew) {
    MESSAGE_FITS();
    if (!sc.builder.begin()) [[unlikely]]
      TRAP(Trap::Limit, "more than " + std::to_string(bc::kMaxMessagesPerFrame) + " messages in a frame");
    if (!m.session.empty()) {
      if (!sc.ident_fresh) {
        const std::string& id = slot_value(sc, session, 0).s;
        CHARGE(id.size());
        if (!copy_ident(sc, id)) [[unlikely]] TRAP(Trap::Limit, kArenaFull);
      }
      if (!sc.ident.empty()) {
        Field* f = sc.builder.set(sc.builder.ident);
        f->type = ValueType::Str;
        f->s = sc.ident;
        FIELD_DONE(f);
      }
    }
    Field* f = sc.builder.set(sc.builder.protocol_id);
    f->type = ValueType::Str;
    f->s = strings[m.protocol];
    FIELD_DONE(f);
  } END
  OP(MsgEnd) {
    if (!sc.builder.is_open()) [[unlikely]] TRAP(Trap::Rejected, "msg.end outside a message");
    MESSAGE_FITS();
    sc.builder.end();
  } END
  OP(SetI) { FIELD(names[ip[1]]); f->type = ValueType::Int; f->i = R(2).i; FIELD_DONE(f); } END
  OP(SetU) { FIELD(names[ip[1]]); f->type = ValueType::UInt; f->u = R(2).u; FIELD_DONE(f); } END
  OP(SetF) SET_FLOAT(1, R(2).f); END
  OP(SetB) { FIELD(names[ip[1]]); f->type = ValueType::Bool; f->b = R(2).b; FIELD_DONE(f); } END
  OP(SetS) { FIELD(names[ip[1]]); f->type = ValueType::Str; f->s = text(R(2)); FIELD_DONE(f); } END
  OP(SetY) { FIELD(names[ip[1]]); f->type = ValueType::Bytes; f->s = text(R(2)); FIELD_DONE(f); } END
  OP(SetDI) { FIELD(text(R(1))); f->type = ValueType::Int; f->i = R(2).i; FIELD_DONE(f); } END
  OP(SetDU) { FIELD(text(R(1))); f->type = ValueType::UInt; f->u = R(2).u; FIELD_DONE(f); } END
  OP(SetDF) {
    if (std::isfinite(R(2).f)) { FIELD(text(R(1))); f->type = ValueType::Float; f->f = R(2).f; FIELD_DONE(f); }
    else if (!sc.builder.is_open()) [[unlikely]] TRAP(Trap::Rejected, "parameter set outside a message");
  } END
  OP(SetDB) { FIELD(text(R(1))); f->type = ValueType::Bool; f->b = R(2).b; FIELD_DONE(f); } END
  OP(SetDS) { FIELD(text(R(1))); f->type = ValueType::Str; f->s = text(R(2)); FIELD_DONE(f); } END
  OP(SetDY) { FIELD(text(R(1))); f->type = ValueType::Bytes; f->s = text(R(2)); FIELD_DONE(f); } END
  // Superinstructions: the instructions each stands for, one after the other as their own handlers
  // run them; the traced build reports those instructions.
  OP(RdSetU8) { INT_READ(uint8_t, true); READ_SET(Int, i, SetI); } END
  OP(RdSetU16Be) { INT_READ(uint16_t, true); READ_SET(Int, i, SetI); } END
  OP(RdSetU16Le) { INT_READ(uint16_t, false); READ_SET(Int, i, SetI); } END
  OP(RdSetU32Be) { INT_READ(uint32_t, true); READ_SET(Int, i, SetI); } END
  OP(RdSetU32Le) { INT_READ(uint32_t, false); READ_SET(Int, i, SetI); } END
  OP(RdSetU64Be) { INT_READ(uint64_t, true); READ_SET(UInt, u, SetU); } END
  OP(RdSetU64Le) { INT_READ(uint64_t, false); READ_SET(UInt, u, SetU); } END
  OP(RdSetI8) { INT_READ(int8_t, true); READ_SET(Int, i, SetI); } END
  OP(RdSetI16Be) { INT_READ(int16_t, true); READ_SET(Int, i, SetI); } END
  OP(RdSetI16Le) { INT_READ(int16_t, false); READ_SET(Int, i, SetI); } END
  OP(RdSetI32Be) { INT_READ(int32_t, true); READ_SET(Int, i, SetI); } END
  OP(RdSetI32Le) { INT_READ(int32_t, false); READ_SET(Int, i, SetI); } END
  OP(RdSetI64Be) { INT_READ(int64_t, true); READ_SET(Int, i, SetI); } END
  OP(RdSetI64Le) { INT_READ(int64_t, false); READ_SET(Int, i, SetI); } END
  OP(RdSetF32Be) { FLOAT_READ(float, uint32_t, true); READ_SET_F(); } END
  OP(RdSetF32Le) { FLOAT_READ(float, uint32_t, false); READ_SET_F(); } END
  OP(RdSetF64Be) { FLOAT_READ(double, uint64_t, true); READ_SET_F(); } END
  OP(RdSetF64Le) { FLOAT_READ(double, uint64_t, false); READ_SET_F(); } END
  OP(SetDivI) { Value q; q.f = static_cast<double>(R(2).i) / R(3).f; SET_FLOAT(1, q.f); TRACE_AS(Op::SetF, &q, vc, ip[1], 0); } END
  OP(SetDivU) { Value q; q.f = static_cast<double>(R(2).u) / R(3).f; SET_FLOAT(1, q.f); TRACE_AS(Op::SetF, &q, vc, ip[1], 0); } END
  OP(GetI) R(1).i = param_int(sc.builder.find(names[ip[2]])); END
  OP(Has) R(1).b = sc.builder.find(names[ip[2]]) != nullptr; END

  // ---- session slots and options
  OP(SGetI) R(1).i = slot_value(sc, session, ip[2]).i; END
  OP(SSetI) {
    mark_dirty(sc, ip[1]);
    sc.pending[ip[1]].i = R(2).i;
  } END
  OP(SGetS) {
    // A copy: a later sset may reallocate the slot's storage under the register.
    const std::string& s = slot_value(sc, session, ip[2]).s;
    CHARGE(s.size());
    ARENA(R(1), s.data(), s.size());
  } END
  OP(SSetS) {
    CHARGE(R(2).s.n);
    if (!sc.arena.account(R(2).s.n)) [[unlikely]] TRAP(Trap::Limit, kArenaFull);
    SLOT_BYTES(ip[1], R(2).s.n);
    mark_dirty(sc, ip[1]);
    sc.pending[ip[1]].s.assign(reinterpret_cast<const char*>(R(2).s.p), R(2).s.n);
    if (ip[1] == 0) sc.ident_fresh = false;
  } END
  OP(SGetY) {
    // A copy, as for str: the register must outlive any later sset of the slot.
    const std::string& s = slot_value(sc, session, ip[2]).s;
    CHARGE(s.size());
    ARENA(R(1), s.data(), s.size());
  } END
  OP(SSetY) {
    CHARGE(R(2).s.n);
    if (!sc.arena.account(R(2).s.n)) [[unlikely]] TRAP(Trap::Limit, kArenaFull);
    SLOT_BYTES(ip[1], R(2).s.n);
    mark_dirty(sc, ip[1]);
    sc.pending[ip[1]].s.assign(reinterpret_cast<const char*>(R(2).s.p), R(2).s.n);
  } END
  OP(Now) R(1).f = in.now; END
  OP(OptI) R(1).i = option_int(m, session, ip[2]); END
  OP(OptB) R(1).b = option_int(m, session, ip[2]) != 0; END
  OP(OptS) {
    const std::string& s = option_str(m, session, ip[2]);
    R(1).s = {reinterpret_cast<const uint8_t*>(s.data()), static_cast<uint32_t>(s.size())};
  } END

  // ---- output bytes
  OP(OutNew) {
    if (sc.out_open) {
      CHARGE(sc.out.size());
      if (!store_reply(sc)) [[unlikely]] TRAP(Trap::Limit, kArenaFull);
    }
    sc.out.clear();
    sc.out_open = true;
  } END
  OP(OutEnd) {
    if (!sc.out_open) [[unlikely]] TRAP(Trap::Rejected, "out.end outside an output");
    CHARGE(sc.out.size());
    if (!store_reply(sc)) [[unlikely]] TRAP(Trap::Limit, kArenaFull);
  } END
  OP(WrU8) WRITE_INT(uint8_t, R(1).i, true) END
  OP(WrU16Be) WRITE_INT(uint16_t, R(1).i, true) END
  OP(WrU16Le) WRITE_INT(uint16_t, R(1).i, false) END
  OP(WrU32Be) WRITE_INT(uint32_t, R(1).i, true) END
  OP(WrU32Le) WRITE_INT(uint32_t, R(1).i, false) END
  OP(WrU64Be) WRITE_INT(uint64_t, R(1).u, true) END
  OP(WrU64Le) WRITE_INT(uint64_t, R(1).u, false) END
  OP(WrBytes) {
    const uint8_t* const p = R(1).s.p;
    const uint32_t n = R(1).s.n;
    WRITE(n);
    CHARGE(n);
    sc.out.insert(sc.out.end(), p, p + n);
  } END
  OP(WrStr) {
    const uint8_t* const p = R(1).s.p;
    const uint32_t n = R(1).s.n;
    WRITE(n);
    CHARGE(n);
    sc.out.insert(sc.out.end(), p, p + n);
  } END
  OP(OutLen) R(1).i = sc.out_open ? static_cast<int64_t>(sc.out.size()) : 0; END
  OP(OutTail) {
    const int64_t size = sc.out_open ? static_cast<int64_t>(sc.out.size()) : 0;
    const int64_t from = std::clamp<int64_t>(R(2).i, 0, size);
    CHARGE(static_cast<uint64_t>(size - from));
    ARENA(R(1), sc.out.data() + from, static_cast<size_t>(size - from));
  } END

  // ---- parameters named by a prefix and a number
  OP(SetNI) { NUMBERED(Int, SetDI); } END
  OP(SetNU) { NUMBERED(UInt, SetDU); } END
  OP(SetNF) { NUMBERED(Float, SetDF); } END
  OP(SetNB) { NUMBERED(Bool, SetDB); } END
  OP(SetNS) { NUMBERED(Str, SetDS); } END
  OP(SetNY) { NUMBERED(Bytes, SetDY); } END

  // ---- reads at an offset
  OP(RdAtU8) { AT_READ(2, INT_READ(uint8_t, true)); } END
  OP(RdAtU16Be) { AT_READ(2, INT_READ(uint16_t, true)); } END
  OP(RdAtU16Le) { AT_READ(2, INT_READ(uint16_t, false)); } END
  OP(RdAtU32Be) { AT_READ(2, INT_READ(uint32_t, true)); } END
  OP(RdAtU32Le) { AT_READ(2, INT_READ(uint32_t, false)); } END
  OP(RdAtBytes) { AT_READ(3, BYTES_READ()); } END
  OP(RdAtStr) { AT_READ(3, BYTES_READ()); } END

#if !PVM_THREADED
  }
  // Not reached: every opcode of the table has a case, and only those pass the verifier.
#if PVM_STEP_INTERPRETER
  return kStepTrapped;
#else
  return false;
#endif
#endif

#if PVM_STEP_INTERPRETER
stepped:
  st.data = data;
  st.vb = vb;
  st.ve = ve;
  st.vc = vc;
  st.depth = depth;
  st.fuel = fuel;
  st.pc = PC;
  return kStepNext;
#endif

done:
  if (depth > 0) {  // close sub-views left open, as view.pops would
    vc = sc.views[0].cursor;
    sc.origin = sc.views[0].origin;
  }
  MESSAGE_FITS();
  if (sc.builder.is_open()) sc.builder.end();
  if (sc.out_open && !store_reply(sc)) [[unlikely]] TRAP(Trap::Limit, kArenaFull);
  out.consumed = vc;
  out.end_pc = PC;
  out.fuel_used = in.fuel - fuel;
#if PVM_STEP_INTERPRETER
  return kStepDone;
#else
  return true;
#endif

out_of_fuel:
  trap(site, Trap::OutOfFuel, vc, PC, fuel_text(in.fuel, fuel, want));

trapped:
  out.fuel_used = in.fuel - fuel;
  sc.builder.reset();
  sc.reply_count = 0;
#if PVM_STEP_INTERPRETER
  return kStepTrapped;
#else
  return false;
#endif

#undef PC
#undef R
#undef TRAP_AT
#undef TRAP
#undef NEED
#undef ARENA
#undef JUMP
#undef CHARGE
#undef FIELD_DONE
#undef MESSAGE_FITS
#undef INT_READ
#undef FLOAT_READ
#undef SEEK
#undef AT_READ
#undef BYTES_READ
#undef NUMBERED
#undef VAR_READ
#undef FIELD
#undef WRITE
#undef SLOT_BYTES
#undef WRITE_INT
#undef SET_FLOAT
#undef TRACE_AS
#undef READ_SET
#undef READ_SET_F
#undef DISPATCH
#undef OP
#undef OP_BODY
#undef END
// clang-format on
}  // namespace

}  // namespace pvm::detail

namespace {
// Every limit is checked before the frame allocates; should the heap fail all the same, the
// frame traps and the process goes on.
void out_of_memory(const RunInput& in, Scratch& sc) {
  sc.builder.reset();
  sc.reply_count = 0;
  sc.error = Error{};
  sc.error.trap = Trap::Limit;
  sc.error.reason = "out of memory";
  sc.error.offset = in.offset;
}
}  // namespace

#if PVM_STEP_INTERPRETER
bool step_begin(const RunInput& in, Scratch& sc, StepState& st) {
  try {
    if (!begin(in, sc, false)) return false;
  } catch (const std::bad_alloc&) {
    out_of_memory(in, sc);
    return false;
  }
  st = StepState{in.frame.data(), 0, static_cast<uint32_t>(in.frame.size()), 0, 0, in.fuel, 0};
  return true;
}

StepResult step(const RunInput& in, Scratch& sc, RunOutput& out, StepState& st) {
  try {
    return step_one(in, sc, out, st);
  } catch (const std::bad_alloc&) {
    out_of_memory(in, sc);
    return kStepTrapped;
  }
}
#else
#if PVM_TRACED_INTERPRETER
bool run_traced(const RunInput& in, Scratch& sc, RunOutput& out) {
#else
bool run(const RunInput& in, Scratch& sc, RunOutput& out) {
#endif
  try {
    return interpret(in, sc, out);
  } catch (const std::bad_alloc&) {
    out_of_memory(in, sc);
    return false;
  }
}
#endif

}  // namespace pvm::detail
