#!/usr/bin/env python3
"""Checks the editor files against the compiler, without an editor's runtime:

- every keyword, read, builtin, CRC algorithm and type the compiler knows is highlighted by the
  VS Code grammar (with the right kind of scope) and by the vim syntax;
- every VS Code snippet, with its placeholders at their defaults, is a program `pvm compile`
  accepts;
- with vim installed: file types are detected, the syntax names the right groups, and `:make`
  on a broken file puts the compiler's error in the quickfix list at its line and column.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def compiler_words():
    """What the compiler knows, by kind, read from its sources."""
    facts = read("compiler/check/language_facts.cpp")
    keywords_block = facts[facts.index("kKeywords[]"):facts.index("kSizedReads[]")]
    sized_block = facts[facts.index("kSizedReads[]"):facts.index("kCursorValues[]")]
    cursor_block = facts[facts.index("kCursorValues[]"):facts.index("kBuiltins[]")]
    parser = read("compiler/parse/parser.cpp")
    fixed = re.findall(r'"([ui](?:8|16|32|64)(?:be|le)?|f(?:32|64)(?:be|le)?)"',
                       parser[parser.index("kFixedReads"):parser.index("kSizedReads")])
    return {
        "keyword": re.findall(r'^\s*\{"([a-z]+)",', keywords_block, re.M),
        "read": fixed + re.findall(r'^\s*\{"([a-z]+)",', sized_block, re.M),
        "cursor": re.findall(r'^\s*\{"([a-z]+)",', cursor_block, re.M),
        "builtin": re.findall(r'^X\("([a-z]+)"', read("compiler/check/builtins.def"), re.M),
        "crc": re.findall(r'^X\(\w+,\s*"([a-z0-9_]+)"', read("vm/include/pvm/bytecode/crc.def"), re.M),
        "type": ["int", "uint", "float", "bool", "str", "bytes"],
    }


# A line to try each word in, and the scope family the grammar must give it there.
CONTEXT = {
    "keyword": ("{w} ", ("keyword.", "constant.language.", "storage.type.", "variable.language.")),
    "read": ("{w}(1)", ("support.function.read.",)),
    "cursor": ("{w} ", ("variable.language.cursor.",)),
    "builtin": ("{w}(x)", ("support.function.builtin.",)),
    "crc": ("crc({w}, rest)", ("support.constant.crc.",)),
    "type": (": {w}", ("storage.type.",)),
}


def grammar_rules(grammar):
    """Every (regex, scope of the whole match or of each capture) in a TextMate grammar."""
    rules = []

    def walk(node):
        if isinstance(node, dict):
            if "match" in node:
                scopes = {0: node.get("name", "")}
                for k, v in (node.get("captures") or {}).items():
                    scopes[int(k)] = v.get("name", "")
                rules.append((node["match"], scopes))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(grammar)
    return rules


def grammar_scope(rules, line, word):
    """The scopes the grammar's rules can give `word` where it stands in `line`."""
    start = line.index(word)
    found = []
    for regex, scopes in rules:
        try:
            pattern = re.compile(regex)
        except re.error:
            continue  # an Oniguruma construct Python lacks; no rule checked here uses one
        for m in pattern.finditer(line):
            for group, scope in scopes.items():
                if scope and m.start(group) == start and m.end(group) == start + len(word):
                    found.append(scope)
    return found


class Checks:
    def __init__(self):
        self.failed = 0
        self.passed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f": {detail}" if detail else ""))


def check_words(c):
    words = compiler_words()
    c.check("the compiler's word lists were found", all(len(v) >= 2 for v in words.values()), words)
    rules = grammar_rules(json.loads(read("editors/vscode/syntaxes/pvm.tmLanguage.json")))
    vim = read("editors/vim/syntax/pvm.vim")
    for kind, names in words.items():
        template, families = CONTEXT[kind]
        for w in names:
            scopes = grammar_scope(rules, template.format(w=w), w)
            c.check(f"VS Code grammar: {kind} '{w}'", any(s.startswith(families) for s in scopes), scopes)
            c.check(f"vim syntax: {kind} '{w}'", re.search(r"(?<![A-Za-z0-9_])" + w + r"(?![A-Za-z0-9_])", vim)
                    is not None)


def expand(body):
    """A snippet's text with every placeholder at its default (the first choice of a list)."""
    text = "\n".join(body).replace("\\$", "\0")
    defaults = {}

    def placeholder(m):
        n, default, choices = m.group(1), m.group(2), m.group(3)
        value = default if default is not None else choices.split(",")[0] if choices is not None else \
            defaults.get(n, "")
        defaults.setdefault(n, value)
        return value

    # Innermost first: a default may mention another placeholder (${0:return \$$2}).
    pattern = re.compile(r"\$\{(\d+)(?::([^${}]*)|\|([^|]*)\|)?\}|\$(\d+)")
    while True:
        expanded = pattern.sub(lambda m: placeholder(m) if m.group(1) else defaults.get(m.group(4), ""), text)
        if expanded == text:
            return text.replace("\0", "$")
        text = expanded


