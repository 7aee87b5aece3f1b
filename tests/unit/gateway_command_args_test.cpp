// Command arguments as HTTP and MQTT carry them.
#include <doctest/doctest.h>

#include "command_args.h"

using namespace pvm::gateway;

TEST_CASE("gateway: command arguments") {
  CommandArgs args;
  std::string error;
  REQUIRE(parse_command_args(
      R"( {"text": "setdigout 1", "n": -2.5e3, "on": true, "u": "\u00e9\ud83d\ude00\"\n"} )", args, error));
  REQUIRE(args.size() == 4);
  CHECK(args[0] == std::pair<std::string, std::string>{"text", "setdigout 1"});
  CHECK(args[1].second == "-2.5e3");
  CHECK(args[2].second == "true");
  CHECK(args[3].second == "\xc3\xa9\xf0\x9f\x98\x80\"\n");
  REQUIRE(parse_command_args("", args, error));
  CHECK(args.empty());
  REQUIRE(parse_command_args("{}", args, error));
  CHECK(args.empty());
  CHECK_FALSE(parse_command_args("[1]", args, error));
  CHECK_FALSE(parse_command_args(R"({"a": {"b": 1}})", args, error));
  CHECK_FALSE(parse_command_args(R"({"a": null})", args, error));
  CHECK_FALSE(parse_command_args(R"({"a": "x"} trailing)", args, error));
  CHECK_FALSE(parse_command_args(R"({"a": "unterminated})", args, error));
  CHECK(error.find("unterminated") != std::string::npos);
}
