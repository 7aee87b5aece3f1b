#!/usr/bin/env python3
"""Checks that replay_vectors.py --compare-engines fails where the JIT's output differs: a stand-in
for pvm whose --jit runs change one character of the messages, or of the replies, must fail the
vectors and name what differs; the real pvm (whose --jit falls back to the interpreter when the
build has no JIT) must pass."""

import argparse
import os
import stat
import subprocess
import sys
import tempfile

TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))

# Runs pvm; with --jit, alters the first digit of standard output or of the --replies file.
STAND_IN = """#!{python}
import subprocess, sys
args = sys.argv[1:]
result = subprocess.run([{pvm!r}, *args], capture_output=True, text=True)
out = result.stdout
if "--jit" in args and {what!r} == "messages":
    i = next(i for i, c in enumerate(out) if c.isdigit())
    out = out[:i] + str((int(out[i]) + 1) % 10) + out[i + 1:]
if "--jit" in args and {what!r} == "replies":
    path = args[args.index("--replies") + 1]
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(("1" if text[:1] != "1" else "2") + text[1:])
sys.stdout.write(out)
sys.stderr.write(result.stderr)
sys.exit(result.returncode)
"""


def replay(pvm, protocol):
    return subprocess.run([sys.executable, os.path.join(TOOLS_DIR, "replay_vectors.py"), "--pvm", pvm,
                           "--compare-engines", protocol], capture_output=True, text=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pvm", required=True)
    pvm = os.path.abspath(parser.parse_args().pvm)
    failures = []
    r = replay(pvm, "teltonika")
    if r.returncode != 0:
        failures.append(f"the real pvm fails the comparison:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    with tempfile.TemporaryDirectory() as work:
        for what in ("messages", "replies"):
            stand_in = os.path.join(work, f"pvm_{what}")
            with open(stand_in, "w") as f:
                f.write(STAND_IN.format(python=sys.executable, pvm=pvm, what=what))
            os.chmod(stand_in, os.stat(stand_in).st_mode | stat.S_IXUSR)
            r = replay(stand_in, "teltonika")
            if r.returncode != 1 or f"the interpreter and the JIT differ in {what}: line 1: " not in r.stdout:
                failures.append(f"a JIT that changes the {what} passes or is not named:\n{r.stdout[-2000:]}")
    for f in failures:
        print(f"FAIL: {f}")
    print(f"{len(failures)} failures" if failures else "ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
