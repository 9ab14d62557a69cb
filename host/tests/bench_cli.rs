//! `sluice bench parse` and `sluice bench pipeline` as a user runs them: on
//! small real inputs they print the table, draw the chart, and refuse bad
//! input files with an error that names the file. Nothing here asserts a
//! speed: timings depend on the machine.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

fn sluice(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The first `n` tweets of data/tweepy-cassettes.ndjson, in their own file.
fn tweepy_tweets(dir: &Path, n: usize) -> std::path::PathBuf {
    let text = std::fs::read_to_string(repo_root().join("data/tweepy-cassettes.ndjson")).unwrap();
    let lines: Vec<Vec<u8>> = text
        .lines()
        .take(n)
        .map(|l| l.as_bytes().to_vec())
        .collect();
    let path = dir.join("tweets.ndjson");
    write_ndjson(&path, &lines);
    path
}

const DECODERS: [&str; 5] = [
    "simd-json borrowed",
    "simd-json owned",
    "simd-json tape",
    "serde_json Value",
    "sonic-rs Value",
];

#[test]
fn parse_prints_every_decoder_and_draws_the_chart() {
    let dir = tempfile::tempdir().unwrap();
    let file = tweepy_tweets(dir.path(), 20);
    let chart = dir.path().join("parse.svg");
    let json = dir.path().join("parse.json");
    let out = sluice(
        &[
            "bench",
            "parse",
            file.to_str().unwrap(),
            "--runs",
            "2",
            "--min-run-ms",
            "5",
            "--chart",
            chart.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ],
        dir.path(),
    );
    let table = stdout(&out);
    assert!(out.status.success(), "{table}\n{}", stderr(&out));
    assert!(table.contains("20 documents"), "{table}");
    assert!(table.contains("2 runs"), "{table}");
    for decoder in DECODERS {
        assert!(
            table.lines().any(|l| l.starts_with(decoder)),
            "no row for {decoder}:\n{table}"
        );
    }
    let serde_row = table.lines().find(|l| l.starts_with("serde_json")).unwrap();
    assert!(serde_row.ends_with("1.00x"), "{serde_row}");

    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<rect x=").count(), 5, "one bar per decoder");
    for decoder in DECODERS {
        assert!(svg.contains(decoder), "{decoder} is not labelled");
    }

    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["documents"], 20);
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    for result in results {
        let mb = &result["megabytes_per_second"];
        assert!(mb["min"].as_f64().unwrap() > 0.0, "{result}");
        assert!(mb["min"].as_f64() <= mb["median"].as_f64());
        assert!(mb["median"].as_f64() <= mb["max"].as_f64());
    }
}

