#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, ASan and UBSan (in build-asan, the directory CI's
# sanitizer run uses), seeds their corpora from the stdlib and the Traccar vectors, and runs each
# for FUZZ_SECONDS (default 30), then prints the coverage each reached. Exit status 1 if any
# target found a crash, a leak, a timeout or an out-of-memory (libFuzzer leaves the input in
# build-asan/fuzz-artifacts/). FUZZ_TARGETS narrows the list ("load serve"). jit_diff, the
# interpreter against the JIT, runs where the build has the JIT (LLVM 14 found), on the decode
# fuzzer's corpus, whose inputs it reads the same way.
#
#   bash scripts/fuzz.sh                      # 30 s each
#   FUZZ_SECONDS=3600 bash scripts/fuzz.sh    # a longer campaign; the corpus grows between runs
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${FUZZ_BUILD:-$root/build-asan}"
seconds="${FUZZ_SECONDS:-30}"
targets=(${FUZZ_TARGETS:-compile load decode serve jit_diff})
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DPVM_FUZZ=ON -DPVM_SANITIZE=ON >/dev/null
if ! ninja -C "$build" -t query jit_diff_fuzz >/dev/null 2>&1; then
  kept=()
  for target in "${targets[@]}"; do
    if [[ $target == jit_diff ]]; then
      echo "fuzz jit_diff: not built (this build has no JIT)"
    else
      kept+=("$target")
    fi
  done
  targets=("${kept[@]}")
fi
ninja -C "$build" "${targets[@]/%/_fuzz}" pvm >/dev/null

corpus="$build/corpus"
artifacts="$build/fuzz-artifacts"
mkdir -p "$corpus/compile" "$corpus/load" "$corpus/decode" "$corpus/serve" "$artifacts"
cp "$root"/stdlib-protocols/*.pvm "$corpus/compile/"
for f in "$root"/stdlib-protocols/*.pvm; do
  PVM_STDLIB="$root/stdlib-protocols" "$build/cli/pvm" compile "$f" -o "$corpus/load/$(basename "$f" .pvm).pvmc" \
    2>/dev/null || true
done
python3 - "$root" "$corpus" <<'PY'
import glob, json, os, sys
root, corpus = sys.argv[1], sys.argv[2]
# serve_fuzz picks the protocol by its first byte, in the sorted order of the stdlib's files.
protocols = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(root, "stdlib-protocols/*.pvm")))
n = 0
for path in sorted(glob.glob(os.path.join(root, "tests/vectors/traccar/*.jsonl"))):
    name = os.path.basename(path)[:-6]
    for line in open(path):
        try:
            data = bytes.fromhex(json.loads(line).get("hex", ""))
        except ValueError:
            continue
        with open(os.path.join(corpus, "decode", f"v{n}"), "wb") as f:
            f.write(b"\x00" + data)  # first byte: where the fuzzer splits the stream
        if name in protocols:
            with open(os.path.join(corpus, "serve", f"v{n}"), "wb") as f:
                f.write(bytes([protocols.index(name), 63]) + data)  # protocol, bytes per read - 1
        n += 1
PY
status=0
for target in "${targets[@]}"; do
  log="$build/$target-fuzz.log"
  inputs="$corpus/$target"
  if [[ $target == jit_diff ]]; then inputs="$corpus/decode"; fi
  if "$build/fuzz/${target}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="$artifacts/$target-" "$inputs" >"$log" 2>&1; then
    echo "fuzz $target: ${seconds}s, $(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[^ ]+' "$log" | tail -1)," \
      "$(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$log" | grep -Eo '[0-9]+$') runs"
  else
    echo "FAILED: fuzz $target (see $log; the input is in $artifacts/)"
    tail -40 "$log"
    status=1
  fi
done
exit $status
