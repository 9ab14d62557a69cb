#!/usr/bin/env bash
# BENCHMARKS.md "Archive output": the demo pipeline (default chain -> _bulk
# body) with no archive, and with a raw archive beside it (zstd or gzip;
# partitioned by arrival, as a live stream's records fall into the current
# hour, or by created_at, which spreads these historic tweets over 1,700
# hour folders), on data/*.ndjson repeated REPEAT times, ROUNDS interleaved
# rounds in one run; prints a table row per variant: median records/s
# (min-max), the ratio to no archive, and how much smaller the archive is
# than its input.
#   bash benches/archive/run.sh              (from anywhere in the repository)
#   REPEAT=10 ROUNDS=5 bash benches/archive/run.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
repeat="${REPEAT:-5}"
rounds="${ROUNDS:-3}"
work="$repo/target/bench/archive"
rm -rf "$work" && mkdir -p "$work"
for _ in $(seq "$repeat"); do cat data/*.ndjson; done > "$work/input.ndjson"
sluice="${SLUICE:-$repo/target/release/sluice}"

# $1 variant name, $2 the [[outputs]] table (empty for none)
write_config() {
    sed -e "s|^paths = .*|paths = [\"$work/input.ndjson\"]|" \
        -e "s|target/wasm32-wasip2|$repo/target/wasm32-wasip2|" \
        -e "s|target/demo/bulk.ndjson|$work/$1.bulk.ndjson|" \
        -e "s|target/demo/dead-letter.ndjson|$work/$1.dead.ndjson|" \
        host/src/config/default.toml > "$work/$1.toml"
    printf '%s\n' "$2" >> "$work/$1.toml"
}
write_config none ""
# $1 variant name, $2 compression, $3 partition_by
archive() {
    write_config "$1" "$(printf '[[outputs]]\ntype = "archive"\nstage = "raw"\npath = "%s"\ncompression = "%s"\npartition_by = "%s"' \
        "$work/$1.archive" "$2" "$3")"
}
archive zstd-arrival zstd arrival
archive gzip-arrival gzip arrival
archive zstd-created_at zstd created_at
variants="none zstd-arrival gzip-arrival zstd-created_at"

for round in $(seq "$rounds"); do
    for variant in $variants; do
        rm -rf "$work/$variant.archive"
        "$sluice" run --config "$work/$variant.toml" --summary-json "$work/$variant.$round.json" > /dev/null
    done
done

python3 - "$work" "$rounds" $variants <<'PY'
import json, os, statistics, sys
work, rounds, variants = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
input_bytes = os.path.getsize(os.path.join(work, "input.ndjson"))
def size(folder):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs)
rates = {}
for variant in variants:
    runs = [json.load(open(os.path.join(work, f"{variant}.{r}.json"))) for r in range(1, rounds + 1)]
    rates[variant] = statistics.median(run["records_per_second"] for run in runs)
    records = runs[0]["records_in"]
    archive = os.path.join(work, f"{variant}.archive")
    files = sum(len(fs) for _, _, fs in os.walk(archive))
    ratio = f"{input_bytes / size(archive):.1f}x smaller, {files:,} files" if os.path.isdir(archive) else "-"
    low, high = min(r["records_per_second"] for r in runs), max(r["records_per_second"] for r in runs)
    print(f"| {variant} | {records:,} | {rates[variant]:,.0f} ({low:,.0f}-{high:,.0f}) | "
          f"{rates[variant] / rates['none']:.2f}x | {ratio} |")
PY
