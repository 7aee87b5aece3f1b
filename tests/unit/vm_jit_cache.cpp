// LoadOptions::jit_cache: code the JIT compiled is kept, found again for the same module and
// checked before it runs; a directory others could write to is not used.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "temp_dir.h"
#include "vm_test_util.h"

namespace {

namespace fs = std::filesystem;

using vmtest::kJitSampleBody;
using vmtest::kJitSampleMessage;

std::vector<fs::path> cached_files(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".pvmjit") out.push_back(e.path());
  return out;
}

std::shared_ptr<const pvm::Program> load(std::string_view body, const fs::path& cache) {
  std::string error;
  pvm::LoadOptions options;
  options.engine = pvm::Engine::Jit;
  options.jit_cache = cache.string();
  auto program = pvm::Program::load(vmtest::assemble(vmtest::packet_module(body)), error, options);
  REQUIRE(program != nullptr);
  REQUIRE(program->engine() == pvm::Engine::Jit);
  return program;
}

std::string decode(const std::shared_ptr<const pvm::Program>& program) {
  return vmtest::outcome(vmtest::decode_frame_with(program, vmtest::kJitSampleFrame, {}));
}

}  // namespace

TEST_SUITE("jit cache") {
  // The tests of the JIT return early where it is not available: a build with the JIT that lost
  // its library (jit_loader.cpp) would otherwise pass them all without running any.
  TEST_CASE("a build with the JIT finds its library") {
    CHECK(pvm::jit_available() == PVM_TEST_JIT);
  }

  TEST_CASE("code compiled once is loaded from the cache after, with the same results") {
    if (!pvm::jit_available()) return;
    testutil::TempDir tmp("pvm-jit-cache");
    const fs::path dir = tmp.path / "a" / "jit";  // missing: created
    const auto first = load(kJitSampleBody, dir);
    CHECK_FALSE(first->jit_cached());
    CHECK(first->jit_cache_note().empty());
    REQUIRE(cached_files(dir).size() == 1);
    CHECK((fs::status(dir).permissions() & fs::perms::all) == fs::perms::owner_all);
    CHECK((fs::status(cached_files(dir)[0]).permissions() & (fs::perms::group_all | fs::perms::others_all)) ==
          fs::perms::none);

    const auto second = load(kJitSampleBody, dir);
    CHECK(second->jit_cached());
    CHECK(decode(second) == decode(first));
    CHECK(decode(second) == kJitSampleMessage);

    // Another module is another file.
    const auto other = load("msg.new\nrdset.u8 i0, \"m\"\nret", dir);
    CHECK_FALSE(other->jit_cached());
    CHECK(cached_files(dir).size() == 2);
  }

  TEST_CASE("a cached file that was changed or cut short is compiled again and replaced") {
    if (!pvm::jit_available()) return;
    testutil::TempDir tmp("pvm-jit-cache");
    load(kJitSampleBody, tmp.path);
    const fs::path file = cached_files(tmp.path).at(0);
    std::string bytes;
    {
      std::ifstream in(file, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    REQUIRE(bytes.size() > 200);
    std::string flipped = bytes;
    flipped[150] = static_cast<char>(flipped[150] ^ 0x55);  // a byte of the code, past the header
    for (const std::string& spoiled : {bytes.substr(0, bytes.size() / 2), flipped}) {
      {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out << spoiled;
      }
      const auto again = load(kJitSampleBody, tmp.path);
      CHECK_FALSE(again->jit_cached());
      CHECK(decode(again) == kJitSampleMessage);
      CHECK(load(kJitSampleBody, tmp.path)->jit_cached());  // replaced by a whole one
    }
  }

  TEST_CASE("a cache directory others can write to, or that is no directory, is not used") {
    if (!pvm::jit_available()) return;
    testutil::TempDir tmp("pvm-jit-cache");
    const fs::path open_dir = tmp.path / "open";
    fs::create_directory(open_dir);
    fs::permissions(open_dir, fs::perms::all);
    const auto program = load(kJitSampleBody, open_dir);
    CHECK_FALSE(program->jit_cached());
    CHECK(program->jit_cache_note().find("others can write to it") != std::string::npos);
    CHECK(cached_files(open_dir).empty());
    CHECK(decode(program) == kJitSampleMessage);

    const fs::path file = tmp.path / "file";
    std::ofstream(file) << "x";
    CHECK(load(kJitSampleBody, file)->jit_cache_note().find("is not a directory") != std::string::npos);
  }

  TEST_CASE("the cache keeps the files used most recently") {
    if (!pvm::jit_available()) return;
    testutil::TempDir tmp("pvm-jit-cache");
    // More old files than the cache keeps, each older than the last.
    for (int k = 0; k < 70; ++k) {
      const fs::path f = tmp.path / ("old" + std::to_string(k) + ".pvmjit");
      std::ofstream(f) << "x";
      fs::last_write_time(f, fs::file_time_type::clock::now() - std::chrono::hours(100 - k));
    }
    load(kJitSampleBody, tmp.path);
    const auto files = cached_files(tmp.path);
    CHECK(files.size() == 64);
    CHECK_FALSE(fs::exists(tmp.path / "old0.pvmjit"));
    CHECK_FALSE(fs::exists(tmp.path / "old6.pvmjit"));
    CHECK(fs::exists(tmp.path / "old7.pvmjit"));
    CHECK(load(kJitSampleBody, tmp.path)->jit_cached());
  }
}
