#!/usr/bin/env python3
"""Checks `pvm test`: PASS and FAIL lines, the diff of a differing section, the summary line,
--update (rewriting and adding expected sections), --jit and --compare-engines, inline programs
whose diagnostics count lines from the program section, encode failures as output, the module
cache, and the exit statuses."""

import argparse
import os
import subprocess
import sys
import tempfile

LOGIN = "000F333536333037303432343431303133"


class Checker:
    def __init__(self, pvm, workdir):
        self.pvm, self.workdir = pvm, workdir
        self.passed = self.failed = 0

    def write(self, name, text):
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def read(self, name):
        with open(os.path.join(self.workdir, name)) as f:
            return f.read()

    def run(self, *args):
        return subprocess.run([self.pvm, "test", *args], capture_output=True, text=True)

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f":\n{detail}" if detail else ""))


def run_checks(c):
    good = c.write("good.pvmtest", f"protocol: teltonika\n\n--- input\n{LOGIN}\n\n--- messages\n\n--- replies\n01\n")
    r = c.run(good)
    c.check("passing test", r.returncode == 0 and r.stdout == f"PASS {good}\n1 passed, 0 failed\n", r.stdout + r.stderr)

    wrong = c.write("wrong.pvmtest", f"protocol: teltonika\n\n--- input\n{LOGIN}\n\n--- replies\n00\n")
    r = c.run(wrong)
    lines = r.stdout.splitlines()
    c.check("failing test: status and summary", r.returncode == 1 and lines[0] == f"FAIL {wrong}"
            and lines[-1] == "0 passed, 1 failed", r.stdout)
    c.check("failing test: diff", "--- replies (expected)\n+++ replies (actual)\n@@ -1,1 +1,1 @@\n-00\n+01\n" in r.stdout,
            r.stdout)

    # Both engines: the same verdicts; the JIT's fallback is said once, on standard error.
    r = c.run("--compare-engines", good, wrong)
    c.check("compare engines: verdicts", r.returncode == 1 and r.stdout.startswith(f"PASS {good}\nFAIL {wrong}\n")
            and "-00\n+01\n" in r.stdout and "the interpreter and the JIT differ" not in r.stdout, r.stdout)
    notes = r.stderr.splitlines()
    c.check("compare engines: a fallback is said once", len(notes) <= 1 and
            all(n.startswith("pvm: the JIT is not used") and n.endswith("; the interpreter runs") for n in notes),
            r.stderr)
    r = c.run("--jit", good)
    c.check("jit: passes", r.returncode == 0 and r.stdout == f"PASS {good}\n1 passed, 0 failed\n", r.stdout + r.stderr)
    r = c.run("--compare-engines", "--update", good)
    c.check("compare engines: not with --update", r.returncode == 2 and "excludes" in r.stderr, r.stderr)

    r = c.run("--update", wrong)
    c.check("update: rewrites", r.returncode == 0 and r.stdout.startswith(f"UPDATED {wrong}"), r.stdout)
    c.check("update: new text", c.read("wrong.pvmtest") ==
            f"protocol: teltonika\n\n--- input\n{LOGIN}\n\n--- replies\n01\n", c.read("wrong.pvmtest"))
    r = c.run(wrong)
    c.check("update: passes afterwards", r.returncode == 0, r.stdout)

    fresh = c.write("fresh.pvmtest", f"protocol: teltonika\n--- input\n{LOGIN}\n00000000000000360801\n")
    r = c.run(fresh)
    c.check("no expected section fails", r.returncode == 1 and "no expected section" in r.stdout, r.stdout)
    c.run("--update", fresh)
    text = c.read("fresh.pvmtest")
    c.check("update: adds messages, replies and errors",
            "--- messages\n" in text and "--- replies\n01\n" in text
            and "--- errors\nfresh.pvmtest:5: offset 17: " in text, text)
    # The rewrite moved the input a line down (a blank line after the header): the error line
    # names where the bytes are now, so the updated test passes.
    r = c.run(fresh)
    c.check("update: the error names the input line of the rewritten file", r.returncode == 0, r.stdout)

    # An inline program with an error on its third line: the diagnostics name the test file and
    # count lines from the program section; no decode output is added.
    bad = c.write("bad.pvmtest", "# a misspelt parameter\n\n--- program\nprotocol bad_test\npacket tcp {\n"
                  "    emit { #position.latitud = u8 }\n}\n\n--- input\n01\n")
    r = c.run(bad)
    c.check("compile error without diagnostics section fails",
            r.returncode == 1 and "bad.pvmtest:3:" in r.stdout, r.stdout)
    c.run("--update", bad)
    text = c.read("bad.pvmtest")
    c.check("update: adds diagnostics only", "--- diagnostics\nbad.pvmtest:3:" in text and "--- messages" not in text,
            text)
    r = c.run(bad)
    c.check("diagnostics section passes", r.returncode == 0, r.stdout)

    encode = c.write("encode.pvmtest", "protocol: teltonika\nencode: no_such_command x=\"a b\"\n")
    c.run("--update", encode)
    text = c.read("encode.pvmtest")
    c.check("update: a failed encode is output", "--- encoded\nerror: " in text, text)

    broken = c.write("broken.pvmtest", "protocl: teltonika\n")
    r = c.run(broken)
    c.check("malformed header", r.returncode == 1 and "line 1: unknown header 'protocl'" in r.stdout, r.stdout)

    r = c.run(c.workdir)
    c.check("folder: every test, sorted", r.returncode == 1 and r.stdout.splitlines()[-1] == "5 passed, 1 failed"
            and r.stdout.index("bad.pvmtest") < r.stdout.index("wrong.pvmtest"), r.stdout)

    r = c.run(os.path.join(c.workdir, "missing.pvmtest"))
    c.check("missing path: exit 2", r.returncode == 2, r.stderr)

    # --module-cache: the next run takes the module of a protocol file from the cache (its entry is
    # not written again); a test that compares the assembly compiles all the same.
    os.mkdir(os.path.join(c.workdir, "cached"))
    c.write("cached/proto.pvm", "protocol proto\npacket tcp {\n    emit { #custom.n = u8 }\n}\n")
    header = "protocol: proto.pvm\nframed: true\n\n--- input\n07\n\n--- messages\n"
    plain = c.write("cached/plain.pvmtest", header)
    with_asm = c.write("cached/with_asm.pvmtest", header + "\n--- asm\n")
    r = c.run("--no-module-cache", "--update", plain, with_asm)
    c.check("module cache: the tests written", r.returncode == 0 and '"custom.n":7' in c.read("cached/plain.pvmtest")
            and "msg.new" in c.read("cached/with_asm.pvmtest"), r.stdout + r.stderr)
    cache = os.path.join(c.workdir, "module-cache")
    r = c.run("--module-cache", cache, plain, with_asm)
    entries = [f for f in os.listdir(cache) if f.endswith(".pvmmod")] if os.path.isdir(cache) else []
    c.check("module cache: one entry", r.returncode == 0 and len(entries) == 1, r.stdout + r.stderr)
    inode = os.stat(os.path.join(cache, entries[0])).st_ino if entries else None
    r = c.run("--module-cache", cache, plain, with_asm)
    c.check("module cache: the next run passes from the cache",
            r.returncode == 0 and r.stderr == "" and r.stdout.endswith("2 passed, 0 failed\n")
            and os.stat(os.path.join(cache, entries[0])).st_ino == inode, r.stdout + r.stderr)
    r = c.run("--module-cache", plain, plain, good)
    c.check("module cache: a folder that cannot be used is said once",
            r.returncode == 0 and r.stderr == f"pvm: the module cache is not used: {plain} is not a directory\n",
            r.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pvm", required=True, help="the pvm binary")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        c = Checker(args.pvm, workdir)
        run_checks(c)
    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
