#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, ASan and UBSan, seeds their corpora from the golden
# tests and the Traccar vectors, and runs each for FUZZ_SECONDS (default 30). Exit status 1 if
# any target found a crash, a leak or a hang (libFuzzer leaves the input in build-fuzz/).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
seconds="${FUZZ_SECONDS:-30}"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPVM_FUZZ=ON -DPVM_SANITIZE=ON -DPVM_BUILD_TESTS=OFF >/dev/null
ninja -C "$build" compile_fuzz load_fuzz decode_fuzz pvm >/dev/null

corpus="$build/corpus"
mkdir -p "$corpus/compile" "$corpus/load" "$corpus/decode"
cp "$root"/stdlib-protocols/*.pvm "$corpus/compile/"
for f in "$root"/stdlib-protocols/*.pvm; do
  "$build/cli/pvm" compile "$f" -o "$corpus/load/$(basename "$f" .pvm).pvmc" 2>/dev/null || true
done
python3 - "$root" "$corpus/decode" <<'PY'
import glob, json, os, sys
root, out = sys.argv[1], sys.argv[2]
n = 0
for path in glob.glob(os.path.join(root, "tests/vectors/traccar/*.jsonl")):
    for line in open(path):
        hexs = json.loads(line).get("hex", "")
        try:
            data = bytes.fromhex(hexs)
        except ValueError:
            continue
        with open(os.path.join(out, f"v{n}"), "wb") as f:
            f.write(b"\x00" + data)  # first byte: where the fuzzer splits the stream
        n += 1
PY
status=0
for target in compile load decode; do
  echo "fuzzing $target for ${seconds}s"
  if ! "$build/fuzz/${target}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
      -artifact_prefix="$build/${target}-" "$corpus/$target" >"$build/$target.log" 2>&1; then
    echo "FAILED: $target (see $build/$target.log)"
    tail -40 "$build/$target.log"
    status=1
  fi
done
exit $status
