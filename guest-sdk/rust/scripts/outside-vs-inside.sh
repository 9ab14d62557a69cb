#!/usr/bin/env bash
# The example filter (plugins/examples/rust) built inside this repository
# and, from the same source, in a project `sluice plugin new` writes outside
# it (with and without the simd128 its .cargo/config.toml sets), then each
# run as the only plugin of `sluice run` on data/ read several times, the
# three interleaved round by round. Prints each build's plugin-stage time
# per round and the medians' ratios to the inside build.
#
# With MEASURE=callgrind, each build instead runs once under valgrind's
# callgrind, and the script prints the instructions executed in the
# plugin's compiled code (the JIT code, which callgrind files under the
# object `???`) and in the whole process. Instruction counts do not depend
# on what else the machine runs, so this answers "as fast outside?" on a
# busy machine; the timed rounds need a quiet one.
#
# Usage: [MEASURE=time|callgrind] guest-sdk/rust/scripts/outside-vs-inside.sh [ROUNDS] [TIMES_DATA]
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

if [ "${MEASURE:-time}" = callgrind ]; then
  command -v valgrind >/dev/null || { echo "MEASURE=callgrind needs valgrind" >&2; exit 1; }
  for build in inside outside no-simd; do
    # A first plain run fills wasmtime's compile cache, so the counted run
    # does not count Cranelift compiling the module.
    "$SLUICE" run --config "$WORK/$build.toml" >/dev/null 2>&1
    valgrind --tool=callgrind --callgrind-out-file="$WORK/$build.callgrind" \
      "$SLUICE" run --config "$WORK/$build.toml" --summary-json "$WORK/$build.json" >/dev/null 2>&1
    callgrind_annotate --threshold=100 "$WORK/$build.callgrind" 2>/dev/null >"$WORK/$build.annotated"
  done
  python3 - "$WORK" <<'PY'
import json, re, sys
work = sys.argv[1]
counts = {}
for build in ["inside", "outside", "no-simd"]:
    plugin = total = 0
    for line in open(f"{work}/{build}.annotated"):
        match = re.match(r"\s*([\d,]+)\s", line)
        if not match:
            continue
        n = int(match.group(1).replace(",", ""))
        if "PROGRAM TOTALS" in line:
            total = n
        elif line.rstrip().endswith("[???]"):
            plugin += n
    p = json.load(open(f"{work}/{build}.json"))["plugins"][0]
    counts[build] = (plugin, total)
    print(f"{build:8} plugin code {plugin / 1e6:9.1f} M instructions, whole run {total / 1e6:9.1f} M "
          f"({p['records_in']} in, {p['replaced']} replaced, {p['dropped']} dropped)")
for build, (plugin, total) in counts.items():
    print(f"{build:8} {plugin / counts['inside'][0]:.4f}x the inside build's plugin instructions, "
          f"{total / counts['inside'][1]:.4f}x its whole run")
PY
  exit 0
fi

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
