#!/usr/bin/env bash
# Sets up and builds everything (scripts/setup.sh), runs every test; then builds again with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer in build-asan, runs every test there too, and
# runs each fuzzer for FUZZ_SECONDS (default 15). Ends with ctest's summary of the sanitized run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
started=$SECONDS
bash scripts/setup.sh
ctest --test-dir build --output-on-failure --timeout 600 -j "$(nproc)"
echo "plain build and tests: $((SECONDS - started)) s"

# The sanitized build also holds the fuzzers (scripts/fuzz.sh runs them from the same folder).
# -O1 and line tables only: half the compile time of -O2 -g, stack traces still name the lines.
CC=clang CXX=clang++ cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DPVM_SANITIZE=ON -DPVM_FUZZ=ON >/dev/null
cmake --build build-asan
FUZZ_SECONDS="${FUZZ_SECONDS:-15}" bash scripts/fuzz.sh
echo "sanitized build and fuzzing: $((SECONDS - started)) s"
# The JIT's vector replays run in the plain build only: a process per vector, minutes of CPU
# under the sanitizers (docs/testing.md).
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure --timeout 900 -j "$(nproc)" -E '^jit[.]vectors[.]'
