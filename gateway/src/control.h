// What the control thread and the workers say to each other through their mailboxes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "command_args.h"
#include "pvm/vm.h"
#include "tls.h"

namespace pvm::gateway {

// A command for the device logged in as `ident`. Every worker gets it; the one holding the
// device sends it.
struct CommandRequest {
  uint64_t id = 0;  // 0: from MQTT, nobody waits for the answer
  std::string ident;
  std::string protocol;  // empty: any
  std::string name;
  CommandArgs args;
};

struct WorkerMessage {
  enum class Kind : uint8_t { Stop, Reload, Command } kind = Kind::Stop;
  std::vector<std::shared_ptr<const Program>> programs;  // Reload: one per listener
  CommandRequest command;
  TlsContext tls = nullptr;  // Reload: the TLS listeners' certificate read again, or null
};

struct ControlEvent {
  enum class Kind : uint8_t {
    NotFound,  // the worker has no device with that ident
    Sent,      // text: the bytes sent, as hex
    Failed,    // text: why (the command does not encode, the device went away)
    Answered,  // text: the device's answer as a JSON message
    Stopped,   // the worker drained and exited its loop
  } kind = Kind::NotFound;
  unsigned worker = 0;
  uint64_t command = 0;
  std::string text;
};

}  // namespace pvm::gateway
