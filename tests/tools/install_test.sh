#!/usr/bin/env bash
# What a host gets from `cmake --install`: examples/embed builds as a project of its own against the
# installed package, through find_package(pvm) and through pkg-config, and its programs decode the
# sample capture as `pvm decode` does.
# Usage: install_test.sh BUILD_DIR PVM_BINARY   (from the source tree)
set -euo pipefail
build=$1
pvm=$2
cc=${CC:-cc}
cxx=${CXX:-c++}
read -r -a host_flags <<<"${PVM_HOST_FLAGS:-}"  # the sanitizers of a sanitized build, if any
c_host_flags=("${host_flags[@]}")
# A C program that links the C++ libraries needs the sanitizers' C++ runtime too.
if ((${#host_flags[@]})); then c_host_flags+=(-fsanitize-link-c++-runtime); fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
fail() {
  echo "FAIL: $*"
  exit 1
}

cmake --install "$build" --prefix "$prefix" >"$work/install.log" || fail "cmake --install: $(cat "$work/install.log")"
for f in include/pvm/vm.h include/pvm/pvm.h include/pvm/compiler/compile.h lib/cmake/pvm/pvmConfig.cmake; do
  [[ -f $prefix/$f ]] || fail "$f is not installed"
done
pc_dir=$(dirname "$(find "$prefix" -name pvm.pc | head -1)")
[[ -f $pc_dir/pvm.pc ]] || fail "pvm.pc is not installed"
echo "PASS: installed headers, libraries, CMake package and pkg-config files"

# find_package(pvm) from a separate project.
generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi
if command -v ccache >/dev/null; then generator+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache); fi
cmake -S examples/embed -B "$work/embed" "${generator[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_EXE_LINKER_FLAGS="${PVM_HOST_FLAGS:-}" \
  -DCMAKE_BUILD_TYPE=Release >"$work/configure.log" 2>&1 || fail "configure: $(cat "$work/configure.log")"
cmake --build "$work/embed" >"$work/build.log" 2>&1 || fail "build: $(cat "$work/build.log")"
echo "PASS: examples/embed builds with find_package(pvm)"

# The same capture through pvm decode and through each host.
"$pvm" compile stdlib-protocols/teltonika.pvm -o "$work/teltonika.pvmc"
capture=examples/captures/teltonika.hex
"$pvm" decode -p teltonika "$capture" --replies "$work/replies.hex" >"$work/expected.jsonl"
[[ -s $work/expected.jsonl ]] || fail "pvm decode gave no messages"
check_host() {  # NAME OUTPUT: the JSON lines are pvm decode's messages, the replies its replies
  grep '^{' "$2" >"$work/got.jsonl" || true
  sed -n 's/^reply: //p' "$2" >"$work/got_replies.hex"
  cmp -s "$work/got.jsonl" "$work/expected.jsonl" || fail "$1: messages differ from pvm decode's: $(diff "$work/got.jsonl" "$work/expected.jsonl" | head -5)"
  cmp -s "$work/got_replies.hex" "$work/replies.hex" || fail "$1: replies differ from pvm decode's"
  echo "PASS: $1 decodes the capture as pvm decode does"
}
"$work/embed/pvm_embed_host" "$work/teltonika.pvmc" "$capture" >"$work/host.out"
check_host "C++ host (pvm::vm)" "$work/host.out"
"$work/embed/pvm_embed_c" "$work/teltonika.pvmc" "$capture" >"$work/c.out"
check_host "C host (pvm/pvm.h, pvm::vm)" "$work/c.out"
cmp -s "$work/host.out" "$work/c.out" || fail "the C and C++ hosts print different output"

# Compiling at start-up with pvm::compiler: the capture's first five segments, the login and a
# packet cut in four.
mapfile -t segments < <(grep -v '^\s*#' "$capture" | grep -v '^\s*$' | tr -d ' \t\r' | head -5)
"$work/embed/pvm_embed_compile" stdlib-protocols/teltonika.pvm stdlib-protocols "${segments[@]}" >"$work/compile.out"
[[ $(head -1 "$work/compile.out") == "reply: 01" ]] || fail "compile at start-up: $(cat "$work/compile.out")"
grep -q '"ident":"356307042441013"' "$work/compile.out" || fail "compile at start-up: no message"
echo "PASS: a host compiles its protocol at start-up (pvm::compiler)"

# pkg-config, as a C program's build without CMake would do it.
export PKG_CONFIG_PATH=$pc_dir
# shellcheck disable=SC2046
"$cc" "${c_host_flags[@]}" -Wall -Wextra -o "$work/c_pkgconfig" examples/embed/host.c $(pkg-config --cflags pvm) \
  $(pkg-config --libs --static pvm) || fail "cc with pkg-config --libs --static pvm"
"$work/c_pkgconfig" "$work/teltonika.pvmc" "$capture" >"$work/c_pc.out"
check_host "C host built with pkg-config" "$work/c_pc.out"
# shellcheck disable=SC2046
"$cxx" "${host_flags[@]}" -std=c++20 -Wall -Wextra -o "$work/compile_pkgconfig" examples/embed/compile_at_startup.cpp \
  $(pkg-config --cflags pvm-compiler) $(pkg-config --libs --static pvm-compiler) || fail "c++ with pkg-config pvm-compiler"
"$work/compile_pkgconfig" stdlib-protocols/teltonika.pvm stdlib-protocols "${segments[@]}" | cmp -s - "$work/compile.out" ||
  fail "the compile example built with pkg-config prints something else"
echo "PASS: the examples build with pkg-config (pvm, pvm-compiler)"

# The JIT: its library installed in lib/pvm, and the installed pvm loads that copy (not the build
# folder's) the first time --jit asks for it.
if [[ ${PVM_JIT_BUILT:-OFF} == ON ]]; then
  library=$(find "$prefix" -path '*/pvm/libpvm_jit.so' | head -1)
  [[ -n $library ]] || fail "the JIT library is not installed in lib/pvm"
  LD_DEBUG=files "$prefix/bin/pvm" decode -p teltonika --jit --no-jit-cache "$capture" >"$work/jit.jsonl" 2>"$work/jit.log"
  grep -q "file=$library .*dynamically loaded" "$work/jit.log" ||
    fail "the installed pvm did not load $library: $(grep -m3 'libpvm_jit' "$work/jit.log")"
  if grep -q "the JIT is not used" "$work/jit.log"; then fail "$(grep 'the JIT is not used' "$work/jit.log")"; fi
  cmp -s "$work/jit.jsonl" "$work/expected.jsonl" || fail "the installed pvm's JIT decodes differently"
  echo "PASS: the installed pvm runs the JIT from the installed library"
fi
