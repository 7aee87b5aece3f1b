// A session: one connection's byte stream cut into frames and decoded.
//
// TCP with "framing.tcp": the framing function runs over the buffered bytes. A Truncated trap
// means "need more bytes"; ret.i n (1 <= n <= max_frame) is the frame length, remembered until
// n bytes are buffered, then "packet.tcp" decodes exactly those n bytes. A bad length or any
// other trap is one BadFrame error; the session then drops bytes one at a time, silently,
// until the framing function accepts a frame again, so garbage between frames costs one
// report, not one per byte. Those attempts share one frame's fuel per feed: once it is spent,
// everything buffered is dropped with one more report, and the next feed tries again.
// TCP without a framing function: "packet.tcp" runs over everything buffered; Truncated waits
// for more, success consumes up to its root cursor.
//
// Delimited framings (`frame delimited 0x7e escape { ... }`) come first: bytes that start with a
// declared delimiter are a frame up to the next one (an empty frame drops the first delimiter),
// found here without running any function. Such a frame, on TCP, UDP or fed whole, is decoded
// with its escapes undone; its errors are moved back to wire offsets and its replies escaped.
// A module with delimited framings and no framing function treats other bytes as junk.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#include "jit/jit.h"
#include "pvm/vm.h"
#include "runtime.h"
#include "scratch_pool.h"
#include "text_values.h"
#include "trace.h"

namespace pvm {

using detail::Scratch;

namespace {

// Buffer capacity a session keeps beyond twice what it holds.
constexpr size_t kKeptBufferBytes = 4096;

// A read past the end of the buffered stream: the frame may be whole once more bytes arrive.
// A read past the end of a bytes value (`within $b`) is the frame's fault, more bytes or not.
bool needs_more(const Error& e) {
  return e.trap == Trap::Truncated && e.value.empty();
}

}  // namespace

struct Session::State {
  std::shared_ptr<const Program> program;
  SessionOptions options;
  detail::SessionData data;
  int framing = -1;
  int packet_tcp = -1;
  int packet_udp = -1;
  std::vector<uint8_t> buffer;  // stream bytes not yet consumed
  uint64_t consumed = 0;
  uint32_t need = 0;  // the buffered frame's length once the framing function gave it
  bool resyncing = false;
  uint64_t resync_fuel = 0;  // left for this feed's resynchronisation attempts
  double now = 0;            // the receive time of the bytes being decoded
  // A delimited frame with its escapes undone, and where they were (reused frame to frame).
  std::vector<uint8_t> unescaped;
  detail::EscapeMap escape_map;
  std::vector<uint8_t> spare;
  std::unique_ptr<detail::Tracer> tracer;  // set_trace's
  // What runs a function over a frame: the interpreter or the program's native code, or the
  // traced interpreter once set_trace was called. Chosen there rather than tested per frame, so
  // that an untraced frame pays nothing.
  bool (*runner)(const detail::RunInput&, Scratch&, detail::RunOutput&) = detail::run;
  bool (*untraced_runner() const)(const detail::RunInput&, Scratch&, detail::RunOutput&) {
    return program->jit() ? detail::run_native : detail::run;
  }
  // The program's native code is being compiled (LoadOptions::jit_in_background): each run looks
  // whether it is ready, until it is or the compile failed.
  bool awaiting_jit = false;
  void adopt_jit() {
    if (program->jit_compiling()) return;
    awaiting_jit = false;
    if (!tracer) runner = untraced_runner();
  }

  const bc::Module& module() const { return program->module(); }
  const detail::Escapes& escapes() const { return *program->escapes(); }
  uint32_t frame_limit() const { return std::min(options.max_frame, bc::kMaxFrameBytes); }

  bool run(int function, std::span<const uint8_t> frame, uint64_t offset, Scratch& sc, detail::RunOutput& out,
           uint64_t fuel) {
    if (awaiting_jit) [[unlikely]]
      adopt_jit();
    detail::RunInput in;
    in.module = &module();
    in.patterns = program->patterns();
    in.names = program->names();
    in.escapes = program->escapes();
    in.function = &module().functions[function];
    in.frame = frame;
    in.offset = offset;
    in.fuel = fuel;
    in.lenient = options.lenient_checks;
    in.session = &data;
    in.max_session_bytes = options.max_session_bytes;
    in.now = now;
    in.jit = program->jit();
    return runner(in, sc, out);
  }
  bool run(int function, std::span<const uint8_t> frame, uint64_t offset, Scratch& sc,
           detail::RunOutput& out) {
    return run(function, frame, offset, sc, out, options.fuel);
  }

