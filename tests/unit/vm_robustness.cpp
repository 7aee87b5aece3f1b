// Randomized robustness: whatever the input bytes, a verified module decodes without crashing;
// whatever damage a module's bytes or code take, loading either refuses it or gives a module
// that runs safely. Fixed seeds and bounded iteration counts keep the test deterministic and
// quick; run it under PVM_SANITIZE for the full effect.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "pvm/bytecode/serialize.h"
#include "pvm/verify.h"
#include "vm_test_util.h"

namespace {

// A small protocol that uses views, loops, variable widths, text, BCD, CRC, slots and replies:
// type u8, length u8, then a body of that length.
constexpr std::string_view kProtocol = R"(
.protocol "fuzz"
.source "fuzz.pvm"
.session ident s
.session count i
.func framing.tcp
.regs i=3 u=0 f=0 b=0 s=0 y=0
    rd.u8 i0
    rd.u8 i1
    ldk i2, 2
    add.i i1, i1, i2
    ret.i i1
.end
.func packet.tcp
.regs i=8 u=1 f=2 b=1 s=3 y=1
.loc 1 1 "header"
    rd.u8 i0
    rd.u8 i1
    view.push i1
    ldk i4, 1
    switch i0, {1: Login, 2: Records, 3: Text, _: Unknown}
Login:
.loc 2 1 "login"
    remain i2
    rd.str s0, i2
    sset.s @ident, s0
    out.new
    wr.u8 i4
    out.end
    view.pop
    ret
Records:
.loc 3 1 "records"
    rd.u8 i2
    ldk i3, 0
Loop:
    lt.i b0, i3, i2
    jf b0, Done
    msg.new
    rd.u32be i5
    set.i "timestamp", i5
    rd.i32be i5
    i2f f0, i5
    ldd f1, 1e7
    div.f f0, f0, f1
    set.f "position.latitude", f0
    rd.u8 i5
    rd.u8 i6
    rd.unbe u0, i6
    itos s0, i5
    lds s1, "io."
    cat.s s2, s1, s0
    setd.u s2, u0
    ldk i6, 2
    rd.bcd i7, i6
    set.i "bcd", i7
    add.i i3, i3, i4
    jmp Loop
Done:
    rd.rest y0
    crc i5, y0, arc
    sget.i i6, @count
    add.i i6, i6, i4
    sset.i @count, i6
    out.new
    wr.u32be i2
    wr.u16be i5
    out.end
    view.pop
    ret
Text:
.loc 4 1 "text"
    rd.cstr s0
    stoi i2, s0
    msg.new
    set.i "value", i2
    rd.rest y0
    y2s s1, y0
    stof f0, s1
    set.f "f", f0
    hex.y s2, y0
    set.s "hex", s2
    view.pop
    ret
Unknown:
    fail "unknown type"
.end
)";

std::vector<uint8_t> random_bytes(std::mt19937& rng, size_t max) {
  std::vector<uint8_t> out(std::uniform_int_distribution<size_t>(0, max)(rng));
  for (uint8_t& b : out) b = static_cast<uint8_t>(rng());
  // Often make it look like a frame, so decoding gets past the first checks.
  if (out.size() >= 2 && rng() % 2 == 0) {
    out[0] = static_cast<uint8_t>(1 + rng() % 3);
    out[1] = static_cast<uint8_t>(out.size() - 2);
  }
  return out;
}

