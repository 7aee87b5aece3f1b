// CompileResult::sources: every file a compile looked for, as a cache of compiled modules needs
// them: the main file, each file a `use` found with the text read, a file already taken again
// without, and a `use` that found nothing.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "pvm/compiler/compile.h"
#include "temp_dir.h"

namespace fs = std::filesystem;

TEST_CASE("compiler: the sources a compile used, in the order it looked for them") {
  const testutil::TempDir tmp("pvm-sources-used");
  const fs::path dir = fs::canonical(tmp.path);
  fs::create_directories(dir / "lib");
  const std::string lib = "fn one() -> int {\n    return 1\n}\n";
  std::ofstream(dir / "lib" / "one.pvm") << lib;
  fs::create_symlink("one.pvm", dir / "lib" / "same.pvm");
  const std::string main =
      "protocol p\nuse \"lib/one.pvm\"\nuse \"lib/same.pvm\"\n"
      "packet tcp {\n    emit { #custom.n = one() }\n}\n";
  std::ofstream(dir / "main.pvm") << main;
  const std::string main_path = (dir / "main.pvm").string();

  pvm::compiler::CompileResult r = pvm::compiler::compile_file(main_path, {});
  REQUIRE(r.ok);
  REQUIRE(r.sources.size() == 3);
  CHECK(r.sources[0].from == "");
  CHECK(r.sources[0].name == main_path);
  CHECK(r.sources[0].path == main_path);
  CHECK(r.sources[0].canonical == main_path);
  CHECK(r.sources[0].text == main);
  CHECK(r.sources[1].from == main_path);
  CHECK(r.sources[1].name == "lib/one.pvm");
  CHECK(r.sources[1].path == (dir / "lib/one.pvm").string());
  CHECK(r.sources[1].canonical == (dir / "lib/one.pvm").string());
  CHECK(r.sources[1].text == lib);
  CHECK(r.sources[2].name == "lib/same.pvm");  // a link to one.pvm: taken once, not read again
  CHECK(r.sources[2].path == (dir / "lib/same.pvm").string());
  CHECK(r.sources[2].canonical == (dir / "lib/one.pvm").string());
  CHECK_FALSE(r.sources[2].text);
  CHECK(pvm::compiler::find_import(main_path, "lib/same.pvm", {}) == r.sources[2].path);

  std::ofstream(dir / "main.pvm") << "protocol p\nuse \"lib/none.pvm\"\npacket tcp {\n}\n";
  r = pvm::compiler::compile_file(main_path, {});
  CHECK_FALSE(r.ok);
  REQUIRE(r.sources.size() == 2);
  CHECK(r.sources[1].name == "lib/none.pvm");
  CHECK(r.sources[1].path == "");
  CHECK_FALSE(r.sources[1].text);
  fs::remove_all(dir);
}
