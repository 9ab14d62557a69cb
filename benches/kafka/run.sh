#!/usr/bin/env bash
# The Kafka consume benchmark of BENCHMARKS.md: a confluent-kafka consumer
# against `sluice run` with a Kafka source (one process, and two in one
# consumer group), reading the same topic of the same nisshi broker, runs
# interleaved. A benchmark to rerun, not a test.
#   bash benches/kafka/run.sh                 (from anywhere in the repository)
#   REPEAT=20 RUNS=7 PARTITIONS=8 bash benches/kafka/run.sh
# REPEAT: the bundled tweets of data/ (4,011 records, 17.2 MB) are produced
#   this many times; RUNS: measured rounds; PARTITIONS: of the topic;
# STORAGE: memory (default) or sqlite, the broker's storage engine;
# KAFKA_SETTINGS: librdkafka consumer settings given to every consumer.
# Needs `nisshi` 0.7.0-pre.2 on PATH (.ci/install-broker.sh installs it).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
REPEAT="${REPEAT:-10}"
RUNS="${RUNS:-5}"
PARTITIONS="${PARTITIONS:-4}"
STORAGE="${STORAGE:-memory}"
# Tansu 0.6.0 held every fetch for the full fetch.wait.max.ms even when it
# had records to return, so librdkafka's 500 ms default would make both
# consumers measure that wait (about 20 MB/s). librdkafka postpones a
# partition's next fetch by fetch.queue.backoff.ms (1000 ms by default) each
# time its prefetch queue is over the limits, which a consumer slower than
# the broker hits all the time: with the default, Sluice spent 5 of its 7 s
# in its read stage and ran at a third of its rate with 10 ms. The two queue limits are the
# ones Sluice's Kafka source sets by default. Every consumer gets the same
# settings, so only the code around librdkafka differs.
# nisshi answers a group's first JoinGroup only after about half the session
# timeout (measured: ~23 s with librdkafka's 45 s default, ~3 s with 6 s), and
# a follower of a group of two waited a further session timeout for its
# assignment, so every consumer gets the 6 s the tests use.
KAFKA_SETTINGS="${KAFKA_SETTINGS:-fetch.wait.max.ms=10 fetch.queue.backoff.ms=10 queued.max.messages.kbytes=16384 queued.min.messages=20000 session.timeout.ms=6000 heartbeat.interval.ms=500}"

out="$repo/target/bench/kafka"
venv="$out/venv"
mkdir -p "$out"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
# Pinned: confluent-kafka 2.12.2 bundles librdkafka 2.12.1, the version the
# rdkafka crate bundles into sluice, so both sides run the same client library.
"$venv/bin/pip" install --quiet --disable-pip-version-check confluent-kafka==2.12.2 orjson==3.13.0
make plugins
cargo build --release -p sluice
command -v nisshi >/dev/null || { echo "nisshi is not on PATH: run .ci/install-broker.sh" >&2; exit 1; }

broker_dir="$(mktemp -d "${TMPDIR:-/tmp}/sluice-kafka-bench.XXXXXX")"
broker_pid=""
stop_broker() {
    if [ -n "$broker_pid" ]; then
        kill "$broker_pid" 2>/dev/null || true
        wait "$broker_pid" 2>/dev/null || true
    fi
    rm -rf "$broker_dir"
}
trap stop_broker EXIT

port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
brokers="127.0.0.1:$port"
case "$STORAGE" in
    memory) storage_url="memory://nisshi/" ;;
    # nisshi opens sqlite://NAME relative to its working directory.
    sqlite) storage_url="sqlite://nisshi.db" ;;
    *) echo "STORAGE is memory or sqlite, not $STORAGE" >&2; exit 1 ;;
esac
# nisshi reads a .env from its working directory and logs at RUST_LOG: run it
# in an empty directory with the level pinned.
(cd "$broker_dir" && exec env -u STORAGE_ENGINE -u LISTENER_URL -u ADVERTISED_LISTENER_URL \
    RUST_LOG=warn nisshi broker \
    --listener-url "tcp://$brokers" --advertised-listener-url "tcp://$brokers" \
    --storage-engine "$storage_url" >"$broker_dir/nisshi.log" 2>&1) &
broker_pid=$!
ready=""
for _ in $(seq 600); do
    if ! kill -0 "$broker_pid" 2>/dev/null; then
        echo "nisshi exited during startup; its log:" >&2
        cat "$broker_dir/nisshi.log" >&2
        exit 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        ready=1
        break
    fi
    sleep 0.1
done
if [ -z "$ready" ]; then
    echo "nisshi did not accept connections on $brokers within 60 s; its log:" >&2
    cat "$broker_dir/nisshi.log" >&2
    exit 1
fi

echo "uptime before: $(uptime)"
topic="tweets"
produced="$(./target/release/sluice produce data --brokers "$brokers" --topic "$topic" \
    --partitions "$PARTITIONS" --repeat "$REPEAT" | tail -n 1)"
echo "$produced"
records="$(sed -n 's/^produced \([0-9]*\) records.*/\1/p' <<<"$produced")"
if [ -z "$records" ]; then
    echo "could not read the produced count from: $produced" >&2
    exit 1
fi
settings=()
for setting in $KAFKA_SETTINGS; do
    settings+=(--set "$setting")
done
"$venv/bin/python" benches/kafka/bench.py --brokers "$brokers" --topic "$topic" \
    --records "$records" --broker-pid "$broker_pid" --runs "$RUNS" "${settings[@]}"
echo "uptime after: $(uptime)"
echo "REPEAT=$REPEAT RUNS=$RUNS PARTITIONS=$PARTITIONS STORAGE=$STORAGE KAFKA_SETTINGS=\"$KAFKA_SETTINGS\""
