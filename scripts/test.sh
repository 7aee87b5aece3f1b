#!/usr/bin/env bash
# Sets up and builds everything (scripts/setup.sh), then runs every test; ends with ctest's summary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
ctest --test-dir build --output-on-failure --timeout 600 -j "$(nproc)"
