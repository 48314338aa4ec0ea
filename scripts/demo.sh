#!/usr/bin/env bash
# The demo: a local sync server with its dashboard, and a gate screen playing signed content in
# Chromium (a window where there is a display, headless otherwise). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node dist/cli/gatecast.js demo "$@"
