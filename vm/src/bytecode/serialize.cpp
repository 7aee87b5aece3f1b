// The .pvmc encoding. Little-endian throughout:
//
//   "PVMC"  u32 version
//   header     u32 protocol, u32 source (string indexes; no count: there is exactly one)
//   strings    u32 count, each: u32 length, bytes
//   ints       u32 count, each: i64
//   floats     u32 count, each: f64 (IEEE bits)
//   session    u32 count, each: u32 name, u8 class
//   options    u32 count, each: u32 name, u8 class, i64 int_default, u32 str_default
//   files      u32 count, each: u32 name
//   delimited  u32 count, each: u8 delimiter, u32 count, each escape: u8 byte, u32 length, bytes
//   escapes    u32 count, each: u32 length, name bytes, u32 count, each escape as above
//   functions  u32 count, each:
//                u32 name, u16 reg_count[6] (i u f b s y)
//                u32 count, each param: u32 name, u32 reg
//                u32 count, each code word: u32
//                u32 count, each switch table: u32 case count, each case: i64 key, u32 target;
//                                              then u32 default target
//                u32 count, each line entry: u32 pc, u32 line, u32 col, u32 what, u32 file, u32 site
//                u32 count, each call site: u32 file, u32 line, u32 col, u32 parent
//   u32 CRC-32 of every byte before it
//
// Loading trusts nothing: the checksum is checked first (it catches accidental damage), then
// every count and length against the bytes left and the limits of module.h (a crafted file
// with a valid checksum must not make the loader allocate or read beyond what it holds).
#include "pvm/bytecode/serialize.h"

