#!/usr/bin/env bash
# Installs nisshi, the Kafka-protocol broker that tests/kafka (sluice-kafka-testkit)
# and benches/kafka launch. Apache Kafka cannot be installed here; nisshi (Tansu's
# successor, same authors) is a single Rust binary. Tansu 0.6.0 is not used because
# its group coordinator never hands a dead member's partitions to the survivors;
# nisshi 0.7.0-pre.2 carries the fix and is the newest release that builds with
# Rust 1.95 (0.7.0 and later need 1.96).
# Idempotent: a rerun with the pinned version already installed returns at once.
set -euo pipefail

NISSHI_VERSION=0.7.0-pre.2

installed=$(cargo install --list 2>/dev/null | sed -n 's/^nisshi v\([^:]*\):$/\1/p')
if [[ "$installed" == "$NISSHI_VERSION" ]] && command -v nisshi >/dev/null; then
    echo "nisshi $NISSHI_VERSION already installed at $(command -v nisshi)"
    exit 0
fi

started=$SECONDS
# dynostore provides memory://, libsql provides sqlite:// storage engines.
cargo install nisshi --locked --features dynostore,libsql --version "$NISSHI_VERSION"
echo "installed nisshi $NISSHI_VERSION in $((SECONDS - started))s"