// Feeds random input as a stream in random chunks and as single frames; checks the invariants
// that hold for any input.
void exercise(const std::shared_ptr<const pvm::Program>& program, std::mt19937& rng, int rounds) {
  for (int round = 0; round < rounds; ++round) {
    pvm::SessionOptions options;
    options.fuel = 1000;
    options.max_frame = 1 + rng() % 300;
    options.lenient_checks = rng() % 2 == 0;
    pvm::Session session(program, options);
    uint64_t fed = 0;
    const auto check_frame = [&](const pvm::FrameResult& r) {
      if (r.error != nullptr) {
        CHECK(r.messages.empty());
        CHECK(r.replies.empty());
      }
      for (const pvm::Message& m : r.messages) {
        std::string json;
        pvm::append_json(json, m);
        CHECK(json.front() == '{');
      }
    };
    const std::vector<uint8_t> stream = random_bytes(rng, 600);
    for (size_t at = 0; at < stream.size();) {
      const size_t n = std::min<size_t>(stream.size() - at, 1 + rng() % 64);
      session.feed(std::span(stream).subspan(at, n), check_frame);
      at += n;
      fed += n;
      CHECK(session.stream_offset() + session.buffered() == fed);
    }
    session.finish(check_frame);
    CHECK(session.buffered() == 0);
    session.feed_frame(random_bytes(rng, 80), check_frame);
  }
}

}  // namespace

TEST_SUITE("vm robustness") {
  TEST_CASE("random input to a verified module") {
    std::mt19937 rng(20240611);
    exercise(vmtest::load(kProtocol), rng, 400);
  }

  TEST_CASE("damaged .pvmc bytes are refused or load a module that runs safely") {
    std::mt19937 rng(77);
    const std::vector<uint8_t> good = pvm::bc::serialize(vmtest::assemble(kProtocol));
    int loaded = 0;
    for (int round = 0; round < 1500; ++round) {
      std::vector<uint8_t> bytes = good;
      const int edits = 1 + static_cast<int>(rng() % 6);
      for (int e = 0; e < edits; ++e) {
        const size_t at = rng() % bytes.size();
        switch (rng() % 4) {
          case 0:
            bytes[at] = static_cast<uint8_t>(rng());
            break;
          case 1:
            bytes[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
            break;
          case 2:
            bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(at));
            break;
          default:
            bytes[at] = static_cast<uint8_t>(rng() % 4);
            break;
        }
      }
      // Usually reseal the checksum, so the damage reaches the structure checks and the verifier.
      if (rng() % 4 != 0 && bytes.size() >= 4) {
        const auto crc =
            static_cast<uint32_t>(pvm::bc::crc_compute(pvm::bc::Crc::Crc32, bytes.data(), bytes.size() - 4));
        for (int k = 0; k < 4; ++k) bytes[bytes.size() - 4 + k] = static_cast<uint8_t>(crc >> (8 * k));
      }
      std::string error;
      auto program = pvm::Program::load(bytes, error);
      if (program == nullptr) {
        CHECK_FALSE(error.empty());
        continue;
      }
      ++loaded;
      exercise(program, rng, 2);
    }
    CHECK(loaded > 0);
  }

  TEST_CASE("mutated code either fails verification or runs safely") {
    std::mt19937 rng(4242);
    const pvm::bc::Module good = vmtest::assemble(kProtocol);
    int verified = 0;
    for (int round = 0; round < 3000; ++round) {
      pvm::bc::Module m = good;
      pvm::bc::Function& f = m.functions[rng() % m.functions.size()];
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits && !f.code.empty(); ++e) {
        switch (rng() % 6) {
          case 0:
            f.code[rng() % f.code.size()] = static_cast<uint32_t>(rng() % 40);
            break;
          case 1:
            f.code[rng() % f.code.size()] = static_cast<uint32_t>(rng() % pvm::bc::kOpCount);
            break;
          case 2:
            f.code[rng() % f.code.size()] = static_cast<uint32_t>(rng());
            break;
          case 3:
            f.reg_count[rng() % pvm::bc::kRegClassCount] = static_cast<uint16_t>(rng() % 4);
            break;
          case 4:
            if (!f.tables.empty() && !f.tables[0].cases.empty())
              f.tables[0].cases[0].second = static_cast<uint32_t>(rng() % 60);
            break;
          default:
            f.code.resize(rng() % (f.code.size() + 1));
            break;
        }
      }
      std::string error;
      if (!pvm::verify(m, error)) {
        CHECK_FALSE(error.empty());
        continue;
      }
      ++verified;
      auto program = pvm::Program::load(std::move(m), error);
      REQUIRE(program != nullptr);
      exercise(program, rng, 2);
    }
    CHECK(verified > 0);
  }

}  // TEST_SUITE