  static void report(const FrameCallback& cb, const Scratch& sc, uint64_t offset,
                     std::span<const uint8_t> bytes, const Error* error) {
    FrameResult r;
    r.offset = offset;
    r.bytes = bytes;
    if (error == nullptr) {
      r.messages = sc.messages;
      r.replies = std::span(sc.replies.data(), sc.reply_count);
    }
    r.warnings = sc.warnings;
    r.error = error;
    cb(r);
  }

  static void report_error(const FrameCallback& cb, Scratch& sc, uint64_t offset,
                           std::span<const uint8_t> bytes, Trap trap, std::string reason) {
    sc.warnings.clear();
    Error e;
    e.trap = trap;
    e.reason = std::move(reason);
    e.offset = offset;
    report(cb, sc, offset, bytes, &e);
  }

  // Decodes one whole frame with `function` and reports it.
  void decode(int function, std::span<const uint8_t> frame, Scratch& sc, const FrameCallback& cb) {
    const uint64_t offset = consumed;
    const detail::EscapeTable* table = frame.empty() ? nullptr : escapes().find(frame[0]);
    const std::span<const uint8_t> input = table != nullptr ? unescape(*table, frame) : frame;
    if (function < 0) {
      report_error(cb, sc, offset, frame, Trap::BadFrame, "the module has no packet function");
    } else {
      detail::RunOutput out;
      const bool ok = run(function, input, offset, sc, out);
      if (table != nullptr) {
        if (!ok) to_wire(sc.error, offset);
        for (Error& w : sc.warnings) to_wire(w, offset);
        for (size_t k = 0; ok && k < sc.reply_count; ++k) detail::escape_inner(*table, sc.replies[k], spare);
      }
      if (ok) {
        detail::commit(sc, data);
        report(cb, sc, offset, frame, nullptr);
      } else {
        report(cb, sc, offset, frame, &sc.error);
      }
    }
    consumed += frame.size();
  }

  // The frame with the escapes between its delimiters undone (itself when it has none).
  std::span<const uint8_t> unescape(const detail::EscapeTable& table, std::span<const uint8_t> frame) {
    escape_map.clear();
    const bool closed = frame.size() >= 2 && frame.back() == table.delimiter();
    const std::span<const uint8_t> inner = frame.subspan(1, frame.size() - 1 - (closed ? 1 : 0));
    unescaped.resize(frame.size());
    unescaped[0] = frame[0];
    size_t n = 1 + table.unescape(inner, unescaped.data() + 1, &escape_map, 1);
    if (escape_map.empty()) return frame;
    if (closed) unescaped[n++] = frame.back();
    return std::span<const uint8_t>(unescaped.data(), n);
  }

  // Moves an error's offset in the unescaped frame at `offset` back to the wire.
  void to_wire(Error& e, uint64_t offset) const {
    if (!escape_map.empty() && e.offset >= offset)
      e.offset = offset + detail::wire_offset(escape_map, e.offset - offset);
  }

  // A delimited frame at the start of `rest`: how many bytes it took, 0 to wait for more.
  size_t delimited(std::span<const uint8_t> rest, Scratch& sc, const FrameCallback& cb) {
    const uint8_t d = rest[0];
    const size_t scan = std::min<size_t>(rest.size(), frame_limit());
    const void* close = std::memchr(rest.data() + 1, d, scan - 1);
    if (close == nullptr) {
      if (rest.size() < frame_limit()) return 0;
      if (!resyncing)
        report_error(cb, sc, consumed, rest.first(scan), Trap::BadFrame,
                     "no closing delimiter " + detail::byte_hex(d) + " within " +
                         std::to_string(frame_limit()) + " bytes");
      resyncing = true;
      ++consumed;
      return 1;
    }
    const size_t n = static_cast<size_t>(static_cast<const uint8_t*>(close) - rest.data()) + 1;
    if (n == 2) {  // two delimiters in a row: the first ends a frame that was lost
      ++consumed;
      return 1;
    }
    resyncing = false;
    decode(packet_tcp, rest.first(n), sc, cb);
    return n;
  }

  // Without a framing function, bytes up to the next delimiter start no frame: one report.
  size_t junk(std::span<const uint8_t> rest, Scratch& sc, const FrameCallback& cb) {
    size_t n = 1;
    while (n < rest.size() && escapes().find(rest[n]) == nullptr) ++n;
    if (!resyncing)
      report_error(cb, sc, consumed, rest.first(n), Trap::BadFrame,
                   std::to_string(n) + " byte" + (n == 1 ? "" : "s") + " before a frame's delimiter");
    resyncing = true;
    consumed += n;
    return n;
  }

