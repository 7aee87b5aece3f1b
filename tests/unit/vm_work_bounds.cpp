// Hostile programs and inputs: every one ends with OutOfFuel or Limit after a bounded amount of
// work and memory, never by running for minutes or asking the heap for gigabytes.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "vm_test_util.h"

namespace {

// s0 = `seed` doubled `times` times (cat.s), then `rest`.
std::string grown(std::string_view seed, int times, std::string_view rest) {
  std::string body = "lds s0, \"" + std::string(seed) + "\"\n";
  for (int k = 0; k < times; ++k) body += "cat.s s0, s0, s0\n";
  return body + std::string(rest);
}

// Hex of n bytes 'x' (0x78): text a program reads from the frame without spending fuel.
std::string xs(size_t n) {
  std::string hex;
  for (size_t k = 0; k < n; ++k) hex += "78";
  return hex;
}

// s0 = the whole frame as text.
constexpr std::string_view kReadAll = "size i7\nrd.str s0, i7\n";

vmtest::Frame decode(std::string_view body, uint64_t fuel, std::string_view input = "") {
  pvm::SessionOptions options;
  options.fuel = fuel;
  return vmtest::decode_frame(vmtest::load(vmtest::packet_module(body)), input, options);
}

}  // namespace

TEST_SUITE("vm work bounds") {
  TEST_CASE("crc is charged per byte: a loop over 64 KiB runs out of fuel after its worth") {
    // 64 KiB hashed 1000 times would be 64 MiB of work for 2,000 words of loop.
    const std::string body = std::string(kReadAll) + R"(
    s2y y0, s0
    ldk i0, 0
    ldk i1, 1
    ldk i2, 1000
Loop:
    crc i3, y0, arc
    add.i i0, i0, i1
    lt.i b0, i0, i2
    jt b0, Loop
    ret)";
    const auto f = decode(body, 1'000'000, xs(65536));
    REQUIRE(f.failed);
    CHECK(f.error.trap == pvm::Trap::OutOfFuel);
    // 15 passes of 65,536 bytes and 15 jumps back over 15 loop words: 983,265 units; the 16th
    // crc does not fit.
    CHECK(f.error.reason == "out of fuel after 983265 units of work (the next step needs 65536, 16735 left)");
  }

  TEST_CASE("find is charged for both texts and runs in linear time") {
    // An 8 KiB needle of 'x' then 'y' in 16 KiB of 'x': a naive search compares up to 8 KiB at
    // each of 8 Ki offsets; memmem looks at each byte a bounded number of times, and the charge
    // is the 24 KiB it may look at.
    const std::string body = std::string(kReadAll) + R"(
    ldk i0, 0
    ldk i1, 16384
    slice.s s1, s0, i0, i1
    ldk i2, 24576
    slice.s s2, s0, i1, i2
    lds s3, "y"
    cat.s s2, s2, s3
    find.s i3, s1, s2
    msg.new
    set.i "at", i3
    ret)";
    CHECK(vmtest::outcome(decode(body, 1'000'000, xs(24576))) == "{\"at\":-1}");
    // cat.s costs 8,193; find.s 16,384 + 8,193.
    CHECK_FALSE(decode(body, 8193 + 24577 + 100, xs(24576)).failed);
    const auto f = decode(body, 8193 + 24576, xs(24576));
    REQUIRE(f.failed);
    CHECK(f.error.trap == pvm::Trap::OutOfFuel);
    CHECK(f.error.reason == "out of fuel after 8193 units of work (the next step needs 24577, 24576 left)");
  }

  TEST_CASE("re.match is charged per byte of its text") {
    const std::string body = std::string(kReadAll) + R"(
    ldk i0, 0
    ldk i1, 1
    ldk i2, 1000
Loop:
    re.match b0, s0, "(x|y)*z"
    add.i i0, i0, i1
    lt.i b1, i0, i2
    jt b1, Loop
    ret)";
    const auto f = decode(body, 1'000'000, xs(65536));
    REQUIRE(f.failed);
    CHECK(f.error.trap == pvm::Trap::OutOfFuel);
    CHECK(f.error.reason.find("the next step needs 65536") != std::string::npos);
  }

  TEST_CASE("built-ins are charged for the bytes they walk") {
    // Each of these is one instruction of straight code over 64 KiB: with fuel for less than
    // the text, each runs out; with enough, each succeeds.
    for (const std::string op :
         {"trim.s s1, s0", "lower.s s1, s0", "eq.s b0, s0, s0", "s2y y0, s0\nhex.y s1, y0",
          "cat.s s1, s0, s0", "repl.s s1, s0, s0, s0", "find.s i0, s0, s0", "stoi i0, s0", "stof f0, s0",
          "stou.hex u0, s0", "s2y y0, s0\ncrc i0, y0, crc32",
          "lds s1, \"y\"\nldk i0, 0\nseek i0\nrd.until s2, s1",
          "lds s1, \"y\"\nldk i0, 0\nseek i0\nrd.field s2, s1", "out.new\nwr.str s0\nout.end",
          "ldk i0, 0\nseek i0\nrd.cstr s1", "sset.s @tag, s0"}) {
      CAPTURE(op);
      std::string body = std::string(kReadAll) + op + "\nret";
      const std::string extra = ".session tag s\n";
      pvm::SessionOptions options;
      options.fuel = 1'000'000;
      auto program = vmtest::load(vmtest::packet_module(body, extra));
      const auto ok = vmtest::decode_frame(program, xs(65536), options);
      CHECK((!ok.failed || ok.error.trap != pvm::Trap::OutOfFuel));
      options.fuel = 65535;
      const auto f = vmtest::decode_frame(program, xs(65536), options);
      REQUIRE(f.failed);
      CHECK(f.error.trap == pvm::Trap::OutOfFuel);
    }
  }

  TEST_CASE("resynchronisation shares one frame's fuel per feed, then drops the junk once") {
    // A framing function that spends about 700 units on every attempt before rejecting it.
    const std::string text = R"(.protocol "test"
.source "test.pvm"
.session ident s
.func framing.tcp
.regs i=4 u=0 f=0 b=1 s=0 y=0
    ldk i0, 0
    ldk i1, 1
    ldk i2, 100
Loop:
    add.i i0, i0, i1
    lt.i b0, i0, i2
    jt b0, Loop
    fail "no frame here"
.end
.func packet.tcp
.regs i=0 u=0 f=0 b=0 s=0 y=0
    ret
.end
)";
    auto program = vmtest::load(text);
    pvm::SessionOptions options;
    options.fuel = 10'000;
    pvm::Session session(program, options);
    vmtest::Collector c;
    session.feed(std::vector<uint8_t>(282, 0x55), c.callback());
    INFO(c.frames.back().error.format(""));
    REQUIRE(c.frames.size() == 2);
    CHECK(c.frames[0].error.trap == pvm::Trap::BadFrame);
    INFO(c.frames.back().error.format(""));
    CHECK(c.frames[1].error.trap == pvm::Trap::OutOfFuel);
    CHECK(c.frames[1].error.reason.starts_with("resynchronisation used its 10000 units of fuel; dropped 2"));
    CHECK(session.buffered() == 0);
    CHECK(session.stream_offset() == 282);
    // The next feed resynchronises with fuel of its own.
    session.feed(std::vector<uint8_t>(3, 0x55), c.callback());
    CHECK(c.frames.size() == 2);
    CHECK(session.stream_offset() == 285);
  }

  TEST_CASE("replace checks the size of its result before making it") {
    // 1 MiB of 'x' with every 'x' replaced by 1 MiB: a terabyte if it were built.
    const auto f = decode(grown("x", 20, "lds s2, \"x\"\nrepl.s s1, s0, s2, s0\nret"), pvm::bc::kDefaultFuel);
    REQUIRE(f.failed);
    CHECK(vmtest::outcome(f) == "error: offset 0: limit: frame memory exceeds 4194304 bytes");
    // One that fits is made, and charged for what it wrote.
    CHECK(vmtest::run("lds s0, \"a-b-c\"\nlds s2, \"-\"\nlds s3, \"--\"\nrepl.s s1, s0, s2, "
                      "s3\nmsg.new\nset.s \"r\", s1\nret") == "{\"r\":\"a--b--c\"}");
    CHECK(vmtest::run("lds s0, \"---\"\nlds s2, \"-\"\nlds s3, \"\"\nrepl.s s1, s0, s2, s3\nmsg.new\nset.s "
                      "\"r\", s1\nret") == "{\"r\":\"\"}");
  }

  TEST_CASE("a message's JSON is bounded: many parameters viewing one large string") {
    // 1000 fields viewing 2 KiB: 2 MiB of JSON from 2 KiB of strings. Fields whose bytes add
    // up to more than the frame's memory trap sooner.
    std::string body = grown("x", 11, "msg.new\n");
    for (int k = 0; k < 1000; ++k) body += "set.s \"p" + std::to_string(k) + "\", s0\n";
    const auto f = decode(body + "ret", pvm::bc::kDefaultFuel);
    REQUIRE(f.failed);
    CHECK(vmtest::outcome(f) == "error: offset 0: limit: message longer than 1048576 bytes of JSON");
    // At the edge: {"protocol.id":"test","p":"..."} is 30 bytes and the text.
    const std::string edge = std::string(kReadAll) + "msg.new\nset.s \"p\", s0\nret";
    CHECK_FALSE(decode(edge, pvm::bc::kDefaultFuel, xs(pvm::bc::kMaxMessageBytes - 30)).failed);
    CHECK(vmtest::outcome(decode(edge, pvm::bc::kDefaultFuel, xs(pvm::bc::kMaxMessageBytes - 29))) ==
          "error: offset 1048547: limit: message longer than 1048576 bytes of JSON");
    // The same checks when msg.new or msg.end stores the message (both engines run these).
    for (const char* store : {"msg.new\nret", "msg.end\nret"}) {
      const std::string stored = std::string(kReadAll) + "msg.new\nset.s \"p\", s0\n" + store;
      CHECK_FALSE(decode(stored, pvm::bc::kDefaultFuel, xs(pvm::bc::kMaxMessageBytes - 30)).failed);
      CHECK(vmtest::outcome(decode(stored, pvm::bc::kDefaultFuel, xs(pvm::bc::kMaxMessageBytes - 29))) ==
            "error: offset 1048547: limit: message longer than 1048576 bytes of JSON");
    }
  }

  TEST_CASE("the messages of a frame count against its memory") {
    // 100 messages of 5 fields viewing 64 KiB each: every message is under 1 MiB, the frame's
    // 32 MiB of JSON is not.
    std::string body = grown("x", 16, "ldk i0, 0\nldk i1, 1\nldk i2, 100\nLoop:\nmsg.new\n");
    for (int k = 0; k < 5; ++k) body += "set.s \"p" + std::to_string(k) + "\", s0\n";
    body += "add.i i0, i0, i1\nlt.i b0, i0, i2\njt b0, Loop\nret";
    const auto f = decode(body, pvm::bc::kDefaultFuel);
    REQUIRE(f.failed);
    CHECK(vmtest::outcome(f) == "error: offset 0: limit: frame memory exceeds 4194304 bytes");
  }

  TEST_CASE("replies count against the frame's memory") {
    const std::string body = grown("x", 15, R"(
    s2y y0, s0
Loop:
    out.new
    wr.bytes y0
    out.end
    jmp Loop)");
    const auto f = decode(body, pvm::bc::kDefaultFuel);
    REQUIRE(f.failed);
    CHECK(vmtest::outcome(f) == "error: offset 0: limit: frame memory exceeds 4194304 bytes");
  }

  TEST_CASE("warnings are kept up to kMaxWarningsPerFrame") {
    const auto f = decode(R"(
    ldk i0, 0
    ldk i1, 1
    ldk i2, 1000
Loop:
    warn "again"
    add.i i0, i0, i1
    lt.i b0, i0, i2
    jt b0, Loop
    ret)",
                          pvm::bc::kDefaultFuel);
    CHECK_FALSE(f.failed);
    CHECK(f.warnings.size() == pvm::bc::kMaxWarningsPerFrame);
  }

  TEST_CASE("a reason made from device text is cut to kMaxErrorReasonBytes") {
    const auto f = decode(std::string(kReadAll) + "fail.s s0", pvm::bc::kDefaultFuel, xs(4096));
    REQUIRE(f.failed);
    CHECK(f.error.reason == std::string(pvm::bc::kMaxErrorReasonBytes, 'x') + "... (4096 bytes)");
    CHECK_FALSE(
        decode(std::string(kReadAll) + "fail.s s0", pvm::bc::kDefaultFuel, xs(pvm::bc::kMaxErrorReasonBytes))
            .error.reason.ends_with(")"));
  }

  // The JIT runs these through helpers, which charge what the interpreter's instruction charges
  // and hand a budget that does not pay for it to the interpreter: at every budget from 1 unit
  // to enough, both engines end the frame alike (decode_frame compares them), and each budget
  // short of the whole stops at an instruction, which the reason names by what it needed.
  TEST_CASE("rd.field, rd.until, find.s, re.match and stof run out of fuel where the interpreter does") {
    const std::string body = R"(
    lds s0, ";"
    lds s1, "\r\n"
    msg.new
    rd.field s2, s0
    set.s "a", s2
    rd.until s3, s1
    s2y y0, s3
    view.bytes y0, "$rest"
    rd.field s2, s0
    set.s "b", s2
    rd.field s2, s0
    view.pop
    find.s i0, s3, s0
    set.i "at", i0
    re.match b0, s2, "^([0-9]+)\\.([0-9]+)$"
    set.b "m", b0
    stof f0, s2
    set.f "x", f0
    y2s s1, y0
    set.s "all", s1
    ret)";
    const std::string input = "31323b332e32353b342e350d0a";  // "12;3.25;4.5\r\n"
    std::set<std::string> reasons;
    uint64_t fuel = 1;
    for (;; ++fuel) {
      const vmtest::Frame f = decode(body, fuel, input);
      if (!f.failed) {
        CHECK(vmtest::outcome(f) == R"({"a":"12","b":"3.25","at":4,"m":true,"x":4.5,"all":"3.25;4.5"})");
        break;
      }
      REQUIRE(f.error.trap == pvm::Trap::OutOfFuel);
      reasons.insert(f.error.reason.substr(0, f.error.reason.rfind(',')));  // without what was left
      REQUIRE(fuel < 1000);
    }
    // rd.field "12;" (2 bytes and the delimiter), rd.until "3.25;4.5\r\n", the view's fields
    // "3.25;" and "4.5" (3 bytes, no delimiter), find.s (up to the ";" at 4, and the needle),
    // re.match (3 bytes at the pattern's unit cost, 1) and stof (3 bytes).
    const auto step = [](int after, int needs) {
      return "out of fuel after " + std::to_string(after) + " units of work (the next step needs " +
             std::to_string(needs);
    };
    CHECK(reasons == std::set<std::string>{step(0, 3), step(3, 10), step(13, 5), step(18, 4), step(22, 5),
                                           step(27, 3), step(30, 3)});
    CHECK(fuel == 33);
  }
}
