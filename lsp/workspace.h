// The open documents, each with the source index of its current text, and the .pvm files of
// the workspace folders (for references across files).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "json_rpc.h"
#include "pvm/compiler/index.h"
#include "pvm/lsp/server.h"

namespace pvm::lsp {

struct Document {
  std::string uri;
  std::string file;  // the name the compiler knows it by: its path, or the URI when it has none
  int64_t version = 0;
  std::string text;
  std::optional<compiler::SourceIndex> index;  // of `text`, made when first needed
};

// A file of the workspace with its text: an open document's, or what is on disk.
struct WorkspaceSource {
  std::string file;
  std::string text;
};

class Workspace {
 public:
  static constexpr size_t kMaxDocuments = 1000;
  static constexpr size_t kMaxScannedFiles = 2000;  // .pvm files looked at for references
  static constexpr size_t kMaxScannedFileBytes = 4u << 20;

  explicit Workspace(const ServerOptions& options) : options_(options) {}

  void set_roots(std::vector<std::string> roots) { roots_ = std::move(roots); }
  // False when too many documents are open.
  bool open(const std::string& uri, int64_t version, std::string text);
  Document* find(const std::string& uri);
  void close(const std::string& uri) { documents_.erase(uri); }
  std::vector<Document*> documents();

  const compiler::SourceIndex& analyse(Document& doc);
  void forget_analyses();  // a file on disk changed: what used it must be compiled again

  // The URI of a file as the compiler names it (an open document's own URI when it is one).
  std::string uri_of(const std::string& file) const;

  // Every .pvm file under the workspace folders (or beside `near` when there are none), open
  // documents with their unsaved text; only those whose text contains `word`.
  std::vector<WorkspaceSource> sources_containing(const std::string& word, const std::string& near) const;
  compiler::SourceIndex index(const WorkspaceSource& source) const;

 private:
  compiler::CompileOptions compile_options() const;

  ServerOptions options_;
  std::vector<std::string> roots_;
  std::map<std::string, std::unique_ptr<Document>> documents_;
};

}  // namespace pvm::lsp
