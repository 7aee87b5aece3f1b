// Session::set_trace: the steps of a traced frame with their stream offsets, bytes, values and
// source lines; a traced frame decodes as an untraced one; an empty callback turns tracing off.
#include <doctest/doctest.h>

#include <string>

#include "vm_test_util.h"

namespace {

using vmtest::Collector;
using vmtest::hex;

constexpr std::string_view kLengthPrefixed = R"(
.protocol "test"
.source "test.pvm"
.session ident s
.func framing.tcp
.regs i=2 u=0 f=0 b=0 s=0 y=0
.loc 2 1 "u16 ==> $len"
    rd.u16be i0
    ldk i1, 2
    add.i i0, i0, i1
    ret.i i0
.end
.func packet.tcp
.regs i=2 u=0 f=0 b=0 s=0 y=1
.loc 5 5 "skip 2"
    ldk i0, 2
    skip i0
.loc 6 5 "u8 ==> #kind"
    msg.new
    rd.u8 i0
    set.i "kind", i0
.loc 7 5 "within 2 { ... }"
    ldk i1, 2
    view.push i1
.loc 8 9 "bytes(1) ==> $x"
    ldk i1, 1
    rd.bytes y0, i1
    view.pop
.loc 9 5 "u8 at 2"
    ldk i1, 2
    seek i1
    rd.u8 i1
    ldk i0, 5
    seek i0
.loc 10 5 "skip 1"
    ldk i0, 1
    skip i0
    ret
.end
)";

constexpr std::string_view kDelimited = R"(
.protocol "test"
.source "test.pvm"
.session ident s
.delimited 0x7e {x"7d02": 0x7e, x"7d01": 0x7d}
.func packet.tcp
.regs i=1 u=0 f=0 b=0 s=0 y=0
.loc 3 5 "u16 ==> #id"
    msg.new
    rd.u16be i0
    set.i "id", i0
.loc 4 5 "u8 ==> #next"
    rd.u8 i0
    set.i "next", i0
.loc 5 5 "u8"
    rd.u8 i0
.loc 6 5 "u16"
    rd.u16be i0
    ret
.end
)";

std::string kind_name(pvm::TraceEvent::Kind k) {
  using K = pvm::TraceEvent::Kind;
  switch (k) {
    case K::Begin:
      return "begin";
    case K::Read:
      return "read";
    case K::Skip:
      return "skip";
    case K::Seek:
      return "seek";
    case K::Within:
      return "within";
    case K::Leave:
      return "leave";
    case K::Call:
      return "call";
    case K::Store:
      return "store";
    case K::End:
      return "end";
  }
  return "?";
}

// Each event as "KIND depth OFFSET+LENGTH HEX line:col [= VALUE] [at] [NAME] [error]".
struct Events {
  std::vector<std::string> lines;

  pvm::TraceCallback callback() {
    return [this](const pvm::TraceEvent& e) {
      std::string s = kind_name(e.kind) + " " + std::to_string(e.depth) + " " + std::to_string(e.offset) +
                      "+" + std::to_string(e.length) + " " + vmtest::to_hex(e.bytes) + " " +
                      std::to_string(e.line) + ":" + std::to_string(e.col);
      if (e.kind == pvm::TraceEvent::Kind::Read || e.kind == pvm::TraceEvent::Kind::Store) {
        std::string v;
        pvm::Field f = e.value;
        f.name = "v";
        pvm::append_json(v, pvm::Message{std::span<const pvm::Field>(&f, 1)});
        s += " = " + v.substr(5, v.size() - 6);
      }
      if (e.at) s += " at";
      if (!e.value.name.empty()) s += " " + std::string(e.value.name);
      if (e.kind == pvm::TraceEvent::Kind::Begin) s += " " + std::string(e.what);
      if (e.error != nullptr) s += " error: " + e.error->format("test.pvm");
      lines.push_back(s);
    };
  }
};

// The events of one frame of `module` over `input` (hex), then the frame's outcome.
std::vector<std::string> trace_frame(const std::string& module, std::string_view input) {
  pvm::Session session(vmtest::load(module), {});
  Events events;
  session.set_trace(events.callback());
  Collector c;
  session.feed_frame(hex(input), c.callback());
  REQUIRE(c.frames.size() == 1);
  events.lines.push_back(vmtest::outcome(c.frames[0]));
  return events.lines;
}

}  // namespace

