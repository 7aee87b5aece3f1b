// Applies one entry of didChange's contentChanges to a document's text: a whole new text, or a
// range (in LSP positions) replaced by new text.
#pragma once

#include <string>

#include "json_rpc.h"

namespace pvm::lsp {

inline constexpr size_t kMaxDocumentBytes = kMaxMessageBytes;

// False with a reason when the change is malformed or the text would grow past the limit;
// the text is then unchanged.
bool apply_change(std::string& text, const json& change, std::string& error);

}  // namespace pvm::lsp
