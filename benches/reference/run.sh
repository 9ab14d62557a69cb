#!/usr/bin/env bash
# The reference comparisons of BENCHMARKS.md: simdjson (pysimdjson) and a
# Python + orjson consumer against sluice, on the same files, in one run.
#   bash benches/reference/run.sh            (from anywhere in the repository)
#   REPEAT=20 RUNS=7 bash benches/reference/run.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
venv="$repo/target/bench/venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
# Pinned, so that a rerun compares against the same reference code.
"$venv/bin/pip" install --quiet --disable-pip-version-check pysimdjson==7.0.2 orjson==3.13.0
make plugins
cargo build --release -p sluice
"$venv/bin/python" benches/reference/compare.py
