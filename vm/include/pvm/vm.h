// The embedding API: load a verified module, open a session per connection, feed it bytes,
// and receive each frame's messages, replies and errors. This header is all a host needs.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pvm/bytecode/module.h"
#include "pvm/printable.h"

namespace pvm {

namespace detail {
struct Patterns;   // the module's regular expressions, compiled once when it loads
struct Escapes;    // the module's delimited framings, as lookup tables
class ParamNames;  // the module's strings as parameter names: hashes and JSON keys
class JitCode;     // the module's functions compiled to native code (Engine::Jit)
class BackgroundJit;  // the thread that compiles them for LoadOptions::jit_in_background
}  // namespace detail

enum class Transport : uint8_t { Tcp, Udp };

enum class ValueType : uint8_t { Int, UInt, Float, Bool, Str, Bytes };

// One parameter of a message. Views point into the frame or the session's arena and stay
// valid until the frame callback returns.
struct Field {
  std::string_view name;
  ValueType type = ValueType::Int;
  // Set by the VM for names that are constants of the module: `name` is stored between '"' and
  // '":', needs no escaping, and is followed by padding the VM keeps, so append_json copies the
  // key whole in one move. Hosts leave it false.
  bool name_quoted = false;
  union {
    int64_t i;
    uint64_t u;
    double f;
    bool b;
  };
  std::string_view s;  // Str: the text; Bytes: the raw bytes
  Field() : i(0) {}
};

struct Message {
  std::span<const Field> fields;  // "ident" and "protocol.id" first, then in the order set
  const Field* find(std::string_view name) const;
};

// Why a frame was rejected (or, for warnings, what was tolerated).
enum class Trap : uint8_t {
  None,
  NeedMore,   // framing: the stream does not hold a whole frame yet (never reported for a frame)
  Truncated,  // a read past the end of the frame or of a sub-view
  Rejected,   // fail / expect / check in the program
  BadValue,   // text that is not a number, a BCD nibble above 9, a bad width
  DivByZero,
  OutOfFuel,   // the frame did more work (loop passes, bytes walked) than its fuel allows
  Limit,       // too many messages, parameters, output or arena bytes, or nested views
  BadFrame,    // the framing function rejected the bytes or returned a bad length
  Incomplete,  // the stream ended inside a frame
};
std::string_view trap_name(Trap t);

struct Error {
  Trap trap = Trap::None;
  std::string reason;   // "CRC-16/ARC mismatch", "need 4 bytes, 2 left"
  uint64_t offset = 0;  // stream offset of the byte where it happened
  uint32_t line = 0;    // .pvm source position of the failing code (0 when unknown)
  uint32_t col = 0;
  std::string file;  // the used file line:col is in ("lib/jt808_items.pvm"); empty: the source
  std::string what;  // the field or step, from the line table ("u32 $crc")
  // For code of an inlined function, each call it was inlined at, innermost first.
  struct Call {
    std::string file;  // empty: the source
    uint32_t line = 0;
    uint32_t col = 0;
  };
  std::vector<Call> via;
  // Inside `within BYTES { }`: the value read ("$body") and the failing byte's offset in it.
  // `offset` is then that byte's stream offset when the value's bytes are the frame's, else the
  // stream offset of the `within` statement (the value was built while decoding).
  std::string value;
  uint32_t value_offset = 0;
  // "offset 18: u32 $crc: truncated: need 4 bytes, 2 left (teltonika.pvm:42:5)"; inlined code
  // names its calls, a file only where it changes: "(lib/items.pvm:12:5 via jt808.pvm:112:9 via 140:5)".
  // Module strings and device bytes in it are escaped for terminals and logs (printable()).
  std::string format(std::string_view source_file) const;
};

struct FrameResult {
  uint64_t offset = 0;             // stream offset of the frame's first byte
  std::span<const uint8_t> bytes;  // the frame
  std::span<const Message> messages;
  std::span<const std::vector<uint8_t>> replies;  // to send, in order, once the messages are stored
  std::span<const Error> warnings;
  const Error* error = nullptr;  // set when the frame was rejected: then no messages and no replies
};

using FrameCallback = std::function<void(const FrameResult&)>;

// One step of a traced run (Session::set_trace): which bytes a read took, what they became, and
// the source line that said so. Views and strings are valid only during the callback.
struct TraceEvent {
  enum class Kind : uint8_t {
    Begin,   // a function starts (`what`: "framing.tcp", "packet.tcp", ...) on `bytes` at `offset`
    Read,    // a read took `bytes`; `value` is what it read
    Skip,    // `skip N` passed over `bytes`
    Seek,    // `seek` moved the cursor to `offset`; forward, `bytes` are the ones it passed over
    Within,  // a view begins: `within N` over `bytes`, or `within VALUE` over the value's bytes
    Leave,   // the view of the matching Within ends
    Call,    // code of an inlined function or table begins; the position is the call's
    Store,   // `value` is stored: in `value.name` ("#position.speed", "session.ident"), or in a
             // variable ("") by the statement whose read came just before
    End,     // the function ended: `offset` is where the cursor stopped; `error` when it trapped
  };
  Kind kind = Kind::Read;
  uint32_t depth = 0;              // the views and inlined calls the step is inside
  uint64_t offset = 0;             // stream offset of the first byte (for a delimited frame, on the wire)
  uint32_t length = 0;             // the stream bytes taken (on the wire: escapes count in full)
  std::span<const uint8_t> bytes;  // the bytes as the program read them (escapes undone)
  bool at = false;                 // a Read `at OFFSET`: the cursor did not move
  bool in_frame = true;            // false inside `within VALUE` over bytes built while decoding: then
                                   // `offset` is where that within ran, and `view_offset` the byte's index
  std::string_view view;           // inside `within VALUE`: the value's name ("$body"), else ""
  uint32_t view_offset = 0;
  Field value;            // Read and Store
  std::string_view file;  // the used file of the position ("lib/time.pvm"); "" for the source
  uint32_t line = 0;      // .pvm position of the statement (of the call, for Call); 0 if unknown
  uint32_t col = 0;
  std::string_view what;         // the statement's first line, as in errors
  const Error* error = nullptr;  // End of a run that trapped
};

using TraceCallback = std::function<void(const TraceEvent&)>;

// The bytes a session may keep in its str and bytes variables together, unless SessionOptions
// says otherwise: a frame that would keep more is rejected (Trap::Limit).
inline constexpr uint32_t kDefaultMaxSessionBytes = 64 * 1024;

struct SessionOptions {
  Transport transport = Transport::Tcp;
  bool lenient_checks = false;  // `check` failures become warnings (pvm decode --crc warn)
  uint64_t fuel = bc::kDefaultFuel;
  uint32_t max_frame = 1u << 16;  // larger frames are rejected as BadFrame
  uint32_t max_session_bytes = kDefaultMaxSessionBytes;
};

// The wall clock as Unix seconds: the receive time of bytes fed without one.
double unix_time();

// What runs a program's functions. Both give the same messages, replies, errors and warnings.
enum class Engine : uint8_t {
  Interpreter,
  Jit,  // native code compiled by LLVM when the program loads (a build with PVM_JIT)
};
std::string_view engine_name(Engine e);  // "interpreter", "jit"
// True when this build has the JIT (CMake found LLVM) and its library loads: LLVM is loaded only
// by a process that asks for the JIT, the first time it does (docs/embedding.md).
bool jit_available();

struct LoadOptions {
  // Engine::Jit compiles every function once, when the program loads; its sessions share the
  // code. Should the build have no JIT or compiling fail, the interpreter runs and
  // Program::jit_note() says why.
  Engine engine = Engine::Interpreter;
  // With Engine::Jit: a directory where the JIT keeps the native code it compiles and finds the
  // code it compiled before for the same module, LLVM, PVM and machine, so that a program loads
  // in milliseconds instead of compiling again. Empty: none. It is created (mode 0700) when
  // missing and used only when it is this user's and no one else can write to it;
  // Program::jit_cache_note() says why when it is not.
  std::string jit_cache;
  // With Engine::Jit: load returns at once, and the code is compiled (or read from jit_cache) on
  // a thread the VM keeps for it, at a lower priority, while the interpreter runs the program;
  // each session moves to the native code at its first frame after it is ready. Programs are
  // compiled one at a time, in the order loaded; a program no one holds any more by its turn is
  // skipped. At exit a compile in progress is finished and the ones waiting are dropped.
  bool jit_in_background = false;
};

class Program {
 public:
  // Verifies the module first; on failure returns null and says why in `error`.
  static std::shared_ptr<const Program> load(bc::Module module, std::string& error,
                                             const LoadOptions& options = {});
  static std::shared_ptr<const Program> load(std::span<const uint8_t> pvmc, std::string& error,
                                             const LoadOptions& options = {});

