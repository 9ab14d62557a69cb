#!/usr/bin/env bash
# Builds {{crate}}.wasm with the SDK's build script (sluice/build.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
sluice/build.sh {{crate}}.wasm filter.c
