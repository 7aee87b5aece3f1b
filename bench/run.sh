#!/usr/bin/env bash
# Builds the benchmarks in release mode and prints each VM result as a ratio to the
# hand-written baseline measured in the same run (lower is better; 1.0 = as fast).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-bench"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPVM_BUILD_BENCH=ON >/dev/null
ninja -C "$build" pvm_bench >/dev/null
"$build/bench/pvm_bench" --benchmark_repetitions="${REPETITIONS:-5}" --benchmark_report_aggregates_only=true \
  --benchmark_format=json --benchmark_out="$build/bench.json" --benchmark_out_format=json >/dev/null
python3 - "$build/bench.json" <<'PY'
import json, sys
runs = {b["run_name"]: b for b in json.load(open(sys.argv[1]))["benchmarks"] if b.get("aggregate_name") == "median"}
def ns(name): return runs[name]["cpu_time"]
print(f"{'benchmark':28} {'median ns/frame':>16} {'ratio to baseline':>18}")
for vm, base in [("BM_Vm_Decode", "BM_Baseline_Decode"), ("BM_Vm_DecodeJson", "BM_Baseline_DecodeJson")]:
    print(f"{base:28} {ns(base):16.0f} {1.0:18.2f}")
    print(f"{vm:28} {ns(vm):16.0f} {ns(vm) / ns(base):18.2f}")
print(f"{'BM_Compile_Teltonika':28} {ns('BM_Compile_Teltonika'):16.2f} ms")
PY
