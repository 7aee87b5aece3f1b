// The bytecode verifier: the checks that make an untrusted module safe to run. A module it
// accepts cannot make the interpreter read or write outside its registers, pools, tables or
// the frame, whatever bytes the frames hold; what remains (loops) is bounded by fuel.
#pragma once

#include <string>

#include "pvm/bytecode/module.h"

namespace pvm {

// True when the module may run. Otherwise false, with the first problem in `error`, naming the
// function and the code-word offset: "packet.tcp+12: add.i operand 2 is f1, needs an int register".
bool verify(const bc::Module& module, std::string& error);

}  // namespace pvm