  // Without a framing function: how many bytes of `rest` one packet run consumed (0: wait).
  size_t unframed(std::span<const uint8_t> rest, Scratch& sc, const FrameCallback& cb) {
    if (packet_tcp < 0) {
      decode(packet_tcp, rest, sc, cb);
      return rest.size();
    }
    detail::RunOutput out;
    const uint64_t offset = consumed;
    if (run(packet_tcp, rest, offset, sc, out)) {
      detail::commit(sc, data);
      const size_t n = out.consumed == 0 ? rest.size() : out.consumed;
      report(cb, sc, offset, rest.first(n), nullptr);
      consumed += n;
      return n;
    }
    if (needs_more(sc.error)) {
      if (rest.size() < frame_limit()) return 0;
      sc.error.trap = Trap::BadFrame;
      sc.error.reason =
          "no whole frame in " + std::to_string(rest.size()) + " bytes (" + sc.error.reason + ")";
    }
    report(cb, sc, offset, rest, &sc.error);
    consumed += rest.size();
    return rest.size();
  }

  // Decodes every whole frame at the start of `bytes`; returns how many bytes it consumed.
  size_t process(std::span<const uint8_t> bytes, const FrameCallback& cb) {
    detail::ScratchLease lease;
    Scratch& sc = *lease;
    size_t pos = 0;
    while (pos < bytes.size()) {
      const std::span<const uint8_t> rest = bytes.subspan(pos);
      if (need == 0 && escapes().find(rest[0]) != nullptr) {
        const size_t n = delimited(rest, sc, cb);
        if (n == 0) break;
        pos += n;
        continue;
      }
      if (framing < 0 && !module().delimited.empty()) {
        pos += junk(rest, sc, cb);
        continue;
      }
      if (framing < 0) {
        const size_t n = unframed(rest, sc, cb);
        if (n == 0) break;
        pos += n;
        continue;
      }
      if (need == 0) {
        detail::RunOutput out;
        const bc::Function& fn = module().functions[framing];
        if (resyncing && resync_fuel == 0) {
          give_up_resync(rest, sc, cb);
          pos = bytes.size();
          break;
        }
        const bool ok = run(framing, rest, consumed, sc, out, resyncing ? resync_fuel : options.fuel);
        if (resyncing) {
          const bool spent = !ok && sc.error.trap == Trap::OutOfFuel;
          resync_fuel = spent ? 0 : resync_fuel - std::min(resync_fuel, out.fuel_used);
        }
        if (!ok) {
          if (needs_more(sc.error)) {
            if (rest.size() < frame_limit()) break;
            // No frame ends within the limit: nothing buffered can be kept.
            if (!resyncing) {
              sc.error.trap = Trap::BadFrame;
              sc.error.reason =
                  "no frame within " + std::to_string(frame_limit()) + " bytes (" + sc.error.reason + ")";
              report(cb, sc, consumed, rest, &sc.error);
            }
            resyncing = true;
            consumed += rest.size();
            pos = bytes.size();
            break;
          }
          if (!resyncing) {
            sc.error.trap = Trap::BadFrame;
            report(cb, sc, consumed, rest, &sc.error);
          }
          resync_one(pos);
          continue;
        }
        if (out.result < 1 || out.result > frame_limit()) {
          if (!resyncing) {
            Error e;
            e.trap = Trap::BadFrame;
            e.reason =
                "frame length " + std::to_string(out.result) + " outside 1.." + std::to_string(frame_limit());
            e.offset = consumed;
            detail::locate(module(), fn, out.end_pc, e);
            sc.warnings.clear();
            report(cb, sc, consumed, rest, &e);
          }
          resync_one(pos);
          continue;
        }
        need = static_cast<uint32_t>(out.result);
        resyncing = false;
      }
      if (rest.size() < need) break;
      const uint32_t n = need;
      need = 0;
      decode(packet_tcp, rest.first(n), sc, cb);
      pos += n;
    }
    return pos;
  }

  void resync_one(size_t& pos) {
    resyncing = true;
    ++consumed;
    ++pos;
  }

