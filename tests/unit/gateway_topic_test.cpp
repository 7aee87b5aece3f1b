// MQTT topics from the template, and command topics matched back.
#include <doctest/doctest.h>

#include "topic.h"

using namespace pvm::gateway;

TEST_CASE("gateway: topics from the template") {
  std::string t;
  append_topic(t, "pvm/{protocol}/{ident}", "teltonika", "356307042441013");
  CHECK(t == "pvm/teltonika/356307042441013");
  t.clear();
  append_topic(t, "pvm/{protocol}/{ident}", "tel/to", "a+b#c\n");
  CHECK(t == "pvm/tel_to/a_b_c_");  // values cannot add levels or wildcards
  t.clear();
  append_topic(t, "x/dev-{ident}", "p", "");
  CHECK(t == "x/dev-unknown");
}

TEST_CASE("gateway: command topics") {
  std::string sub, error;
  REQUIRE(command_subscription("pvm/{protocol}/{ident}", sub, error));
  CHECK(sub == "pvm/+/+/commands/+");
  CHECK_FALSE(command_subscription("pvm/dev-{ident}", sub, error));

  CommandTopic c;
  REQUIRE(parse_command_topic("pvm/{protocol}/{ident}", "pvm/teltonika/123/commands/codec12", c));
  CHECK(c.protocol == "teltonika");
  CHECK(c.ident == "123");
  CHECK(c.command == "codec12");
  CHECK_FALSE(parse_command_topic("pvm/{protocol}/{ident}", "pvm/teltonika/123", c));
  CHECK_FALSE(parse_command_topic("pvm/{protocol}/{ident}", "xyz/teltonika/123/commands/codec12", c));
  CHECK_FALSE(parse_command_topic("pvm/{protocol}/{ident}", "pvm/teltonika/123/replies/codec12", c));
  CHECK_FALSE(parse_command_topic("pvm/{protocol}/{ident}", "pvm/teltonika/123/commands/", c));
}
