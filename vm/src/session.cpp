// A session: one connection's byte stream cut into frames and decoded.
//
// TCP with "framing.tcp": the framing function runs over the buffered bytes. A Truncated trap
// means "need more bytes"; ret.i n (1 <= n <= max_frame) is the frame length, remembered until
// n bytes are buffered, then "packet.tcp" decodes exactly those n bytes. A bad length or any
// other trap is one BadFrame error; the session then drops bytes one at a time, silently,
// until the framing function accepts a frame again, so garbage between frames costs one
// report, not one per byte. TCP without a framing function: "packet.tcp" runs over everything
// buffered; Truncated waits for more, success consumes up to its root cursor.
#include <algorithm>
#include <string>

#include "pvm/vm.h"
#include "runtime.h"
#include "scratch_pool.h"
#include "text_values.h"

namespace pvm {

using detail::Scratch;

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

  const bc::Module& module() const { return program->module(); }
  uint32_t frame_limit() const { return std::min(options.max_frame, bc::kMaxFrameBytes); }

  bool run(int function, std::span<const uint8_t> frame, uint64_t offset, Scratch& sc,
           detail::RunOutput& out) {
    detail::RunInput in;
    in.module = &module();
    in.patterns = program->patterns();
    in.names = program->names();
    in.function = &module().functions[function];
    in.frame = frame;
    in.offset = offset;
    in.fuel = options.fuel;
    in.lenient = options.lenient_checks;
    in.session = &data;
    return detail::run(in, sc, out);
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
    if (function < 0) {
      report_error(cb, sc, offset, frame, Trap::BadFrame, "the module has no packet function");
    } else {
      detail::RunOutput out;
      if (run(function, frame, offset, sc, out)) {
        detail::commit(sc, data);
        report(cb, sc, offset, frame, nullptr);
      } else {
        report(cb, sc, offset, frame, &sc.error);
      }
    }
    consumed += frame.size();
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
    if (sc.error.trap == Trap::Truncated) {
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
      if (framing < 0) {
        const size_t n = unframed(rest, sc, cb);
        if (n == 0) break;
        pos += n;
        continue;
      }
      if (need == 0) {
        detail::RunOutput out;
        const bc::Function& fn = module().functions[framing];
        if (!run(framing, rest, consumed, sc, out)) {
          if (sc.error.trap == Trap::Truncated) {
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

void Session::feed(std::span<const uint8_t> data, const FrameCallback& on_frame) {
  State& st = *state_;
  if (st.options.transport == Transport::Udp) {
    feed_frame(data, on_frame);
    return;
  }
  if (st.buffer.empty()) {
    // Frames wholly inside `data` are decoded where they are; only a partial one is copied.
    const size_t n = st.process(data, on_frame);
    st.buffer.assign(data.begin() + static_cast<std::ptrdiff_t>(n), data.end());
    return;
  }
  st.buffer.insert(st.buffer.end(), data.begin(), data.end());
  const size_t n = st.process(st.buffer, on_frame);
  st.buffer.erase(st.buffer.begin(), st.buffer.begin() + static_cast<std::ptrdiff_t>(n));
}

void Session::feed_frame(std::span<const uint8_t> frame, const FrameCallback& on_frame) {
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

std::string_view Session::ident() const {
  const auto& slots = state_->data.slots;
  return slots.empty() ? std::string_view() : std::string_view(slots[0].s);
}

void Session::set_ident(std::string_view ident) {
  auto& slots = state_->data.slots;
  if (!slots.empty()) slots[0].s = ident;
}

uint64_t Session::stream_offset() const {
  return state_->consumed;
}

size_t Session::buffered() const {
  return state_->buffer.size();
}

}  // namespace pvm
