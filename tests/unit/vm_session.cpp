// Sessions: TCP reassembly with and without a framing function, resynchronization after bad
// frames, the end of a stream, UDP, session slots across frames, options and command encoding.
#include <doctest/doctest.h>

#include <string>

#include "vm_test_util.h"

namespace {

using vmtest::Collector;
using vmtest::hex;

// Frames are a u16be payload length and the payload; each frame is one message with the
// payload as hex and a reply with the length.
constexpr std::string_view kLengthPrefixed = R"(
.protocol "test"
.source "test.pvm"
.session ident s
.session frames i
.func framing.tcp
.regs i=2 u=0 f=0 b=0 s=0 y=0
.loc 2 1 "u16 $len"
    rd.u16be i0
    ldk i1, 2
    add.i i0, i0, i1
    ret.i i0
.end
.func packet.tcp
.regs i=3 u=0 f=0 b=0 s=0 y=1
    rd.u16be i0
    rd.bytes y0, i0
    sget.i i1, @frames
    ldk i2, 1
    add.i i1, i1, i2
    sset.i @frames, i1
    msg.new
    set.y "data", y0
    set.i "n", i1
    out.new
    wr.u16be i0
    out.end
    ret
.end
)";

// Frames start with the marker 0x78, then a length byte and that many payload bytes.
constexpr std::string_view kMarked = R"(
.protocol "test"
.session ident s
.func framing.tcp
.regs i=2 u=0 f=0 b=1 s=0 y=0
.loc 7 3 "start marker"
    rd.u8 i0
    ldk i1, 0x78
    eq.i b0, i0, i1
    expect b0, "no start marker"
    rd.u8 i0
    ldk i1, 2
    add.i i0, i0, i1
    ret.i i0
.end
.func packet.tcp
.regs i=1 u=0 f=0 b=0 s=0 y=1
    ldk i0, 2
    skip i0
    rd.rest y0
    msg.new
    set.y "data", y0
    ret
.end
)";

// 0x7e-delimited frames with 7d 02 / 7d 01 escapes and no framing function: each frame is a
// message with its unescaped bytes and its u16 at offset 1, and a reply of the frame as read.
constexpr std::string_view kDelimited = R"(
.protocol "test"
.session ident s
.delimited 0x7e {x"7d02": 0x7e, x"7d01": 0x7d}
.func packet.tcp
.regs i=1 u=0 f=0 b=0 s=0 y=1
    msg.new
    rd.rest y0
    set.y "frame", y0
    ldk i0, 1
    seek i0
.loc 4 2 "u16 $id"
    rd.u16be i0
    set.i "id", i0
    out.new
    wr.bytes y0
    out.end
    ret
.end
)";

std::vector<std::string> outcomes(const Collector& c) {
  std::vector<std::string> out;
  for (const auto& f : c.frames) out.push_back(std::to_string(f.offset) + " " + vmtest::outcome(f));
  return out;
}

}  // namespace

