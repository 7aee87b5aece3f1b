// The interpreter's step build for the JIT (step.h): interpreter.cpp compiled once more, as
// step_begin() and step().
#define PVM_STEP_INTERPRETER 1
#include "../interpreter.cpp"  // NOLINT(bugprone-suspicious-include)
