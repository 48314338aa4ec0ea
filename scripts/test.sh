#!/usr/bin/env bash
# The whole test suite: set-up (idempotent), type check, lint, then every unit and integration test
# against real SQLite files, real ws servers, a real TUF repository and the real Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm test
