// JSON-RPC framing for the language server: a message is "Content-Length: N\r\n\r\n" and N
// bytes of JSON. Everything a client sends is bounded: header lines, their count, the body
// size and the nesting of the JSON in it.
#pragma once

#include <cstddef>
#include <istream>
#include <nlohmann/json.hpp>
#include <string>

namespace pvm::lsp {

using json = nlohmann::json;

inline constexpr size_t kMaxMessageBytes = 16u << 20;  // a whole .pvm file with room to spare
inline constexpr size_t kMaxHeaderLine = 1024;
inline constexpr size_t kMaxHeaderLines = 16;
inline constexpr int kMaxJsonDepth = 64;  // LSP messages nest a few levels; deeper is hostile

// JSON-RPC and LSP error codes.
enum ErrorCode : int {
  kParseError = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kInternalError = -32603,
  kServerNotInitialized = -32002,
  kRequestFailed = -32803,
};

enum class ReadStatus {
  Message,   // `body` holds one message's bytes
  End,       // the input ended between messages
  Rejected,  // the message was read past and dropped: `error` says why
  Broken,    // the framing cannot be followed any more (a bad header or the input ended inside a message)
};

ReadStatus read_message(std::istream& in, std::string& body, std::string& error);

// Parses a body: false with a reason when it is not JSON or nests deeper than kMaxJsonDepth.
bool parse_json(const std::string& body, json& out, std::string& error);

// The message with its header. Text that is not valid UTF-8 is replaced, never thrown on.
std::string frame(const json& message);

}  // namespace pvm::lsp
