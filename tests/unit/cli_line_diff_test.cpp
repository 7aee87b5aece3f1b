#include <doctest/doctest.h>

#include "line_diff.h"

using pvm::cli::unified_diff;

TEST_CASE("line diff: equal lists give no diff") {
  CHECK(unified_diff({"a", "b"}, {"a", "b"}).empty());
}

TEST_CASE("line diff: a changed line in the middle, with context") {
  std::vector<std::string> expected = {"1", "2", "3", "4", "5", "6", "7", "8", "9"};
  std::vector<std::string> actual = expected;
  actual[4] = "five";
  CHECK(unified_diff(expected, actual) == "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

TEST_CASE("line diff: additions to an empty list and removals to nothing") {
  CHECK(unified_diff({}, {"x", "y"}) == "@@ -0,0 +1,2 @@\n+x\n+y\n");
  CHECK(unified_diff({"x"}, {}) == "@@ -1,1 +0,0 @@\n-x\n");
}

TEST_CASE("line diff: far apart changes make separate hunks") {
  std::vector<std::string> expected;
  for (int i = 1; i <= 20; ++i) expected.push_back(std::to_string(i));
  std::vector<std::string> actual = expected;
  actual[0] = "one";
  actual[19] = "twenty";
  CHECK(unified_diff(expected, actual) ==
        "@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n@@ -17,4 +17,4 @@\n 17\n 18\n 19\n-20\n+twenty\n");
}
