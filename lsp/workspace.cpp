#include "workspace.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "uri.h"

namespace pvm::lsp {

namespace fs = std::filesystem;

bool Workspace::open(const std::string& uri, int64_t version, std::string text) {
  if (!documents_.count(uri) && documents_.size() >= kMaxDocuments) return false;
  auto doc = std::make_unique<Document>();
  doc->uri = uri;
  std::string path = uri_to_path(uri);
  doc->file = path.empty() ? uri : path;
  doc->version = version;
  doc->text = std::move(text);
  documents_[uri] = std::move(doc);
  return true;
}

Document* Workspace::find(const std::string& uri) {
  auto d = documents_.find(uri);
  return d == documents_.end() ? nullptr : d->second.get();
}

std::vector<Document*> Workspace::documents() {
  std::vector<Document*> out;
  for (auto& [uri, doc] : documents_) out.push_back(doc.get());
  return out;
}

compiler::CompileOptions Workspace::compile_options() const {
  compiler::CompileOptions o;
  o.import_dirs = options_.import_dirs;
  return o;
}

const compiler::SourceIndex& Workspace::analyse(Document& doc) {
  if (!doc.index) doc.index = compiler::index_source(doc.file, doc.text, compile_options());
  return *doc.index;
}

void Workspace::forget_analyses() {
  for (auto& [uri, doc] : documents_) doc->index.reset();
}

std::string Workspace::uri_of(const std::string& file) const {
  for (const auto& [uri, doc] : documents_)
    if (doc->file == file) return uri;
  if (file.find("://") != std::string::npos || file.rfind("untitled:", 0) == 0) return file;
  return path_to_uri(canonical_path(file));
}

std::vector<WorkspaceSource> Workspace::sources_containing(const std::string& word,
                                                           const std::string& near) const {
  std::vector<WorkspaceSource> out;
  std::set<std::string> seen;
  for (const auto& [uri, doc] : documents_) {
    seen.insert(canonical_path(doc->file));
    if (doc->text.find(word) != std::string::npos) out.push_back({doc->file, doc->text});
  }
  std::vector<std::string> roots = roots_;
  if (roots.empty() && !near.empty()) roots.push_back(fs::path(near).parent_path().string());
  size_t scanned = 0;
  for (const std::string& root : roots) {
    std::error_code ec;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end && scanned < kMaxScannedFiles; it.increment(ec)) {
      const fs::path& p = it->path();
      const std::string name = p.filename().string();
      // Hidden folders, npm's, and build trees (build/, build-asan/) hold no sources of their own.
      const bool skipped = name.starts_with(".") || name == "node_modules" || name == "build" ||
                           name.starts_with("build-") || name.starts_with("build_");
      if (skipped && it->is_directory(ec)) {
        it.disable_recursion_pending();
        continue;
      }
      if (p.extension() != ".pvm" || !it->is_regular_file(ec)) continue;
      ++scanned;
      if (it->file_size(ec) > kMaxScannedFileBytes || !seen.insert(canonical_path(p.string())).second)
        continue;
      std::ifstream in(p, std::ios::binary);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (text.find(word) != std::string::npos) out.push_back({p.string(), std::move(text)});
    }
  }
  return out;
}

compiler::SourceIndex Workspace::index(const WorkspaceSource& source) const {
  return compiler::index_source(source.file, source.text, compile_options());
}

}  // namespace pvm::lsp
