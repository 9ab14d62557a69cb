#!/usr/bin/env bash
# Installs the Tansu Kafka-compatible broker that tests/kafka (sluice-kafka-testkit)
# launches. Apache Kafka cannot be installed here; Tansu is a single Rust binary.
# Idempotent: a rerun with the pinned version already installed returns at once.
set -euo pipefail

TANSU_VERSION=0.6.0

installed=$(cargo install --list 2>/dev/null | sed -n 's/^tansu v\([^:]*\):$/\1/p')
if [[ "$installed" == "$TANSU_VERSION" ]] && command -v tansu >/dev/null; then
    echo "tansu $TANSU_VERSION already installed at $(command -v tansu)"
    exit 0
fi

started=$SECONDS
# dynostore provides memory://, libsql provides sqlite:// storage engines.
cargo install tansu --locked --features dynostore,libsql --version "$TANSU_VERSION"
echo "installed tansu $TANSU_VERSION in $((SECONDS - started))s"
