#!/usr/bin/env bash
# For every protocol in a folder: the assembly the compiler prints must assemble to the bytes
# `pvm compile` writes, and disassembling those bytes and assembling again must give them back.
# Usage: asm_roundtrip.sh PVM_BINARY FOLDER
set -uo pipefail
pvm=$1
folder=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
fail() {
  echo "FAIL $1: $2"
  failed=$((failed + 1))
}

shopt -s nullglob
for source in "$folder"/*.pvm; do
  name=$(basename "$source" .pvm)
  if ! "$pvm" compile "$source" -o "$work/$name.pvmc"; then
    fail "$name" "pvm compile failed"
    continue
  fi
  "$pvm" compile "$source" --emit asm -o "$work/$name.pasm" &&
    "$pvm" asm "$work/$name.pasm" -o "$work/$name.from_asm.pvmc" || {
    fail "$name" "compile --emit asm | asm failed"
    continue
  }
  if ! cmp -s "$work/$name.pvmc" "$work/$name.from_asm.pvmc"; then
    fail "$name" "compile --emit asm | asm gives other bytes than compile"
    continue
  fi
  "$pvm" disasm "$work/$name.pvmc" -o "$work/$name.dis.pasm" &&
    "$pvm" asm "$work/$name.dis.pasm" -o "$work/$name.from_disasm.pvmc" || {
    fail "$name" "disasm | asm failed"
    continue
  }
  if ! cmp -s "$work/$name.pvmc" "$work/$name.from_disasm.pvmc"; then
    fail "$name" "disasm | asm gives other bytes than compile"
    continue
  fi
  passed=$((passed + 1))
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 && $passed -gt 0 ]]
