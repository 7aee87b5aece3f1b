#include "module_cache.h"

#include <fstream>
#include <span>
#include <utility>

#include "compiler_sources_digest.h"
#include "file_io.h"
#include "module_cache_entry.h"
#include "pvm/bytecode/serialize.h"
#include "sha256.h"

namespace pvm::cli {
namespace {

constexpr size_t kMaxSourceBytes = size_t{16} << 20;  // a larger .pvm is compiled every time

// The contents of `path`, or nothing when it cannot be read or holds more than `max` bytes.
std::optional<std::string> read_bounded(const std::string& path, size_t max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string out;
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    out.append(chunk, static_cast<size_t>(in.gcount()));
    if (out.size() > max) return std::nullopt;
  }
  if (in.bad()) return std::nullopt;
  return out;
}

// The file name of the entry for compiling `path` with `import_dirs` by this pvm's compiler:
// the compiler's sources, and the paths as given (modules name their files so) and canonical.
std::string entry_name(const std::string& path, const std::vector<std::string>& import_dirs) {
  std::string key = "pvm modules " PVM_COMPILER_SOURCES;
  for (const std::string& p : {path, compiler::canonical_path(path)}) (key += '\0') += p;
  for (const std::string& dir : import_dirs)
    for (const std::string& p : {dir, compiler::canonical_path(dir)}) (key += '\0') += p;
  const std::string digest = sha256(key);
  return digest.empty() ? ""
                        : to_hex(std::span(reinterpret_cast<const uint8_t*>(digest.data()), digest.size()));
}

}  // namespace

ModuleCache::ModuleCache(ModuleCacheDir dir, Compile compile)
    : dir_(std::move(dir)),
      compile_(std::move(compile)),
      files_(dir_.path, ".pvmmod", kMaxFiles, kMaxBytes) {}

compiler::CompileResult ModuleCache::compile(const std::string& path,
                                             const std::vector<std::string>& import_dirs, bool& from_cache) {
  from_cache = false;
  const std::string name = usable() ? entry_name(path, import_dirs) : "";
  if (!name.empty()) {
    if (std::optional<bc::Module> module = lookup(name, path, import_dirs)) {
      compiler::CompileResult cached;
      cached.ok = true;
      cached.module = std::move(*module);
      from_cache = true;
      return cached;
    }
  }
  compiler::CompileOptions options;
  options.import_dirs = import_dirs;
  compiler::CompileResult result = compile_(path, options);
  if (!name.empty() && result.ok && result.diagnostics.empty()) store(name, result);
  return result;
}

std::string ModuleCache::take_note() {
  return std::exchange(note_, "");
}

bool ModuleCache::usable() {
  if (!opened_) {
    std::string why;
    opened_ = !dir_.path.empty() && files_.open(why);
    if (!*opened_ && !dir_.path.empty()) note(why);
  }
  return *opened_;
}

// The module of the entry `name` when compiling now would give it: every file the compile took is
// still found where it was, is still the same file and still reads the same.
std::optional<bc::Module> ModuleCache::lookup(const std::string& name, const std::string& path,
                                              const std::vector<std::string>& import_dirs) const {
  const std::optional<std::string> bytes = files_.load(name);
  ModuleCacheEntry entry;
  if (!bytes || !decode_entry(*bytes, entry) || entry.sources.empty() || !entry.sources[0].from.empty() ||
      entry.sources[0].path != path)
    return std::nullopt;
  for (const auto& s : entry.sources) {
    if (!s.from.empty() && compiler::find_import(s.from, s.name, import_dirs) != s.path) return std::nullopt;
    if (compiler::canonical_path(s.path) != s.canonical) return std::nullopt;
    if (!s.digest) continue;
    const std::optional<std::string> text = read_bounded(s.path, kMaxSourceBytes);
    if (!text || sha256(*text) != *s.digest) return std::nullopt;
  }
  bc::Module module;
  std::string error;
  const auto* data = reinterpret_cast<const uint8_t*>(entry.module.data());
  if (!bc::deserialize(std::span(data, entry.module.size()), module, error)) return std::nullopt;
  return module;
}

void ModuleCache::store(const std::string& name, const compiler::CompileResult& result) {
  ModuleCacheEntry entry;
  for (const compiler::SourceUsed& s : result.sources) {
    auto& e = entry.sources.emplace_back(ModuleCacheEntry::Source{s.from, s.name, s.path, s.canonical, {}});
    if (s.text && (e.digest = sha256(*s.text))->empty()) return;  // libcrypto failed: keep nothing
  }
  const std::vector<uint8_t> module = bc::serialize(result.module);
  entry.module.assign(module.begin(), module.end());
  const std::string bytes = encode_entry(entry);
  if (bytes.size() > kMaxBytes) return;  // read back, it would be refused
  std::string why;
  if (!files_.store(name, bytes, why)) note(why);
}

void ModuleCache::note(const std::string& why) {
  if (dir_.named && !noted_) {
    note_ = why;
    noted_ = true;
  }
}

}  // namespace pvm::cli
