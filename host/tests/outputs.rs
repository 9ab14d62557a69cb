//! Several outputs per pipeline: a raw archive beside the documents, read
//! back by the stock `zstd` and `gzip` tools and by `sluice replay`;
//! an output that fails stops the run or is detached; bad `[[outputs]]`
//! tables are refused with the key at fault.

mod archive_support;
mod common;
mod elasticsearch_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use archive_support::{decompressed_lines, files_under, replay, replay_with};
use common::*;
use elasticsearch_support::{count, default_chain, start_server};

/// Lines that are not tweets: dead letters at decode.
const MALFORMED: [&[u8]; 3] = [b"{\"id_str\": \"1\", \"text\": ", b"not json", b"[1, 2]"];

/// Every line of every file under `root`, as a multiset.
fn archived_lines(root: &Path) -> BTreeMap<Vec<u8>, usize> {
    let mut lines = BTreeMap::new();
    for file in files_under(root) {
        for line in decompressed_lines(&root.join(file)) {
            *lines.entry(line).or_default() += 1;
        }
    }
    lines
}

fn multiset(lines: &[Vec<u8>]) -> BTreeMap<Vec<u8>, usize> {
    let mut set = BTreeMap::new();
    for line in lines {
        *set.entry(line.clone()).or_default() += 1;
    }
    set
}

/// 200 real tweets and the malformed lines, into `dir/in.ndjson`.
fn input(dir: &Path) -> Vec<Vec<u8>> {
    let mut lines = tweets(200);
    lines.extend(MALFORMED.iter().map(|l| l.to_vec()));
    write_ndjson(&dir.join("in.ndjson"), &lines);
    lines
}

fn head(sink: &str) -> String {
    format!(
        "[source]\ntype = \"file\"\npaths = [\"in.ndjson\"]\n{}\n{sink}\n[dead_letter]\npath = \"dead.ndjson\"\n",
        default_chain()
    )
}

