//! Several pipelines in one `sluice run` process (repeated `--config`), one
//! topic each, against a real Kafka-protocol broker (nisshi): every pipeline
//! writes exactly its own topic's records, reports under its own name and
//! commits its own group to the end; a bad file stops the start.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use sluice_kafka_testkit::{Broker, Storage};

/// Lines of data/rtweet-fixtures.ndjson: `count` tweets from line `skip`.
fn tweets(skip: usize, count: usize) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(repo_root().join("data/rtweet-fixtures.ndjson")).unwrap();
    let lines: Vec<Vec<u8>> = text
        .lines()
        .skip(skip)
        .take(count)
        .map(|line| line.as_bytes().to_vec())
        .collect();
    assert_eq!(lines.len(), count);
    lines
}

fn ids_of(lines: &[Vec<u8>]) -> BTreeSet<String> {
    lines
        .iter()
        .map(|line| {
            let tweet: serde_json::Value = serde_json::from_slice(line).unwrap();
            tweet["id_str"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// The `id_str` of every document in an NDJSON output, in file order.
fn written_ids(path: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .map(|doc| doc["id_str"].as_str().unwrap().to_owned())
        .collect()
}

/// One pipeline file: its topic in, `NAME.out.ndjson` and
/// `NAME.dead.ndjson` out, through the flatten-retweets plugin (so the
/// pipelines share a compiled plugin).
struct PipelineFile<'a> {
    name: &'a str,
    topic: &'a str,
    group: &'a str,
    stop_at_end: bool,
}

impl PipelineFile<'_> {
    fn write(&self, dir: &Path, broker: &Broker) -> PathBuf {
        let toml = format!(
            r#"
[source]
type = "kafka"
brokers = ["{brokers}"]
topics = ["{topic}"]
group_id = "{group}"
stop_at_end = {stop_at_end}

[source.settings]
"session.timeout.ms" = 6000
"heartbeat.interval.ms" = 500

[[plugins]]
name = "flatten-retweets"
path = "{flatten}"
config = {{ mode = "embed" }}

[sink]
type = "ndjson"
path = "{name}.out.ndjson"

[dead_letter]
path = "{name}.dead.ndjson"

[pipeline]
batch_size = 16
commit_interval_ms = 200
"#,
            brokers = broker.bootstrap_servers(),
            topic = self.topic,
            group = self.group,
            stop_at_end = self.stop_at_end,
            flatten = plugin("flatten-retweets").display(),
            name = self.name,
        );
        let path = dir.join(format!("{}.toml", self.name));
        std::fs::write(&path, toml).unwrap();
        path
    }
}

/// `sluice run --config A --config B ... --summary-json DIR/summary.json`.
fn sluice_run(dir: &Path, configs: &[PathBuf]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sluice"));
    command.arg("run");
    for config in configs {
        command.arg("--config").arg(config);
    }
    command
        .arg("--summary-json")
        .arg(dir.join("summary.json"))
        .env("RUST_LOG", "sluice=info");
    command
}

fn show(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn summaries(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap()
}

/// Lines that are not tweets, mixed into the first topic.
const MALFORMED: [&[u8]; 2] = [b"{\"id_str\": \"1\", \"text\": ", b"not json at all"];

#[test]
fn two_pipelines_each_write_exactly_their_topic_and_commit_to_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(Storage::Sqlite(dir.path().join("broker.db")));
    let alpha_tweets = tweets(0, 120);
    let beta_tweets = tweets(120, 75);
    let (alpha_ids, beta_ids) = (ids_of(&alpha_tweets), ids_of(&beta_tweets));
    assert_eq!((alpha_ids.len(), beta_ids.len()), (120, 75));
    assert!(alpha_ids.is_disjoint(&beta_ids));

    broker.create_topic("alpha", 3);
    broker.create_topic("beta", 2);
    let mut alpha_lines = alpha_tweets.clone();
    alpha_lines.insert(10, MALFORMED[0].to_vec());
    alpha_lines.insert(70, MALFORMED[1].to_vec());
    broker.produce("alpha", &alpha_lines);
    broker.produce("beta", &beta_tweets);

    let configs = [
        PipelineFile {
            name: "alpha",
            topic: "alpha",
            group: "sluice-alpha",
            stop_at_end: true,
        }
        .write(dir.path(), &broker),
        PipelineFile {
            name: "beta",
            topic: "beta",
            group: "sluice-beta",
            stop_at_end: true,
        }
        .write(dir.path(), &broker),
    ];
    let run = sluice_run(dir.path(), &configs).output().unwrap();
    assert!(run.status.success(), "{}", show(&run));

    let stdout = String::from_utf8_lossy(&run.stdout);
    for name in ["alpha", "beta"] {
        assert!(
            stdout.contains(&format!("pipeline {name} (")),
            "no summary for {name}:\n{stdout}"
        );
    }
    assert_eq!(
        stdout
            .matches("in + split = written + dropped + dead-lettered: ok")
            .count(),
        2,
        "{stdout}"
    );

    let summaries = summaries(dir.path());
    let alpha = &summaries["alpha"];
    assert_eq!(alpha["records_in"], 122);
    assert_eq!(alpha["written"], 120);
    assert_eq!(alpha["dead_lettered"], 2);
    assert_eq!(alpha["dropped"], 0);
    let beta = &summaries["beta"];
    assert_eq!(beta["records_in"], 75);
    assert_eq!(beta["written"], 75);
    assert_eq!(beta["dead_lettered"], 0);
    assert_eq!(beta["dropped"], 0);

    let alpha_written = written_ids(&dir.path().join("alpha.out.ndjson"));
    assert_eq!(alpha_written.len(), 120);
    assert_eq!(
        alpha_written.into_iter().collect::<BTreeSet<_>>(),
        alpha_ids
    );
    let beta_written = written_ids(&dir.path().join("beta.out.ndjson"));
    assert_eq!(beta_written.len(), 75);
    assert_eq!(beta_written.into_iter().collect::<BTreeSet<_>>(), beta_ids);

    let alpha_dead = read_json_lines(&dir.path().join("alpha.dead.ndjson"));
    assert_eq!(alpha_dead.len(), 2);
    assert!(
        alpha_dead
            .iter()
            .all(|letter| letter["source"] == "alpha" && letter["stage"] == "decode")
    );
    assert!(read_json_lines(&dir.path().join("beta.dead.ndjson")).is_empty());

    assert_eq!(
        broker.committed_offsets("sluice-alpha", "alpha"),
        broker.end_offsets("alpha")
    );
    assert_eq!(
        broker
            .end_offsets("alpha")
            .iter()
            .map(|(_, end)| end)
            .sum::<i64>(),
        122
    );
    assert_eq!(
        broker.committed_offsets("sluice-beta", "beta"),
        broker.end_offsets("beta")
    );
}

/// Polls `condition` every 50 ms until it holds, failing after `limit`.
fn wait_for(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "{what}: not after {limit:?}");
        thread::sleep(Duration::from_millis(50));
    }
}

