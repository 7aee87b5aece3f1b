#include "program_loader.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <ostream>

#include "commands.h"
#include "file_io.h"
#include "pvm/bytecode/serialize.h"

namespace fs = std::filesystem;

namespace pvm::cli {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string executable_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

std::string available_protocols(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().extension() == ".pvm") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

// $XDG_CACHE_HOME/pvm/LEAF, else $HOME/.cache/pvm/LEAF; "" when neither is set.
std::string user_cache(const char* leaf) {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/')
    return std::string(xdg) + "/pvm/" + leaf;
  if (const char* home = std::getenv("HOME"); home != nullptr && *home == '/')
    return std::string(home) + "/.cache/pvm/" + leaf;
  return "";
}

}  // namespace

std::string stdlib_dir() {
  if (const char* env = std::getenv("PVM_STDLIB"); env && *env) return env;
  // An installed pvm uses the protocols installed with it, even where its source tree exists.
  std::error_code ec;
  std::string exe = executable_dir();
  for (const char* rel : {"stdlib-protocols", "../share/pvm/stdlib-protocols"}) {
    fs::path candidate = fs::path(exe) / rel;
    if (!exe.empty() && fs::is_directory(candidate, ec)) return candidate.lexically_normal().string();
  }
  return PVM_STDLIB_DIR;  // the source tree; missing everywhere: errors name the folder expected
}

std::vector<std::string> stdlib_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(stdlib_dir(), ec))
    if (entry.path().extension() == ".pvm") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

compiler::CompileOptions compile_options(std::vector<std::string> extra) {
  compiler::CompileOptions options;
  options.import_dirs = std::move(extra);
  options.import_dirs.push_back(stdlib_dir());
  return options;
}

bool resolve_protocol(std::string_view spec, const std::string& base_dir, std::string& path,
                      std::string& error) {
  if (spec.empty()) {
    error = "no protocol given";
    return false;
  }
  if (ends_with(spec, ".pvm") || ends_with(spec, ".pvmc") || spec.find('/') != std::string_view::npos) {
    fs::path p(spec);
    path = p.is_absolute() || base_dir.empty() ? p.string() : (fs::path(base_dir) / p).string();
    return true;
  }
  std::string dir = stdlib_dir();
  path = (fs::path(dir) / (std::string(spec) + ".pvm")).string();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    error = "unknown protocol '" + std::string(spec) + "' (stdlib protocols in " + dir + ": " +
            available_protocols(dir) + ")";
    return false;
  }
  return true;
}

std::shared_ptr<const Program> load_program(const std::string& path, std::ostream& diagnostics,
                                            std::string& error, const LoadOptions& options,
                                            ModuleCache* modules) {
  if (ends_with(path, ".pvmc")) {
    std::string bytes;
    if (!read_file(path, bytes, error)) return nullptr;
    bc::Module module;
    auto data = std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    if (!bc::deserialize(data, module, error)) {
      error = path + ": " + error;
      return nullptr;
    }
    auto program = Program::load(std::move(module), error, options);
    if (!program) error = path + ": module does not verify: " + error;
    return program;
  }
  std::string probe;
  if (!read_file(path, probe, error)) return nullptr;
  bool from_cache = false;
  compiler::CompileResult result = modules
                                       ? modules->compile(path, compile_options({}).import_dirs, from_cache)
                                       : compiler::compile_file(path, compile_options({}));
  diagnostics << render_diagnostics(result.diagnostics);
  if (!result.ok) {
    error = path + ": compilation failed";
    return nullptr;
  }
  auto program = Program::load(std::move(result.module), error, options);
  if (!program) error = path + ": compiled module does not verify: " + error;
  return program;
}

std::string jit_fallback_line(const Program& program, const LoadOptions& options) {
  if (options.engine != Engine::Jit) return "";
  if (program.engine() == Engine::Jit)
    return program.jit_cache_note().empty()
               ? ""
               : "pvm: the JIT cache is not used for " + std::string(program.protocol()) + ": " +
                     program.jit_cache_note();
  return "pvm: the JIT is not used for " + std::string(program.protocol()) + ": " + program.jit_note() +
         "; the interpreter runs";
}

std::string module_cache_line(ModuleCache& modules) {
  const std::string note = modules.take_note();
  return note.empty() ? "" : "pvm: the module cache is not used: " + note;
}

std::string render_diagnostics(const std::vector<compiler::Diagnostic>& diags) {
  std::string out;
  for (const auto& d : diags) {
    out += d.render();
    if (out.empty() || out.back() != '\n') out += '\n';
  }
  return out;
}

std::string default_jit_cache() {
  return user_cache("jit");
}

std::string default_module_cache() {
  return user_cache("modules");
}

void add_jit_cache_options(CLI::App& cmd, std::string& dir, bool& off) {
  CLI::Option* cache =
      cmd.add_option("--jit-cache", dir,
                     "With --jit: the folder where compiled code is kept and found again, so that a\n"
                     "protocol compiled before loads in milliseconds (default: $XDG_CACHE_HOME/pvm/jit or\n"
                     "~/.cache/pvm/jit; created mode 0700, used only when it is yours alone)")
          ->type_name("DIR");
  cmd.add_flag("--no-jit-cache", off, "With --jit: compile every time, keeping nothing")->excludes(cache);
}

ModuleCacheDir ModuleCacheArgs::resolve() const {
  if (off) return {};
  if (!dir.empty()) return {dir, true};
  return {default_module_cache(), false};
}

void add_module_cache_options(CLI::App& cmd, ModuleCacheArgs& args) {
  CLI::Option* cache =
      cmd.add_option(
             "--module-cache", args.dir,
             "The folder where the modules compiled from .pvm files are kept and found again, so that\n"
             "an unchanged protocol is not compiled on every run (default: $XDG_CACHE_HOME/pvm/modules\n"
             "or ~/.cache/pvm/modules; created mode 0700, used only when it is yours alone)")
          ->type_name("DIR");
  cmd.add_flag("--no-module-cache", args.off, "Compile .pvm files every time, keeping nothing")
      ->excludes(cache);
}

}  // namespace pvm::cli
