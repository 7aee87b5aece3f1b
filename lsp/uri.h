// file:// URIs and paths. Paths are made canonical so that a file reached through different
// `use` paths is one file.
#pragma once

#include <string>
#include <string_view>

namespace pvm::lsp {

// The local path of a file: URI, or "" for any other scheme (untitled:, ...).
std::string uri_to_path(std::string_view uri);
std::string path_to_uri(const std::string& path);
std::string canonical_path(const std::string& path);

}  // namespace pvm::lsp
