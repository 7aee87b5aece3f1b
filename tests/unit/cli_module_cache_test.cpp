// The module cache (cli/module_cache.h): a .pvm compiled once is taken from the cache after, and
// behaves as compiled; any change to what the compile read or where a `use` finds its file, and
// any damage to the entry, compiles again; only compiles without diagnostics are kept; a
// directory others could write to is not used, and one the user named says why, once.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "decode_run.h"
#include "module_cache.h"
#include "module_cache_entry.h"
#include "program_loader.h"
#include "pvm/bytecode/serialize.h"
#include "temp_dir.h"

namespace {

namespace fs = std::filesystem;
using pvm::cli::ModuleCache;
using pvm::compiler::CompileOptions;
using pvm::compiler::CompileResult;

constexpr std::string_view kMain = R"(protocol cachetest
use "lib/twice.pvm"

packet tcp {
    u8 ==> $len
    expect $len <= 4, "at most 4 data bytes"
    $data = bytes($len)
    emit {
        #custom.data = $data
        #custom.n = twice($len)
    }
}
)";

constexpr std::string_view kLib = R"(// Doubles a length, refusing three.
fn twice($n: int) -> int {
    if $n == 3 { fail "three is not allowed" }
    return $n * 2
}
)";

// A protocol beside a used file, and a cache directory (missing: created).
struct Fixture {
  testutil::TempDir tmp{"pvm-module-cache"};
  fs::path root = tmp.path;
  fs::path main;
  fs::path lib;
  fs::path cache;

  Fixture() {
    main = root / "src" / "main.pvm";
    lib = root / "src" / "lib" / "twice.pvm";
    cache = root / "cache" / "modules";
    fs::create_directories(lib.parent_path());
    write(main, kMain);
    write(lib, kLib);
  }

  static void write(const fs::path& file, std::string_view text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
  }

  std::vector<fs::path> entries() const {
    std::vector<fs::path> out;
    if (fs::is_directory(cache))
      for (const auto& e : fs::directory_iterator(cache))
        if (e.path().extension() == ".pvmmod") out.push_back(e.path());
    return out;
  }

  ModuleCache cache_for(bool named = true) const { return ModuleCache({cache.string(), named}); }
};

// Compiles `path` through `cache`; `hit` says whether it came from there.
CompileResult compile(ModuleCache& cache, const fs::path& path, bool& hit,
                      const std::vector<std::string>& import_dirs = {}) {
  return cache.compile(path.string(), import_dirs, hit);
}

std::vector<uint8_t> bytes_of(const CompileResult& r) {
  REQUIRE(r.ok);
  return pvm::bc::serialize(r.module);
}

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A compiler that must not be needed.
CompileResult no_compile(const std::string& path, const CompileOptions&) {
  throw std::runtime_error("compiled " + path);
}

// Everything `pvm decode --framed --trace` writes for three frames: one decoded, one failing in
// the used file's function, one failing in the main file.
std::string decode_all(const std::shared_ptr<const pvm::Program>& program) {
  pvm::cli::InputStream in;
  in.name = "in.hex";
  in.whole_frames = true;
  in.chunks = {{2, 1, 2}, {3, 1, 2, 3}, {5, 1, 2, 3, 4, 5}};
  in.origin = pvm::cli::ChunkOrigin::Line;
  in.origins = {1, 2, 3};
  std::ostringstream messages, replies, frames, errors, trace;
  pvm::cli::DecodeSinks sinks{&messages, &replies, &frames, &errors, nullptr, &trace};
  pvm::cli::DecodeStats stats;
  std::string error;
  REQUIRE(pvm::cli::run_decode(program, {}, {in}, sinks, stats, error));
  return messages.str() + "--\n" + errors.str() + "--\n" + frames.str() + "--\n" + trace.str();
}

std::shared_ptr<const pvm::Program> load(const fs::path& path, ModuleCache* cache,
                                         std::string* diagnostics = nullptr) {
  std::ostringstream out;
  std::string error;
  auto program = pvm::cli::load_program(path.string(), out, error, {}, cache);
  REQUIRE_MESSAGE(program != nullptr, error);
  if (diagnostics) *diagnostics = out.str();
  return program;
}

}  // namespace

