#!/usr/bin/env bash
# RUSTC_WRAPPER for run.sh: adds libFuzzer's coverage instrumentation (the
# stable flags `cargo fuzz --sanitizer none` passes) to the crates under test
# only; the dependencies build as usual.
rustc=$1
shift
case " $* " in
*" --crate-name sluice "* | *" --crate-name sluice_fuzz "*)
    exec "$rustc" "$@" --cfg fuzzing -Cdebug-assertions \
        -Cpasses=sancov-module \
        -Cllvm-args=-sanitizer-coverage-level=4 \
        -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
        -Cllvm-args=-sanitizer-coverage-pc-table \
        -Cllvm-args=-sanitizer-coverage-trace-compares \
        -Cllvm-args=-simplifycfg-branch-fold-threshold=0
    ;;
esac
exec "$rustc" "$@"