/// Sends SIGTERM and waits (at most 30 s) for the process to exit.
fn stop(run: &mut Child) -> ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &run.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = run.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "sluice still running after SIGTERM"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigterm_stops_every_pipeline_and_each_drains_and_commits() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(Storage::Sqlite(dir.path().join("broker.db")));
    let alpha_tweets = tweets(300, 90);
    let beta_tweets = tweets(400, 40);
    broker.create_topic("alpha", 2);
    broker.create_topic("beta", 2);
    broker.produce("alpha", &alpha_tweets);
    broker.produce("beta", &beta_tweets);
    let configs = [("alpha", "sluice-alpha"), ("beta", "sluice-beta")].map(|(name, group)| {
        PipelineFile {
            name,
            topic: name,
            group,
            stop_at_end: false,
        }
        .write(dir.path(), &broker)
    });

    let log = std::fs::File::create(dir.path().join("run.log")).unwrap();
    let mut run = sluice_run(dir.path(), &configs)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let (alpha_out, beta_out) = (
        dir.path().join("alpha.out.ndjson"),
        dir.path().join("beta.out.ndjson"),
    );
    wait_for(
        "both pipelines write their whole topic",
        Duration::from_secs(60),
        || written_ids(&alpha_out).len() == 90 && written_ids(&beta_out).len() == 40,
    );
    let status = stop(&mut run);
    let log = std::fs::read_to_string(dir.path().join("run.log")).unwrap();
    assert!(status.success(), "{status}\n{log}");

    let summaries = summaries(dir.path());
    for (name, count) in [("alpha", 90), ("beta", 40)] {
        let summary = &summaries[name];
        assert_eq!(summary["interrupted"], true, "{name}");
        assert_eq!(summary["records_in"], count, "{name}");
        assert_eq!(summary["written"], count, "{name}");
    }
    assert_eq!(
        written_ids(&alpha_out).into_iter().collect::<BTreeSet<_>>(),
        ids_of(&alpha_tweets)
    );
    assert_eq!(
        written_ids(&beta_out).into_iter().collect::<BTreeSet<_>>(),
        ids_of(&beta_tweets)
    );
    for (group, topic) in [("sluice-alpha", "alpha"), ("sluice-beta", "beta")] {
        assert_eq!(
            broker.committed_offsets(group, topic),
            broker.end_offsets(topic),
            "{group}"
        );
    }
}

