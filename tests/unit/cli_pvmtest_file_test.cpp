#include <doctest/doctest.h>

#include "pvmtest_file.h"
#include "pvmtest_run.h"

using namespace pvm::cli;

TEST_CASE("pvmtest: headers and sections") {
  const char* text =
      "# codec 8 with one record\n"
      "protocol: teltonika\n"
      "option: extended=true\n"
      "option: other=1\n"
      "\n"
      "--- input\n"
      "000f 3335\n"
      "\n"
      "--- messages\n"
      "{\"ident\":\"35\"}\n"
      "\n"
      "\n";
  PvmTestFile file;
  std::string error;
  REQUIRE(parse_pvmtest(text, file, error));
  CHECK(file.header("protocol") == "teltonika");
  CHECK(file.header("option") == "other=1");
  CHECK(file.header("transport", "tcp") == "tcp");
  CHECK(file.headers.size() == 3);
  REQUIRE(file.sections.size() == 2);
  CHECK(file.sections[0].name == "input");
  CHECK(file.sections[0].first_line == 7);
  CHECK(file.sections[0].lines == std::vector<std::string>{"000f 3335"});
  CHECK(file.section("messages")->lines == std::vector<std::string>{"{\"ident\":\"35\"}"});
  CHECK(file.section("replies") == nullptr);
}

TEST_CASE("pvmtest: writing keeps the header and separates sections by one blank line") {
  PvmTestFile file;
  std::string error;
  REQUIRE(parse_pvmtest("protocol: x\n\n\n--- input\n01\n--- replies\n02\n\n", file, error));
  file.section("replies")->lines = {"03", "04"};
  CHECK(write_pvmtest(file) == "protocol: x\n\n--- input\n01\n\n--- replies\n03\n04\n");
}

TEST_CASE("pvmtest: malformed files say which line is wrong") {
  PvmTestFile file;
  std::string error;
  CHECK_FALSE(parse_pvmtest("protocl: x\n", file, error));
  CHECK(error == "line 1: unknown header 'protocl'");
  PvmTestFile second;
  CHECK_FALSE(parse_pvmtest("protocol: x\n--- input\n--- inputs\n", second, error));
  CHECK(error == "line 3: unknown section 'inputs'");
  PvmTestFile third;
  CHECK_FALSE(parse_pvmtest("--- input\n--- input\n", third, error));
  CHECK(error == "line 2: section 'input' appears twice");
  PvmTestFile fourth;
  CHECK_FALSE(parse_pvmtest("just text\n", fourth, error));
  CHECK(error == "line 1: expected 'key: value' or a '--- section' line");
}

TEST_CASE("pvmtest: encode arguments split on blanks, quotes group") {
  std::vector<std::string> words;
  std::string error;
  REQUIRE(split_words(R"(gprs  text="setdigout 11" note="a \"q\" \\")", words, error));
  CHECK(words == std::vector<std::string>{"gprs", "text=setdigout 11", R"(note=a "q" \)"});
  words.clear();
  CHECK_FALSE(split_words(R"(gprs text="open)", words, error));
}