  // The resynchronisation of this feed spent its fuel: what is buffered is dropped unread.
  void give_up_resync(std::span<const uint8_t> rest, Scratch& sc, const FrameCallback& cb) {
    report_error(cb, sc, consumed, rest, Trap::OutOfFuel,
                 "resynchronisation used its " + std::to_string(options.fuel) + " units of fuel; dropped " +
                     std::to_string(rest.size()) + " byte" + (rest.size() == 1 ? "" : "s"));
    consumed += rest.size();
  }
};

Session::Session(std::shared_ptr<const Program> program, SessionOptions options)
    : state_(std::make_unique<State>()) {
  State& st = *state_;
  st.program = std::move(program);
  st.options = options;
  const bc::Module& m = st.module();
  st.data.slots.resize(m.session.size());
  st.framing = m.find_function("framing.tcp");
  st.packet_tcp = m.find_function("packet.tcp");
  st.packet_udp = m.find_function("packet.udp");
  if (st.packet_udp < 0) st.packet_udp = st.packet_tcp;
  // In this order: a compile that finishes between the two has published its code already.
  st.awaiting_jit = st.program->jit_compiling();
  st.runner = st.untraced_runner();
}

Session::~Session() = default;

bool Session::set_option(std::string_view name, std::string_view value, std::string& error) {
  const bc::Module& m = state_->module();
  for (size_t k = 0; k < m.options.size(); ++k) {
    const bc::OptionDef& def = m.options[k];
    if (m.strings[def.name] != name) continue;
    detail::OptionValue v;
    v.set = true;
    bool ok = true;
    switch (def.cls) {
      case bc::RegClass::Int:
        ok = detail::parse_int(value, v.i);
        break;
      case bc::RegClass::Bool: {
        bool b = false;
        ok = detail::parse_bool(value, b);
        v.i = b ? 1 : 0;
        break;
      }
      default:
        v.s = value;
        break;
    }
    if (!ok) {
      error = "option '" + std::string(name) + "' needs " +
              (def.cls == bc::RegClass::Int ? "an integer" : "true, false, 1 or 0") + ", not " +
              detail::quote(value);
      return false;
    }
    auto& options = state_->data.options;
    if (options.size() < m.options.size()) options.resize(m.options.size());
    options[k] = std::move(v);
    return true;
  }
  error = "the module has no option '" + std::string(name) + "'";
  return false;
}

double unix_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void Session::feed(std::span<const uint8_t> data, const FrameCallback& on_frame, double received) {
  State& st = *state_;
  if (st.options.transport == Transport::Udp) {
    feed_frame(data, on_frame, received);
    return;
  }
  st.resync_fuel = st.options.fuel;
  st.now = received;
  if (st.buffer.empty()) {
    // Frames wholly inside `data` are decoded where they are; only a partial one is copied.
    const size_t n = st.process(data, on_frame);
    st.buffer.assign(data.begin() + static_cast<std::ptrdiff_t>(n), data.end());
  } else {
    st.buffer.insert(st.buffer.end(), data.begin(), data.end());
    const size_t n = st.process(st.buffer, on_frame);
    st.buffer.erase(st.buffer.begin(), st.buffer.begin() + static_cast<std::ptrdiff_t>(n));
  }
  // Room a large frame needed is given back once it is decoded: thousands of idle sessions
  // must not each keep the largest frame they ever saw.
  if (st.buffer.capacity() > 2 * st.buffer.size() + kKeptBufferBytes) st.buffer.shrink_to_fit();
}

void Session::feed_frame(std::span<const uint8_t> frame, const FrameCallback& on_frame, double received) {
  state_->now = received;
  detail::ScratchLease lease;
  // A frame already cut from a TCP stream is a TCP packet; only UDP sessions run packet.udp.
  const bool udp = state_->options.transport == Transport::Udp;
  state_->decode(udp ? state_->packet_udp : state_->packet_tcp, frame, *lease, on_frame);
}

void Session::finish(const FrameCallback& on_frame) {
  State& st = *state_;
  if (!st.buffer.empty()) {
    std::string reason = "the stream ended with " + std::to_string(st.buffer.size()) + " byte" +
                         (st.buffer.size() == 1 ? "" : "s") + " left";
    if (st.need > 0) reason += " of a " + std::to_string(st.need) + "-byte frame";
    detail::ScratchLease lease;
    State::report_error(on_frame, *lease, st.consumed, st.buffer, Trap::Incomplete, std::move(reason));
    st.consumed += st.buffer.size();
    st.buffer.clear();
  }
  st.need = 0;
  st.resyncing = false;
}

const Program& Session::program() const {
  return *state_->program;
}

std::string_view Session::ident() const {
  const auto& slots = state_->data.slots;
  return slots.empty() ? std::string_view() : std::string_view(slots[0].s);
}

void Session::set_ident(std::string_view ident) {
  auto& slots = state_->data.slots;
  if (!slots.empty()) slots[0].s = ident;
}

void Session::set_trace(TraceCallback on_event) {
  State& st = *state_;
  // A delimited frame runs on `unescaped` (decode): the trace gives its offsets on the wire.
  st.tracer =
      on_event ? std::make_unique<detail::Tracer>(std::move(on_event), st.unescaped, st.escape_map) : nullptr;
  st.data.tracer = st.tracer.get();
  st.runner = st.tracer ? detail::trace_run : st.untraced_runner();
}

Engine Session::engine() const {
  return state_->runner == detail::run_native ? Engine::Jit : Engine::Interpreter;
}

uint64_t Session::stream_offset() const {
  return state_->consumed;
}

size_t Session::buffered() const {
  return state_->buffer.size();
}

}  // namespace pvm
