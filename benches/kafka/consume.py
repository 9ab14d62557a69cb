"""The reference Kafka consumer that `sluice run` is compared with: a
confluent-kafka consumer group member that reads every record of a topic to
the end of each partition, written the way a careful Python developer would
(batched `consume()`, not one `poll()` per record).

Usage: python3 consume.py --brokers B --topic T --group G [--parse]
                          [--set KEY=VALUE ...]

Without --parse it counts records and bytes; with --parse it also runs
`orjson.loads` on every record, since Sluice parses every record too.
--set passes a librdkafka setting through (run.sh gives it the same prefetch
limits that Sluice's Kafka source sets, so only the code around librdkafka
differs). Offsets are committed every second and once more at the end, as
`sluice run` does.

Prints one JSON line: records, bytes, parse errors, the wall seconds from
subscribing to the final commit (what Sluice's run summary times), and the
seconds until the group handed out the partitions.
"""

import argparse
import sys
import time

import orjson
from confluent_kafka import Consumer, KafkaError, KafkaException

BATCH = 1000
COMMIT_EVERY_SECONDS = 1.0
# A group that never gets partitions (a broker problem) must not hang the
# benchmark.
ASSIGNMENT_TIMEOUT_SECONDS = 60.0


def setting(text):
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"`{text}` is not KEY=VALUE")
    return key, value


def main():
    args = argparse.ArgumentParser()
    args.add_argument("--brokers", required=True)
    args.add_argument("--topic", required=True)
    args.add_argument("--group", required=True)
    args.add_argument("--parse", action="store_true")
    args.add_argument("--set", type=setting, action="append", default=[], dest="settings")
    args = args.parse_args()

    config = {
        "bootstrap.servers": args.brokers,
        "group.id": args.group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
    }
    config.update(dict(args.settings))
    consumer = Consumer(config)
    assigned = set()

    def on_assign(_consumer, partitions):
        assigned.update(p.partition for p in partitions)

    started = time.perf_counter()
    consumer.subscribe([args.topic], on_assign=on_assign)
    at_end = set()
    records = size = parse_errors = 0
    assigned_after = None
    last_commit = started
    loads = orjson.loads
    while not assigned or at_end != assigned:
        batch = consumer.consume(num_messages=BATCH, timeout=0.1)
        if assigned_after is None and assigned:
            assigned_after = time.perf_counter() - started
        for message in batch:
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    at_end.add(message.partition())
                    continue
                raise KafkaException(error)
            value = message.value()
            records += 1
            size += len(value)
            if args.parse:
                try:
                    loads(value)
                except orjson.JSONDecodeError:
                    parse_errors += 1
        now = time.perf_counter()
        if not assigned and now - started > ASSIGNMENT_TIMEOUT_SECONDS:
            sys.exit(f"no partitions of {args.topic} assigned after {ASSIGNMENT_TIMEOUT_SECONDS} s")
        if records and now - last_commit >= COMMIT_EVERY_SECONDS:
            consumer.commit(asynchronous=True)
            last_commit = now
    consumer.commit(asynchronous=False)
    seconds = time.perf_counter() - started
    consumer.close()
    print(orjson.dumps({
        "records": records,
        "bytes": size,
        "parse_errors": parse_errors,
        "seconds": seconds,
        "assigned_after_seconds": assigned_after,
    }).decode())


if __name__ == "__main__":
    main()
