// The PVM language server: LSP 3.17 (JSON-RPC with Content-Length headers) for .pvm files.
// It gives the compiler's diagnostics as the text changes, hover, go to definition, references,
// completion and the outline, all from the compiler's source index.
#pragma once

#include <functional>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace pvm::lsp {

struct ServerOptions {
  std::vector<std::string> import_dirs;  // searched for `use "file.pvm"` after the using file's folder
  std::string version;                   // reported to the client as serverInfo.version
};

// Reads messages from `in` until the client sends `exit` or the input ends, writing every
// answer and notification through `write` (one whole framed message per call). Returns the
// process exit status: 0 after shutdown and exit, 1 when the input ended or exit came first.
int run_server(std::istream& in, const std::function<void(std::string_view)>& write,
               const ServerOptions& options);

}  // namespace pvm::lsp
