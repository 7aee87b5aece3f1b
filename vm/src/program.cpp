// Loading (deserialize, then verify: nothing runs unverified) and command encoding.
#include <string>

#include "background_jit.h"
#include "jit/jit.h"
#include "param_names.h"
#include "pvm/bytecode/serialize.h"
#include "pvm/verify.h"
#include "pvm/vm.h"
#include "runtime.h"
#include "text_values.h"

namespace pvm {

Program::Program(bc::Module m)
    : module_(std::move(m)),
      patterns_(std::make_unique<detail::Patterns>()),
      names_(std::make_unique<detail::ParamNames>(module_)),
      escapes_(std::make_unique<detail::Escapes>(module_)) {
  bc::index_switches(module_);
}
Program::~Program() = default;

std::string_view engine_name(Engine e) {
  return e == Engine::Jit ? "jit" : "interpreter";
}

std::shared_ptr<const Program> Program::load(bc::Module module, std::string& error,
                                             const LoadOptions& options) {
  if (!verify(module, error)) return nullptr;
  auto program = std::make_shared<Program>(std::move(module));
  if (!program->patterns_->compile(program->module_, error)) return nullptr;
  if (options.engine != Engine::Jit) return program;
  // A build or library without the JIT says why at once.
  if (options.jit_in_background && jit_available()) {
    program->compiling_.store(true, std::memory_order_relaxed);
    detail::compile_in_background(program, options.jit_cache);
  } else {
    program->compile_jit(options.jit_cache);
  }
  return program;
}

void Program::compile_jit(const std::string& cache_dir) {
  std::string note;
  // Compiled from the module as the program holds it: the code refers to its pools.
  std::unique_ptr<detail::JitCode> code = detail::JitCode::compile(module_, cache_dir, note);
  publish_jit(std::move(code), std::move(note));
}

void Program::publish_jit(std::unique_ptr<detail::JitCode> code, std::string note) {
  jit_ = std::move(code);
  if (!jit_) jit_note_ = std::move(note);
  native_.store(jit_.get(), std::memory_order_release);
  compiling_.store(false, std::memory_order_release);
  compiling_.notify_all();
}

void Program::wait_jit() const {
  while (compiling_.load(std::memory_order_acquire)) compiling_.wait(true, std::memory_order_acquire);
}

std::shared_ptr<const Program> Program::load(std::span<const uint8_t> pvmc, std::string& error,
                                             const LoadOptions& options) {
  bc::Module module;
  if (!bc::deserialize(pvmc, module, error)) return nullptr;
  return load(std::move(module), error, options);
}

bool Program::jit_cached() const {
  const detail::JitCode* code = jit();
  return code && code->from_cache();
}

const std::string& Program::jit_cache_note() const {
  static const std::string kNone;
  const detail::JitCode* code = jit();
  return code ? code->cache_note() : kNone;
}

std::string_view Program::protocol() const {
  return module_.strings[module_.protocol];
}

std::string Program::source_name() const {
  const std::string& path = module_.strings[module_.source];
  if (path.empty()) return std::string(protocol()) + ".pvm";
  const size_t slash = path.find_last_of("/\\");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool Program::has_function(std::string_view name) const {
  return module_.find_function(name) >= 0;
}

bool Program::may_set(std::string_view name) const {
  return names_->may_name(name);
}

namespace {

// Converts one argument to its register's class; false with a reason.
bool convert(bc::RegClass cls, const std::string& name, const std::string& text, detail::Value& v,
             std::vector<uint8_t>& bytes, std::string& error) {
  std::string_view need;
  switch (cls) {
    case bc::RegClass::Int:
      if (detail::parse_int(text, v.i)) return true;
      need = "an integer";
      break;
    case bc::RegClass::UInt:
      if (detail::parse_uint(text, v.u)) return true;
      need = "an unsigned integer";
      break;
    case bc::RegClass::Float:
      if (detail::parse_float(text, v.f)) return true;
      need = "a number";
      break;
    case bc::RegClass::Bool:
      if (detail::parse_bool(text, v.b)) return true;
      need = "true, false, 1 or 0";
      break;
    case bc::RegClass::Str:
      v.s = {reinterpret_cast<const uint8_t*>(text.data()), static_cast<uint32_t>(text.size())};
      return true;
    case bc::RegClass::Bytes:
      if (detail::parse_hex(text, bytes)) {
        v.s = {bytes.data(), static_cast<uint32_t>(bytes.size())};
        return true;
      }
      need = "hex bytes";
      break;
  }
  error = "argument '" + name + "' needs " + std::string(need) + ", not " + detail::quote(text);
  return false;
}

}  // namespace

bool Program::encode(std::string_view command, std::span<const std::pair<std::string, std::string>> args,
                     std::vector<uint8_t>& out, std::string& error) const {
  const std::string fn_name = "command." + std::string(command);
  const int index = module_.find_function(fn_name);
  if (index < 0) {
    error = "unknown command '" + std::string(command) + "'";
    return false;
  }
  const bc::Function& fn = module_.functions[index];
  for (const auto& [name, value] : args) {
    bool known = false;
    for (const bc::Param& p : fn.params) known = known || module_.strings[p.name] == name;
    if (!known) {
      error = "command '" + std::string(command) + "' has no argument '" + name + "'";
      return false;
    }
  }
  std::vector<std::pair<uint32_t, detail::Value>> regs;
  std::vector<std::vector<uint8_t>> bytes(fn.params.size());
  for (size_t k = 0; k < fn.params.size(); ++k) {
    const bc::Param& p = fn.params[k];
    const std::string& name = module_.strings[p.name];
    const std::pair<std::string, std::string>* arg = nullptr;
    for (const auto& a : args) {
      if (a.first == name) arg = &a;
    }
    if (arg == nullptr) {
      error = "command '" + std::string(command) + "' needs argument '" + name + "'";
      return false;
    }
    detail::Value v{};
    if (!convert(fn.reg_class(p.reg), name, arg->second, v, bytes[k], error)) return false;
    regs.emplace_back(p.reg, v);
  }

  detail::SessionData session;
  session.slots.resize(module_.session.size());
  detail::Scratch scratch;
  detail::RunInput in;
  in.module = &module_;
  in.patterns = patterns_.get();
  in.names = names_.get();
  in.escapes = escapes_.get();
  in.function = &fn;
  in.session = &session;
  in.now = unix_time();
  in.args = regs;
  in.jit = jit();
  detail::RunOutput result;
  if (!(in.jit ? detail::run_native : detail::run)(in, scratch, result)) {
    error = fn_name + ": " + scratch.error.format(source_name());
    return false;
  }
  out.clear();
  std::vector<uint8_t> spare;
  for (size_t k = 0; k < scratch.reply_count; ++k) {
    // A command of a delimited framing is written unescaped, delimiters included, like a reply.
    std::vector<uint8_t>& bytes = scratch.replies[k];
    if (const detail::EscapeTable* t = bytes.empty() ? nullptr : escapes_->find(bytes[0]))
      detail::escape_inner(*t, bytes, spare);
    out.insert(out.end(), bytes.begin(), bytes.end());
  }
  return true;
}

}  // namespace pvm