TEST_SUITE("module cache") {
  TEST_CASE("a module compiled once is taken from the cache after: the same bytes") {
    Fixture f;
    ModuleCache cache = f.cache_for();
    bool hit = true;
    const CompileResult first = compile(cache, f.main, hit);
    CHECK_FALSE(hit);
    REQUIRE(f.entries().size() == 1);
    CHECK((fs::status(f.cache).permissions() & fs::perms::all) == fs::perms::owner_all);
    CHECK((fs::status(f.entries()[0]).permissions() & (fs::perms::group_all | fs::perms::others_all)) ==
          fs::perms::none);
    ModuleCache again = f.cache_for();  // as the next run would
    const CompileResult second = compile(again, f.main, hit);
    CHECK(hit);
    CHECK(bytes_of(second) == bytes_of(first));
    CHECK(again.take_note().empty());
  }

  TEST_CASE(
      "the module is the cache's: it loads with no compiler, and a module put in the entry is the one "
      "loaded") {
    Fixture f;
    ModuleCache cache = f.cache_for();
    const auto compiled = load(f.main, &cache);
    ModuleCache cannot_compile({f.cache.string(), true}, no_compile);
    const auto cached = load(f.main, &cannot_compile);
    CHECK(cached->protocol() == "cachetest");

    // Another protocol's module in the entry, its digest made good: that is what loads.
    const fs::path other = f.root / "other.pvm";
    Fixture::write(other, "protocol other\npacket tcp {\n    skip remaining\n}\n");
    ModuleCache plain;
    bool hit = true;
    const CompileResult other_module = compile(plain, other, hit);
    const fs::path file = f.entries().at(0);
    pvm::cli::ModuleCacheEntry entry;
    REQUIRE(pvm::cli::decode_entry(read(file), entry));
    const std::vector<uint8_t> bytes = bytes_of(other_module);
    entry.module.assign(bytes.begin(), bytes.end());
    Fixture::write(file, pvm::cli::encode_entry(entry));
    CHECK(load(f.main, &cannot_compile)->protocol() == "other");
  }

  TEST_CASE(
      "a module from the cache decodes, fails and traces as the one compiled, with its source positions") {
    Fixture f;
    const std::string compiled = decode_all(load(f.main, nullptr));
    ModuleCache cache = f.cache_for();
    load(f.main, &cache);
    ModuleCache cannot_compile({f.cache.string(), true}, no_compile);
    const std::string cached = decode_all(load(f.main, &cannot_compile));
    CHECK(cached == compiled);
    CHECK(cached.find(R"({"protocol.id":"cachetest","custom.data":"0102","custom.n":4})") !=
          std::string::npos);
    CHECK(cached.find("rejected: three is not allowed (lib/twice.pvm:3:18 via main.pvm:10:21)") !=
          std::string::npos);
    CHECK(cached.find("rejected: at most 4 data bytes (main.pvm:6:5)") != std::string::npos);
    CHECK(cached.find("main.pvm:10:9  #custom.n = twice($len) = 4") != std::string::npos);
  }

  TEST_CASE("editing the main file or a used file compiles again, and the new module is kept") {
    Fixture f;
    ModuleCache cache = f.cache_for();
    bool hit = true;
    const CompileResult first = compile(cache, f.main, hit);
    const fs::path file = f.entries().at(0);

    SUBCASE("the used file") {
      Fixture::write(f.lib, std::string(kLib).replace(kLib.find("$n * 2"), 6, "$n * 3"));
    }
    SUBCASE("the main file") {
      Fixture::write(f.main, std::string(kMain).replace(kMain.find("<= 4"), 4, "<= 5"));
    }
    const CompileResult edited = compile(cache, f.main, hit);
    CHECK_FALSE(hit);
    CHECK(bytes_of(edited) != bytes_of(first));
    CHECK(f.entries() == std::vector<fs::path>{file});  // the entry for this path, rewritten
    CHECK(bytes_of(compile(cache, f.main, hit)) == bytes_of(edited));
    CHECK(hit);
  }

  TEST_CASE("a use that would now find another file compiles again, though no file read changed") {
    Fixture f;
    // lib/twice.pvm from an import folder, not beside the main file.
    const fs::path include = f.root / "include";
    Fixture::write(include / "lib" / "twice.pvm", kLib);
    fs::remove(f.lib);
    const std::vector<std::string> dirs = {include.string()};
    ModuleCache cache = f.cache_for();
    bool hit = true;
    const CompileResult first = compile(cache, f.main, hit, dirs);
    REQUIRE(bytes_of(compile(cache, f.main, hit, dirs)) == bytes_of(first));
    REQUIRE(hit);
    // One beside the main file comes first now.
    Fixture::write(f.lib, std::string(kLib).replace(kLib.find("$n * 2"), 6, "$n * 3"));
    const CompileResult shadowed = compile(cache, f.main, hit, dirs);
    CHECK_FALSE(hit);
    CHECK(bytes_of(shadowed) != bytes_of(first));
    // And the import folders are part of the key: none is another entry.
    compile(cache, f.main, hit);
    CHECK_FALSE(hit);
    CHECK(f.entries().size() == 2);
  }

  TEST_CASE("a used file that was a link to one already used, and is now a file of its own, compiles again") {
    Fixture f;
    // The second `use` names the first file again through a link: taken once.
    Fixture::write(f.main, std::string(kMain).replace(kMain.find('\n') + 1, 0, "use \"lib/again.pvm\"\n"));
    const fs::path again = f.lib.parent_path() / "again.pvm";
    fs::create_symlink("twice.pvm", again);
    ModuleCache cache = f.cache_for();
    bool hit = true;
    REQUIRE(compile(cache, f.main, hit).ok);
    REQUIRE(compile(cache, f.main, hit).ok);
    REQUIRE(hit);
    // The same text, but another file: its `fn twice` is a second one.
    fs::remove(again);
    Fixture::write(again, kLib);
    const CompileResult now = compile(cache, f.main, hit);
    CHECK_FALSE(hit);
    CHECK_FALSE(now.ok);
  }

  TEST_CASE(
      "an entry cut short, changed, or holding a module of another format is compiled again and rewritten") {
    Fixture f;
    ModuleCache cache = f.cache_for();
    bool hit = true;
    const CompileResult first = compile(cache, f.main, hit);
    const fs::path file = f.entries().at(0);
    const std::string whole = read(file);
    REQUIRE(whole.size() > 400);
    std::string spoiled;
    SUBCASE("cut short") {
      spoiled = whole.substr(0, whole.size() / 2);
    }
    SUBCASE("a byte changed") {
      spoiled = whole;
      spoiled[whole.size() - 100] = static_cast<char>(spoiled[whole.size() - 100] ^ 0x20);
    }
    SUBCASE("empty") {}
    SUBCASE("another format version, its digest made good") {
      pvm::cli::ModuleCacheEntry entry;
      REQUIRE(pvm::cli::decode_entry(whole, entry));
      entry.module[4] = static_cast<char>(entry.module[4] + 1);  // after "PVMC": the version
      spoiled = pvm::cli::encode_entry(entry);
    }
    Fixture::write(file, spoiled);
    const CompileResult again = compile(cache, f.main, hit);
    CHECK_FALSE(hit);
    CHECK(bytes_of(again) == bytes_of(first));
    CHECK(read(file) == whole);
    compile(cache, f.main, hit);
    CHECK(hit);
  }

  TEST_CASE("a directory others can write to is not used; one the user named says why, once") {
    Fixture f;
    fs::create_directories(f.cache);
    fs::permissions(f.cache, fs::perms::all);
    ModuleCache named = f.cache_for(true);
    bool hit = true;
    CHECK(compile(named, f.main, hit).ok);
    CHECK_FALSE(hit);
    CHECK(f.entries().empty());
    CHECK(named.take_note() == f.cache.string() + " is not this user's or others can write to it");
    CHECK(compile(named, f.main, hit).ok);
    CHECK(named.take_note().empty());
    CHECK(f.entries().empty());

    ModuleCache by_default = f.cache_for(false);  // the user's default: nothing said
    CHECK(compile(by_default, f.main, hit).ok);
    CHECK_FALSE(hit);
    CHECK(by_default.take_note().empty());
    CHECK(pvm::cli::module_cache_line(named).empty());
  }

  TEST_CASE("a compile with warnings is not kept, and its warnings show on every load") {
    Fixture f;
    auto warns = [](const std::string& path, const CompileOptions& options) {
      CompileResult r = pvm::compiler::compile_file(path, options);
      pvm::compiler::Diagnostic d;
      d.severity = pvm::compiler::Severity::Warning;
      d.file = path;
      d.message = "a warning";
      r.diagnostics.push_back(d);
      return r;
    };
    for (int run = 0; run < 2; ++run) {
      ModuleCache cache({f.cache.string(), true}, warns);
      std::string diagnostics;
      load(f.main, &cache, &diagnostics);
      CHECK(diagnostics == f.main.string() + ": warning: a warning\n");
      CHECK(f.entries().empty());
    }
  }

  TEST_CASE("a failed compile is not kept") {
    Fixture f;
    Fixture::write(f.lib, "fn twice($n: int) -> int {\n    return $m\n}\n");
    ModuleCache cache = f.cache_for();
    bool hit = true;
    for (int run = 0; run < 2; ++run) {
      const CompileResult r = compile(cache, f.main, hit);
      CHECK_FALSE(r.ok);
      CHECK_FALSE(r.diagnostics.empty());
      CHECK_FALSE(hit);
    }
    CHECK(f.entries().empty());
  }
}
