"""The pvm command as users meet it: unknown commands and options named first (with the closest
name), `pvm help [COMMAND]`, exit statuses and examples in every --help, `pvm encode` listing a
protocol's commands, and '-' as standard input or output wherever a file is read or written."""

import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMMANDS = ["compile", "asm", "disasm", "decode", "encode", "test", "serve", "help"]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pvm", required=True)
    pvm = parser.parse_args().pvm
    env = dict(os.environ, PVM_STDLIB=os.path.join(ROOT, "stdlib-protocols"))
    failures = []

    def run(*args, stdin=None):
        return subprocess.run([pvm, *args], input=stdin, capture_output=True, env=env, cwd=ROOT)

    def expect(args, status, stderr_start=None, stdout_has=None, stdin=None):
        r = run(*args, stdin=stdin)
        err, out = r.stderr.decode(errors="replace"), r.stdout.decode(errors="replace")
        problems = []
        if r.returncode != status:
            problems.append(f"exit {r.returncode}, expected {status}")
        if stderr_start is not None and not err.startswith(stderr_start):
            problems.append(f"stderr starts {err[:120]!r}, expected {stderr_start!r}")
        if stdout_has is not None and stdout_has not in out:
            problems.append(f"stdout lacks {stdout_has!r}: {out[:200]!r}")
        if problems:
            failures.append(f"pvm {' '.join(args)}: " + "; ".join(problems))
        return r

    # Unknown names first, whatever else is missing.
    expect(["decode", "--bogus"], 2, "pvm decode: unknown option '--bogus'\nRun 'pvm help decode'")
    expect(["decode", "-p", "teltonika", "--outptu", "none"], 2,
           "pvm decode: unknown option '--outptu' (did you mean '--output'?)")
    expect(["frobnicate"], 2, "pvm: unknown command 'frobnicate'\nCommands: compile, asm, disasm, decode,")
    expect(["comple", "x.pvm"], 2, "pvm: unknown command 'comple' (did you mean 'compile'?)")
    expect(["compile"], 2, "pvm compile: file is required")
    expect(["decode", "-p", "teltonika", "--crc", "lax"], 2, "pvm decode: --crc: lax not in {strict,warn}")
    expect([], 2, "PVM: a language")

    # help, and what every --help says.
    expect(["help"], 0, stdout_has="Exit status:")
    expect(["help", "decdoe"], 2, "pvm help: unknown command 'decdoe' (did you mean 'decode'?)")
    for command in COMMANDS:
        via_help = run("help", command).stdout
        via_flag = run(command, "--help").stdout
        if via_help != via_flag:
            failures.append(f"pvm help {command} differs from pvm {command} --help")
        text = via_flag.decode()
        if f"Usage: pvm {command}" not in text or "Exit status:" not in text:
            failures.append(f"pvm {command} --help lacks its usage line or exit statuses")
        lines = text.rstrip("\n").split("\n")
        examples = lines[lines.index("Examples:") + 1:] if "Examples:" in lines else []
        if not 2 <= len(examples) <= 3 or not all(e.startswith("  pvm ") or e.startswith("  echo ") for e in examples):
            failures.append(f"pvm {command} --help does not end with two or three examples: {examples}")

    # encode lists the commands a protocol has.
    expect(["encode", "-p", "teltonika", "codec13", "text=x"], 2,
           "pvm encode: teltonika has no command 'codec13' (did you mean 'codec12'?); its commands:\n"
           "  codec12 text=VALUE\n")
    expect(["encode", "-p", "gt06", "reboot"], 2, "pvm encode: gt06 has no command 'reboot'; it defines no commands")

    # '-' reads standard input and writes standard output.
    with open(os.path.join(ROOT, "stdlib-protocols", "teltonika.pvm"), "rb") as f:
        source = f.read()
    module = run("compile", "stdlib-protocols/teltonika.pvm", "-o", "-").stdout
    from_stdin = run("compile", "-", "-I", "stdlib-protocols", stdin=source).stdout

    def listing(m):  # the module as assembly, less the source file's name
        text = run("disasm", "-", stdin=m).stdout.decode()
        return [line for line in text.split("\n") if not line.startswith(".source")]
    if not module or listing(from_stdin) != listing(module):
        failures.append("pvm compile - (standard input to standard output) differs from the file's module")
    asm = run("compile", "stdlib-protocols/teltonika.pvm", "--emit", "asm", "-o", "-").stdout
    if run("asm", "-", "-o", "-", stdin=asm).stdout != module:
        failures.append("pvm asm - -o - differs from pvm compile")
    expect(["disasm", "-"], 0, stdout_has='.protocol "teltonika"', stdin=module)
    r = expect(["decode", "-p", "teltonika", "examples/captures/teltonika.hex", "--replies", "-", "--output", "none"], 0)
    if r.stdout.decode().split("\n")[0] != "01":
        failures.append(f"--replies - did not write the login's reply first: {r.stdout[:40]!r}")
    config = b'listen = ["teltonika@tcp://127.0.0.1:5027"]\n'
    expect(["serve", "--check-config", "-"], 0, stdout_has="<stdin>: ok", stdin=config)
    expect(["serve", "--check-config", "-"], 0, stdout_has="\nengine   interpreter\n", stdin=config)
    # With the JIT asked for, the summary says which engine runs each protocol, and why not the JIT.
    summary = expect(["serve", "--check-config", "-"], 0, stdin=b"jit = true\n" + config).stdout.decode()
    if "\nengine   jit\n" not in summary and "\nengine   interpreter for teltonika: " not in summary:
        failures.append(f"pvm serve --check-config with jit = true names no engine: {summary!r}")
    expect(["serve", "--check-config", "-"], 2, "pvm serve: <stdin>:1: lisen: unknown key", stdin=b"lisen = []\n")
    mqtt = ["serve", "--listen", "teltonika@tcp://127.0.0.1:5027", "--sink", "mqtt://127.0.0.1:1883", "--check"]
    expect(mqtt, 0, stdout_has="qos 1, 2 connections per worker, 64 in flight each")
    expect(mqtt + ["--mqtt-connections", "3", "--mqtt-inflight", "500"], 0,
           stdout_has="qos 1, 3 connections per worker, 500 in flight each")
    expect(mqtt + ["--mqtt-connections", "17"], 2, "pvm serve: --mqtt-connections: Value 17 not in range 1 to 16")

    for f in failures:
        print(f"FAIL: {f}", file=sys.stderr)
    print(f"{len(failures)} failures" if failures else "ok")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