#include <bit>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pvm::bc {
namespace {

constexpr std::string_view kMagic = "PVMC";
// For counts bounded only by the bytes left.
constexpr uint32_t kNoLimit = 0xFFFFFFFFu;

class Writer {
 public:
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { put(v, 2); }
  void u32(uint32_t v) { put(v, 4); }
  void u64(uint64_t v) { put(v, 8); }
  void count(size_t n) { u32(static_cast<uint32_t>(n)); }
  void str(const std::string& s) {
    count(s.size());
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void seal() { u32(static_cast<uint32_t>(crc_compute(Crc::Crc32, out_.data(), out_.size()))); }
  std::vector<uint8_t> take() { return std::move(out_); }

 private:
  void put(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> out_;
};

uint64_t get_le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

// Reads fields from [pos, end); the first failure is kept in `error` and every later read fails.
class Reader {
 public:
  Reader(std::span<const uint8_t> bytes, size_t pos, size_t end) : bytes_(bytes), pos_(pos), end_(end) {}

  bool u8(uint8_t& v, std::string_view what) { return get(v, 1, what); }
  bool u16(uint16_t& v, std::string_view what) { return get(v, 2, what); }
  bool u32(uint32_t& v, std::string_view what) { return get(v, 4, what); }
  bool i64(int64_t& v, std::string_view what) { return get(v, 8, what); }
  bool f64(double& v, std::string_view what) {
    uint64_t bits = 0;
    if (!get(bits, 8, what)) return false;
    v = std::bit_cast<double>(bits);
    return true;
  }

  // A count of entries each at least `min_bytes` long, so a count can never promise more
  // entries than the bytes left could hold.
  bool count(uint32_t& n, uint32_t limit, size_t min_bytes, std::string_view what) {
    const size_t at = pos_;
    if (!u32(n, what)) return false;
    if (n > limit) {
      return fail(std::string(what) + " count " + std::to_string(n) + " exceeds the limit of " +
                  std::to_string(limit) + " at byte " + std::to_string(at));
    }
    if (static_cast<uint64_t>(n) * min_bytes > end_ - pos_) {
      return fail("truncated " + std::string(what) + " at byte " + std::to_string(at) + ": " +
                  std::to_string(n) + " entries cannot fit in the " + std::to_string(end_ - pos_) +
                  " bytes left");
    }
    return true;
  }

  bool str(std::string& s, std::string_view what) {
    uint32_t n = 0;
    if (!count(n, kMaxStringBytes, 1, what)) return false;
    s.assign(reinterpret_cast<const char*>(bytes_.data() + pos_), n);
    pos_ += n;
    return true;
  }

  bool reg_class(RegClass& c, std::string_view what) {
    const size_t at = pos_;
    uint8_t v = 0;
    if (!u8(v, what)) return false;
    if (v >= kRegClassCount) {
      return fail("bad " + std::string(what) + " " + std::to_string(v) + " at byte " + std::to_string(at));
    }
    c = static_cast<RegClass>(v);
    return true;
  }

  bool fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return false;
  }
  bool at_end() const { return pos_ == end_; }
  size_t pos() const { return pos_; }
  size_t left() const { return end_ - pos_; }

  std::string error;

 private:
  template <typename T>
  bool get(T& v, int n, std::string_view what) {
    if (!error.empty()) return false;
    if (end_ - pos_ < static_cast<size_t>(n)) {
      return fail("truncated " + std::string(what) + " at byte " + std::to_string(pos_));
    }
    v = static_cast<T>(get_le(bytes_.data() + pos_, n));
    pos_ += n;
    return true;
  }

  std::span<const uint8_t> bytes_;
  size_t pos_;
  size_t end_;
};

// Smallest encodings of one entry, used to bound counts before anything is allocated.
constexpr size_t kMinString = 4, kMinSession = 5, kMinOption = 17, kMinParam = 8, kMinTable = 8,
                 kMinCase = 12, kMinLine = 24, kMinSite = 16, kMinDelimited = 5, kMinEscape = 5, kMinNamedEscapes = 8,
                 kMinFunction = 4 + 2 * kRegClassCount + 5 * 4;

bool read_function(Reader& r, Function& f) {
  r.u32(f.name, "function name");
  for (uint16_t& c : f.reg_count) r.u16(c, "function register counts");
  if (r.error.empty() && f.reg_total() > kMaxRegisters) {
    return r.fail("function registers " + std::to_string(f.reg_total()) + " exceed the limit of " +
                  std::to_string(kMaxRegisters) + " at byte " + std::to_string(r.pos() - 2 * kRegClassCount));
  }
  uint32_t n = 0;
  if (!r.count(n, kNoLimit, kMinParam, "function params")) return false;
  f.params.resize(n);
  for (Param& p : f.params) {
    r.u32(p.name, "param name");
    r.u32(p.reg, "param register");
  }
  if (!r.count(n, kMaxCodeWords, 4, "function code")) return false;
  f.code.resize(n);
  for (uint32_t& w : f.code) r.u32(w, "function code");
  if (!r.count(n, kNoLimit, kMinTable, "switch tables")) return false;
  f.tables.resize(n);
  for (SwitchTable& t : f.tables) {
    const size_t at = r.pos();
    if (!r.count(n, kMaxSwitchCases, kMinCase, "switch cases")) return false;
    t.cases.resize(n);
    for (size_t k = 0; k < t.cases.size(); ++k) {
      r.i64(t.cases[k].first, "switch key");
      r.u32(t.cases[k].second, "switch target");
      if (k > 0 && r.error.empty() && t.cases[k].first <= t.cases[k - 1].first) {
        return r.fail("switch keys not ascending in the table at byte " + std::to_string(at));
      }
    }
    r.u32(t.default_target, "switch default");
  }
  if (!r.count(n, kNoLimit, kMinLine, "line table")) return false;
  f.lines.resize(n);
  for (size_t k = 0; k < f.lines.size(); ++k) {
    LineEntry& e = f.lines[k];
    const size_t at = r.pos();
    r.u32(e.pc, "line entry");
    r.u32(e.line, "line entry");
    r.u32(e.col, "line entry");
    r.u32(e.what, "line entry");
    r.u32(e.file, "line entry");
    r.u32(e.site, "line entry");
    if (k > 0 && r.error.empty() && e.pc < f.lines[k - 1].pc) {
      return r.fail("line entries not in code order at byte " + std::to_string(at));
    }
  }
  if (!r.count(n, kNoLimit, kMinSite, "call sites")) return false;
  f.sites.resize(n);
  for (CallSite& c : f.sites) {
    r.u32(c.file, "call site");
    r.u32(c.line, "call site");
    r.u32(c.col, "call site");
    r.u32(c.parent, "call site");
  }
  return r.error.empty();
}

bool read_body(Reader& r, Module& m) {
  r.u32(m.protocol, "header");
  r.u32(m.source, "header");
  uint32_t n = 0;
  if (!r.count(n, kMaxStrings, kMinString, "string table")) return false;
  m.strings.resize(n);
  for (std::string& s : m.strings) {
    if (!r.str(s, "string")) return false;
  }
  if (!r.count(n, kMaxPoolEntries, 8, "int pool")) return false;
  m.ints.resize(n);
  for (int64_t& v : m.ints) r.i64(v, "int pool");
  if (!r.count(n, kMaxPoolEntries, 8, "float pool")) return false;
  m.floats.resize(n);
  for (double& v : m.floats) r.f64(v, "float pool");
  if (!r.count(n, kNoLimit, kMinSession, "session slots")) return false;
  m.session.resize(n);
  for (SessionSlot& s : m.session) {
    r.u32(s.name, "session slot");
    r.reg_class(s.cls, "session slot class");
  }
  if (!r.count(n, kNoLimit, kMinOption, "options")) return false;
  m.options.resize(n);
  for (OptionDef& o : m.options) {
    const size_t at = r.pos();
    r.u32(o.name, "option");
    r.reg_class(o.cls, "option class");
    r.i64(o.int_default, "option");
    r.u32(o.str_default, "option");
    if (r.error.empty() && o.cls != RegClass::Int && o.cls != RegClass::Bool && o.cls != RegClass::Str) {
      return r.fail("option of class " + std::string(1, kRegClassLetters[static_cast<size_t>(o.cls)]) +
                    " (only i, b or s) at byte " + std::to_string(at));
    }
  }
  if (!r.count(n, kNoLimit, 4, "file table")) return false;
  m.files.resize(n);
  for (uint32_t& f : m.files) r.u32(f, "file table");
  if (!r.count(n, 256, kMinDelimited, "delimited declarations")) return false;
  m.delimited.resize(n);
  for (Delimited& d : m.delimited) {
    r.u8(d.delimiter, "delimited declaration");
    if (!r.count(n, 256, kMinEscape, "escapes")) return false;
    d.escapes.resize(n);
    for (Escape& e : d.escapes) {
      r.u8(e.byte, "escape");
      if (!r.str(e.sequence, "escape sequence")) return false;
    }
  }
  if (!r.count(n, 256, kMinNamedEscapes, "escape tables")) return false;
  m.escape_tables.resize(n);
  for (NamedEscapes& t : m.escape_tables) {
    if (!r.str(t.name, "escape table name")) return false;
    if (!r.count(n, 256, kMinEscape, "escapes")) return false;
    t.escapes.resize(n);
    for (Escape& e : t.escapes) {
      r.u8(e.byte, "escape");
      if (!r.str(e.sequence, "escape sequence")) return false;
    }
  }
  if (!r.count(n, kMaxFunctions, kMinFunction, "functions")) return false;
  m.functions.resize(n);
  for (Function& f : m.functions) {
    if (!read_function(r, f)) return false;
  }
  if (!r.error.empty()) return false;
  if (!r.at_end()) {
    return r.fail(std::to_string(r.left()) + " unexpected bytes after the functions at byte " +
                  std::to_string(r.pos()));
  }
  return true;
}

std::string hex32(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) s += kDigits[(v >> shift) & 0xF];
  return s;
}

}  // namespace

