#!/usr/bin/env bash
# Installs everything the demo and the tests need on a fresh Debian / Raspberry Pi OS machine:
# Chromium and the fonts for the gates' scripts (Vietnamese, Khmer, Lao, Chinese) from Debian's
# packages, then the npm dependencies and the build. Idempotent: a second run does nothing slow.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(chromium fonts-noto-core fonts-noto-cjk fonts-khmeros fonts-lao poppler-utils ffmpeg)

node_version=$(node -p 'process.versions.node' 2>/dev/null || echo 0.0.0)
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 17) ? 0 : 1)' 2>/dev/null; then
  echo "gatecast needs Node.js 20.17 or newer (found: ${node_version})." >&2
  echo "Debian 13 / Raspberry Pi OS Trixie: sudo apt-get install nodejs npm (Node 20.19)." >&2
  echo "Debian 12 / Raspberry Pi OS Bookworm ship Node 18: see docs/node-on-pi.md (NodeSource or nodejs.org)." >&2
  exit 1
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Raspberry Pi OS Bookworm still names the browser chromium-browser; either will do.
if [ -x /usr/bin/chromium ] || [ -x /usr/bin/chromium-browser ]; then
  missing=("${missing[@]/chromium/}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing from Debian's packages: ${missing[*]}"
  sudo=''
  [ "$(id -u)" -eq 0 ] || sudo='sudo'
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm run build --silent
fi