#[test]
fn parse_reads_a_search_api_file_per_status_or_whole() {
    let twitter = repo_root().join("data/twitter.json");
    let twitter = twitter.to_str().unwrap();
    let fast = ["--runs", "1", "--min-run-ms", "1"];

    let out = sluice(
        &[&["bench", "parse", twitter][..], &fast].concat(),
        &repo_root(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // data/README.md: 100 statuses in the envelope.
    assert!(stdout(&out).contains(": 100 documents"), "{}", stdout(&out));

    let out = sluice(
        &[&["bench", "parse", twitter, "--whole-file"][..], &fast].concat(),
        &repo_root(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // data/README.md: the file is 631,515 bytes.
    assert!(
        stdout(&out).contains(": 1 documents, 631515 bytes"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn parse_leaves_out_a_broken_line_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = tweepy_tweets(dir.path(), 3);
    let mut text = std::fs::read(&file).unwrap();
    text.extend_from_slice(b"{\"id_str\": \"1\", \"text\": \n");
    std::fs::write(&file, text).unwrap();
    let out = sluice(
        &[
            "bench",
            "parse",
            file.to_str().unwrap(),
            "--runs",
            "1",
            "--min-run-ms",
            "1",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("3 documents"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("1 record(s) left out"),
        "{}",
        stdout(&out)
    );
}

/// Runs `bench parse` on `file` and returns its error output, after checking
/// that it failed.
fn parse_error(file: &Path) -> String {
    let out = sluice(
        &["bench", "parse", file.to_str().unwrap(), "--runs", "1"],
        file.parent().unwrap(),
    );
    assert!(!out.status.success(), "{}", stdout(&out));
    assert!(
        stdout(&out).is_empty(),
        "no table on failure: {}",
        stdout(&out)
    );
    stderr(&out)
}

#[test]
fn parse_refuses_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such.ndjson");
    let error = parse_error(&missing);
    assert!(
        error.contains(&format!("{} does not exist", missing.display())),
        "{error}"
    );
}

#[test]
fn parse_refuses_an_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.ndjson");
    std::fs::write(&empty, "\n\n").unwrap();
    let error = parse_error(&empty);
    assert!(
        error.contains(&format!("{} is empty", empty.display())),
        "{error}"
    );
}

#[test]
fn parse_refuses_a_file_without_json() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.ndjson");
    std::fs::write(&text, "hello\nworld\n").unwrap();
    let error = parse_error(&text);
    assert!(
        error.contains(&format!(
            "{} holds no parseable JSON document: 2 record(s)",
            text.display()
        )),
        "{error}"
    );
}

#[test]
fn pipeline_compares_the_chains_into_both_sinks() {
    plugin("identity");
    plugin("flatten-retweets");
    plugin("prune-fields");
    let dir = tempfile::tempdir().unwrap();
    let file = tweepy_tweets(dir.path(), 30);
    let chart = dir.path().join("pipeline.svg");
    let json = dir.path().join("pipeline.json");
    let out = sluice(
        &[
            "bench",
            "pipeline",
            "--input",
            file.to_str().unwrap(),
            "--runs",
            "1",
            "--workers",
            "1,2",
            "--chart",
            chart.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ],
        &repo_root(),
    );
    let table = stdout(&out);
    assert!(out.status.success(), "{table}\n{}", stderr(&out));
    for row in [
        "none -> null",
        "none -> bulk",
        "identity -> null",
        "identity -> bulk",
        "default -> null",
        "default -> bulk",
        "native -> null",
        "native -> bulk",
    ] {
        for workers in ["1 worker", "2 workers"] {
            assert!(
                table
                    .lines()
                    .any(|l| l.starts_with(&format!("{row}, {workers} "))),
                "no row {row}, {workers}:\n{table}"
            );
        }
    }
    assert!(table.contains("plugin flatten-retweets:"), "{table}");
    assert!(table.contains("plugin prune-fields:"), "{table}");

    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 16);
    for row in rows {
        // All 30 are tweets: every chain writes every one of them.
        assert_eq!(row["records_in"], 30, "{row}");
        assert_eq!(row["written"], 30, "{row}");
        assert!(row["peak_rss_kib"].as_u64().unwrap() > 0, "{row}");
        assert!(
            row["records_per_cpu_second"]["median"].as_f64().unwrap() > 0.0,
            "{row}"
        );
    }
    let workers: Vec<u64> = rows
        .iter()
        .map(|r| r["workers"].as_u64().unwrap())
        .collect();
    assert_eq!(
        workers.iter().filter(|&&w| w == 2).count(),
        8,
        "{workers:?}"
    );
    // The same filters compiled natively: what WASM costs, as a ratio.
    assert!(
        table.contains("WASM / native, default -> bulk, 1 worker: "),
        "{table}"
    );
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert_eq!(svg.matches("<rect x=").count(), 16);
    assert!(svg.contains("identity -&gt; bulk"), "{svg}");
}

#[test]
fn pipeline_names_a_missing_plugin_and_how_to_build_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = tweepy_tweets(dir.path(), 2);
    let out = sluice(
        &[
            "bench",
            "pipeline",
            "--input",
            file.to_str().unwrap(),
            "--plugins",
            "identity",
            "--plugin-dir",
            dir.path().join("nowhere").to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(!out.status.success(), "{}", stdout(&out));
    let error = stderr(&out);
    assert!(error.contains("identity.wasm is not a file"), "{error}");
    assert!(error.contains("make plugins"), "{error}");
}

#[test]
fn pipeline_names_a_missing_input() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone.ndjson");
    let out = sluice(
        &[
            "bench",
            "pipeline",
            "--input",
            missing.to_str().unwrap(),
            "--plugins",
            "none",
        ],
        dir.path(),
    );
    assert!(!out.status.success(), "{}", stdout(&out));
    let error = stderr(&out);
    assert!(
        error.contains(&format!("{} does not exist", missing.display())),
        "{error}"
    );
}
