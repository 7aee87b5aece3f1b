// bc::CacheDir, the directory both the JIT's cache and the module cache keep their files in: files
// written whole, read back only while this user's alone and within the size allowed, the least
// recently used dropped first, and a directory others could write to refused.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "pvm/bytecode/cache_dir.h"
#include "temp_dir.h"

namespace {

namespace fs = std::filesystem;

size_t count_files(const fs::path& dir, const std::string& extension) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().extension() == extension;
  return n;
}

}  // namespace

TEST_SUITE("cache dir") {
  TEST_CASE("what is stored is loaded back, from a directory created mode 0700") {
    testutil::TempDir tmp("pvm-cache-dir");
    const pvm::bc::CacheDir dir((tmp.path / "a" / "b").string(), ".x", 4, 100);
    std::string why;
    REQUIRE(dir.open(why));
    CHECK((fs::status(tmp.path / "a" / "b").permissions() & fs::perms::all) == fs::perms::owner_all);
    CHECK_FALSE(dir.load("k"));
    REQUIRE(dir.store("k", "bytes", why));
    CHECK(dir.load("k") == "bytes");
    CHECK((fs::status(tmp.path / "a" / "b" / "k.x").permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
    REQUIRE(dir.store("k", "other", why));  // replaced whole
    CHECK(dir.load("k") == "other");
    CHECK(count_files(tmp.path / "a" / "b", ".x") == 1);
  }

  TEST_CASE("a file larger than allowed, or that others can write to, is not read") {
    testutil::TempDir tmp("pvm-cache-dir");
    const pvm::bc::CacheDir dir(tmp.path.string(), ".x", 4, 8);
    std::string why;
    REQUIRE(dir.open(why));
    REQUIRE(dir.store("small", "12345678", why));
    REQUIRE(dir.store("large", "123456789", why));
    CHECK(dir.load("small") == "12345678");
    CHECK_FALSE(dir.load("large"));
    fs::permissions(tmp.path / "small.x", fs::perms::group_write, fs::perm_options::add);
    CHECK_FALSE(dir.load("small"));
    fs::create_symlink(tmp.path / "large.x", tmp.path / "link.x");  // not followed
    CHECK_FALSE(dir.load("link"));
  }

  TEST_CASE("a directory others can write to, or that is no directory, is refused with the reason") {
    testutil::TempDir tmp("pvm-cache-dir");
    fs::create_directory(tmp.path / "open");
    fs::permissions(tmp.path / "open", fs::perms::all);
    std::string why;
    CHECK_FALSE(pvm::bc::CacheDir((tmp.path / "open").string(), ".x", 4, 8).open(why));
    CHECK(why == (tmp.path / "open").string() + " is not this user's or others can write to it");
    std::ofstream(tmp.path / "file") << "x";
    CHECK_FALSE(pvm::bc::CacheDir((tmp.path / "file").string(), ".x", 4, 8).open(why));
    CHECK(why == (tmp.path / "file").string() + " is not a directory");
  }

  TEST_CASE("storing past the limit drops the files used least recently, and only the cache's own") {
    testutil::TempDir tmp("pvm-cache-dir");
    const pvm::bc::CacheDir dir(tmp.path.string(), ".x", 3, 100);
    std::string why;
    REQUIRE(dir.open(why));
    for (int k = 0; k < 4; ++k) {
      const fs::path f = tmp.path / ("old" + std::to_string(k) + ".x");
      std::ofstream(f) << "x";
      fs::last_write_time(f, fs::file_time_type::clock::now() - std::chrono::hours(10 - k));
    }
    std::ofstream(tmp.path / "other.y") << "y";
    fs::last_write_time(tmp.path / "other.y", fs::file_time_type::clock::now() - std::chrono::hours(20));
    CHECK(dir.load("old0"));  // read: used now, so kept
    REQUIRE(dir.store("new", "z", why));
    CHECK(count_files(tmp.path, ".x") == 3);
    CHECK(fs::exists(tmp.path / "old0.x"));
    CHECK_FALSE(fs::exists(tmp.path / "old1.x"));
    CHECK_FALSE(fs::exists(tmp.path / "old2.x"));
    CHECK(fs::exists(tmp.path / "old3.x"));
    CHECK(fs::exists(tmp.path / "new.x"));
    CHECK(fs::exists(tmp.path / "other.y"));
  }
}