  const bc::Module& module() const { return module_; }
  std::string_view protocol() const;
  // The name errors give the program's source: the base name of the file it was compiled from
  // ("teltonika.pvm"), or the protocol's name with ".pvm"; the argument of Error::format.
  std::string source_name() const;
  bool has_function(std::string_view name) const;
  // False when no message of this program can hold a parameter of this name (no string of the
  // module is it, none is made from a prefix and a number, none is named at run time): a host
  // that adds its own fields (pvm serve's server.timestamp) then need not look for the program's.
  bool may_set(std::string_view name) const;

  // Runs "command.<name>" with text arguments (converted to the parameters' classes) and
  // returns the encoded bytes; false with a reason on a bad argument or a trap.
  bool encode(std::string_view command, std::span<const std::pair<std::string, std::string>> args,
              std::vector<uint8_t>& out, std::string& error) const;

  explicit Program(bc::Module m);
  ~Program();
  const detail::Patterns* patterns() const { return patterns_.get(); }
  const detail::ParamNames* names() const { return names_.get(); }
  const detail::Escapes* escapes() const { return escapes_.get(); }
  // The engine that runs this program's functions, and, when Engine::Jit was asked for and the
  // interpreter runs all the same, why (empty otherwise).
  Engine engine() const { return jit() ? Engine::Jit : Engine::Interpreter; }
  const std::string& jit_note() const { return jit_note_; }
  // Whether the JIT's code came from LoadOptions::jit_cache; and why that cache was not used or
  // not written, when it was asked for (the JIT runs all the same).
  bool jit_cached() const;
  const std::string& jit_cache_note() const;
  // LoadOptions::jit_in_background: true until the compile has finished, well or not. Until
  // then the interpreter runs, and jit_note, jit_cached and jit_cache_note have nothing to say.
  bool jit_compiling() const { return compiling_.load(std::memory_order_acquire); }
  // Blocks until jit_compiling() is false.
  void wait_jit() const;
  const detail::JitCode* jit() const { return native_.load(std::memory_order_acquire); }