std::vector<uint8_t> serialize(const Module& m) {
  Writer w;
  for (char c : kMagic) w.u8(static_cast<uint8_t>(c));
  w.u32(kFormatVersion);
  w.u32(m.protocol);
  w.u32(m.source);
  w.count(m.strings.size());
  for (const std::string& s : m.strings) w.str(s);
  w.count(m.ints.size());
  for (int64_t v : m.ints) w.u64(static_cast<uint64_t>(v));
  w.count(m.floats.size());
  for (double v : m.floats) w.u64(std::bit_cast<uint64_t>(v));
  w.count(m.session.size());
  for (const SessionSlot& s : m.session) {
    w.u32(s.name);
    w.u8(static_cast<uint8_t>(s.cls));
  }
  w.count(m.options.size());
  for (const OptionDef& o : m.options) {
    w.u32(o.name);
    w.u8(static_cast<uint8_t>(o.cls));
    w.u64(static_cast<uint64_t>(o.int_default));
    w.u32(o.str_default);
  }
  w.count(m.files.size());
  for (uint32_t f : m.files) w.u32(f);
  w.count(m.delimited.size());
  for (const Delimited& d : m.delimited) {
    w.u8(d.delimiter);
    w.count(d.escapes.size());
    for (const Escape& e : d.escapes) {
      w.u8(e.byte);
      w.str(e.sequence);
    }
  }
  w.count(m.escape_tables.size());
  for (const NamedEscapes& t : m.escape_tables) {
    w.str(t.name);
    w.count(t.escapes.size());
    for (const Escape& e : t.escapes) {
      w.u8(e.byte);
      w.str(e.sequence);
    }
  }
  w.count(m.functions.size());
  for (const Function& f : m.functions) {
    w.u32(f.name);
    for (uint16_t c : f.reg_count) w.u16(c);
    w.count(f.params.size());
    for (const Param& p : f.params) {
      w.u32(p.name);
      w.u32(p.reg);
    }
    w.count(f.code.size());
    for (uint32_t word : f.code) w.u32(word);
    w.count(f.tables.size());
    for (const SwitchTable& t : f.tables) {
      w.count(t.cases.size());
      for (const auto& [key, target] : t.cases) {
        w.u64(static_cast<uint64_t>(key));
        w.u32(target);
      }
      w.u32(t.default_target);
    }
    w.count(f.lines.size());
    for (const LineEntry& e : f.lines) {
      w.u32(e.pc);
      w.u32(e.line);
      w.u32(e.col);
      w.u32(e.what);
      w.u32(e.file);
      w.u32(e.site);
    }
    w.count(f.sites.size());
    for (const CallSite& c : f.sites) {
      w.u32(c.file);
      w.u32(c.line);
      w.u32(c.col);
      w.u32(c.parent);
    }
  }
  w.seal();
  return w.take();
}

