"""simdjson itself (the C++ library through PyPI's pysimdjson) parsing a
file, for comparison with `sluice bench parse` on the same file.

Usage: python3 simdjson_parse.py FILE [--whole-file] [--runs N]
NDJSON is parsed line by line with one reused parser (what a consumer does
per record); --whole-file parses the file as one document (simdjson's own
benchmark on twitter.json). Each run repeats passes for at least 0.5 s.
Prints one JSON line: MB/s and documents/s, median, min and max over runs.
"""

import argparse
import statistics
import time

import orjson
import simdjson


def measure(parse, documents, min_seconds=0.5):
    started = time.perf_counter()
    passes = 0
    while True:
        for document in documents:
            parse(document)
        passes += 1
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds:
            return elapsed / passes


def main():
    args = argparse.ArgumentParser()
    args.add_argument("file")
    args.add_argument("--whole-file", action="store_true")
    args.add_argument("--runs", type=int, default=5)
    args = args.parse_args()
    with open(args.file, "rb") as f:
        data = f.read()
    documents = [data] if args.whole_file else [l for l in data.split(b"\n") if l.strip()]
    size = sum(len(d) for d in documents)
    parser = simdjson.Parser()
    # The parser's document lives until the next parse; dropping the result
    # at once lets the parser be reused, as a streaming consumer would.
    parse = parser.parse
    measure(parse, documents, 0.1)
    seconds = [measure(parse, documents) for _ in range(args.runs)]
    mb = [size / 1e6 / s for s in seconds]
    docs = [len(documents) / s for s in seconds]
    print(orjson.dumps({
        "file": args.file,
        "documents": len(documents),
        "bytes": size,
        "simdjson_version": getattr(simdjson, "__version__", "?"),
        "megabytes_per_second": {"median": statistics.median(mb), "min": min(mb), "max": max(mb)},
        "documents_per_second": {"median": statistics.median(docs), "min": min(docs), "max": max(docs)},
    }).decode())


if __name__ == "__main__":
    main()
