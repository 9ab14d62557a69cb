"""The Kafka consume benchmark of issue 3: confluent-kafka (consume.py) against
`sluice run` with a Kafka source, on the same topic of the same broker, runs
of every consumer interleaved (the order rotates each round) and a fresh
consumer group for every run, so each one reads the whole topic from the
start.

Run through run.sh, which starts the broker, fills the topic and passes the
produced count; this script fails if any consumer saw a different count.
Writes target/bench/kafka/results.json and results.md and prints the tables.

Wall time is what each consumer measures itself, from subscribing to the
final commit (Sluice's run summary, consume.py's own clock), so process
start, imports and plugin loading are outside it; CPU seconds are the whole
process's (getrusage of the child), so they include them.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

# The reference consumer next to this script parses --set the same way.
from consume import setting

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
OUT = REPO / "target" / "bench" / "kafka"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Plugin paths in a pipeline file are relative to the file, which lives in OUT.
WASM = REPO / "target" / "wasm32-wasip2" / "wasm"
DEFAULT_CHAIN = f"""
[[plugins]]
name = "flatten-retweets"
path = {json.dumps(str(WASM / "flatten_retweets.wasm"))}
config = {{ mode = "embed", non_tweets = "drop" }}

[[plugins]]
name = "prune-fields"
path = {json.dumps(str(WASM / "prune_fields.wasm"))}
config = {{ max_string_length = 2000, max_depth = 5, max_fields = 400 }}
"""


class BenchError(Exception):
    pass


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid):
    """utime + stime of a running process (the broker), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def toml_settings(settings):
    # JSON strings of plain setting names and values are valid TOML strings.
    return ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in settings)


class Reference:
    def __init__(self, name, python, parse):
        self.name, self.python, self.parse = name, python, parse

    def commands(self, args, group):
        command = [self.python, HERE / "consume.py", "--brokers", args.brokers,
                   "--topic", args.topic, "--group", group]
        if self.parse:
            command.append("--parse")
        for key, value in args.settings:
            command += ["--set", f"{key}={value}"]
        return [command]

    def result(self, stdouts, _group):
        report = json.loads(stdouts[0].strip().splitlines()[-1])
        if report["parse_errors"]:
            raise BenchError(f"{self.name}: {report['parse_errors']} records are not JSON")
        return {"records": report["records"], "bytes": report["bytes"],
                "seconds": report["seconds"]}


class Sluice:
    """`processes` sluice processes in one consumer group, started together;
    each ends once its partitions are read to the end."""

    def __init__(self, name, slug, binary, chain, processes=1):
        self.name, self.slug, self.binary, self.chain = name, slug, binary, chain
        self.processes = processes

    def summary_path(self, process):
        return OUT / f"summary-{self.slug}-{process}.json"

    def commands(self, args, group):
        config = OUT / f"sluice-{self.slug}.toml"
        config.write_text(f"""[source]
type = "kafka"
brokers = [{json.dumps(args.brokers)}]
topics = [{json.dumps(args.topic)}]
group_id = {json.dumps(group)}
start = "earliest"
stop_at_end = true
settings = {{ {toml_settings(args.settings)} }}
{self.chain}
[sink]
type = "null"

[dead_letter]
path = {json.dumps(str(OUT / f"dead-letter-{self.slug}.ndjson"))}
""")
        return [[self.binary, "run", "--config", config,
                 "--summary-json", self.summary_path(process)]
                for process in range(self.processes)]

    def result(self, _stdouts, _group):
        summaries = [json.loads(self.summary_path(process).read_text())
                     for process in range(self.processes)]
        total = lambda key: sum(summary[key] for summary in summaries)
        # Records of partitions revoked in flight are read again by their new
        # owner, so they count once, there.
        return {"records": total("records_in") - total("handed_back"),
                "bytes": total("bytes_in"),
                "seconds": max(summary["elapsed_seconds"] for summary in summaries),
                "stages": {stage: sum(summary["stages"][stage] for summary in summaries)
                           for stage in summaries[0]["stages"]},
                "written": total("written"), "dropped": total("dropped"),
                "dead_lettered": total("dead_lettered")}


def measure(consumer, args, group):
    commands = [[str(c) for c in command] for command in consumer.commands(args, group)]
    cpu_before, broker_before = children_cpu(), process_cpu(args.broker_pid)
    started = time.perf_counter()
    # Output to files, not pipes: with several processes a full pipe would
    # stall one while this waits on another.
    logs = [(OUT / f"process-{i}.out", OUT / f"process-{i}.err") for i in range(len(commands))]
    running = []
    for command, (out, err) in zip(commands, logs):
        with open(out, "w") as stdout, open(err, "w") as stderr:
            running.append(subprocess.Popen(command, cwd=REPO, stdout=stdout, stderr=stderr))
    codes = [process.wait() for process in running]
    process_seconds = time.perf_counter() - started
    cpu = children_cpu() - cpu_before
    broker_cpu = process_cpu(args.broker_pid) - broker_before
    for command, code, (_, err) in zip(commands, codes, logs):
        if code != 0:
            raise BenchError(f"{consumer.name} failed ({code}): {' '.join(command)}\n"
                             f"{err.read_text()[-4000:]}")
    result = consumer.result([out.read_text() for out, _ in logs], group)
    if result["records"] != args.records:
        raise BenchError(f"{consumer.name} (group {group}) saw {result['records']} records, "
                         f"{args.records} were produced")
    result.update(cpu_seconds=cpu, broker_cpu_seconds=broker_cpu,
                  process_seconds=process_seconds,
                  records_per_second=result["records"] / result["seconds"],
                  megabytes_per_second=result["bytes"] / 1e6 / result["seconds"])
    return result


