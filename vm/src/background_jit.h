// LoadOptions::jit_in_background's compiling thread (background_jit.cpp).
#pragma once

#include <memory>
#include <string>

#include "pvm/vm.h"

namespace pvm::detail {

// Queues `program`'s compile (Program::compile_jit) for the thread; the program is marked as
// compiling already. Call it only once the JIT library is loaded (jit_available).
void compile_in_background(std::shared_ptr<Program> program, std::string cache_dir);

}  // namespace pvm::detail
