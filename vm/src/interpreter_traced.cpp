// The interpreter with its trace hooks, for traced frames (Session::set_trace): interpreter.cpp
// compiled once more, as run_traced().
#define PVM_TRACED_INTERPRETER 1
#include "interpreter.cpp"  // NOLINT(bugprone-suspicious-include)
