#include "trace.h"

#include <algorithm>
#include <cmath>

namespace pvm::detail {
namespace {

using bc::Op;

bool is_read(Op op) {
  return op >= Op::RdU8 && op < Op::Skip;  // opcodes.def lists the reads, then skip
}

bool is_move(Op op) {
  return op == Op::MovI || op == Op::MovU || op == Op::MovF || op == Op::MovB || op == Op::MovS ||
         op == Op::MovY;
}

// A register's value as a message field would hold it; `letter` is its class in opcodes.def.
Field field_of(const Value& v, char letter) {
  Field f;
  switch (letter) {
    case 'u':
      f.type = ValueType::UInt;
      f.u = v.u;
      break;
    case 'f':
      f.type = ValueType::Float;
      f.f = v.f;
      break;
    case 'b':
      f.type = ValueType::Bool;
      f.b = v.b;
      break;
    case 's':
    case 'y':
      f.type = letter == 's' ? ValueType::Str : ValueType::Bytes;
      f.s = std::string_view(reinterpret_cast<const char*>(v.s.p), v.s.n);
      break;
    default:
      f.type = ValueType::Int;
      f.i = v.i;
      break;
  }
  return f;
}

bool same_statement(const bc::LineEntry& a, const bc::LineEntry& b) {
  return a.line == b.line && a.col == b.col && a.file == b.file && a.site == b.site;
}

}  // namespace

void trace_step(Tracer& tracer, const TraceStep& step) {
  tracer.step(step);
}

bool trace_run(const RunInput& in, Scratch& sc, RunOutput& out) {
  Tracer& tracer = *in.session->tracer;
  tracer.begin(in);
  sc.tracer = &tracer;
  const bool ok = run_traced(in, sc, out);
  sc.tracer = nullptr;
  tracer.end(ok, out, sc.error);
  return ok;
}

void Tracer::begin(const RunInput& in) {
  in_ = &in;
  const bool unescaped = in.frame.data() == unescaped_.data() && !frame_escapes_.empty();
  escapes_ = unescaped ? &frame_escapes_ : nullptr;
  calls_.clear();
  call_lines_.assign(in.function->sites.size(), -2);
  last_read_ = nullptr;
  pending_ = 0;
  stopped_ = in.offset;
  TraceEvent e;
  e.kind = TraceEvent::Kind::Begin;
  e.offset = in.offset;
  e.length = wire_length(ViewOrigin{in.offset, ViewOrigin::kNoName, true}, 0, in.frame.size());
  e.bytes = in.frame;
  e.what = in.module->strings[in.function->name];
  on_event_(e);
}

void Tracer::step(const TraceStep& s) {
  if (s.origin.in_frame) stopped_ = stream_offset(s.origin, s.to);
  const bool read = is_read(s.op);
  // A read `at OFFSET` runs as a seek, the read and a seek back: it is reported as one read.
  if (pending_ == 1 && read && s.data == seek_.step.data && s.from == seek_.step.to) {
    read_ = {s, s.regs[s.ip[1]]};
    pending_ = 2;
    return;
  }
  if (pending_ == 2 && s.op == Op::Seek && s.data == seek_.step.data && s.to == seek_.step.from) {
    pending_ = 0;
    handle(read_.step, &read_.value, true);
    return;
  }
  flush();
  if (s.op == Op::Seek) {
    seek_ = {s, Value{}};
    pending_ = 1;
    return;
  }
  handle(s, read ? &s.regs[s.ip[1]] : nullptr, false);
}

void Tracer::flush() {
  const int held = pending_;
  pending_ = 0;
  if (held >= 1) handle(seek_.step, nullptr, false);
  if (held == 2) handle(read_.step, &read_.value, false);
}

void Tracer::end(bool ok, const RunOutput& out, const Error& error) {
  flush();
  TraceEvent e;
  e.kind = TraceEvent::Kind::End;
  if (ok) {
    e.offset = stream_offset(ViewOrigin{in_->offset, ViewOrigin::kNoName, true}, out.consumed);
  } else {
    error_ = error;
    if (escapes_ != nullptr && error_.offset >= in_->offset)
      error_.offset = in_->offset + wire_offset(*escapes_, error_.offset - in_->offset);
    e.error = &error_;
    e.offset = stopped_;
  }
  on_event_(e);
  in_ = nullptr;
}

void Tracer::handle(const TraceStep& s, const Value* value, bool at) {
  const bc::Module& m = *in_->module;
  const bc::LineEntry* entry = entry_at(s.pc);
  const std::string_view ops = bc::op_info(s.op).operands;
  TraceEvent e;
  uint32_t views = s.views;
  // The bytes [from, to) of the view, and where they are in the stream.
  const auto take = [&](uint32_t from, uint32_t to) {
    e.offset = stream_offset(s.origin, from);
    e.length = wire_length(s.origin, from, to - from);
    e.bytes = {s.data + from, to - from};
    e.in_frame = s.origin.in_frame;
    if (s.origin.name != ViewOrigin::kNoName) {
      e.view = m.strings[s.origin.name];
      e.view_offset = from;
    }
  };
  switch (s.op) {
    case Op::Skip:
      e.kind = TraceEvent::Kind::Skip;
      take(s.from, s.to);
      break;
    case Op::Seek:
      e.kind = TraceEvent::Kind::Seek;
      take(std::min(s.from, s.to), s.to);  // backwards, nothing is passed over
      break;
    case Op::ViewPush: {
      e.kind = TraceEvent::Kind::Within;
      --views;
      const auto n = static_cast<uint32_t>(s.regs[s.ip[1]].i);  // the push checked it
      take(s.from, s.from + n);
      break;
    }
    case Op::ViewBytes:
      // The new view's bytes are the value's; a value built while decoding has no stream bytes.
      e.kind = TraceEvent::Kind::Within;
      --views;
      take(0, s.regs[s.ip[1]].s.n);
      break;
    case Op::ViewPop:
      e.kind = TraceEvent::Kind::Leave;
      e.offset = stopped_;
      break;
    default:
      if (value != nullptr) {
        e.kind = TraceEvent::Kind::Read;
        take(s.from, s.to);
        e.at = at;
        e.value = field_of(*value, ops[0]);
        last_read_ = entry;
        read_reg_ = s.ip[1];
        break;
      }
      e.kind = TraceEvent::Kind::Store;
      e.offset = stopped_;
      if (is_move(s.op)) {
        // Variables are stored by moves, as are many steps that store nothing a reader named
        // (a call's arguments): only the move of the value the statement has just read is that
        // value going somewhere.
        if (entry == nullptr || last_read_ == nullptr || !same_statement(*entry, *last_read_) ||
            s.ip[2] != read_reg_)
          return;
        read_reg_ = s.ip[1];
        e.value = field_of(s.regs[s.ip[1]], ops[0]);
        break;
      }
      e.value = field_of(s.regs[s.ip[2]], ops[1]);
      if (e.value.type == ValueType::Float && !std::isfinite(e.value.f)) return;  // left unset
      if (s.op == Op::SSetI || s.op == Op::SSetS || s.op == Op::SSetY) {
        target_ = "session." + m.strings[m.session[s.ip[1]].name];
      } else if (ops[0] == 'S') {
        target_ = "#" + m.strings[s.ip[1]];
      } else {
        const Value& name = s.regs[s.ip[1]];
        target_.assign(1, '#');
        target_ += std::string_view(reinterpret_cast<const char*>(name.s.p), name.s.n);
      }
      e.value.name = target_;
      break;
  }
  emit(e, entry, views);
}

const bc::LineEntry* Tracer::entry_at(uint32_t pc) const {
  const auto& lines = in_->function->lines;
  const auto it = std::upper_bound(lines.begin(), lines.end(), pc,
                                   [](uint32_t p, const bc::LineEntry& e) { return p < e.pc; });
  return it == lines.begin() ? nullptr : &*(it - 1);
}

void Tracer::emit(TraceEvent& e, const bc::LineEntry* entry, uint32_t views) {
  const bc::Module& m = *in_->module;
  const bc::Function& fn = *in_->function;
  const auto file = [&](uint32_t k) {
    return k == 0 ? std::string_view() : std::string_view(m.strings[m.files[k - 1]]);
  };
  // The calls this code is inlined in, outermost first; each one the last event was not in
  // begins here.
  chain_.clear();
  for (uint32_t site = entry != nullptr ? entry->site : 0; site != 0; site = fn.sites[site - 1].parent)
    chain_.push_back(site);
  std::reverse(chain_.begin(), chain_.end());
  size_t common = 0;
  while (common < calls_.size() && common < chain_.size() && calls_[common] == chain_[common]) ++common;
  for (size_t k = common; k < chain_.size(); ++k) {
    const bc::CallSite& c = fn.sites[chain_[k] - 1];
    TraceEvent call;
    call.kind = TraceEvent::Kind::Call;
    call.depth = views + static_cast<uint32_t>(k);
    call.offset = e.offset;
    call.in_frame = e.in_frame;
    call.file = file(c.file);
    call.line = c.line;
    call.col = c.col;
    call.what = call_line(chain_[k]);
    on_event_(call);
  }
  calls_.assign(chain_.begin(), chain_.end());
  e.depth = views + static_cast<uint32_t>(chain_.size());
  if (entry != nullptr) {
    e.file = file(entry->file);
    e.line = entry->line;
    e.col = entry->col;
    e.what = m.strings[entry->what];
  }
  on_event_(e);
}

// The first line of the statement holding call `site`: that of an entry of the calling code on
// the call's line.
std::string_view Tracer::call_line(uint32_t site) {
  const bc::Function& fn = *in_->function;
  int32_t& found = call_lines_[site - 1];
  if (found == -2) {
    const bc::CallSite& c = fn.sites[site - 1];
    found = -1;
    for (size_t k = 0; k < fn.lines.size(); ++k) {
      const bc::LineEntry& l = fn.lines[k];
      if (l.file == c.file && l.line == c.line && l.site == c.parent) {
        found = static_cast<int32_t>(k);
        break;
      }
    }
  }
  return found < 0 ? std::string_view() : std::string_view(in_->module->strings[fn.lines[found].what]);
}

uint64_t Tracer::stream_offset(const ViewOrigin& origin, uint64_t at) const {
  if (!origin.in_frame) return origin.base;
  const uint64_t offset = origin.base + at;
  if (escapes_ == nullptr || offset < in_->offset) return offset;
  return in_->offset + wire_offset(*escapes_, offset - in_->offset);
}

uint32_t Tracer::wire_length(const ViewOrigin& origin, uint64_t at, uint64_t n) const {
  if (!origin.in_frame) return static_cast<uint32_t>(n);
  return static_cast<uint32_t>(stream_offset(origin, at + n) - stream_offset(origin, at));
}

}  // namespace pvm::detail
