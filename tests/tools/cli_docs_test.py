"""Man pages and shell completions come from the commands' definitions (`pvm __generate`), and
`cmake --install` puts them, the binary and its protocols where they are looked for: every
option of every `--help` is in the man page and the completion; groff renders each page without
a warning; bash completes commands, options, their values and protocol names; zsh accepts its
script; an installed pvm decodes with its installed protocols."""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pvm", required=True)
    parser.add_argument("--build-dir", required=True, help="the build folder, for cmake --install")
    args = parser.parse_args()
    failures = []
    work = tempfile.mkdtemp(prefix="pvm-docs-")

    def run(cmd, **kw):
        return subprocess.run(cmd, capture_output=True, text=True, **kw)

    def check(name, ok, detail=""):
        if not ok:
            failures.append(f"{name}: {detail}")

    pvm = args.pvm
    commands = re.findall(r"^  (\w+)\s{2,}", run([pvm, "--help"]).stdout, re.M)
    check("commands listed in pvm --help", {"compile", "decode", "serve", "help"} <= set(commands), commands)
    for kind, out in (("man", os.path.join(work, "man")), ("bash", os.path.join(work, "pvm.bash")),
                      ("zsh", os.path.join(work, "_pvm"))):
        r = run([pvm, "__generate", kind, out])
        check(f"__generate {kind}", r.returncode == 0, r.stderr)

    # Man pages: one per command, rendered without warnings, every option present.
    groff = shutil.which("groff")
    with open(os.path.join(work, "pvm.bash")) as f:
        bash_script = f.read()
    for command in [None] + commands:
        page = os.path.join(work, "man", "pvm.1" if command is None else f"pvm-{command}.1")
        check(f"man page {page}", os.path.exists(page))
        if not os.path.exists(page):
            continue
        with open(page) as f:
            text = f.read()
        help_text = run([pvm] + ([command] if command else []) + ["--help"]).stdout
        for option in sorted(set(re.findall(r"^ +(?:-\w,)?(--[a-z][a-z-]*)", help_text, re.M))):
            check(f"{os.path.basename(page)} names {option}", option.replace("-", "\\-") in text)
            if command:
                check(f"bash completion of {command} offers {option}", re.search(
                    rf"^    {command}\)\n(?:(?!^    \w+\)).)*?words='[^']*{re.escape(option)}\b", bash_script,
                    re.M | re.S) is not None)
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "EXAMPLES", "SEE ALSO"):
            check(f"{os.path.basename(page)} has {section}", f".SH {section}\n" in text)
        if groff:
            r = run([groff, "-man", "-ww", "-z", "-Tutf8", page])
            check(f"groff {os.path.basename(page)}", r.returncode == 0 and not r.stderr.strip(), r.stderr)

    # bash: what a user gets after pressing tab.
    def complete(*words):
        line = " ".join(f"'{w}'" for w in words)
        script = (f"source {work}/pvm.bash; COMP_WORDS=(pvm {line}); COMP_CWORD={len(words)}; _pvm; "
                  'printf "%s\\n" "${COMPREPLY[@]}"')
        return run(["bash", "-c", script], cwd=ROOT).stdout.split()

    for words, want in ((("dec",), ["decode"]), (("decode", "--tran"), ["--transport"]), (("decode", "--trac"), ["--trace"]),
                        (("decode", "--transport", ""), ["tcp", "udp"]), (("serve", "--log-level", "w"), ["warn"]),
                        (("decode", "-p", "telt"), ["teltonika"]), (("help", "se"), ["serve"]),
                        (("compile", "--emit", ""), ["pvmc", "asm"]), (("decode", "--option", ""), [])):
        got = complete(*words)
        check(f"bash: pvm {' '.join(words)}<tab>", got == want, got)
    got = complete("decode", "examples/captures/teltonika.h")
    check("bash: input files", got == ["examples/captures/teltonika.hex"], got)

    # zsh: the function parses and loads as a completion.
    zsh = shutil.which("zsh")
    if zsh:
        r = run([zsh, "-n", os.path.join(work, "_pvm")])
        check("zsh -n _pvm", r.returncode == 0, r.stderr)
        r = run([zsh, "-fc", f"fpath=({work} $fpath); autoload -Uz compinit; compinit -u -d {work}/dump; "
                 "autoload -Uz _pvm; echo ${_comps[pvm]}"])
        check("zsh: compinit binds _pvm to pvm", r.stdout.strip() == "_pvm", r.stdout + r.stderr)
    else:
        print("zsh is not installed: its completion was generated but not loaded")

    # cmake --install into a fresh prefix, then the installed pvm on its own protocols.
    prefix = os.path.join(work, "prefix")
    r = run(["cmake", "--install", args.build_dir, "--prefix", prefix])
    check("cmake --install", r.returncode == 0, r.stderr)
    for path in ("bin/pvm", "share/man/man1/pvm.1", "share/man/man1/pvm-decode.1",
                 "share/bash-completion/completions/pvm", "share/zsh/site-functions/_pvm",
                 "share/pvm/stdlib-protocols/teltonika.pvm", "share/pvm/stdlib-protocols/lib"):
        check(f"installed {path}", os.path.exists(os.path.join(prefix, path)))
    env = {k: v for k, v in os.environ.items() if k != "PVM_STDLIB"}
    installed = os.path.join(prefix, "bin", "pvm")
    r = run([installed, "decode", "-p", "nosuch", "/dev/null"], env=env, cwd=work)
    check("the installed pvm looks in its own share/pvm", os.path.join(prefix, "share/pvm/stdlib-protocols") in r.stderr,
          r.stderr)
    r = run([installed, "decode", "-p", "teltonika", os.path.join(ROOT, "examples/captures/teltonika.hex")],
            env=env, cwd=work)
    check("the installed pvm decodes", r.returncode == 0 and r.stdout.count("\n") == 8, r.stderr)
    if shutil.which("man"):
        r = run(["man", "-M", os.path.join(prefix, "share/man"), "-w", "pvm-serve"])
        check("man finds pvm-serve under the prefix", r.returncode == 0, r.stderr)

    shutil.rmtree(work, ignore_errors=True)
    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    print(f"{len(failures)} failures" if failures else "ok")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
