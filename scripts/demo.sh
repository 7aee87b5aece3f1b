#!/usr/bin/env bash
# Sets up and builds (scripts/setup.sh), then decodes the sample Teltonika capture to JSON lines.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh --target pvm
build/cli/pvm decode -p teltonika examples/captures/teltonika.hex
