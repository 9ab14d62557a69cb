#!/usr/bin/env bash
# Fuzzes the host's input handling for a bounded time.
#
#   host/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Targets: decode, guard, bulk, config (all by default), 60 s each by
# default. Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). Only a
# stable toolchain exists here, so the build runs without a sanitizer
# (`--sanitizer none`: libFuzzer's coverage instrumentation is a stable
# codegen option) and with RUSTC_BOOTSTRAP=1 for the one unstable flag
# cargo-fuzz passes regardless. Panics are what it finds: Rust's own checks
# (bounds, overflow in debug assertions, expect) stand in for ASan.
#
# Each target starts from its seed corpus in corpus/<target>/ and grows it
# in target/fuzz-corpus/<target>/ (kept out of git); a crash is written to
# artifacts/<target>/. Once fixed, copy the crashing input into
# corpus/<target>/ so host/tests/hostile_fuzz_corpus.rs replays it in CI.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decode guard bulk config)

command -v cargo-fuzz >/dev/null || {
    echo "cargo-fuzz is missing: cargo install cargo-fuzz --locked" >&2
    exit 1
}
export RUSTC_BOOTSTRAP=1
for target in "${targets[@]}"; do
    work="target/fuzz-corpus/$target"
    mkdir -p "$work" "artifacts/$target"
    echo "== $target: ${seconds}s"
    cargo fuzz run --sanitizer none --release --debug-assertions "$target" \
        "$work" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len=1048576 -timeout=10 -rss_limit_mb=4096 \
        -artifact_prefix="artifacts/$target/"
done
