#!/usr/bin/env bash
# One command for every benchmark: builds in Release (build-bench/), generates the input streams,
# runs PVM side by side with its hand-written counterparts and prints one table of ratios
# (hand-written time / PVM time: higher is better, 1.0 = as fast). See docs/performance.md.
#
#   bench/run.sh                 everything (about 10 minutes on 2 CPUs)
#   bench/run.sh --inprocess     Google Benchmark: the VM and the decoders in one process
#   bench/run.sh --process       pvm decode against pvm_baseline_decode, whole processes
#   bench/run.sh --gateway       pvm serve against pvm_epoll_gateway under pvm_gateway_load
#   bench/run.sh --mqtt          pvm serve's MQTT sink against pvm_mqtt_publisher
#   bench/run.sh --table         print the table of the last results again
# Parts can be combined; the table shows the latest result of every part.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-bench"
results="$build/results"
harness=(python3 "$root/bench/harness.py")
parts=()
for arg in "$@"; do
  case "$arg" in
    --inprocess | --process | --gateway | --mqtt) parts+=("${arg#--}") ;;
    --table) parts+=(table) ;;
    *) echo "usage: bench/run.sh [--inprocess] [--process] [--gateway] [--mqtt] [--table]" >&2; exit 2 ;;
  esac
done
((${#parts[@]})) || parts=(inprocess process gateway mqtt)

if [[ "${parts[*]}" != table ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPVM_BUILD_BENCH=ON -DPVM_BUILD_TESTS=OFF \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
  ninja -C "$build" pvm pvm_bench pvm_bench_streams pvm_baseline_decode pvm_epoll_gateway pvm_gateway_load \
    pvm_mqtt_publisher >/dev/null
  mkdir -p "$build/streams"
  "$build/bench/streams/pvm_bench_streams" "$build/streams" --seed 1
fi
for part in "${parts[@]}"; do
  [[ $part == table ]] && continue
  echo "== $part" >&2
  "${harness[@]}" "$part" --build "$build" --streams "$build/streams" --results "$results"
done
echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
"${harness[@]}" table --results "$results"
