#!/usr/bin/env python3
"""The JIT library is loaded only when a program asks for the JIT, and a library that cannot be
used is reported and never run: pvm decode --jit with PVM_JIT_LIBRARY naming a missing file, a
library without pvm_jit_entry and one built from other sources prints why on standard error and
decodes with the interpreter, byte for byte. The pvm executable itself does not link LLVM."""

import argparse
import os
import subprocess
import sys

CAPTURE = "examples/captures/teltonika.hex"
FALLBACK = "pvm: the JIT is not used for teltonika: "


def decode(pvm, jit, library=None):
    env = dict(os.environ)
    env.pop("PVM_JIT_LIBRARY", None)
    if library is not None:
        env["PVM_JIT_LIBRARY"] = library
    args = [pvm, "decode", "-p", "teltonika", CAPTURE] + (["--jit", "--no-jit-cache"] if jit else [])
    return subprocess.run(args, capture_output=True, text=True, env=env)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pvm", required=True)
    parser.add_argument("--no-entry", required=True, help="a shared library without pvm_jit_entry")
    parser.add_argument("--other-build", required=True, help="a pvm_jit_entry of another build")
    args = parser.parse_args()
    failures = []

    expected = decode(args.pvm, jit=False)
    if expected.returncode != 0 or expected.stdout.count("\n") < 5:
        sys.exit(f"FAIL: the interpreter's decode: {expected.returncode} {expected.stderr}")

    native = decode(args.pvm, jit=True)
    if native.returncode != 0 or native.stdout != expected.stdout or FALLBACK in native.stderr:
        failures.append(f"the JIT library built here is not used: {native.stderr.strip()}")

    cases = [
        ("a missing file", "/nonexistent/libpvm_jit.so",
         "PVM_JIT_LIBRARY names /nonexistent/libpvm_jit.so, which is not a file; the interpreter runs"),
        ("no entry", args.no_entry, f"{args.no_entry} is not a PVM JIT library; the interpreter runs"),
        ("another build", args.other_build,
         f"{args.other_build} was built from other sources than this pvm; the interpreter runs"),
    ]
    for what, library, reason in cases:
        r = decode(args.pvm, jit=True, library=library)
        if r.returncode != 0:
            failures.append(f"{what}: exit status {r.returncode}: {r.stderr.strip()}")
        if r.stdout != expected.stdout:
            failures.append(f"{what}: the messages differ from the interpreter's")
        if FALLBACK + reason not in r.stderr:
            failures.append(f"{what}: standard error does not say {reason!r}: {r.stderr.strip()!r}")

    needed = subprocess.run(["readelf", "-d", args.pvm], capture_output=True, text=True).stdout
    if "NEEDED" not in needed:
        failures.append("readelf -d lists no NEEDED libraries of pvm")
    if "libLLVM" in needed:
        failures.append("the pvm executable links libLLVM: every process would load it")

    for f in failures:
        print("FAIL:", f)
    if failures:
        sys.exit(1)
    print("PASS: the JIT library is loaded on demand and an unusable one is reported, never run")


if __name__ == "__main__":
    main()