TEST_SUITE("vm session") {
  TEST_CASE("TCP: frames fed byte by byte are reassembled") {
    pvm::Session session(vmtest::load(kLengthPrefixed), {});
    Collector c;
    for (uint8_t b : hex("0002abcd 0001ef")) session.feed(std::span(&b, 1), c.callback());
    CHECK(outcomes(c) == std::vector<std::string>{R"(0 {"data":"abcd","n":1})", R"(4 {"data":"ef","n":2})"});
    CHECK(c.frames[0].bytes == "0002abcd");
    CHECK(c.frames[0].replies == std::vector<std::string>{"0002"});
    CHECK(session.stream_offset() == 7);
    CHECK(session.buffered() == 0);
  }

  TEST_CASE("TCP: several frames in one chunk, and one split across chunks") {
    pvm::Session session(vmtest::load(kLengthPrefixed), {});
    Collector c;
    session.feed(hex("0001aa 0001bb 0003cc"), c.callback());
    CHECK(c.frames.size() == 2);
    CHECK(session.buffered() == 3);
    CHECK(session.stream_offset() == 6);
    session.feed(hex("ddee 00"), c.callback());
    CHECK(outcomes(c) == std::vector<std::string>{R"(0 {"data":"aa","n":1})", R"(3 {"data":"bb","n":2})",
                                                  R"(6 {"data":"ccddee","n":3})"});
    CHECK(session.buffered() == 1);
  }

  TEST_CASE("TCP: garbage before and between frames is one BadFrame each time, then resync") {
    pvm::Session session(vmtest::load(kMarked), {});
    Collector c;
    session.feed(hex("ffff 7801aa 00 7801bb"), c.callback());
    CHECK(outcomes(c) == std::vector<std::string>{
                             "0 error: offset 1: start marker: bad frame: no start marker (test.pvm:7:3)",
                             R"(2 {"data":"aa"})",
                             "5 error: offset 6: start marker: bad frame: no start marker (test.pvm:7:3)",
                             R"(6 {"data":"bb"})"});
    CHECK(session.stream_offset() == 9);
  }

  TEST_CASE("TCP: a bad frame length is a BadFrame at the frame's start") {
    constexpr std::string_view kRaw = R"(
.protocol "test"
.session ident s
.func framing.tcp
.regs i=1 u=0 f=0 b=0 s=0 y=0
.loc 3 1 "u8 $len"
    rd.u8 i0
    ret.i i0
.end
.func packet.tcp
.regs i=0 u=0 f=0 b=0 s=0 y=0
    msg.new
    ret
.end
)";
    pvm::SessionOptions options;
    options.max_frame = 16;
    pvm::Session session(vmtest::load(kRaw), options);
    Collector c;
    session.feed(hex("00 11 02ff 1100"), c.callback());
    CHECK(outcomes(c) ==
          std::vector<std::string>{
              "0 error: offset 0: u8 $len: bad frame: frame length 0 outside 1..16 (test.pvm:3:1)", "2 {}",
              "4 error: offset 4: u8 $len: bad frame: frame length 17 outside 1..16 (test.pvm:3:1)"});
    CHECK(c.frames[0].bytes == "001102ff1100");
  }

  TEST_CASE("TCP: a framing function still short of bytes at max_frame drops them") {
    constexpr std::string_view kGreedy = R"(
.protocol "test"
.session ident s
.func framing.tcp
.regs i=1 u=0 f=0 b=0 s=0 y=0
    ldk i0, 1000
    skip i0
    ret.i i0
.end
)";
    pvm::SessionOptions options;
    options.max_frame = 8;
    pvm::Session session(vmtest::load(kGreedy), options);
    Collector c;
    session.feed(hex("01020304050607"), c.callback());
    CHECK(c.frames.empty());
    session.feed(hex("0809"), c.callback());
    CHECK(outcomes(c) ==
          std::vector<std::string>{
              "0 error: offset 0: bad frame: no frame within 8 bytes (need 1000 bytes, 9 left)"});
    CHECK(session.buffered() == 0);
    CHECK(session.stream_offset() == 9);
  }

  TEST_CASE("TCP: delimited frames split across chunks are unescaped; replies are escaped again") {
    pvm::Session session(vmtest::load(kDelimited), {});
    Collector c;
    session.feed(hex("7e 7d"), c.callback());
    CHECK(c.frames.empty());
    session.feed(hex("02 7d01 7e 7e"), c.callback());
    CHECK(session.buffered() == 1);
    session.feed(hex("7e 0102 7e"), c.callback());  // two in a row: the first is dropped
    CHECK(outcomes(c) == std::vector<std::string>{R"(0 {"frame":"7e7e7d7e","id":32381})",
                                                  R"(7 {"frame":"7e01027e","id":258})"});
    CHECK(c.frames[0].bytes == "7e7d027d017e");
    CHECK(c.frames[0].replies == std::vector<std::string>{"7e7d027d017e"});
    CHECK(session.stream_offset() == 11);
  }

  TEST_CASE("TCP: delimited frames: wire offsets, junk once, and no closing delimiter within max_frame") {
    std::string skip3(kDelimited);
    skip3.replace(skip3.find("ldk i0, 1"), 9, "ldk i0, 3");
    pvm::SessionOptions options;
    options.max_frame = 8;
    pvm::Session session(vmtest::load(skip3), options);
    Collector c;
    // A read past the end after two escapes: offset 3 of the frame read is 5 on the wire.
    session.feed(hex("aa bb 7e 7d02 7d01 7e 7e 11 22 33 44 55 66 77 88 99"), c.callback());
    CHECK(outcomes(c) ==
          std::vector<std::string>{"0 error: offset 0: bad frame: 2 bytes before a frame's delimiter",
                                   "2 error: offset 7: u16 $id: truncated: need 2 bytes, 1 left (test.pvm:4:2)",
                                   "8 error: offset 8: bad frame: no closing delimiter 0x7e within 8 bytes"});
    CHECK(session.stream_offset() == 18);
  }

  TEST_CASE("UDP and feed_frame unescape a frame that starts with a delimiter") {
    pvm::SessionOptions options;
    options.transport = pvm::Transport::Udp;
    pvm::Session session(vmtest::load(kDelimited), options);
    Collector c;
    session.feed(hex("7e 0102 7d01 7e"), c.callback());
    session.feed_frame(hex("41 4243"), c.callback());
    CHECK(outcomes(c) == std::vector<std::string>{R"(0 {"frame":"7e01027d7e","id":258})",
                                                  R"(6 {"frame":"414243","id":16963})"});
    CHECK(c.frames[0].replies == std::vector<std::string>{"7e01027d017e"});
  }

  TEST_CASE("TCP: a packet trap rejects that frame only") {
    std::string text(kMarked);
    const auto swap = [&](std::string_view from, std::string_view to) {
      text.replace(text.find(from), from.size(), to);
    };
    swap("rd.rest y0", "rd.u8 i0");
    swap("set.y \"data\", y0", "set.i \"v\", i0");
    pvm::Session session(vmtest::load(text), {});
    Collector c;
    session.feed(hex("7800 7801aa"), c.callback());
    CHECK(outcomes(c) ==
          std::vector<std::string>{"0 error: offset 2: truncated: need 1 byte, 0 left", R"(2 {"v":170})"});
  }

  TEST_CASE("finish: leftover bytes are Incomplete, with the frame length when known") {
    pvm::Session session(vmtest::load(kLengthPrefixed), {});
    Collector c;
    session.feed(hex("0001aa 0005abcd"), c.callback());
    session.finish(c.callback());
    REQUIRE(c.frames.size() == 2);
    CHECK(vmtest::outcome(c.frames[1]) ==
          "error: offset 3: incomplete: the stream ended with 4 bytes left of a 7-byte frame");
    CHECK(session.stream_offset() == 7);
    CHECK(session.buffered() == 0);

    session.feed(hex("00"), c.callback());
    session.finish(c.callback());
    CHECK(vmtest::outcome(c.frames.back()) ==
          "error: offset 7: incomplete: the stream ended with 1 byte left");
    session.finish(c.callback());
    CHECK(c.frames.size() == 3);
  }

  TEST_CASE("TCP without a framing function: the packet function decides how much it consumed") {
    constexpr std::string_view kUnframed = R"(
.protocol "test"
.session ident s
.func packet.tcp
.regs i=1 u=0 f=0 b=0 s=0 y=1
    rd.u8 i0
    rd.bytes y0, i0
    msg.new
    set.y "data", y0
    ret
.end
)";
    pvm::SessionOptions options;
    options.max_frame = 8;
    pvm::Session session(vmtest::load(kUnframed), options);
    Collector c;
    session.feed(hex("01aa 02bb"), c.callback());
    CHECK(outcomes(c) == std::vector<std::string>{R"(0 {"data":"aa"})"});
    CHECK(session.buffered() == 2);
    session.feed(hex("cc"), c.callback());
    CHECK(outcomes(c).back() == R"(2 {"data":"bbcc"})");
    session.feed(hex("ff 0102030405060708"), c.callback());
    REQUIRE(c.frames.size() == 3);
    CHECK(vmtest::outcome(c.frames[2]) ==
          "error: offset 6: bad frame: no whole frame in 9 bytes (need 255 bytes, 8 left)");
    CHECK(session.buffered() == 0);
  }

  TEST_CASE("a packet function that reads nothing consumes everything buffered") {
    pvm::Session session(vmtest::load(vmtest::packet_module("msg.new\nret")), {});
    Collector c;
    session.feed(hex("010203"), c.callback());
    REQUIRE(c.frames.size() == 1);
    CHECK(c.frames[0].bytes == "010203");
  }

  TEST_CASE("feed_frame skips the framing function; UDP prefers packet.udp") {
    std::string text(kLengthPrefixed);
    pvm::Session tcp(vmtest::load(text), {});
    Collector c;
    tcp.feed_frame(hex("0001aa"), c.callback());
    CHECK(outcomes(c) == std::vector<std::string>{R"(0 {"data":"aa","n":1})"});

    text.insert(text.rfind(".end"), ".end\n.func packet.udp\n.regs i=0 u=0 f=0 b=0 s=0 y=0\nmsg.new\nret\n");
    pvm::SessionOptions udp_options;
    udp_options.transport = pvm::Transport::Udp;
    pvm::Session udp(vmtest::load(text), udp_options);
    Collector u;
    udp.feed(hex("0001aa"), u.callback());
    udp.feed(hex("00"), u.callback());
    CHECK(outcomes(u) == std::vector<std::string>{"0 {}", "3 {}"});
    CHECK(udp.stream_offset() == 4);
  }

  TEST_CASE("a module without a packet function rejects every frame") {
    pvm::Session session(vmtest::load(".protocol \"test\"\n.session ident s\n"), {});
    Collector c;
    session.feed(hex("01"), c.callback());
    REQUIRE(c.frames.size() == 1);
    CHECK(vmtest::outcome(c.frames[0]) == "error: offset 0: bad frame: the module has no packet function");
  }

  TEST_CASE("lenient checks warn and go on; strict ones reject") {
    auto program = vmtest::load(
        vmtest::packet_module(".loc 9 1 \"crc\"\nldb b0, 0\ncheck b0, \"CRC mismatch\"\nmsg.new\nret"));
    CHECK(vmtest::outcome(vmtest::decode_frame(program, "")) ==
          "error: offset 0: crc: rejected: CRC mismatch (test.pvm:9:1)");
    pvm::SessionOptions lenient;
    lenient.lenient_checks = true;
    const auto f = vmtest::decode_frame(program, "", lenient);
    CHECK(vmtest::outcome(f) == "{}");
    REQUIRE(f.warnings.size() == 1);
    CHECK(f.warnings[0].trap == pvm::Trap::Rejected);
    CHECK(f.warnings[0].format("test.pvm") == "offset 0: crc: rejected: CRC mismatch (test.pvm:9:1)");
  }

  TEST_CASE("session slots persist across frames; a rejected frame changes none") {
    constexpr std::string_view kLogin = R"(
.protocol "test"
.session ident s
.session count i
.func packet.tcp
.regs i=3 u=0 f=0 b=1 s=1 y=0
    rd.u8 i0
    sget.i i1, @count
    ldk i2, 1
    add.i i1, i1, i2
    sset.i @count, i1
    switch i0, {1: Login, 2: Data, _: Bad}
Login:
    ldk i2, 3
    rd.str s0, i2
    sset.s @ident, s0
    ret
Data:
    msg.new
    set.i "count", i1
    ret
Bad:
    lds s0, "intruder"
    sset.s @ident, s0
    fail "unknown packet"
.end
)";
    // On both engines: native code sets and reads int slots itself.
    const auto program = vmtest::load(kLogin);
    std::vector<std::shared_ptr<const pvm::Program>> engines{program};
    if (pvm::jit_available()) engines.push_back(vmtest::on_jit(program));
    for (const auto& engine : engines) {
      pvm::Session session(engine, {});
      Collector c;
      session.feed_frame(hex("01 414243"), c.callback());
      CHECK(session.ident() == "ABC");
      session.feed_frame(hex("02"), c.callback());
      session.feed_frame(hex("09"), c.callback());
      CHECK(session.ident() == "ABC");
      session.feed_frame(hex("02"), c.callback());
      CHECK(outcomes(c) == std::vector<std::string>{"0 ",
                                                    R"(4 {"ident":"ABC","protocol.id":"test","count":2})",
                                                    "5 error: offset 6: rejected: unknown packet",
                                                    R"(6 {"ident":"ABC","protocol.id":"test","count":3})"});
    }
  }

  TEST_CASE("str and bytes slots together stay within max_session_bytes; a frame over it is rejected") {
    // Each frame appends its bytes to @buf and sets @name to "dev".
    constexpr std::string_view kAppend = R"(
.protocol "test"
.session ident s
.session buf y
.session name s
.func packet.tcp
.regs i=0 u=0 f=0 b=0 s=1 y=2
    rd.rest y0
    sget.y y1, @buf
    cat.y y1, y1, y0
.loc 9 5 "session.buf = ..."
    sset.y @buf, y1
    lds s0, "dev"
    sset.s @name, s0
    msg.new
    set.y "buf", y1
    ret
.end
)";
    pvm::SessionOptions options;
    options.max_session_bytes = 8;
    pvm::Session session(vmtest::load(kAppend), options);
    Collector c;
    session.feed_frame(hex("0102"), c.callback());    // 2 + 3 bytes
    session.feed_frame(hex("030405"), c.callback());  // 5 + 3 bytes: at the limit
    session.feed_frame(hex("06"), c.callback());      // 6 + 3 bytes: over it
    session.feed_frame(hex(""), c.callback());        // the rejected frame changed nothing
    CHECK(outcomes(c) ==
          std::vector<std::string>{
              R"(0 {"buf":"0102"})", R"(2 {"buf":"0102030405"})",
              "5 error: offset 6: session.buf = ...: limit: session values would take 9 bytes, over "
              "max_session_bytes (8) (test.pvm:9:5)",
              R"(6 {"buf":"0102030405"})"});
  }

  TEST_CASE("options: module defaults, overridden per session") {
    auto program =
        vmtest::load(vmtest::packet_module("opt.i i0, %level\nopt.b b0, %on\nopt.s s0, %name\nmsg.new\nset.i "
                                           "\"level\", i0\nset.b \"on\", b0\nset.s \"name\", s0\nret",
                                           ".option level i 3\n.option on b false\n.option name s \"x\""));
    pvm::Session session(program, {});
    Collector c;
    session.feed_frame({}, c.callback());
    std::string error;
    CHECK(session.set_option("level", "-7", error));
    CHECK(session.set_option("on", "true", error));
    CHECK(session.set_option("name", "tracker 1", error));
    session.feed_frame({}, c.callback());
    CHECK(outcomes(c) == std::vector<std::string>{R"(0 {"level":3,"on":false,"name":"x"})",
                                                  R"(0 {"level":-7,"on":true,"name":"tracker 1"})"});
    CHECK_FALSE(session.set_option("level", "high", error));
    CHECK(error == "option 'level' needs an integer, not 'high'");
    CHECK_FALSE(session.set_option("on", "yes", error));
    CHECK(error == "option 'on' needs true, false, 1 or 0, not 'yes'");
    CHECK_FALSE(session.set_option("colour", "red", error));
    CHECK(error == "the module has no option 'colour'");
  }

  TEST_CASE("encode: a command's outputs with its arguments converted by class") {
    constexpr std::string_view kCommands = R"(
.protocol "test"
.source "/srv/protocols/test.pvm"
.session ident s
.func command.send
.regs i=1 u=1 f=1 b=1 s=1 y=1
.param n i0
.param u u0
.param f f0
.param b b0
.param text s0
.param raw y0
    out.new
    wr.u8 i0
    wr.u64be u0
    f2i i0, f0
    wr.u8 i0
    b2i i0, b0
    wr.u8 i0
    wr.str s0
    out.end
    out.new
    wr.bytes y0
    out.end
    ret
.end
.func command.boom
.regs i=0 u=0 f=0 b=0 s=0 y=0
.loc 30 2 "boom"
    fail "not supported"
.end
)";
    auto program = vmtest::load(kCommands);
    using Args = std::vector<std::pair<std::string, std::string>>;
    const Args args = {{"n", "-1"},   {"u", "258"},   {"f", "7.9"},
                       {"b", "true"}, {"text", "hi"}, {"raw", "BEEF"}};
    std::vector<uint8_t> out;
    std::string error;
    REQUIRE(program->encode("send", args, out, error));
    CHECK(vmtest::to_hex(out) ==
          "ff"
          "0000000000000102"
          "07"
          "01"
          "6869"
          "beef");

    CHECK_FALSE(program->encode("reboot", {}, out, error));
    CHECK(error == "unknown command 'reboot'");
    CHECK_FALSE(program->encode("send", Args{{"n", "1"}}, out, error));
    CHECK(error == "command 'send' needs argument 'u'");
    Args extra = args;
    extra.emplace_back("speed", "9");
    CHECK_FALSE(program->encode("send", extra, out, error));
    CHECK(error == "command 'send' has no argument 'speed'");
    Args bad = args;
    bad[5].second = "abc";
    CHECK_FALSE(program->encode("send", bad, out, error));
    CHECK(error == "argument 'raw' needs hex bytes, not 'abc'");
    bad = args;
    bad[1].second = "-1";
    CHECK_FALSE(program->encode("send", bad, out, error));
    CHECK(error == "argument 'u' needs an unsigned integer, not '-1'");
    CHECK_FALSE(program->encode("boom", {}, out, error));
    // The source is cited by its base name, wherever the protocol was compiled.
    CHECK(error == "command.boom: offset 0: boom: rejected: not supported (test.pvm:30:2)");
  }

  TEST_CASE("a frame callback may feed another session on the same thread") {
    auto program = vmtest::load(kLengthPrefixed);
    pvm::Session outer(program, {});
    pvm::Session inner(program, {});
    Collector in;
    std::vector<std::string> seen;
    outer.feed(hex("0001aa"), [&](const pvm::FrameResult& r) {
      inner.feed(hex("0001bb"), in.callback());
      std::string json;
      pvm::append_json(json, r.messages[0]);
      seen.push_back(json);
    });
    CHECK(seen == std::vector<std::string>{R"({"protocol.id":"test","data":"aa","n":1})"});
    CHECK(outcomes(in) == std::vector<std::string>{R"(0 {"data":"bb","n":1})"});
  }

}  // TEST_SUITE
