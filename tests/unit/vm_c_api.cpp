// The C ABI: load a serialized module, feed a session, read frames through the callback.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "pvm/bytecode/serialize.h"
#include "pvm/pvm.h"
#include "vm_test_util.h"

namespace {

constexpr std::string_view kModule = R"(
.protocol "demo"
.source "demo.pvm"
.session ident s
.option prefix s "id-"
.func framing.tcp
.regs i=1 u=0 f=0 b=0 s=0 y=0
    rd.u8 i0
    ret.i i0
.end
.func packet.tcp
.regs i=1 u=0 f=0 b=1 s=3 y=1
.loc 4 2 "payload"
    rd.u8 i0
    ldk i0, 1
    rd.bytes y0, i0
    y2s s0, y0
    opt.s s1, %prefix
    cat.s s2, s1, s0
    sset.s @ident, s2
    ldb b0, 0
    check b0, "odd"
    msg.new
    set.y "raw", y0
    out.new
    wr.bytes y0
    out.end
    ret
.end
)";

struct Seen {
  std::vector<std::string> lines;
};

void collect(void* user, const pvm_frame* f) {
  auto* seen = static_cast<Seen*>(user);
  std::string line = std::to_string(f->offset) + " " + std::to_string(f->size) + " ";
  if (f->error != nullptr) {
    line += std::string("error ") + f->error;
  } else {
    line += std::string(f->json, f->json_size) + std::to_string(f->message_count);
    for (size_t k = 0; k < f->reply_count; ++k)
      line += " reply " + vmtest::to_hex({f->replies[k].data, f->replies[k].size});
  }
  if (f->warnings != nullptr) line += std::string(" warnings ") + f->warnings;
  seen->lines.push_back(line);
}

}  // namespace

TEST_SUITE("vm c api") {
  TEST_CASE("load, feed, finish through the C ABI") {
    const std::vector<uint8_t> bytes = pvm::bc::serialize(vmtest::assemble(kModule));
    char error[128] = "unchanged";
    pvm_program* program = pvm_program_load(bytes.data(), bytes.size(), error, sizeof error);
    REQUIRE(program != nullptr);
    CHECK(std::string(pvm_program_protocol(program)) == "demo");

    pvm_session_options options{};
    options.lenient_checks = 1;
    pvm_session* session = pvm_session_new(program, &options);
    REQUIRE(session != nullptr);
    pvm_program_free(program);  // the session keeps it alive

    CHECK(pvm_session_set_option(session, "prefix", "imei:", error, sizeof error) == 0);
    CHECK(pvm_session_set_option(session, "nope", "1", error, sizeof error) == -1);
    CHECK(std::string(error) == "the module has no option 'nope'");

    Seen seen;
    const std::vector<uint8_t> stream = vmtest::hex("0241 01 03");
    pvm_session_feed(session, stream.data(), stream.size(), collect, &seen);
    pvm_session_finish(session, collect, &seen);
    const std::vector<uint8_t> frame = vmtest::hex("09");
    pvm_session_feed_frame(session, frame.data(), frame.size(), collect, &seen);

    CHECK(seen.lines ==
          std::vector<std::string>{
              "0 2 {\"ident\":\"imei:A\",\"protocol.id\":\"demo\",\"raw\":\"41\"}\n1 reply 41 warnings "
              "offset 2: payload: rejected: odd (demo.pvm:4:2)\n",
              "2 1 error offset 3: payload: truncated: need 1 byte, 0 left (demo.pvm:4:2)",
              "3 1 error offset 3: incomplete: the stream ended with 1 byte left of a 3-byte frame",
              "4 1 error offset 5: payload: truncated: need 1 byte, 0 left (demo.pvm:4:2)"});

    char ident[4];
    CHECK(pvm_session_ident(session, ident, sizeof ident) == 6);
    CHECK(std::string(ident) == "ime");
    CHECK(pvm_session_stream_offset(session) == 5);
    pvm_session_free(session);
  }

  TEST_CASE("a module that fails to load says why") {
    const std::vector<uint8_t> junk = {'P', 'V', 'M', 'C'};
    char error[16];
    CHECK(pvm_program_load(junk.data(), junk.size(), error, sizeof error) == nullptr);
    CHECK(std::string(error).size() == 15);  // cut to fit, NUL-terminated
  }

}  // TEST_SUITE