def spread(values, fmt):
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}-{fmt(max(values))})"


def tables(consumers, runs):
    rows = ["| consumer | records/s | MB/s | CPU s | broker CPU s "
            "| vs confluent-kafka | vs confluent-kafka + orjson |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    count_ref, parse_ref = consumers[0].name, consumers[1].name
    for consumer in consumers:
        mine = [run[consumer.name] for run in runs]
        ratios = [[run[consumer.name]["records_per_second"] / run[ref]["records_per_second"]
                   for run in runs] for ref in (count_ref, parse_ref)]
        rows.append(
            f"| {consumer.name} "
            f"| {spread([r['records_per_second'] for r in mine], lambda v: f'{v:,.0f}')} "
            f"| {spread([r['megabytes_per_second'] for r in mine], lambda v: f'{v:.1f}')} "
            f"| {spread([r['cpu_seconds'] for r in mine], lambda v: f'{v:.2f}')} "
            f"| {spread([r['broker_cpu_seconds'] for r in mine], lambda v: f'{v:.2f}')} "
            + "".join(f"| {spread(r, lambda v: f'{v:.2f}x')} " for r in ratios) + "|")
    rows += ["", "Stage seconds of Sluice's median run (by records/s):", "",
             "| consumer | wall s | read | decode | plugins | guard | sink | written | dropped | dead-lettered |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for consumer in consumers:
        mine = sorted((run[consumer.name] for run in runs),
                      key=lambda r: r["records_per_second"])
        if "stages" not in mine[0]:
            continue
        median = mine[len(mine) // 2]
        stages = median["stages"]
        rows.append(f"| {consumer.name} | {median['seconds']:.2f} | "
                    + " | ".join(f"{stages[s]:.2f}" for s in
                                 ("read", "decode", "plugins", "guard", "sink"))
                    + f" | {median['written']:,} | {median['dropped']:,} | {median['dead_lettered']:,} |")
    return "\n".join(rows)


def main():
    args = argparse.ArgumentParser()
    args.add_argument("--brokers", required=True)
    args.add_argument("--topic", required=True)
    args.add_argument("--records", type=int, required=True, help="how many were produced")
    args.add_argument("--broker-pid", type=int, required=True)
    args.add_argument("--runs", type=int, default=5)
    args.add_argument("--sluice", default=str(REPO / "target" / "release" / "sluice"))
    args.add_argument("--set", type=setting, action="append", default=[], dest="settings",
                      help="a librdkafka consumer setting for every consumer, KEY=VALUE")
    args = args.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    consumers = [
        Reference("confluent-kafka", sys.executable, parse=False),
        Reference("confluent-kafka + orjson.loads", sys.executable, parse=True),
        Sluice("sluice none -> null", "none", args.sluice, ""),
        Sluice("sluice default -> null", "default", args.sluice, DEFAULT_CHAIN),
        Sluice("2 x sluice default -> null, one group", "default-x2", args.sluice,
               DEFAULT_CHAIN, processes=2),
    ]
    tag = f"{os.getpid()}-{int(time.time())}"
    # One unmeasured round: page cache, Python's imports, the plugin compile cache.
    for consumer in consumers:
        print(f"warm-up: {consumer.name}", file=sys.stderr)
        measure(consumer, args, f"warmup-{tag}-{consumers.index(consumer)}")
    runs = []
    for round_ in range(args.runs):
        results = {}
        order = consumers[round_ % len(consumers):] + consumers[:round_ % len(consumers)]
        for consumer in order:
            group = f"bench-{tag}-{round_}-{consumers.index(consumer)}"
            result = measure(consumer, args, group)
            results[consumer.name] = result
            print(f"run {round_ + 1}/{args.runs} {consumer.name}: "
                  f"{result['records_per_second']:,.0f} records/s, "
                  f"{result['megabytes_per_second']:.1f} MB/s, "
                  f"{result['cpu_seconds']:.2f} CPU s", file=sys.stderr)
        runs.append(results)

    bytes_seen = {r["bytes"] for run in runs for r in run.values()}
    if len(bytes_seen) != 1:
        raise BenchError(f"consumers disagree on the topic's size in bytes: {sorted(bytes_seen)}")
    table = tables(consumers, runs)
    (OUT / "results.json").write_text(json.dumps({
        "brokers": args.brokers, "topic": args.topic, "records": args.records,
        "bytes": bytes_seen.pop(), "settings": dict(args.settings), "runs": runs,
    }, indent=2))
    (OUT / "results.md").write_text(table + "\n")
    print(table)
    print(f"\nfigures in {OUT / 'results.json'} and {OUT / 'results.md'}")


if __name__ == "__main__":
    try:
        main()
    except BenchError as err:
        sys.exit(f"kafka bench FAILED: {err}")