bool deserialize(std::span<const uint8_t> bytes, Module& out, std::string& error) {
  if (bytes.size() > kMaxModuleBytes) {
    error = "module of " + std::to_string(bytes.size()) + " bytes, the limit is " +
            std::to_string(kMaxModuleBytes);
    return false;
  }
  if (bytes.size() < kMagic.size()) {
    error = "truncated magic at byte 0";
    return false;
  }
  if (std::string_view(reinterpret_cast<const char*>(bytes.data()), kMagic.size()) != kMagic) {
    error = "bad magic (not a .pvmc module)";
    return false;
  }
  if (bytes.size() < 8) {
    error = "truncated format version at byte 4";
    return false;
  }
  const auto version = static_cast<uint32_t>(get_le(bytes.data() + 4, 4));
  if (version != kFormatVersion) {
    error = "unsupported format version " + std::to_string(version);
    return false;
  }
  if (bytes.size() < 12) {
    error = "truncated checksum at byte 8";
    return false;
  }
  const size_t body_end = bytes.size() - 4;
  const uint64_t stored = get_le(bytes.data() + body_end, 4);
  const uint64_t computed = crc_compute(Crc::Crc32, bytes.data(), body_end);
  if (stored != computed) {
    error = "checksum mismatch (stored " + hex32(stored) + ", computed " + hex32(computed) +
            "): the file is truncated or damaged";
    return false;
  }
  Reader r(bytes, 8, body_end);
  Module m;
  if (!read_body(r, m)) {
    error = r.error;
    return false;
  }
  out = std::move(m);
  return true;
}

}  // namespace pvm::bc
