#!/usr/bin/env bash
# Front-end packages from the npm registry, copied into the project's static files so that pages
# never load a script from a CDN (government intranets are often offline). Run by `make install`.
set -euo pipefail
cd "$(dirname "$0")/.."
VENDOR=xinkan/web/static/vendor

if ! command -v npm >/dev/null 2>&1; then
  echo "npm is missing: the charts cannot be built. Install Node.js (Debian: apt-get install nodejs npm)." >&2
  exit 1
fi
npm ci --no-audit --no-fund --silent
mkdir -p "$VENDOR/echarts"
cp node_modules/echarts/dist/echarts.min.js "$VENDOR/echarts/echarts.min.js"
cp node_modules/echarts/LICENSE "$VENDOR/echarts/LICENSE"
echo "Front-end assets: $(ls "$VENDOR"/*/ | tr '\n' ' ')"