TEST_SUITE("vm trace") {
  TEST_CASE("a traced frame: reads, skips, views and stores at their stream offsets") {
    const auto program = vmtest::load(kLengthPrefixed);
    pvm::Session traced(program, {});
    pvm::Session plain(program, {});
    Events events;
    traced.set_trace(events.callback());
    Collector a, b;
    const auto input = hex("0004 05 abcd ee");
    traced.feed(input, a.callback());
    plain.feed(input, b.callback());
    CHECK(events.lines == std::vector<std::string>{
                              "begin 0 0+6 000405abcdee 0:0 framing.tcp",  // the bytes buffered
                              "read 0 0+2 0004 2:1 = 4",
                              "end 0 2+0  0:0",
                              "begin 0 0+6 000405abcdee 0:0 packet.tcp",
                              "skip 0 0+2 0004 5:5",
                              "read 0 2+1 05 6:5 = 5",
                              "store 0 3+0  6:5 = 5 #kind",
                              "within 0 3+2 abcd 7:5",
                              "read 1 3+1 ab 8:9 = \"ab\"",
                              "leave 0 5+0  8:9",
                              "read 0 2+1 05 9:5 = 5 at",  // seek, read, seek back: one read
                              "skip 0 5+1 ee 10:5",
                              "end 0 6+0  0:0",
                          });
    REQUIRE(a.frames.size() == 1);
    REQUIRE(b.frames.size() == 1);
    CHECK(vmtest::outcome(a.frames[0]) == vmtest::outcome(b.frames[0]));
    CHECK(vmtest::outcome(a.frames[0]) == R"({"kind":5})");

    // An empty callback turns tracing off.
    traced.set_trace({});
    traced.feed(input, a.callback());
    CHECK(events.lines.size() == 13);
    CHECK(a.frames.size() == 2);
  }

  TEST_CASE("rdset and setdiv trace as the instructions they stand for") {
    const auto body = [](std::string_view code) {
      return ".protocol \"test\"\n.source \"test.pvm\"\n.func packet.tcp\n.regs i=1 u=0 f=2 b=0 s=0 y=0\n"
             ".loc 3 5 \"emit\"\n    msg.new\n" +
             std::string(code) + "    ret\n.end\n";
    };
    const auto trace = [](const std::string& module) { return trace_frame(module, "07 fff6 01"); };
    const auto fused = trace(
        body(".loc 4 5 \"#kind = u8\"\n    rdset.u8 i0, \"kind\"\n"
             ".loc 5 5 \"#t = i16 / 10\"\n    rd.i16be i0\n    ldd f1, 10.0\n    setdiv.i \"t\", i0, f1\n"
             ".loc 6 5 \"#n = u8\"\n    rdset.u8 i0, \"n\"\n"));
    CHECK(fused ==
          trace(body(".loc 4 5 \"#kind = u8\"\n    rd.u8 i0\n    set.i \"kind\", i0\n"
                     ".loc 5 5 \"#t = i16 / 10\"\n    rd.i16be i0\n    ldd f1, 10.0\n    i2f f0, i0\n"
                     "    div.f f0, f0, f1\n    set.f \"t\", f0\n"
                     ".loc 6 5 \"#n = u8\"\n    rd.u8 i0\n    set.i \"n\", i0\n")));
    CHECK(fused == std::vector<std::string>{
                       "begin 0 0+4 07fff601 0:0 packet.tcp",
                       "read 0 0+1 07 4:5 = 7",
                       "store 0 1+0  4:5 = 7 #kind",
                       "read 0 1+2 fff6 5:5 = -10",
                       "store 0 3+0  5:5 = -1 #t",
                       "read 0 3+1 01 6:5 = 1",
                       "store 0 4+0  6:5 = 1 #n",
                       "end 0 4+0  0:0",
                       R"({"kind":7,"t":-1,"n":1})",
                   });
  }

  TEST_CASE("rdat traces as the seek, read and seek back it stands for: one read `at`") {
    const auto body = [](std::string_view code) {
      return ".protocol \"test\"\n.source \"test.pvm\"\n.func packet.tcp\n.regs i=4 u=0 f=0 b=0 s=0 y=1\n"
             ".loc 3 5 \"emit\"\n    msg.new\n    ldk i0, 1\n    skip i0\n" +
             std::string(code) + "    ret\n.end\n";
    };
    const auto trace = [](const std::string& module) { return trace_frame(module, "07 fff6 01"); };
    const auto fused =
        trace(body(".loc 4 5 \"#a = u16 at 2\"\n    ldk i1, 2\n    rdat.u16be i2, i1\n    set.i \"a\", i2\n"
                   ".loc 5 5 \"bytes(2) at 0\"\n    ldk i1, 0\n    ldk i3, 2\n    rdat.bytes y0, i3, i1\n"
                   ".loc 6 5 \"u16 at 3\"\n    ldk i1, 3\n    rdat.u16be i2, i1\n"));
    CHECK(fused ==
          trace(body(".loc 4 5 \"#a = u16 at 2\"\n    pos i0\n    ldk i1, 2\n    seek i1\n    rd.u16be i2\n"
                     "    seek i0\n    set.i \"a\", i2\n"
                     ".loc 5 5 \"bytes(2) at 0\"\n    pos i0\n    ldk i1, 0\n    ldk i3, 2\n    seek i1\n"
                     "    rd.bytes y0, i3\n    seek i0\n"
                     ".loc 6 5 \"u16 at 3\"\n    pos i0\n    ldk i1, 3\n    seek i1\n    rd.u16be i2\n"
                     "    seek i0\n")));
    CHECK(fused ==
          std::vector<std::string>{
              "begin 0 0+4 07fff601 0:0 packet.tcp",
              "skip 0 0+1 07 3:5",
              "read 0 2+2 f601 4:5 = 62977 at",
              "store 0 1+0  4:5 = 62977 #a",
              "read 0 0+2 07ff 5:5 = \"07ff\" at",
              "seek 0 1+2 fff6 6:5",  // the read that fails is not reported
              "end 0 3+0  0:0 error: offset 3: u16 at 3: truncated: need 2 bytes, 1 left (test.pvm:6:5)",
              "error: offset 3: u16 at 3: truncated: need 2 bytes, 1 left (test.pvm:6:5)",
          });
  }

  TEST_CASE("setn traces as the setd of the name it makes") {
    const auto trace = [](const std::string& code) {
      return trace_frame(
          ".protocol \"test\"\n.source \"test.pvm\"\n.func packet.tcp\n.regs i=1 u=0 f=0 b=0 s=3 y=0\n"
          ".loc 3 5 \"#din[u8] = u8\"\n    msg.new\n    rd.u8 i0\n" +
              code + "    ret\n.end\n",
          "02");
    };
    const auto fused = trace("    setn.i \"din.\", i0, i0\n");
    CHECK(fused == trace("    lds s0, \"din.\"\n    itos s1, i0\n    cat.s s2, s0, s1\n    setd.i s2, i0\n"));
    CHECK(fused == std::vector<std::string>{
                       "begin 0 0+1 02 0:0 packet.tcp",
                       "read 0 0+1 02 3:5 = 2",
                       "store 0 1+0  3:5 = 2 #din.2",
                       "end 0 1+0  0:0",
                       R"({"din.2":2})",
                   });
  }

  TEST_CASE("loop.i and loop.k trace as the add.k and jlt they stand for") {
    const auto module = [](std::string_view latch_i, std::string_view latch_k) {
      return ".protocol \"test\"\n.source \"test.pvm\"\n.func packet.tcp\n.regs i=3 u=0 f=0 b=0 s=0 y=0\n"
             ".loc 3 5 \"repeat u8 { emit { #n = u8 } }\"\n    rd.u8 i1\n    ldk i0, 0\nA:\n"
             ".loc 3 23 \"#n = u8\"\n    msg.new\n    rdset.u8 i2, \"n\"\n    msg.end\n" +
             std::string(latch_i) +
             ".loc 4 5 \"repeat 2 { emit { #m = u8 } }\"\n    ldk i0, 0\nK:\n"
             ".loc 4 22 \"#m = u8\"\n    msg.new\n    rdset.u8 i2, \"m\"\n    msg.end\n" +
             std::string(latch_k) + "    ret\n.end\n";
    };
    const auto trace = [](const std::string& module) { return trace_frame(module, "02 07 08 09 0a"); };
    const auto fused = trace(module("    loop.i i0, i1, A\n", "    loop.k i0, 2, K\n"));
    CHECK(fused == trace(module("    add.k i0, i0, 1\n    jlt.i i0, i1, A\n",
                                "    add.k i0, i0, 1\n    jlt.k i0, 2, K\n")));
    // Neither add.k nor a jump is a step of the trace: the passes show as their reads and stores.
    CHECK(fused == std::vector<std::string>{
                       "begin 0 0+5 020708090a 0:0 packet.tcp",
                       "read 0 0+1 02 3:5 = 2",
                       "read 0 1+1 07 3:23 = 7",
                       "store 0 2+0  3:23 = 7 #n",
                       "read 0 2+1 08 3:23 = 8",
                       "store 0 3+0  3:23 = 8 #n",
                       "read 0 3+1 09 4:22 = 9",
                       "store 0 4+0  4:22 = 9 #m",
                       "read 0 4+1 0a 4:22 = 10",
                       "store 0 5+0  4:22 = 10 #m",
                       "end 0 5+0  0:0",
                       "{\"n\":7}\n{\"n\":8}\n{\"m\":9}\n{\"m\":10}",
                   });
  }

  TEST_CASE("a delimited frame: offsets, lengths and a trap on the wire, bytes unescaped") {
    pvm::Session session(vmtest::load(kDelimited), {});
    Events events;
    session.set_trace(events.callback());
    Collector c;
    session.feed(hex("7e 7d02 01 7d01 7e"), c.callback());
    REQUIRE(c.frames.size() == 1);
    CHECK(c.frames[0].failed);
    // The frame is the delimiters and the bytes between them, its escapes undone.
    CHECK(events.lines ==
          std::vector<std::string>{
              "begin 0 0+7 7e7e017d7e 0:0 packet.tcp",
              "read 0 0+3 7e7e 3:5 = 32382",
              "store 0 3+0  3:5 = 32382 #id",
              "read 0 3+1 01 4:5 = 1",
              "store 0 4+0  4:5 = 1 #next",
              "read 0 4+2 7d 5:5 = 125",
              "end 0 6+0  0:0 error: offset 6: u16: truncated: need 2 bytes, 1 left (test.pvm:6:5)",
          });
  }
}
