// The arguments of a command to a device, as HTTP and MQTT carry them: a flat JSON object
// ({"text": "getinfo"}). Program::encode takes text values and converts them to the
// command's parameter classes, so numbers and booleans are kept as written.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pvm::gateway {

using CommandArgs = std::vector<std::pair<std::string, std::string>>;

// An empty or all-blank body is no arguments. False with a reason for anything but an object
// of strings, numbers and booleans.
bool parse_command_args(std::string_view json, CommandArgs& out, std::string& error);

}  // namespace pvm::gateway
