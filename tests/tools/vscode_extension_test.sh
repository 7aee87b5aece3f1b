#!/usr/bin/env bash
# The VS Code extension: its grammar tests (vscode-tmgrammar-test) pass and it packages with
# vsce without a warning. Runs on a copy of editors/vscode, so the source tree gets no
# node_modules. Exit 77 (skipped) without node and npm, or when the npm registry is unreachable.
set -euo pipefail
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node and npm are not installed"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/ext"
tar -C editors/vscode --exclude=node_modules --exclude=dist -cf - . | tar -C "$work/ext" -xf -
cd "$work/ext"
if ! npm ci --no-audit --no-fund >"$work/npm.log" 2>&1; then
  if grep -qiE 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|network' "$work/npm.log"; then
    echo "SKIP: the npm registry is unreachable"
    exit 77
  fi
  echo "FAIL: npm ci"
  cat "$work/npm.log"
  exit 1
fi
npm test
npm run package -- --out "$work/pvm.vsix" >"$work/package.log" 2>&1 || {
  echo "FAIL: vsce package"
  cat "$work/package.log"
  exit 1
}
if grep -q 'WARNING' "$work/package.log"; then
  echo "FAIL: vsce package warns"
  cat "$work/package.log"
  exit 1
fi
for f in extension/package.json extension/dist/extension.js extension/syntaxes/pvm.tmLanguage.json \
  extension/syntaxes/pvmtest.tmLanguage.json extension/snippets/pvm.json extension/LICENSE.txt; do
  python3 -c "import sys, zipfile; sys.exit(0 if sys.argv[2] in zipfile.ZipFile(sys.argv[1]).namelist() else 1)" \
    "$work/pvm.vsix" "$f" || {
    echo "FAIL: $f is not in the package"
    exit 1
  }
done
echo "PASS: grammar tests, and the extension packages without warnings"
