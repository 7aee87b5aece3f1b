#!/usr/bin/env python3
"""Fails unless docs/parameters.md lists exactly the standard parameter names of
compiler/check/standard_params.def, each with the type the checker gives it and the unit the
file gives (a family "name.*" is listed as "name.N"; no unit is written "—").

Usage: parameters_doc_check.py [--root SOURCE_DIR]
"""
import argparse
import pathlib
import re
import sys

KIND_WORDS = {"Number": "number", "Integer": "integer", "String": "string", "Bool": "boolean"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default=".")
    root = pathlib.Path(parser.parse_args().root)
    defined = {name.replace(".*", ".N"): (KIND_WORDS[kind], unit or "—") for name, kind, unit in re.findall(
        r'^X\("([^"]+)", (\w+), "([^"]*)", "', (root / "compiler/check/standard_params.def").read_text(), re.M)}
    listed = {name: (kind, unit) for name, kind, unit in re.findall(
        r"^\| `([^`]+)` \| (\w+) \| ([^|]*?) \|", (root / "docs/parameters.md").read_text(), re.M)}
    problems = [f"{n}: in standard_params.def, not in docs/parameters.md" for n in defined if n not in listed]
    problems += [f"{n}: in docs/parameters.md, not in standard_params.def" for n in listed if n not in defined]
    problems += [f"{n}: docs/parameters.md says {' '.join(listed[n])}, standard_params.def {' '.join(defined[n])}"
                 for n in defined if n in listed and listed[n] != defined[n]]
    for p in problems:
        print(p)
    print(f"{len(defined)} standard names, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
