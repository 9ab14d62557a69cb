//! Two outputs from Kafka at once: the bundled tweets into the project's
//! Elasticsearch-compatible test server (not a real cluster) and into a raw
//! archive. A `sluice` process SIGKILLed mid-stream and restarted leaves
//! each `_id` once in the index, every record at least once in the archive,
//! every complete file readable, and the group committed to the end; the
//! archive replayed through another chain fills a fresh index with every
//! distinct tweet.

mod common;
mod elasticsearch_support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

fn sluice<S: AsRef<std::ffi::OsStr>>(args: impl IntoIterator<Item = S>, log: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .env("RUST_LOG", "sluice=info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "sluice still running after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every complete archive file under `root`, decompressed by the stock
/// `zstd` tool; temporary files (a killed writer's) are listed apart.
fn archive_contents(root: &Path) -> (Vec<Vec<u8>>, Vec<PathBuf>) {
    let mut lines = Vec::new();
    let mut temporary = Vec::new();
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                folders.push(path);
            } else if name.starts_with('.') && name.ends_with(".tmp") {
                temporary.push(path);
            } else {
                assert!(
                    name.starts_with("part-") && name.ends_with(".ndjson.zst"),
                    "{name}"
                );
                let output = Command::new("zstd")
                    .args(["-d", "-c"])
                    .arg(&path)
                    .output()
                    .unwrap();
                assert!(
                    output.status.success(),
                    "zstd -d {name}: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
                let text = output.stdout;
                assert!(text.ends_with(b"\n"), "{name} ends mid-line");
                lines.extend(
                    text[..text.len() - 1]
                        .split(|&b| b == b'\n')
                        .map(<[u8]>::to_vec),
                );
            }
        }
    }
    (lines, temporary)
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
    let run_args = |summary: &str| -> Vec<std::ffi::OsString> {
        vec![
            "run".into(),
            "--config".into(),
            config.clone().into(),
            "--summary-json".into(),
            dir.path().join(summary).into(),
        ]
    };

    let mut first = sluice(run_args("first.json"), &dir.path().join("first.log"));
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
    assert!(!wait_exit(&mut first, Duration::from_secs(10)).success());
    let indexed_before = count(&server.url(), "tweets");
    assert!(
        indexed_before < distinct.len() as u64,
        "killed mid-stream: {indexed_before}"
    );

    server.set_faults(Faults::default()).unwrap();
    let mut second = sluice(run_args("second.json"), &dir.path().join("second.log"));
    let status = wait_exit(&mut second, Duration::from_secs(300));
    let mut log = String::new();
    std::fs::File::open(dir.path().join("second.log"))
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(status.success(), "{log}");

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
        "archive: {} lines for {} records ({} redelivered), {} temporary files left by the kill",
        archived.len(),
        records.len(),
        archived.len() - records.len(),
        temporary.len()
    );
    let second: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("second.json")).unwrap()).unwrap();
    assert_eq!(second["outputs"][1]["name"], "raw");
    assert_eq!(second["outputs"][1]["written"], second["records_in"]);

    // The archive through another chain (flatten only, no pruning) into a
    // fresh index.
    let replay = format!(
        "[source]\ntype = \"stdin\"\n{}\n[sink]\ntype = \"elasticsearch\"\nnodes = [\"{}\"]\nindex = \"replayed\"\n[dead_letter]\npath = \"replay-dead.ndjson\"\n",
        plugin_table("flatten-retweets", r#"{ mode = "embed" }"#, "{}"),
        server.url()
    );
    let replay_config = dir.path().join("replay.toml");
    std::fs::write(&replay_config, replay).unwrap();
    let archive = dir.path().join("archive");
    let mut replaying = sluice(
        [
            "replay".as_ref(),
            archive.as_os_str(),
            "--config".as_ref(),
            replay_config.as_os_str(),
        ],
        &dir.path().join("replay.log"),
    );
    let status = wait_exit(&mut replaying, Duration::from_secs(300));
    let log = std::fs::read_to_string(dir.path().join("replay.log")).unwrap();
    assert!(status.success(), "{log}");
    assert_eq!(count(&server.url(), "replayed"), distinct.len() as u64);
}