#[test]
fn an_invalid_second_file_fails_the_start_naming_it_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(Storage::Sqlite(dir.path().join("broker.db")));
    broker.create_topic("alpha", 2);
    broker.produce("alpha", &tweets(0, 30));
    let alpha = PipelineFile {
        name: "alpha",
        topic: "alpha",
        group: "sluice-alpha",
        stop_at_end: true,
    }
    .write(dir.path(), &broker);
    let beta = PipelineFile {
        name: "beta",
        topic: "beta",
        group: " ",
        stop_at_end: true,
    }
    .write(dir.path(), &broker);

    let run = sluice_run(dir.path(), &[alpha, beta.clone()])
        .output()
        .unwrap();
    assert!(!run.status.success(), "{}", show(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(&format!(
            "pipeline file {}: invalid value for `source.group_id`: is empty",
            beta.display()
        )),
        "{stderr}"
    );
    // The valid pipeline was not even built: no output file, nothing read
    // or committed.
    assert!(!dir.path().join("alpha.out.ndjson").exists());
    assert!(!dir.path().join("summary.json").exists());
    assert!(broker.committed_offsets("sluice-alpha", "alpha").is_empty());
}

/// A file pipeline reading the 100 statuses of data/twitter.json.
fn file_pipeline(dir: &Path, name: &str, sink_path: &str) -> PathBuf {
    let toml = format!(
        "[source]\ntype = \"file\"\npaths = [\"{}\"]\n[sink]\ntype = \"ndjson\"\npath = \"{sink_path}\"\n[dead_letter]\npath = \"{name}.dead.ndjson\"\n",
        repo_root().join("data/twitter.json").display()
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, toml).unwrap();
    path
}

#[test]
fn overrides_and_a_shared_output_file_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = file_pipeline(dir.path(), "first", "first.out.ndjson");
    let second = file_pipeline(dir.path(), "second", "first.out.ndjson");

    let run = sluice_run(dir.path(), &[first.clone(), second.clone()])
        .args(["--output", "elsewhere.ndjson"])
        .output()
        .unwrap();
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("--output cannot be used with several --config files"),
        "{stderr}"
    );

    let run = sluice_run(dir.path(), &[first.clone(), second.clone()])
        .output()
        .unwrap();
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(&format!(
            "{} (`sink.path`) and {} (`sink.path`) both use {}",
            first.display(),
            second.display(),
            dir.path().join("first.out.ndjson").display()
        )),
        "{stderr}"
    );
    assert!(!dir.path().join("first.out.ndjson").exists());
}

#[test]
fn a_failing_pipeline_leaves_the_others_running_and_fails_the_process() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(Storage::Sqlite(dir.path().join("broker.db")));
    let healthy_tweets = tweets(500, 30);
    broker.create_topic("healthy", 2);
    broker.produce("healthy", &healthy_tweets);
    // A stream pipeline: it runs until it is stopped.
    let healthy = PipelineFile {
        name: "healthy",
        topic: "healthy",
        group: "sluice-healthy",
        stop_at_end: false,
    }
    .write(dir.path(), &broker);
    // Its one malformed line becomes a dead letter for a Kafka topic on a
    // port nobody listens on: the flush that waits for it fails the run.
    let mut lines = tweets(0, 20);
    lines.insert(5, MALFORMED[1].to_vec());
    write_ndjson(&dir.path().join("broken.ndjson"), &lines);
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        format!(
            "[source]\ntype = \"file\"\npaths = [\"broken.ndjson\"]\n[sink]\ntype = \"null\"\n\
             [dead_letter]\ntype = \"kafka\"\nbrokers = [\"{closed}\"]\ntopic = \"dead\"\n\
             [dead_letter.settings]\n\"message.timeout.ms\" = 3000\n"
        ),
    )
    .unwrap();

    let log_path = dir.path().join("run.log");
    let mut run = sluice_run(dir.path(), &[broken, healthy])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let log = || std::fs::read_to_string(&log_path).unwrap();
    let out = dir.path().join("healthy.out.ndjson");
    wait_for(
        "the broken pipeline fails and the healthy one writes its topic",
        Duration::from_secs(60),
        || {
            log().contains("error: pipeline broken failed: ")
                && written_ids(&out).len() == healthy_tweets.len()
        },
    );
    assert!(
        run.try_wait().unwrap().is_none(),
        "the healthy pipeline was stopped by the other's failure:\n{}",
        log()
    );
    let status = stop(&mut run);
    assert_eq!(status.code(), Some(1), "{}", log());
    assert!(
        log().contains("error: 1 of 2 pipelines failed or did not balance: broken"),
        "{}",
        log()
    );
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut run.stdout.take().unwrap(), &mut stdout).unwrap();
    assert!(stdout.contains("pipeline healthy ("), "{stdout}");
    assert!(!stdout.contains("pipeline broken ("), "{stdout}");

    let summaries = summaries(dir.path());
    let healthy = &summaries["healthy"];
    assert_eq!(healthy["interrupted"], true);
    assert_eq!(healthy["records_in"], 30);
    assert_eq!(healthy["written"], 30);
    let error = summaries["broken"]["error"].as_str().unwrap();
    assert!(error.contains("not acknowledged by the brokers"), "{error}");
    assert_eq!(
        written_ids(&out).into_iter().collect::<BTreeSet<_>>(),
        ids_of(&healthy_tweets)
    );
    assert_eq!(
        broker.committed_offsets("sluice-healthy", "healthy"),
        broker.end_offsets("healthy")
    );
}