def check_snippets(c, pvm, work):
    snippets = json.loads(read("editors/vscode/snippets/pvm.json"))
    items = ("packet", "framing", "table", "command", "fn")
    for name, snippet in snippets.items():
        code = expand(snippet["body"])
        first = code.split()[0]
        if first == "//" or first == "protocol":
            program = code
        elif first in items:
            program = "protocol snippet_test\n" + code + "\n"
        else:
            program = ("protocol snippet_test\npacket tcp {\n    u8 ==> $type\n    u8 ==> $count\n"
                       "    u8 ==> $length\n" + code + "\n}\n")
        path = os.path.join(work, "snippet.pvm")
        with open(path, "w") as f:
            f.write(program)
        r = subprocess.run([pvm, "compile", path, "-o", os.devnull], capture_output=True, text=True)
        c.check(f"snippet '{name}' compiles", r.returncode == 0, r.stderr + program)


def vim_eval(work, file, commands):
    """Runs vim headless on `file` with editors/vim on the runtime path; returns what `commands`
    (Vim script lines that add strings to g:out) collected."""
    script = os.path.join(work, "run.vim")
    out = os.path.join(work, "vim.out")
    with open(script, "w") as f:
        f.write(f"set rtp^={ROOT}/editors/vim\nfiletype plugin on\nsyntax on\nedit {file}\nlet g:out = []\n")
        f.write("\n".join(commands))
        f.write(f"\ncall writefile(g:out, '{out}')\nqa!\n")
    subprocess.run(["vim", "-Nu", "NONE", "-i", "NONE", "-es", "-S", script], capture_output=True, timeout=60)
    with open(out) as f:
        return f.read().splitlines()


def check_vim(c, pvm, work):
    if not shutil.which("vim"):
        print("SKIP vim checks: vim is not installed")
        return
    bad = os.path.join(work, "bad.pvm")
    with open(bad, "w") as f:
        f.write("protocol t\npacket tcp {\n    emit { u8 ==> #position.latitud }  // x\n}\n")
    got = vim_eval(work, bad, [
        "call add(g:out, &filetype)",
        "call add(g:out, &commentstring)",
        "call add(g:out, synIDattr(synID(1, 1, 1), 'name'))",
        "call add(g:out, synIDattr(synID(3, 12, 1), 'name'))",
        "call add(g:out, synIDattr(synID(3, 19, 1), 'name'))",
        "call add(g:out, synIDattr(synID(3, 41, 1), 'name'))",
        f"let &l:makeprg = '{pvm} compile % -o /dev/null'",
        "silent make!",
        "call add(g:out, string(map(getqflist(), {_, e -> [e.lnum, e.col, e.type, e.text]})))",
    ])
    c.check("vim: a .pvm file is pvm, with // comments", got[:2] == ["pvm", "// %s"], got)
    c.check("vim: the syntax groups of a declaration, a read, a parameter and a comment",
            got[2:6] == ["pvmDeclaration", "pvmRead", "pvmParameter", "pvmComment"], got)
    c.check("vim: :make puts the compiler's error at its line and column, and nothing else",
            got[6:] == ["[[3, 19, 'e', 'unknown parameter ''position.latitud'' [unknown-param]']]"], got)

    test = os.path.join(work, "t.pvmtest")
    with open(test, "w") as f:
        f.write("# a test\nprotocol: teltonika\n\n--- program\nprotocol x\n\n--- input\n00 0f  # c\n")
    got = vim_eval(work, test, [
        "call add(g:out, &filetype)",
        "call add(g:out, &commentstring)",
    ] + [f"call add(g:out, synIDattr(synID({line}, {col}, 1), 'name'))"
         for line, col in ((1, 1), (2, 1), (2, 11), (4, 1), (5, 1), (8, 1), (8, 8))])
    c.check("vim: a .pvmtest file is pvmtest, with # comments", got[:2] == ["pvmtest", "# %s"], got)
    c.check("vim: pvmtest header, sections, the program as pvm, the input as hex",
            got[2:] == ["pvmtestComment", "pvmtestKey", "pvmtestValue", "pvmtestSection", "pvmDeclaration",
                        "pvmtestHexDigits", "pvmtestHexComment"], got)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pvm", required=True)
    args = ap.parse_args()
    c = Checks()
    with tempfile.TemporaryDirectory() as work:
        check_words(c)
        check_snippets(c, os.path.abspath(args.pvm), work)
        check_vim(c, os.path.abspath(args.pvm), work)
    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
