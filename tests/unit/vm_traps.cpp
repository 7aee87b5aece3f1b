// Every trap kind, with the stream offset and the source position it reports, and the limits
// each tested at its edge.
#include <doctest/doctest.h>

#include <string>

#include "vm_test_util.h"

using vmtest::run;

TEST_SUITE("vm traps") {
  TEST_CASE("a short read names the field, the offset of its first byte and the source line") {
    CHECK(run(R"(
.loc 10 3 "u16 $len"
    rd.u16be i0
.loc 12 5 "u32 $crc"
    rd.u32be i1
    ret)",
              "0001 aabb") == "error: offset 2: u32 $crc: truncated: need 4 bytes, 2 left (test.pvm:12:5)");
  }

  TEST_CASE("offsets are stream offsets: a later frame's trap counts the frames before it") {
    auto program = vmtest::load(vmtest::packet_module("rd.u8 i0\nrd.u32be i1\nret"));
    pvm::Session session(program, {});
    vmtest::Collector c;
    session.feed_frame(vmtest::hex("0011223344"), c.callback());
    session.feed_frame(vmtest::hex("0011"), c.callback());
    REQUIRE(c.frames.size() == 2);
    CHECK_FALSE(c.frames[0].failed);
    CHECK(c.frames[1].offset == 5);
    CHECK(c.frames[1].error.offset == 6);
    CHECK(c.frames[1].error.reason == "need 4 bytes, 1 left");
  }

  TEST_CASE("reads inside a sub-view stop at its end") {
    CHECK(run("rd.u8 i0\nldk i1, 1\nview.push i1\nrd.u16be i2\nret", "00aabb") ==
          "error: offset 1: truncated: need 2 bytes, 1 left");
    CHECK(run("ldk i1, 4\nview.push i1\nret", "00aabb") ==
          "error: offset 0: truncated: need 4 bytes, 3 left");
    CHECK(run("ldk i1, -1\nview.push i1\nret", "00") == "error: offset 0: truncated: negative length -1");
  }

  TEST_CASE("a trap inside view.bytes names the value's byte and the stream offset") {
    // A slice of the frame: the failing byte's own stream offset.
    CHECK(run("rd.u8 i0\nldk i0, 3\nrd.bytes y0, i0\nview.bytes y0, \"$body\"\nrd.u16be i1\nrd.u16be i1\nret",
              "00 aabbcc dd") == "error: offset 3 (byte 2 of $body): truncated: need 2 bytes, 1 left");
    // Built while decoding: the stream offset where view.bytes ran.
    CHECK(run("rd.u8 i0\nldy y0, x\"0102\"\nview.bytes y0, \"$built\"\nrd.u32be i1\nret", "00 aa") ==
          "error: offset 1 (byte 0 of $built): truncated: need 4 bytes, 2 left");
    // Nested: a built value inside a built value keeps the outer within's offset.
    CHECK(run("rd.u8 i0\nldy y0, x\"01020304\"\nview.bytes y0, \"$a\"\nrd.u8 i1\nldy y1, x\"05\"\n"
              "view.bytes y1, \"$b\"\nrd.u16be i1\nret",
              "00 aa") == "error: offset 1 (byte 0 of $b): truncated: need 2 bytes, 1 left");
    // Back in the frame after the pops, errors name frame offsets again.
    CHECK(run("ldy y0, x\"01\"\nview.bytes y0, \"$a\"\nview.pop\nrd.u8 i0\nrd.u16be i1\nret", "00 aa") ==
          "error: offset 1: truncated: need 2 bytes, 1 left");
  }

  TEST_CASE("more than kMaxViewDepth nested view.bytes trap Limit") {
    std::string body = "ldy y0, x\"01\"\n";
    for (uint32_t k = 0; k <= pvm::bc::kMaxViewDepth; ++k) body += "view.bytes y0, \"$v\"\n";
    body += "ret";
    CHECK(run(body, "00") == "error: offset 0 (byte 0 of $v): limit: more than 32 nested views");
  }

  TEST_CASE("cursor moves outside the view trap Truncated") {
    CHECK(run("ldk i0, 3\nseek i0\nret", "0000") == "error: offset 0: truncated: seek to 3 outside 0..2");
    CHECK(run("ldk i0, -1\nseek i0\nret", "0000") == "error: offset 0: truncated: seek to -1 outside 0..2");
    CHECK(run("ldk i0, 3\nskip i0\nret", "0000") == "error: offset 0: truncated: need 3 bytes, 2 left");
    CHECK(run("ldk i0, -2\nskip i0\nret", "0000") == "error: offset 0: truncated: negative length -2");
    CHECK(run("ldk i0, 3\nrd.bytes y0, i0\nret", "00") == "error: offset 0: truncated: need 3 bytes, 1 left");
    CHECK(run("ldk i0, -1\nrd.str s0, i0\nret", "00") == "error: offset 0: truncated: negative length -1");
    CHECK(run("rd.u8 i0\nrd.cstr s0\nret", "006162") ==
          "error: offset 1: truncated: no NUL in the 2 bytes left");
    CHECK(run("ldy y0, x\"0102\"\nldk i0, 2\nbyte.y i1, y0, i0\nret") ==
          "error: offset 0: truncated: byte 2 of 2");
    CHECK(run("ldy y0, x\"0102\"\nldk i0, -1\nbyte.y i1, y0, i0\nret") ==
          "error: offset 0: truncated: byte -1 of 2");
  }

  TEST_CASE("bad widths and BCD digits trap BadValue") {
    CHECK(run("ldk i0, 9\nrd.unbe u0, i0\nret", "00") == "error: offset 0: bad value: width 9 outside 0..8");
    CHECK(run("ldk i0, -1\nrd.unle u0, i0\nret", "00") ==
          "error: offset 0: bad value: width -1 outside 0..8");
    CHECK(run("ldk i0, 0\nrd.snbe i1, i0\nret", "00") == "error: offset 0: bad value: width 0 outside 1..8");
    CHECK(run("ldk i0, 9\nrd.snle i1, i0\nret", "00") == "error: offset 0: bad value: width 9 outside 1..8");
    CHECK(run("ldk i0, 9\nrd.unbe.i i1, i0\nret", "00") ==
          "error: offset 0: bad value: width 9 outside 0..8");
    CHECK(run("ldk i0, -1\nrd.unle.i i1, i0\nret", "00") ==
          "error: offset 0: bad value: width -1 outside 0..8");
    CHECK(run("ldk i0, 2\nrd.unbe.i i1, i0\nret", "00") ==
          "error: offset 0: truncated: need 2 bytes, 1 left");
    CHECK(run("ldk i0, 3\nrd.bcd i1, i0\nret", "12 3a 45") ==
          "error: offset 1: bad value: BCD byte 58 has a nibble above 9");
    CHECK(run("ldk i0, 10\nrd.bcd i1, i0\nret", "00") ==
          "error: offset 0: bad value: BCD width 10 outside 0..9");
  }

  TEST_CASE("the first message of a frame pays for its copy of the ident; short of fuel it stops there") {
    // Setting the ident again makes the next message copy (and pay for) it again.
    const auto program =
        vmtest::load(vmtest::packet_module("lds s0, \"356307042441013\"\nsset.s @ident, s0\nmsg.new\nlds s0, "
                                           "\"x\"\nsset.s @ident, s0\nmsg.new\nret"));
    pvm::SessionOptions options;
    for (uint64_t fuel = 0; fuel <= 40; ++fuel) {  // decode_frame: the same outcome on both engines
      options.fuel = fuel;
      vmtest::decode_frame(program, "", options);
    }
    options.fuel = 29;  // sset.s spent 15 of them; the copy needs 15
    CHECK(
        vmtest::outcome(vmtest::decode_frame(program, "", options)) ==
        "error: offset 0: out of fuel: out of fuel after 15 units of work (the next step needs 15, 14 left)");
    options.fuel = 32;
    const auto f = vmtest::decode_frame(program, "", options);
    REQUIRE(f.json.size() == 2);
    CHECK(f.json[0] == R"({"ident":"356307042441013","protocol.id":"test"})");
    CHECK(f.json[1] == R"({"ident":"x","protocol.id":"test"})");
  }

  TEST_CASE("a reply's out.new, wr.bytes, wr.str, out.tail and out.end spend the same fuel on both engines") {
    const auto program = vmtest::load(vmtest::packet_module(R"(
    out.new
    ldy y0, x"0102030405"
    wr.bytes y0
    lds s0, "ok"
    wr.str s0
    ldk i0, 2
    out.tail y1, i0
    wr.bytes y1
    out.end
    out.new
    wr.bytes y0
    out.end
    ret)"));
    pvm::SessionOptions options;
    for (uint64_t fuel = 0; fuel <= 45; ++fuel) {  // decode_frame: the same outcome on both engines
      options.fuel = fuel;
      vmtest::decode_frame(program, "", options);
    }
    // 5 + 2 + 5 + 5 bytes written or copied, 12 stored, then 5 written and 5 stored.
    options.fuel = 39;
    const auto f = vmtest::decode_frame(program, "", options);
    REQUIRE_FALSE(f.failed);
    CHECK(f.replies == std::vector<std::string>{"01020304056f6b0304056f6b", "0102030405"});
    options.fuel = 38;
    CHECK(vmtest::outcome(vmtest::decode_frame(program, "", options)) ==
          "error: offset 0: out of fuel: out of fuel after 34 units of work (the next step needs 5, 4 left)");
  }

  TEST_CASE("division by zero") {
    CHECK(run("ldk i0, 1\ndiv.i i1, i0, i2\nret") == "error: offset 0: division by zero");
    CHECK(run("ldk i0, 1\nmod.i i1, i0, i2\nret") == "error: offset 0: division by zero");
    CHECK(run("ldu u0, 1\ndiv.u u1, u0, u2\nret") == "error: offset 0: division by zero");
    CHECK(run("ldu u0, 1\nmod.u u1, u0, u2\nret") == "error: offset 0: division by zero");
    CHECK(run("ldk i0, 1\ndiv.k i1, i0, 0\nret") == "error: offset 0: division by zero");
    CHECK(run("ldk i0, 1\nmod.k i1, i0, 0\nret") == "error: offset 0: division by zero");
  }

  TEST_CASE("an infinite loop runs out of fuel") {
    auto program = vmtest::load(vmtest::packet_module(".loc 4 1 \"repeat\"\nLoop:\n    jmp Loop"));
    pvm::SessionOptions options;
    options.fuel = 100;
    const auto f = vmtest::decode_frame(program, "", options);
    CHECK(
        vmtest::outcome(f) ==
        "error: offset 0: repeat: out of fuel: out of fuel after 100 units of work (the next step needs 2, 0 "
        "left) (test.pvm:4:1)");
    // Forward jumps cost nothing: a long straight run needs no fuel.
    options.fuel = 0;
    CHECK_FALSE(vmtest::decode_frame(vmtest::load(vmtest::packet_module("jmp Next\nNext:\nldk i0, 1\nret")),
                                     "", options)
                    .failed);
  }

  TEST_CASE("a backward jump, switch included, costs the code words of the loop it closes") {
    const std::string body = R"(
    ldk i0, 0
    ldk i1, 1
Loop:
    add.i i0, i0, i1
    switch i0, {3: Out, _: Loop}
Out:
    ret)";
    // Two passes back to Loop, each over add.i (4 words) and switch (3 words).
    pvm::SessionOptions options;
    options.fuel = 14;
    CHECK_FALSE(vmtest::decode_frame(vmtest::load(vmtest::packet_module(body)), "", options).failed);
    options.fuel = 13;
    CHECK(vmtest::decode_frame(vmtest::load(vmtest::packet_module(body)), "", options).error.trap ==
          pvm::Trap::OutOfFuel);
  }

  // The JIT saves and restores views natively: the origin of a view (here a value's bytes) must
  // come back with it, or errors after a pop would name the wrong bytes.
  TEST_CASE("errors inside and after a sub-view of a value's bytes name those bytes") {
    const std::string enter =
        "rd.u8 i0\nldy y0, x\"0a0b0c\"\nview.bytes y0, \"$b\"\nldk i3, 2\nview.push i3\n";
    CHECK(run(enter + "rd.u32be i1\nret", "01") ==
          "error: offset 1 (byte 0 of $b): truncated: need 4 bytes, 2 left");
    CHECK(run(enter + "view.pop\nrd.u16be i1\nret", "01") ==
          "error: offset 1 (byte 2 of $b): truncated: need 2 bytes, 1 left");
    // And back from a value's bytes to a sub-view of the frame, errors name the frame again.
    CHECK(run("ldk i3, 1\nview.push i3\nldy y0, x\"0a\"\nview.bytes y0, \"$b\"\nview.pop\nrd.u16be i1\nret",
              "0102") == "error: offset 0: truncated: need 2 bytes, 1 left");
  }

  TEST_CASE("view nesting is limited to kMaxViewDepth") {
    const std::string body = R"(
    ldk i0, 0
    ldk i1, 1
    rd.u8 i3
Loop:
    view.push i2
    add.i i0, i0, i1
    lt.i b0, i0, i3
    jt b0, Loop
    msg.new
    ret)";
    auto program = vmtest::load(vmtest::packet_module(body));
    CHECK(vmtest::outcome(vmtest::decode_frame(program, "20")) == "{}");  // 32 deep
    CHECK(vmtest::outcome(vmtest::decode_frame(program, "21")) ==
          "error: offset 1: limit: more than 32 nested views");
    CHECK(run("view.pop\nret") == "error: offset 0: limit: view.pop without a sub-view");
  }

  TEST_CASE("the frame arena is bounded") {
    const std::string body = R"(
    lds s0, "x"
Loop:
    cat.s s0, s0, s0
    jmp Loop)";
    CHECK(run(body) == "error: offset 0: limit: frame memory exceeds 4194304 bytes");
    // The next frame of the session starts with an empty arena.
    auto program = vmtest::load(vmtest::packet_module(
        "rd.u8 i0\nldk i1, 0\nne.i b0, i0, i1\njt b0, Grow\nmsg.new\nret\nGrow:\n" + body.substr(1)));
    pvm::Session session(program, {});
    vmtest::Collector c;
    session.feed_frame(vmtest::hex("01"), c.callback());
    session.feed_frame(vmtest::hex("00"), c.callback());
    REQUIRE(c.frames.size() == 2);
    CHECK(c.frames[0].error.trap == pvm::Trap::Limit);
    CHECK(vmtest::outcome(c.frames[1]) == "{}");
  }

  TEST_CASE("messages per frame are limited") {
    const std::string body = R"(
    ldk i0, 0
    ldk i1, 1
    ldk i2, %d
Loop:
    msg.new
    add.i i0, i0, i1
    lt.i b0, i0, i2
    jt b0, Loop
    ret)";
    auto count = [&](int n) {
      std::string b = body;
      b.replace(b.find("%d"), 2, std::to_string(n));
      return vmtest::decode_frame(vmtest::load(vmtest::packet_module(b)), "");
    };
    CHECK(count(4096).json.size() == 4096);
    CHECK(vmtest::outcome(count(4097)) == "error: offset 0: limit: more than 4096 messages in a frame");
  }

  TEST_CASE("parameters per message are limited") {
    const std::string body = R"(
    ldk i0, 0
    ldk i1, 1
    ldk i2, %d
    msg.new
Loop:
    itos s0, i0
    setd.i s0, i0
    add.i i0, i0, i1
    lt.i b0, i0, i2
    jt b0, Loop
    ret)";
    auto count = [&](int n) {
      std::string b = body;
      b.replace(b.find("%d"), 2, std::to_string(n));
      return vmtest::decode_frame(vmtest::load(vmtest::packet_module(b)), "");
    };
    // protocol.id is one of the 1024.
    CHECK_FALSE(count(1023).failed);
    CHECK(vmtest::outcome(count(1024)) == "error: offset 0: limit: more than 1024 parameters in a message");
  }

  // The JIT adds a field of a constant name in native code and leaves the rest to its helper:
  // 1,000 names in two messages take every way (the field vector growing, names sharing an index
  // slot, a name set again, the limit), and both engines must agree on every field.
  TEST_CASE("parameters of constant names: replaced, counted and limited as the others") {
    auto count = [&](int n) {
      std::string b = "    ldk i0, 7\n    ldd f0, 0.5\n    msg.new\n";
      for (int k = 0; k < n; ++k)
        b += "    set." + std::string(k % 2 ? "i" : "f") + " \"p" + std::to_string(k) + "\", " +
             (k % 2 ? "i0" : "f0") + "\n";
      b += "    set.i \"p0\", i0\n    msg.new\n    set.i \"p1\", i0\n    ret";
      return vmtest::decode_frame(vmtest::load(vmtest::packet_module(b)), "");
    };
    const vmtest::Frame full = count(1023);
    REQUIRE(full.json.size() == 2);
    CHECK(full.json[0].starts_with(R"({"protocol.id":"test","p0":7,"p1":7,"p2":0.5,"p3":7,)"));
    CHECK(full.json[0].ends_with(R"("p1021":7,"p1022":0.5})"));
    CHECK(full.json[1] == R"({"protocol.id":"test","p1":7})");
    CHECK(vmtest::outcome(count(1024)) == "error: offset 0: limit: more than 1024 parameters in a message");
  }

  // Names set earlier in a message are found again (set, get.i, has) among many; the next
  // message has nothing of the one before.
  TEST_CASE("parameters are found among many, and only in their own message") {
    std::string b = "    msg.new\n";
    for (int k = 0; k < 40; ++k)
      b += "    ldk i0, " + std::to_string(k) + "\n    set.i \"q" + std::to_string(k) + "\", i0\n";
    b += R"(
    ldk i0, 100
    set.i "q5", i0
    get.i i1, "q31"
    set.i "got", i1
    has b0, "q39"
    set.b "has", b0
    msg.new
    ldk i0, 1
    set.i "q0", i0
    has b0, "q30"
    set.b "stale", b0
    get.i i1, "q5"
    set.i "zero", i1
    ret)";
    const vmtest::Frame f = vmtest::decode_frame(vmtest::load(vmtest::packet_module(b)), "");
    REQUIRE(f.json.size() == 2);
    CHECK(f.json[0].starts_with(
        R"({"protocol.id":"test","q0":0,"q1":1,"q2":2,"q3":3,"q4":4,"q5":100,"q6":6,)"));
    CHECK(f.json[0].ends_with(R"("q38":38,"q39":39,"got":31,"has":true})"));
    CHECK(f.json[1] == R"({"protocol.id":"test","q0":1,"stale":false,"zero":0})");
  }

  TEST_CASE("output bytes are limited") {
    const std::string body = R"(
    ldk i0, 0
    ldk i1, 1
    ldk i2, %d
    out.new
Loop:
    wr.u8 i0
    add.i i0, i0, i1
    lt.i b0, i0, i2
    jt b0, Loop
    ret)";
    auto count = [&](int n) {
      std::string b = body;
      b.replace(b.find("%d"), 2, std::to_string(n));
      return vmtest::decode_frame(vmtest::load(vmtest::packet_module(b)), "");
    };
    const auto ok = count(65536);
    REQUIRE(ok.replies.size() == 1);
    CHECK(ok.replies[0].size() == 2 * 65536);
    CHECK(vmtest::outcome(count(65537)) == "error: offset 0: limit: output longer than 65536 bytes");
  }

  TEST_CASE("messages and outputs used outside their brackets are rejected") {
    CHECK(run("ldk i0, 1\nset.i \"a\", i0\nret") ==
          "error: offset 0: rejected: parameter set outside a message");
    CHECK(run("lds s0, \"a\"\nsetd.s s0, s0\nret") ==
          "error: offset 0: rejected: parameter set outside a message");
    CHECK(run("msg.end\nret") == "error: offset 0: rejected: msg.end outside a message");
    CHECK(run("out.end\nret") == "error: offset 0: rejected: out.end outside an output");
    CHECK(run("wr.u8 i0\nret") == "error: offset 0: rejected: bytes written outside an output");
    CHECK(run("ldd f0, 0.0\ndiv.f f0, f0, f0\nset.f \"nan\", f0\nret") ==
          "error: offset 0: rejected: parameter set outside a message");
  }

  TEST_CASE("a rejected frame has no messages and no replies") {
    const auto f = vmtest::decode_frame(
        vmtest::load(vmtest::packet_module("msg.new\nmsg.end\nout.new\nout.end\nmsg.new\nfail \"late\"")),
        "");
    CHECK(f.failed);
    CHECK(f.json.empty());
    CHECK(f.replies.empty());
  }

  TEST_CASE("the line table: the last entry at or before the trapping instruction") {
    CHECK(run(R"(
.loc 3 1 "first"
    ldk i0, 1
.loc 4 2 "second"
.loc 5 7 "third"
    ldk i1, 0
    div.i i2, i0, i1
    ret)") == "error: offset 0: third: division by zero (test.pvm:5:7)");
  }

}  // TEST_SUITE