#[test]
fn a_raw_archive_holds_every_record_byte_for_byte_in_hour_folders() {
    let dir = tempfile::tempdir().unwrap();
    let lines = input(dir.path());
    let toml = head("[sink]\ntype = \"ndjson\"\npath = \"out.ndjson\"")
        + r#"
[[outputs]]
name = "raw-zstd"
type = "archive"
path = "raw-zstd"
stage = "raw"

[[outputs]]
name = "raw-gzip"
type = "archive"
path = "raw-gzip"
compression = "gzip"
stage = "raw"
dead_letters = false

[[outputs]]
name = "documents"
type = "archive"
path = "documents"
"#;
    let summary = run_pipeline(&toml, dir.path()).unwrap();
    assert!(summary.is_balanced(), "{summary}");
    assert_eq!(
        (summary.records_in, summary.written, summary.dead_lettered),
        (203, 200, 3)
    );
    let per_output: Vec<(&str, u64)> = summary
        .outputs
        .iter()
        .map(|o| (o.name.as_str(), o.written))
        .collect();
    assert_eq!(
        per_output,
        [
            ("sink", 200),
            ("raw-zstd", 203),
            ("raw-gzip", 200),
            ("documents", 200)
        ]
    );

    // The stock tools give back the exact input lines.
    assert_eq!(
        archived_lines(&dir.path().join("raw-zstd")),
        multiset(&lines)
    );
    assert_eq!(
        archived_lines(&dir.path().join("raw-gzip")),
        multiset(&lines[..200])
    );
    // The documents archive holds what the ndjson sink got.
    let written: Vec<Vec<u8>> = std::fs::read(dir.path().join("out.ndjson"))
        .unwrap()
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    assert_eq!(
        archived_lines(&dir.path().join("documents")),
        multiset(&written)
    );

    // A tweet is in the folder of its created_at hour; the malformed lines
    // (no readable time) in the folder of the hour they arrived.
    let first: serde_json::Value = serde_json::from_slice(&lines[0]).unwrap();
    let created = sluice::sink::parse_timestamp(first["created_at"].as_str().unwrap()).unwrap();
    let folder = created.format("%Y/%m/%d/%H").to_string();
    let files = files_under(&dir.path().join("raw-zstd"));
    let holding = |line: &[u8]| {
        files
            .iter()
            .filter(|f| {
                decompressed_lines(&dir.path().join("raw-zstd").join(f))
                    .iter()
                    .any(|l| l == line)
            })
            .map(|f| f.parent().unwrap().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(holding(&lines[0]), [folder]);
    let arrival = holding(MALFORMED[1]);
    assert_eq!(arrival.len(), 1);
    let hour = chrono::NaiveDateTime::parse_from_str(
        &format!("{}/00/00", arrival[0]),
        "%Y/%m/%d/%H/%M/%S",
    )
    .unwrap();
    let age = chrono::Utc::now().naive_utc() - hour;
    assert!(
        age >= chrono::TimeDelta::zero() && age < chrono::TimeDelta::hours(2),
        "{hour}"
    );
    // Only complete files are left, named as the layout says.
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy();
        assert!(
            name.starts_with("part-") && name.ends_with(".ndjson.zst"),
            "{}",
            file.display()
        );
    }
}

#[test]
fn files_roll_at_their_size_and_each_is_readable() {
    let dir = tempfile::tempdir().unwrap();
    let lines = input(dir.path());
    let toml = head("[sink]\ntype = \"null\"")
        + r#"
[[outputs]]
type = "archive"
path = "raw"
stage = "raw"
partition_by = "arrival"
max_bytes = 100000
"#;
    let summary = run_pipeline(&toml, dir.path()).unwrap();
    assert!(summary.is_balanced(), "{summary}");
    let root = dir.path().join("raw");
    let files = files_under(&root);
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    assert!(
        files.len() >= bytes / 100_000,
        "{bytes} bytes in {} files",
        files.len()
    );
    for file in &files {
        let size: usize = decompressed_lines(&root.join(file))
            .iter()
            .map(|l| l.len() + 1)
            .sum();
        // A file is closed with the line that takes it past the limit.
        assert!(size < 100_000 + 20_000, "{}: {size} bytes", file.display());
    }
    assert_eq!(archived_lines(&root), multiset(&lines));
}

#[test]
fn an_output_that_fails_stops_the_run_unless_it_may_be_detached() {
    let dir = tempfile::tempdir().unwrap();
    input(dir.path());
    // A file where this hour's year folder would go: the archive cannot
    // create its folder.
    let root = dir.path().join("raw");
    std::fs::create_dir_all(&root).unwrap();
    let year = chrono::Utc::now().format("%Y").to_string();
    std::fs::write(root.join(&year), "in the way").unwrap();
    let output = |on_failure: &str| {
        head("[sink]\ntype = \"ndjson\"\npath = \"out.ndjson\"")
            + &format!(
                "[[outputs]]\ntype = \"archive\"\npath = \"raw\"\nstage = \"raw\"\npartition_by = \"arrival\"\non_failure = \"{on_failure}\"\n"
            )
    };

    let error = format!(
        "{:#}",
        run_pipeline(&output("stop"), dir.path()).unwrap_err()
    );
    assert!(error.contains("output `archive`"), "{error}");
    assert!(error.contains(&year), "{error}");

    let summary = run_pipeline(&output("detach"), dir.path()).unwrap();
    assert!(summary.is_balanced(), "{summary}");
    assert_eq!(summary.written, 200);
    let archive = &summary.outputs[1];
    assert_eq!((archive.name.as_str(), archive.written), ("archive", 0));
    let reason = archive.detached.as_deref().expect("detached");
    assert!(reason.contains(&year), "{reason}");
    assert!(summary.to_string().contains("DETACHED"), "{summary}");
}

#[test]
fn a_replay_through_another_chain_indexes_every_distinct_tweet_once() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    let mut lines = input(dir.path());
    // Every tweet twice: an archive holds redeliveries too.
    lines.extend(tweets(200));
    write_ndjson(&dir.path().join("in.ndjson"), &lines);
    let toml = head("[sink]\ntype = \"null\"")
        + "[[outputs]]\ntype = \"archive\"\npath = \"raw\"\nstage = \"raw\"\n";
    let summary = run_pipeline(&toml, dir.path()).unwrap();
    assert_eq!(summary.outputs[1].written, 403);

    let output = replay(
        dir.path(),
        &dir.path().join("raw"),
        &server.url(),
        "replayed",
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let replayed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("replay.json")).unwrap()).unwrap();
    assert_eq!(replayed["records_in"], 403);
    assert_eq!(replayed["dead_lettered"], 3);
    let distinct: BTreeSet<String> = tweets(200)
        .iter()
        .map(|t| {
            serde_json::from_slice::<serde_json::Value>(t).unwrap()["id_str"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(count(&server.url(), "replayed"), distinct.len() as u64);

    // Replaying into the archive being read is refused.
    let into_itself = replay_with(
        &dir.path().join("raw"),
        &write_config(dir.path(), "self.toml", &toml),
        &dir.path().join("self.json"),
    );
    assert!(!into_itself.status.success());
    let stderr = String::from_utf8_lossy(&into_itself.stderr);
    assert!(
        stderr.contains("`outputs[0].path` is the archive being replayed"),
        "{stderr}"
    );
}

fn write_config(dir: &Path, name: &str, toml: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, toml).unwrap();
    path
}

fn error_of(outputs: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.ndjson"), "{}\n").unwrap();
    let toml = format!(
        "[source]\ntype = \"file\"\npaths = [\"in.ndjson\"]\n[sink]\ntype = \"null\"\n[dead_letter]\npath = \"dead.ndjson\"\n{outputs}"
    );
    format!("{:#}", run_pipeline(&toml, dir.path()).unwrap_err())
}

#[test]
fn bad_outputs_are_refused_with_the_key_at_fault() {
    let error = error_of("[[outputs]]\ntype = \"archive\"\npath = \"a\"\ncompresion = \"zstd\"\n");
    assert!(error.contains("unknown field `compresion`"), "{error}");

    let error = error_of("[[outputs]]\ntype = \"archive\"\npath = \"a\"\nmax_bytes = 0\n");
    assert_eq!(
        error,
        "invalid value for `outputs[0].max_bytes`: must be at least 1"
    );

    let error = error_of(
        "[[outputs]]\ntype = \"archive\"\npath = \"a\"\n[[outputs]]\ntype = \"archive\"\npath = \"b\"\n",
    );
    assert!(
        error.starts_with("invalid value for `outputs[1].name`: `archive` names two outputs"),
        "{error}"
    );

    let error = error_of("[[outputs]]\ntype = \"null\"\ndead_letters = false\n");
    assert!(
        error.starts_with("invalid value for `outputs[0].dead_letters`"),
        "{error}"
    );

    let error = error_of(
        "[[outputs]]\ntype = \"elasticsearch\"\nnodes = [\"http://localhost:9200\"]\nstage = \"raw\"\n",
    );
    assert!(
        error.starts_with("invalid value for `outputs[0].stage`"),
        "{error}"
    );

    let error = error_of("[[outputs]]\ntype = \"elasticsearch\"\nnodes = []\n");
    assert_eq!(error, "invalid value for `outputs[0].nodes`: lists no node");

    let error =
        error_of("[[outputs]]\ntype = \"archive\"\npath = \"a\"\non_failure = \"ignore\"\n");
    assert!(error.contains("unknown variant `ignore`"), "{error}");
}
