// Device text on its way into JSON logs and MQTT topics stays valid UTF-8.
#include <doctest/doctest.h>

#include "pvm/vm.h"
#include "topic.h"
#include "utf8.h"

using namespace pvm::gateway;

TEST_CASE("gateway: UTF-8 sequences") {
  CHECK(utf8_sequence("a", 0) == 1);
  CHECK(utf8_sequence("\xc3\xa9", 0) == 2);
  CHECK(utf8_sequence("\xe2\x82\xac", 0) == 3);
  CHECK(utf8_sequence("\xf4\x8f\xbf\xbf", 0) == 4);  // U+10FFFF, the last code point
  CHECK(utf8_sequence("\xf4\x90\x80\x80", 0) == 0);  // past it
  CHECK(utf8_sequence("\xc0\xaf", 0) == 0);          // overlong
  CHECK(utf8_sequence("\xe0\x80\xaf", 0) == 0);      // overlong
  CHECK(utf8_sequence("\xed\xa0\x80", 0) == 0);      // a surrogate
  CHECK(utf8_sequence("\xe2\x82", 0) == 0);          // cut short
  CHECK(utf8_sequence("\x80", 0) == 0);
}

TEST_CASE("gateway: JSON strings in logs are escaped as messages are") {
  // A byte that is not UTF-8 is written as the code point of its value, as in messages.
  std::string out;
  pvm::append_json_string(out, "a\"b\\c\n\x01\xc3\xa9\xff");
  CHECK(out == "\"a\\\"b\\\\c\\u000a\\u0001\xc3\xa9\\u00ff\"");
}

TEST_CASE("gateway: topics from garbage idents") {
  std::string t;
  append_topic(t, "pvm/{protocol}/{ident}", "teltonika", "\xff\x01\xc3\xa9x");
  CHECK(t == "pvm/teltonika/__\xc3\xa9x");
}
