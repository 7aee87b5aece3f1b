// A build with the JIT: JitCode runs the code of the JIT library (libpvm_jit.so), loaded the first
// time a program asks for it. LLVM is a large library with many libraries of its own, and loading
// it costs a process ~9 ms of CPU: only the processes that use the JIT pay it.
#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "jit.h"
#include "jit_sources_digest.h"

namespace pvm {
namespace detail {
namespace {

struct Library {
  const JitEntry* entry = nullptr;  // null when it cannot be used
  std::string error;                // then why
};

// The folder of the program or shared library this code is part of.
std::filesystem::path own_folder() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&own_folder), &info) == 0 || info.dli_fname == nullptr) return {};
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::canonical(info.dli_fname, ec);
  return ec ? std::filesystem::path() : self.parent_path();
}

// $PVM_JIT_LIBRARY, when set: the library's path.
const char* named_library() {
  const char* env = std::getenv("PVM_JIT_LIBRARY");
  return env != nullptr && *env != '\0' ? env : nullptr;
}

// Where the library may be, in order: installed with this program (bin/ beside lib/) or with this
// shared VM (lib/); installed under the prefix this VM was configured for; the build folder this
// VM was built in.
std::vector<std::string> candidates() {
  std::vector<std::string> paths;
  if (const std::filesystem::path dir = own_folder(); !dir.empty()) {
    paths.push_back((dir / "pvm" / PVM_JIT_LIBRARY_NAME).string());
    paths.push_back((dir / ".." / PVM_JIT_LIBDIR / PVM_JIT_LIBRARY_NAME).lexically_normal().string());
  }
  paths.push_back(PVM_JIT_INSTALLED_LIBRARY);
  paths.push_back(PVM_JIT_BUILD_LIBRARY);
  return paths;
}

Library open_library() {
  Library lib;
  std::string path;
  std::error_code ec;
  if (const char* named = named_library()) {
    path = named;
    if (!std::filesystem::is_regular_file(path, ec)) {
      lib.error = "PVM_JIT_LIBRARY names " + path + ", which is not a file";
      return lib;
    }
  } else {
    for (const std::string& p : candidates())
      if (std::filesystem::is_regular_file(p, ec)) {
        path = p;
        break;
      }
    if (path.empty()) {
      lib.error = std::string("the JIT library is not installed (") + PVM_JIT_INSTALLED_LIBRARY +
                  "; or set PVM_JIT_LIBRARY to its path)";
      return lib;
    }
  }
  // Never closed: the code it compiles lives as long as the programs that use it.
  void* handle = dlopen(path.c_str(), RTLD_LAZY | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    lib.error = "cannot load the JIT library: " + std::string(why != nullptr ? why : path);
    return lib;
  }
  const auto entry_fn = reinterpret_cast<JitEntryFn>(dlsym(handle, "pvm_jit_entry"));
  const JitEntry* entry = entry_fn != nullptr ? entry_fn() : nullptr;
  if (entry == nullptr) {
    lib.error = path + " is not a PVM JIT library";
    return lib;
  }
  if (std::string_view(entry->build) != PVM_VM_BUILD) {
    lib.error = path + " was built from other sources than this pvm";
    return lib;
  }
  lib.entry = entry;
  return lib;
}

const Library& library() {
  static const Library lib = open_library();
  return lib;
}

}  // namespace

struct JitCode::Impl {
  const JitEntry* entry;
  void* code;
};

JitCode::JitCode(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JitCode::~JitCode() {
  impl_->entry->release(impl_->code);
}

std::unique_ptr<JitCode> JitCode::compile(const bc::Module& module, const std::string& cache_dir,
                                          std::string& error) {
  const Library& lib = library();
  if (lib.entry == nullptr) {
    error = lib.error;
    return nullptr;
  }
  void* code = lib.entry->compile(module, cache_dir, error);
  if (code == nullptr) return nullptr;
  return std::unique_ptr<JitCode>(new JitCode(std::make_unique<Impl>(Impl{lib.entry, code})));
}

bool JitCode::from_cache() const {
  return impl_->entry->from_cache(impl_->code);
}

const std::string& JitCode::cache_note() const {
  return impl_->entry->cache_note(impl_->code);
}

bool JitCode::run(const RunInput& in, Scratch& scratch, RunOutput& out) const {
  return impl_->entry->run(impl_->code, in, scratch, out);
}

bool run_native(const RunInput& in, Scratch& scratch, RunOutput& out) {
  return in.jit->run(in, scratch, out);
}

}  // namespace detail

bool jit_available() {
  return detail::library().entry != nullptr;
}

}  // namespace pvm
