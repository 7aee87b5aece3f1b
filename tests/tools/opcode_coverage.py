#!/usr/bin/env python3
"""Fails when an opcode of opcodes.def or a diagnostic kind of diagnostics.def has no test.

An opcode counts as tested when the compiled program of a golden test or a stdlib protocol
uses it (`pvm compile --emit asm`), or when a VM or assembler unit test names it. A diagnostic
kind counts as tested when an expected `--- diagnostics` section under tests/golden/diagnostics
has a line ending in `[kind]`.

Usage: opcode_coverage.py --pvm PVM_BINARY [--root SOURCE_DIR]
"""
import argparse
import pathlib
import re
import subprocess
import sys
import tempfile

OPCODE_ROW = re.compile(r'^X\(\s*\w+\s*,\s*"([^"]+)"', re.M)
KIND_ROW = re.compile(r'^X\(\s*\w+\s*,\s*"([^"]+)"', re.M)
ASM_INSTRUCTION = re.compile(r'^\s+([a-z][a-z0-9._]*)', re.M)


def sections(text):
    """The sections of a .pvmtest file by name, each as its list of lines."""
    found, current = {}, None
    for line in text.splitlines():
        if line.startswith('--- '):
            current = line[4:].strip()
            found[current] = []
        elif current is not None:
            found[current].append(line)
    return found


def compile_asm(pvm, source, import_dirs):
    """The mnemonics of a program's assembly, or None when it does not compile."""
    command = [pvm, 'compile', str(source), '--emit', 'asm']
    for d in import_dirs:
        command += ['-I', str(d)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        return None
    return set(ASM_INSTRUCTION.findall(result.stdout))


def mentioned(text, word):
    """True when `word` appears in `text` as a whole mnemonic (a \\n escape before it counts)."""
    def part(c):
        return c.isalnum() or c in '._'
    start = text.find(word)
    while start >= 0:
        end = start + len(word)
        before_ok = start == 0 or not part(text[start - 1]) or text[start - 2:start] == '\\n'
        after_ok = end == len(text) or not part(text[end])
        if before_ok and after_ok:
            return True
        start = text.find(word, start + 1)
    return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--pvm', required=True)
    parser.add_argument('--root', default='.')
    args = parser.parse_args()
    root = pathlib.Path(args.root).resolve()
    stdlib = root / 'stdlib-protocols'

    opcodes = OPCODE_ROW.findall((root / 'vm/include/pvm/bytecode/opcodes.def').read_text())
    kinds = KIND_ROW.findall((root / 'compiler/driver/diagnostics.def').read_text())

    compiled, used = 0, set()
    with tempfile.TemporaryDirectory() as work:
        tests = sorted((root / 'tests/golden').rglob('*.pvmtest')) + sorted(stdlib.rglob('*.pvmtest'))
        for k, test in enumerate(tests):
            program = sections(test.read_text()).get('program')
            if program is None:
                continue
            source = pathlib.Path(work) / f'program{k}.pvm'
            source.write_text('\n'.join(program) + '\n')
            mnemonics = compile_asm(args.pvm, source, [test.parent, stdlib])
            if mnemonics is not None:  # diagnostics tests do not compile, on purpose
                compiled += 1
                used |= mnemonics
    for protocol in sorted(stdlib.glob('*.pvm')):
        mnemonics = compile_asm(args.pvm, protocol, [stdlib])
        if mnemonics is None:
            print(f'FAIL {protocol.relative_to(root)} does not compile')
            return 1
        compiled += 1
        used |= mnemonics

    unit_text = ''.join(p.read_text() for p in sorted((root / 'tests/unit').glob('vm_*.cpp')))
    unit_text += (root / 'tests/unit/asm_test.cpp').read_text()
    from_units = {m for m in opcodes if mentioned(unit_text, m)}
    untested = [m for m in opcodes if m not in used and m not in from_units]

    expected = ''
    for test in sorted((root / 'tests/golden/diagnostics').glob('*.pvmtest')):
        expected += '\n'.join(sections(test.read_text()).get('diagnostics', [])) + '\n'
    missing_kinds = [k for k in kinds if not re.search(r'\[' + re.escape(k) + r'\]$', expected, re.M)]

    only_units = sorted(m for m in opcodes if m not in used and m in from_units)
    print(f'{compiled} programs compiled; {len(opcodes) - len(untested)} of {len(opcodes)} opcodes tested, '
          f'{len(only_units)} only by unit tests: {" ".join(only_units)}')
    print(f'{len(kinds) - len(missing_kinds)} of {len(kinds)} diagnostic kinds have a golden test')
    if untested:
        print('FAIL opcodes no test uses: ' + ' '.join(untested))
    if missing_kinds:
        print('FAIL diagnostic kinds without a golden test in tests/golden/diagnostics: ' + ' '.join(missing_kinds))
    return 1 if untested or missing_kinds else 0


if __name__ == '__main__':
    sys.exit(main())
