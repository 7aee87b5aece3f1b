// The language server survives whatever a client sends: random bytes, valid messages with
// random damage, and well-formed requests with parameters of the wrong shape. Whatever it
// writes is whole framed messages. (tests/tools/lsp_test.py drives the real process.)
#include <doctest/doctest.h>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "pvm/lsp/server.h"

namespace {

std::string framed(const std::string& body) {
  return "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Runs the server on `input`; checks that the output is a sequence of framed JSON messages
// and returns how many there were.
size_t run(const std::string& input) {
  std::istringstream in(input);
  std::string out;
  pvm::lsp::ServerOptions options;
  pvm::lsp::run_server(
      in, [&](std::string_view m) { out += m; }, options);
  size_t count = 0, pos = 0;
  while (pos < out.size()) {
    REQUIRE(out.compare(pos, 16, "Content-Length: ") == 0);
    const size_t end = out.find("\r\n\r\n", pos);
    REQUIRE(end != std::string::npos);
    const size_t length = std::stoul(out.substr(pos + 16, end - pos - 16));
    REQUIRE(end + 4 + length <= out.size());
    CHECK(out[end + 4] == '{');
    CHECK(out[end + 4 + length - 1] == '}');
    pos = end + 4 + length;
    ++count;
  }
  return count;
}

const std::vector<std::string> kSession = {
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{},"rootUri":null}})",
    R"({"jsonrpc":"2.0","method":"initialized","params":{}})",
    R"({"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///tmp/x.pvm","languageId":"pvm","version":1,"text":"protocol x\npacket tcp {\n    u8 ==> $a\n    emit { $a ==> #custom.a }\n}\n"}}})",
    R"({"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///tmp/x.pvm","version":2},"contentChanges":[{"range":{"start":{"line":2,"character":4},"end":{"line":2,"character":6}},"text":"u16le"}]}})",
    R"({"jsonrpc":"2.0","id":2,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///tmp/x.pvm"},"position":{"line":3,"character":12}}})",
    R"({"jsonrpc":"2.0","id":3,"method":"textDocument/completion","params":{"textDocument":{"uri":"file:///tmp/x.pvm"},"position":{"line":3,"character":25}}})",
    R"({"jsonrpc":"2.0","id":4,"method":"textDocument/references","params":{"textDocument":{"uri":"file:///tmp/x.pvm"},"position":{"line":2,"character":12},"context":{"includeDeclaration":true}}})",
    R"({"jsonrpc":"2.0","id":5,"method":"textDocument/documentSymbol","params":{"textDocument":{"uri":"file:///tmp/x.pvm"}}})",
    R"({"jsonrpc":"2.0","id":6,"method":"textDocument/definition","params":{"textDocument":{"uri":"file:///tmp/x.pvm"},"position":{"line":3,"character":12}}})",
    R"({"jsonrpc":"2.0","id":7,"method":"shutdown"})",
};

}  // namespace

TEST_CASE("lsp robustness: a whole session answers every request") {
  std::string input;
  for (const auto& m : kSession) input += framed(m);
  input += framed(R"({"jsonrpc":"2.0","method":"exit"})");
  // initialize, two diagnostics, six answers
  CHECK(run(input) == 9);
}

TEST_CASE("lsp robustness: random bytes, damaged messages and wrong parameter shapes come back") {
  std::mt19937 rng(4711);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  static const char* const kValues[] = {
      "null",       "1",     "-1",   "\"x\"",     "[]",
      "{}",         "1e308", "true", "[[[[1]]]]", "{\"line\":4294967295,\"character\":-5}",
      "\"\\ud800\""};
  for (int k = 0; k < 300; ++k) {
    std::string input;
    for (const auto& m : kSession) {
      std::string body = m;
      switch (pick(4)) {
        case 0:  // overwrite a byte
          body[pick(body.size())] = static_cast<char>(pick(256));
          break;
        case 1: {  // replace a value after some key with another kind of value
          const size_t colon = body.find(':', pick(body.size()));
          if (colon != std::string::npos) {
            const size_t end = body.find_first_of(",}", colon + 1);
            body.replace(colon + 1, (end == std::string::npos ? body.size() : end) - colon - 1,
                         kValues[pick(std::size(kValues))]);
          }
          break;
        }
        case 2:  // cut it short
          body.resize(pick(body.size()));
          break;
        default:
          break;
      }
      // Sometimes the header lies about the length.
      input += pick(8) == 0 ? "Content-Length: " + std::to_string(pick(body.size() + 10)) + "\r\n\r\n" + body
                            : framed(body);
    }
    if (pick(4) == 0) {
      std::string noise(pick(200), '\0');
      for (char& c : noise) c = static_cast<char>(pick(256));
      input += noise;
    }
    run(input);
  }
}
