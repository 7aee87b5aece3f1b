// pvm test --compare-engines: what the interpreter and the JIT made of a test must be the same,
// section by section; any difference fails the test with a diff.
#include <doctest/doctest.h>

#include "pvmtest_run.h"

using pvm::cli::engine_diff;
using pvm::cli::TestOutputs;

namespace {

TestOutputs outputs() {
  return {{"messages", {R"({"ident":"1","position.speed":12})", R"({"ident":"1","position.speed":14})"}},
          {"replies", {"01"}},
          {"errors", {"t.pvmtest:9: offset 40: warning: u16 $crc: CRC-16/ARC mismatch (t.pvm:7:3)"}},
          {"frames", {R"({"offset":0,"size":20})", R"({"offset":20,"size":28})"}}};
}

}  // namespace

TEST_CASE("engine diff: the same outputs give no diff") {
  CHECK(engine_diff(outputs(), outputs()).empty());
  CHECK(engine_diff({}, {}).empty());
}

TEST_CASE("engine diff: a value that differs is shown under its section") {
  TestOutputs jit = outputs();
  jit["messages"][1] = R"({"ident":"1","position.speed":15})";
  CHECK(engine_diff(outputs(), jit) ==
        "--- messages (interpreter)\n+++ messages (jit)\n@@ -1,2 +1,2 @@\n"
        " {\"ident\":\"1\",\"position.speed\":12}\n-{\"ident\":\"1\",\"position.speed\":14}\n"
        "+{\"ident\":\"1\",\"position.speed\":15}\n");
}

TEST_CASE("engine diff: every differing section, including one only an engine has") {
  TestOutputs jit = outputs();
  jit["errors"][0] =
      "t.pvmtest:9: offset 41: warning: u16 $crc: CRC-16/ARC mismatch (t.pvm:7:3)";  // the offset
  jit.erase("replies");
  jit["encoded"] = {"000102"};
  const std::string diff = engine_diff(outputs(), jit);
  CHECK(diff.find("--- errors (interpreter)\n+++ errors (jit)\n") != std::string::npos);
  CHECK(diff.find("-t.pvmtest:9: offset 40:") != std::string::npos);
  CHECK(diff.find("--- replies (interpreter)\n+++ replies (jit)\n@@ -1,1 +0,0 @@\n-01\n") !=
        std::string::npos);
  CHECK(diff.find("+++ encoded (jit)\n@@ -0,0 +1,1 @@\n+000102\n") != std::string::npos);
  CHECK(diff.find("messages") == std::string::npos);
  CHECK(diff.find("frames") == std::string::npos);
}
