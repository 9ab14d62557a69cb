//! Two outputs from Kafka at once: the bundled tweets into the project's
//! Elasticsearch-compatible test server (not a real cluster) and into a raw
//! archive. A `sluice` process SIGKILLed mid-stream and restarted leaves
//! each `_id` once in the index, every record at least once in the archive,
//! every complete file readable, and the group committed to the end; the
//! archive replayed through another chain fills a fresh index with every
//! distinct tweet.

mod archive_support;
mod common;
mod elasticsearch_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use archive_support::{decompressed_lines, files_under, is_temporary, replay};
use common::*;
use elasticsearch_support::{count, default_chain, http, start_server, tweet_lines};
use es_test_server::Faults;
use sluice_kafka_testkit::{Broker, Storage};

const GROUP: &str = "sluice-outputs";
const TOPIC: &str = "tweets";

/// The 4,011 bundled tweets as Kafka records: the NDJSON sets' lines as
/// they are, the search API statuses as compact JSON.
fn bundled_tweets() -> Vec<Vec<u8>> {
    let mut records: Vec<Vec<u8>> = search_api_tweets()
        .iter()
        .map(|t| serde_json::to_vec(t).unwrap())
        .collect();
    for name in [
        "python-twitter-testdata.ndjson",
        "rtweet-fixtures.ndjson",
        "sfm-twitter-harvester-warcs.ndjson",
        "tweepy-cassettes.ndjson",
    ] {
        records.extend(tweet_lines(name));
    }
    records
}

fn pipeline_file(dir: &Path, broker: &Broker, es: &str) -> PathBuf {
    let toml = format!(
        r#"
[source]
type = "kafka"
brokers = ["{brokers}"]
topics = ["{TOPIC}"]
group_id = "{GROUP}"
stop_at_end = true

[source.settings]
"session.timeout.ms" = 6000
"heartbeat.interval.ms" = 500

{chain}

[sink]
type = "elasticsearch"
nodes = ["{es}"]
index = "tweets"
batch = {{ max_documents = 50 }}
max_in_flight = 1
retry = {{ initial_backoff_ms = 5, max_backoff_ms = 200 }}

[[outputs]]
name = "raw"
type = "archive"
path = "archive"
stage = "raw"

[dead_letter]
path = "dead.ndjson"

[pipeline]
batch_size = 50
commit_interval_ms = 300
"#,
        brokers = broker.bootstrap_servers(),
        chain = default_chain(),
    );
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// `sluice run` on the pipeline file, its summary to `dir/NAME.json`.
fn run_command(dir: &Path, config: &Path, name: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sluice"));
    command
        .arg("run")
        .arg("--config")
        .arg(config)
        .arg("--summary-json")
        .arg(dir.join(format!("{name}.json")))
        .env("RUST_LOG", "sluice=info");
    command
}

/// Every line of the complete archive files under `root`, decompressed by
/// the stock `zstd` tool, and how many temporary files (a killed writer's)
/// there are beside them.
fn archive_contents(root: &Path) -> (Vec<Vec<u8>>, usize) {
    let files = files_under(root);
    let (temporary, complete): (Vec<_>, Vec<_>) = files.iter().partition(|f| is_temporary(f));
    let mut lines = Vec::new();
    for file in complete {
        let name = file.file_name().unwrap().to_string_lossy();
        assert!(
            name.starts_with("part-") && name.ends_with(".ndjson.zst"),
            "{name}"
        );
        lines.extend(decompressed_lines(&root.join(file)));
    }
    (lines, temporary.len())
}

/// Documents in `tweets` so far; none before the first request creates it.
fn indexed_so_far(url: &str) -> u64 {
    match http(url, "GET", "/tweets/_count", None) {
        (404, _) => 0,
        _ => count(url, "tweets"),
    }
}

fn id_of(record: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(record).unwrap()["id_str"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn killed_mid_stream_and_restarted_the_index_and_the_archive_hold_every_tweet() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(Storage::Sqlite(dir.path().join("broker.db")));
    broker.create_topic(TOPIC, 3);
    let records = bundled_tweets();
    broker.produce(TOPIC, &records);
    let distinct: BTreeSet<String> = records.iter().map(|r| id_of(r)).collect();

    // Slow answers keep the first run busy long enough to kill it.
    let server = start_server();
    server
        .set_faults(Faults {
            delay_ms: 40,
            ..Faults::default()
        })
        .unwrap();
    let config = pipeline_file(dir.path(), &broker, &server.url());
    let mut first = run_command(dir.path(), &config, "first")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("first.log")).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while indexed_so_far(&server.url()) < 1000 {
        assert!(
            Instant::now() < deadline,
            "the first run indexed under 1000 tweets in 2 minutes"
        );
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first run ended before it was killed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    first.kill().unwrap(); // SIGKILL
    assert!(!first.wait().unwrap().success());
    let indexed_before = count(&server.url(), "tweets");
    assert!(
        indexed_before < distinct.len() as u64,
        "killed mid-stream: {indexed_before}"
    );

    server.set_faults(Faults::default()).unwrap();
    let second = run_command(dir.path(), &config, "second").output().unwrap();
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );

    // Each _id once: the index holds exactly the distinct tweets.
    assert_eq!(count(&server.url(), "tweets"), distinct.len() as u64);
    assert_eq!(
        broker.committed_offsets(GROUP, TOPIC),
        broker.end_offsets(TOPIC)
    );
    // Every record at least once, byte for byte, and nothing else.
    let (archived, temporary) = archive_contents(&dir.path().join("archive"));
    let mut times: BTreeMap<&[u8], usize> = BTreeMap::new();
    for line in &archived {
        *times.entry(line.as_slice()).or_default() += 1;
    }
    let produced: BTreeSet<&[u8]> = records.iter().map(Vec::as_slice).collect();
    assert_eq!(times.keys().copied().collect::<BTreeSet<_>>(), produced);
    eprintln!(
        "archive: {} lines for {} records ({} redelivered), {temporary} temporary files left by the kill",
        archived.len(),
        records.len(),
        archived.len() - records.len(),
    );
    let second: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("second.json")).unwrap()).unwrap();
    assert_eq!(second["outputs"][1]["name"], "raw");
    assert_eq!(second["outputs"][1]["written"], second["records_in"]);

    // The archive through another chain into a fresh index.
    let replayed = replay(
        dir.path(),
        &dir.path().join("archive"),
        &server.url(),
        "replayed",
    );
    assert!(
        replayed.status.success(),
        "{}",
        String::from_utf8_lossy(&replayed.stderr)
    );
    assert_eq!(count(&server.url(), "replayed"), distinct.len() as u64);
}
