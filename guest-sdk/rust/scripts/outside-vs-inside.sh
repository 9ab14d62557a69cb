#!/usr/bin/env bash
# The example filter (plugins/examples/rust) built inside this repository
# and, from the same source, in a project `sluice plugin new` writes outside
# it (with and without the simd128 its .cargo/config.toml sets), then each
# run as the only plugin of `sluice run` on data/ read several times, the
# three interleaved round by round. Prints each build's plugin-stage time
# per round and the medians' ratios to the inside build.
#
# Usage: guest-sdk/rust/scripts/outside-vs-inside.sh [ROUNDS] [TIMES_DATA]
# Needs target/examples/rust.wasm (plugins/examples/build.sh rust) and a
# release sluice binary (cargo build --release -p sluice).
set -euo pipefail

ROUNDS=${1:-3}
TIMES=${2:-5}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
SLUICE=$ROOT/target/release/sluice
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

project() {
  "$SLUICE" plugin new "$1" --lang rust --dir "$WORK" >/dev/null
  cp "$ROOT/plugins/examples/rust/src/lib.rs" "$WORK/$1/src/lib.rs"
}
project outside
project no-simd
rm "$WORK/no-simd/.cargo/config.toml"
# Target folders kept under target/plugin-new, so a second run builds only
# the projects themselves; the rustflags come from each project's own folder.
for name in outside no-simd; do
  (cd "$WORK/$name" && CARGO_TARGET_DIR=$ROOT/target/plugin-new/$name ./build.sh 2>"$WORK/$name.build.log")
done
cp "$ROOT/target/examples/rust.wasm" "$WORK/inside.wasm"
cp "$WORK/outside/outside.wasm" "$WORK/outside.wasm"
cp "$WORK/no-simd/no_simd.wasm" "$WORK/no-simd.wasm"

paths=$(printf '"%s",' $(for _ in $(seq "$TIMES"); do echo "$ROOT/data"; done))
for build in inside outside no-simd; do
  cat >"$WORK/$build.toml" <<TOML
[source]
type = "file"
paths = [${paths%,}]

[[plugins]]
name = "example"
path = "$WORK/$build.wasm"

[sink]
type = "null"

[dead_letter]
path = "$WORK/$build.dead.ndjson"

[pipeline]
workers = 1
TOML
done

for round in $(seq "$ROUNDS"); do
  for build in inside outside no-simd; do
    "$SLUICE" run --config "$WORK/$build.toml" --summary-json "$WORK/$build.$round.json" >/dev/null 2>&1
    python3 -c "import json,sys; s=json.load(open(sys.argv[1])); p=s['plugins'][0]; print(f\"round {sys.argv[2]} {sys.argv[3]:8} plugin stage {p['busy_seconds']:.3f} s for {p['records_in']} records ({p['replaced']} replaced, {p['dropped']} dropped)\")" \
      "$WORK/$build.$round.json" "$round" "$build"
  done
done
python3 - "$WORK" "$ROUNDS" <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
median = {
    build: statistics.median(
        json.load(open(f"{work}/{build}.{r}.json"))["plugins"][0]["busy_seconds"] for r in range(1, rounds + 1)
    )
    for build in ["inside", "outside", "no-simd"]
}
for build, seconds in median.items():
    print(f"{build:8} median {seconds:.3f} s, {seconds / median['inside']:.2f}x the inside build's time")
PY