 private:
  bc::Module module_;
  std::unique_ptr<detail::Patterns> patterns_;
  std::unique_ptr<detail::ParamNames> names_;
  std::unique_ptr<detail::Escapes> escapes_;
  friend class detail::BackgroundJit;
  // Compiles the native code and publishes it.
  void compile_jit(const std::string& cache_dir);
  // Sets the native code (or null and why not), then lets sessions run it.
  void publish_jit(std::unique_ptr<detail::JitCode> code, std::string note);

  std::unique_ptr<detail::JitCode> jit_;
  std::string jit_note_;
  std::atomic<const detail::JitCode*> native_{nullptr};  // jit_'s, once it may run
  std::atomic<bool> compiling_{false};
};

class Session {
 public:
  Session(std::shared_ptr<const Program> program, SessionOptions options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Sets an option the module declares ("extended" = "true"); false with a reason otherwise.
  bool set_option(std::string_view name, std::string_view value, std::string& error);

  // TCP: appends stream bytes and decodes every complete frame now buffered.
  // UDP: `data` is one datagram, decoded as one frame.
  // `received` (Unix seconds) is the receive time of the frames it completes, `now` in programs.
  void feed(std::span<const uint8_t> data, const FrameCallback& on_frame, double received = unix_time());
  // Decodes `frame` as one whole frame, whatever the transport, skipping the framing function:
  // for input already cut into frames (pvm decode --framed, captures of single packets).
  void feed_frame(std::span<const uint8_t> frame, const FrameCallback& on_frame,
                  double received = unix_time());
  // End of the stream: leftover bytes are reported as an Incomplete frame.
  void finish(const FrameCallback& on_frame);

  const Program& program() const;
  std::string_view ident() const;
  // Sets the ident as a login would (session slot 0): for bytes whose login is not at hand,
  // such as a capture that starts mid-connection (pvm decode --ident).
  void set_ident(std::string_view ident);
  // Calls `on_event` for every step of the frames decoded from now on (an empty function turns
  // tracing off). A traced frame always runs in the interpreter, whose traced build has the hooks
  // an untraced frame never passes; it decodes exactly as an untraced one. The callback runs
  // before the frame's FrameCallback and must not feed, finish or destroy the session.
  void set_trace(TraceCallback on_event);
  // The engine this session's frames run on: the interpreter while traced, and while the
  // program's native code compiles (LoadOptions::jit_in_background) until the first frame after
  // it is ready.
  Engine engine() const;
  uint64_t stream_offset() const;  // bytes consumed so far
  size_t buffered() const;         // bytes waiting for the rest of their frame

  struct State;

 private:
  std::unique_ptr<State> state_;
};

// Bytes that JSON is written into in place. append_json into a std::string writes into a
// per-thread one of these and copies it (a string cannot grow without zeroing what it adds); a
// host that writes every message, as a gateway does, keeps its own and writes each message once.
class JsonBuffer {
 public:
  std::string_view view() const { return {data_.get(), size_}; }
  size_t size() const { return size_; }
  void clear() { size_ = 0; }
  void append(std::string_view text) {
    if (text.empty()) return;  // its data may be null, which memcpy must not see
    std::memcpy(tail(text.size()), text.data(), text.size());
    size_ += text.size();
  }
  void push_back(char c) {
    *tail(1) = c;
    ++size_;
  }
  // At least n writable bytes after the end, taken with advance(); moved by the next tail().
  char* tail(size_t n) {
    if (capacity_ - size_ < n) grow(n);
    return data_.get() + size_;
  }
  void advance(size_t n) { size_ += n; }

 private:
  void grow(size_t n);
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// Appends one message as a JSON object on one line (no newline). Floats are written as
// JavaScript writes numbers: the shortest text that reads back to the same double, without an
// exponent from 1e-6 up to 1e21 (24.079, 1560161086, 0.000001, 1e-7, 1e+21), -0 as 0. Bytes
// fields are written as lowercase hex.
void append_json(std::string& out, const Message& message);
// The same, in place. `members` (JSON object members, `"a":1,"b":2`, no braces, no leading
// comma) is written as they are right after the message's leading "ident" and "protocol.id":
// a host's own fields, such as where the message came from, placed before the device's.
void append_json(JsonBuffer& out, const Message& message, std::string_view members = {});
// Appends `text` as a JSON string, quotes included, escaped as append_json escapes values.
void append_json_string(std::string& out, std::string_view text);
void append_json_string(JsonBuffer& out, std::string_view text);

}  // namespace pvm
