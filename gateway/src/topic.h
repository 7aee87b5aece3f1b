// MQTT topics from the template (default "pvm/{protocol}/{ident}"), and the command topics
// beneath them: TOPIC/commands/NAME.
#pragma once

#include <string>
#include <string_view>

namespace pvm::gateway {

// Appends the template with {protocol} and {ident} replaced. '/', '+', '#', control bytes and
// bytes that are not UTF-8 in the values become '_'; an empty ident is "unknown".
void append_topic(std::string& out, std::string_view pattern, std::string_view protocol,
                  std::string_view ident);

// The subscription that receives every command: each placeholder level becomes '+'. False
// when a placeholder shares its level with other text (it could not be matched back).
bool command_subscription(std::string_view pattern, std::string& out, std::string& error);

struct CommandTopic {
  std::string protocol;  // empty when the template has no {protocol}
  std::string ident;
  std::string command;
};
// Matches `topic` against TEMPLATE/commands/NAME; false when it does not match.
bool parse_command_topic(std::string_view pattern, std::string_view topic, CommandTopic& out);

}  // namespace pvm::gateway
