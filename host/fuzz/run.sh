#!/usr/bin/env bash
# Fuzzes the host's input handling for a bounded time.
#
#   host/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Targets (fuzz_targets/, bodies in src/lib.rs): decode, guard (all three
# policies), bulk (the `_bulk` encoder), config (the pipeline file loader);
# all four, 60 s each, by default.
#
# Only a stable toolchain exists here. `cargo fuzz run --sanitizer none`
# works on stable (its coverage flags are stable codegen options), but it
# instruments every dependency (wasmtime, librdkafka, ...). This script
# passes the same flags through rustc-sancov.sh to the crates under test
# only, with plain cargo: coverage guides the fuzzer through Sluice's code,
# and the dependencies build as usual (the first build takes about as long
# as a release build of the workspace). No sanitizer: Rust's own checks
# (bounds, `expect`, debug assertions, on for the crates under test) are
# what turn a bug into a crash.
#
# Each target starts from its seeds in corpus/<target>/ and grows a working
# corpus in target/fuzz-corpus/<target>/; crashes go to artifacts/<target>/.
# Once a crash is fixed, copy its input into corpus/<target>/, so that
# host/tests/hostile_fuzz_corpus.rs replays it on every test run.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decode guard bulk config)

echo "== building the fuzz targets"
RUSTC_WRAPPER="$PWD/rustc-sancov.sh" cargo build --release --bins
for target in "${targets[@]}"; do
    work="target/fuzz-corpus/$target"
    mkdir -p "$work" "artifacts/$target"
    echo "== $target: ${seconds}s"
    "target/release/$target" "$work" "corpus/$target" \
        -max_total_time="$seconds" -max_len=1048576 -timeout=10 -rss_limit_mb=4096 \
        -artifact_prefix="artifacts/$target/" -print_final_stats=1
done
