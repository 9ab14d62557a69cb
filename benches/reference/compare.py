"""The reference comparisons of issue 6, in one run on one machine:

1. parse: simdjson (C++, via pysimdjson) vs `sluice bench parse` on the same
   files: data/twitter.json as one document, and every bundled NDJSON tweet
   line by line;
2. consumer: a Python consumer doing the default chain's work with orjson
   (orjson_consumer.py) vs `sluice run` with the default chain, both from the
   same NDJSON file to a _bulk body, in tweets per CPU-second.

Run through run.sh, which installs the pinned Python packages and builds
sluice and the plugins; SLUICE_BIN names another sluice binary. Writes the figures to target/bench/reference.json.
"""

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "target" / "bench"
SLUICE = Path(os.environ.get("SLUICE_BIN", REPO / "target" / "release" / "sluice"))
HERE = Path(__file__).resolve().parent
REPEAT = int(os.environ.get("REPEAT", "10"))
RUNS = os.environ.get("RUNS", "5")


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(args, **kw):
    print("$", " ".join(str(a) for a in args), file=sys.stderr)
    return subprocess.run([str(a) for a in args], check=True, cwd=REPO, **kw)


def json_line(args):
    return json.loads(run(args, capture_output=True, text=True).stdout.strip().splitlines()[-1])


def sluice_parse(file, whole_file):
    report = OUT / "parse.json"
    extra = ["--whole-file"] if whole_file else []
    run([SLUICE, "bench", "parse", file, "--runs", RUNS, "--json", report, *extra],
        stdout=subprocess.DEVNULL)
    return json.loads(report.read_text())


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    # Every bundled NDJSON tweet once, and REPEAT times for the consumers so
    # that process start and plugin compilation weigh little.
    lines = b"".join((REPO / "data" / name).read_bytes() for name in sorted(
        p.name for p in (REPO / "data").glob("*.ndjson")))
    once = OUT / "tweets.ndjson"
    once.write_bytes(lines)
    repeated = OUT / f"tweets-x{REPEAT}.ndjson"
    repeated.write_bytes(lines * REPEAT)

    results = {"parse": [], "consumer": {}}
    py = sys.executable
    for file, whole in [(REPO / "data" / "twitter.json", True), (once, False)]:
        extra = ["--whole-file"] if whole else []
        simdjson = json_line([py, HERE / "simdjson_parse.py", file, "--runs", RUNS, *extra])
        sluice = sluice_parse(file, whole)
        results["parse"].append({"file": str(file.relative_to(REPO)), "whole_file": whole,
                                 "simdjson": simdjson, "sluice": sluice})

    python = json_line([py, HERE / "orjson_consumer.py", repeated, OUT / "python.bulk.ndjson"])
    before = children_cpu()
    summary = OUT / "sluice-summary.json"
    run([SLUICE, "run", "--input", repeated, "--output", OUT / "sluice.bulk.ndjson",
         "--dead-letter", OUT / "sluice.dead-letter.ndjson", "--summary-json", summary],
        stdout=subprocess.DEVNULL)
    cpu = children_cpu() - before
    summary = json.loads(summary.read_text())
    results["consumer"] = {
        "input": str(repeated.relative_to(REPO)),
        "python_orjson": python,
        "sluice": {
            "records": summary["records_in"],
            "written": summary["written"],
            "cpu_seconds": cpu,
            "tweets_per_cpu_second": summary["records_in"] / cpu,
            "pipeline_records_per_second": summary["records_per_second"],
        },
    }
    (OUT / "reference.json").write_text(json.dumps(results, indent=2))

    print("parse (median MB/s over runs)")
    for p in results["parse"]:
        simd = p["simdjson"]["megabytes_per_second"]["median"]
        print(f"  {p['file']}{' (whole file)' if p['whole_file'] else ''}: "
              f"simdjson via pysimdjson {simd:.0f}")
        for r in p["sluice"]["results"]:
            mb = r["megabytes_per_second"]["median"]
            print(f"    {r['decoder']:<20} {mb:8.0f}  {mb / simd:5.2f}x simdjson")
    c = results["consumer"]
    py_rate = c["python_orjson"]["tweets_per_cpu_second"]
    sl_rate = c["sluice"]["tweets_per_cpu_second"]
    print(f"consumer on {c['input']} ({c['sluice']['records']} tweets), tweets per CPU-second")
    print(f"  python + orjson   {py_rate:10.0f}  (written {c['python_orjson']['written']})")
    print(f"  sluice run        {sl_rate:10.0f}  (written {c['sluice']['written']}; "
          f"pipeline alone {c['sluice']['pipeline_records_per_second']:.0f} records/s wall)")
    print(f"  sluice / python   {sl_rate / py_rate:10.2f}x")
    print(f"figures in {OUT / 'reference.json'}")


if __name__ == "__main__":
    main()
