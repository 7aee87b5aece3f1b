// What the server answers, one function per LSP request, each from a document's source index.
#pragma once

#include "json_rpc.h"
#include "positions.h"
#include "workspace.h"

namespace pvm::lsp {

// textDocument/publishDiagnostics parameters: the compiler's diagnostics with ranges, hints and,
// for notes and errors in used files, related locations.
json diagnostics(const Workspace& ws, const Document& doc, const compiler::SourceIndex& ix);

json hover(const Workspace& ws, const Document& doc, const compiler::SourceIndex& ix,
           compiler::SourcePos pos);
json definition(const Workspace& ws, const Document& doc, const compiler::SourceIndex& ix,
                compiler::SourcePos pos);
json references(const Workspace& ws, const Document& doc, const compiler::SourceIndex& ix,
                compiler::SourcePos pos, bool include_declaration);
json highlights(const Document& doc, const compiler::SourceIndex& ix, compiler::SourcePos pos);
json completion(const Document& doc, const compiler::SourceIndex& ix, uint32_t line, uint32_t character);
json document_symbols(const Document& doc, const compiler::SourceIndex& ix);

// A file's text as the index holds it (the document's own for the indexed file), or null.
const std::string* indexed_text(const compiler::SourceIndex& ix, const std::string& file);

}  // namespace pvm::lsp
