#!/usr/bin/env bash
# The example embedding host decodes the sample capture with a module built by `pvm compile`.
# Usage: embed_host_test.sh PVM_BINARY HOST_BINARY
set -euo pipefail
pvm=$1
host=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$pvm" compile stdlib-protocols/teltonika.pvm -o "$work/teltonika.pvmc"
"$host" "$work/teltonika.pvmc" examples/captures/teltonika.hex >"$work/out.txt"
if ! grep -q '"ident":"356307042441013"' "$work/out.txt"; then
  echo "FAIL: no message with ident 356307042441013 in the host's output:"
  cat "$work/out.txt"
  exit 1
fi
echo "PASS: the host decoded the sample capture"
