#!/usr/bin/env bash
# Builds {{crate}}.wasm with jco componentize, through the sluice-filter
# package (npm installs it with jco and componentize-js, pinned by it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
[ -d node_modules/sluice-filter ] || npm install --no-audit --no-fund --loglevel=error
npm run --silent build
