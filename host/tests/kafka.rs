//! The Kafka source against a real Kafka-protocol broker (nisshi): every
//! record accounted for, offsets committed to the end, and nothing lost or
//! written twice when a `sluice` process is killed, when a member of a
//! group of several processes dies or is restarted, or when the broker
//! restarts.

mod common;
mod elasticsearch_support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use elasticsearch_support::{count, http, start_server};
use sluice_kafka_testkit::{Broker, Storage};

const GROUP: &str = "sluice";
const TOPIC: &str = "tweets";

/// Lines that are not tweets, one per way input goes wrong.
const MALFORMED: [&[u8]; 5] = [
    b"{\"id_str\": \"1\", \"text\": ",
    b"not json at all",
    b"[1, 2, 3]",
    b"{\"user\": {\"id\": 1}}}",
    b"\xff\xfe{\"text\": \"bad utf-8\"}",
];

fn id_str(json: &serde_json::Value) -> String {
    json["id_str"].as_str().unwrap().to_owned()
}

fn ids_of(lines: &[Vec<u8>]) -> BTreeSet<String> {
    lines
        .iter()
        .map(|line| id_str(&serde_json::from_slice(line).unwrap()))
        .collect()
}

/// The `id_str` of every document in an NDJSON output. A process killed
/// mid-write may leave its last line cut short: that record was not
/// committed, so it is redelivered and does not count here.
fn written_ids(path: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .map(|doc| id_str(&doc))
        .collect()
}

/// The `id_str` of every dead letter that holds a tweet.
fn dead_letter_ids(path: &Path) -> Vec<String> {
    read_json_lines(path)
        .iter()
        .filter_map(|letter| letter["original"].as_str())
        .filter_map(|original| serde_json::from_str::<serde_json::Value>(original).ok())
        .filter_map(|doc| doc["id_str"].as_str().map(str::to_owned))
        .collect()
}

/// Where a pipeline writes its documents.
#[derive(Clone, Copy)]
enum Sink<'a> {
    /// `NAME.out.ndjson` in the test's directory.
    Ndjson,
    /// Index `tweets` on the test Elasticsearch server at this URL.
    Elasticsearch(&'a str),
}

struct Pipeline<'a> {
    broker: &'a Broker,
    topics: &'a [&'a str],
    stop_at_end: bool,
    /// `id_str`s the chaos plugin loops on past its deadline: each costs a
    /// plugin timeout, which keeps a run going long enough to interrupt it.
    slow_on: &'a [String],
    sink: Sink<'a>,
}

impl<'a> Pipeline<'a> {
    /// Reads [`TOPIC`] until stopped and writes NDJSON.
    fn new(broker: &'a Broker) -> Self {
        Pipeline {
            broker,
            topics: &[TOPIC],
            stop_at_end: false,
            slow_on: &[],
            sink: Sink::Ndjson,
        }
    }

    /// Writes the pipeline file for run `name` into `dir`.
    fn write(&self, dir: &Path, name: &str) -> PathBuf {
        let slow_on = serde_json::to_string(self.slow_on).unwrap();
        let topics = serde_json::to_string(self.topics).unwrap();
        let sink = match self.sink {
            Sink::Ndjson => format!("type = \"ndjson\"\npath = \"{name}.out.ndjson\""),
            Sink::Elasticsearch(url) => format!(
                "type = \"elasticsearch\"\nnodes = [\"{url}\"]\nindex = \"{TOPIC}\"\n\
                 retry = {{ initial_backoff_ms = 5, max_backoff_ms = 200 }}"
            ),
        };
        let toml = format!(
            r#"
[source]
type = "kafka"
brokers = ["{brokers}"]
topics = {topics}
group_id = "{GROUP}"
stop_at_end = {stop_at_end}

[source.settings]
"session.timeout.ms" = 6000
"heartbeat.interval.ms" = 500

[[plugins]]
name = "chaos"
path = "{chaos}"
config = {{ loop_on = {slow_on} }}
limits = {{ timeout_ms = 400 }}

[[plugins]]
name = "flatten-retweets"
path = "{flatten}"
config = {{ mode = "embed" }}

[sink]
{sink}

[dead_letter]
path = "{name}.dead.ndjson"

[pipeline]
batch_size = 16
commit_interval_ms = 200
"#,
            brokers = self.broker.bootstrap_servers(),
            stop_at_end = self.stop_at_end,
            chaos = plugin("chaos").display(),
            flatten = plugin("flatten-retweets").display(),
        );
        let path = dir.join(format!("{name}.toml"));
        std::fs::write(&path, toml).unwrap();
        path
    }

    fn command(&self, dir: &Path, name: &str) -> Command {
        let config = self.write(dir, name);
        let mut command = Command::new(env!("CARGO_BIN_EXE_sluice"));
        command
            .args(["run", "--config"])
            .arg(config)
            .arg("--summary-json")
            .arg(dir.join(format!("{name}.summary.json")))
            .env("RUST_LOG", "sluice=info");
        command
    }

    fn spawn(&self, dir: &Path, name: &str) -> Child {
        let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
        self.command(dir, name)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap()
    }
}

fn succeeded(output: &Output) {
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn summary(dir: &Path, name: &str) -> serde_json::Value {
    let path = dir.join(format!("{name}.summary.json"));
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// Polls `condition` every 50 ms until it holds, failing after `limit`.
fn wait_for(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "{what}: not after {limit:?}");
        thread::sleep(Duration::from_millis(50));
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{name} {}", child.id());
}

fn wait_exit(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "sluice still running after {limit:?}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn every_produced_record_is_accounted_for_and_committed_to_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(Storage::Sqlite(dir.path().join("broker.db")));
    let tweets = tweets(300);
    // Malformed lines mixed in at known places, loaded by `sluice produce`.
    let mut lines = tweets.clone();
    for (i, bad) in MALFORMED.iter().enumerate() {
        lines.insert(i * 60 + 7, bad.to_vec());
    }
    let input = dir.path().join("input.ndjson");
    write_ndjson(&input, &lines);
    let produce = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["produce"])
        .arg(&input)
        .args(["--brokers", &broker.bootstrap_servers()])
        .args(["--topic", TOPIC, "--partitions", "3"])
        .output()
        .unwrap();
    succeeded(&produce);
    assert!(
        String::from_utf8_lossy(&produce.stdout).contains("produced 305 records"),
        "{}",
        String::from_utf8_lossy(&produce.stdout)
    );
    let end = broker.end_offsets(TOPIC);
    assert_eq!(end.iter().map(|(_, end)| end).sum::<i64>(), 305);

    let pipeline = Pipeline {
        stop_at_end: true,
        ..Pipeline::new(&broker)
    };
    succeeded(&pipeline.command(dir.path(), "run").output().unwrap());

    let summary = summary(dir.path(), "run");
    assert_eq!(summary["records_in"], 305);
    assert_eq!(summary["written"], 300);
    assert_eq!(summary["dropped"], 0);
    assert_eq!(summary["dead_lettered"], 5);
    assert_eq!(summary["split_added"], 0);
    let written = written_ids(&dir.path().join("run.out.ndjson"));
    assert_eq!(written.len(), 300);
    assert_eq!(
        written.into_iter().collect::<BTreeSet<_>>(),
        ids_of(&tweets)
    );
    let dead = read_json_lines(&dir.path().join("run.dead.ndjson"));
    assert_eq!(dead.len(), 5);
    assert!(dead.iter().all(|letter| letter["source"] == TOPIC
        && letter["stage"] == "decode"
        && letter["partition"].is_i64()));
    assert_eq!(broker.committed_offsets(GROUP, TOPIC), end);
}

#[test]
fn a_killed_process_loses_nothing_when_restarted() {
    plugin("chaos");
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(Storage::Sqlite(dir.path().join("broker.db")));
    broker.create_topic(TOPIC, 3);
    let tweets = tweets(300);
    broker.produce(TOPIC, &tweets);
    let all = ids_of(&tweets);
    // Spread over the topic, so the first run is still busy when killed.
    let slow_on: Vec<String> = tweets
        .iter()
        .step_by(40)
        .map(|t| id_str(&serde_json::from_slice(t).unwrap()))
        .collect();
    let pipeline = Pipeline {
        stop_at_end: true,
        slow_on: &slow_on,
        ..Pipeline::new(&broker)
    };

    let mut first = pipeline.spawn(dir.path(), "first");
    let first_out = dir.path().join("first.out.ndjson");
    wait_for(
        "the first run writes 100 documents",
        Duration::from_secs(60),
        || written_ids(&first_out).len() >= 100,
    );
    signal(&first, "KILL");
    let status = wait_exit(&mut first, Duration::from_secs(10));
    assert!(!status.success(), "killed, not finished: {status}");
    let before_kill = written_ids(&first_out);
    let dead_before = dead_letter_ids(&dir.path().join("first.dead.ndjson"));
    assert!(
        before_kill.len() + dead_before.len() < 300,
        "killed mid-stream: {} written",
        before_kill.len()
    );

    succeeded(&pipeline.command(dir.path(), "second").output().unwrap());
    let after_restart = written_ids(&dir.path().join("second.out.ndjson"));
    let dead_after = dead_letter_ids(&dir.path().join("second.dead.ndjson"));

    let written: BTreeSet<String> = before_kill.iter().chain(&after_restart).cloned().collect();
    let dead: BTreeSet<String> = dead_before.iter().chain(&dead_after).cloned().collect();
    assert_eq!(
        dead,
        slow_on.iter().cloned().collect(),
        "the slow records time out"
    );
    assert_eq!(&written | &dead, all, "nothing lost");
    assert!(written.is_disjoint(&dead));
    let duplicates = before_kill.len() + after_restart.len() - written.len();
    eprintln!(
        "first run wrote {}, second {}, {duplicates} duplicates",
        before_kill.len(),
        after_restart.len()
    );
    assert!(duplicates <= before_kill.len());
    assert_eq!(
        broker.committed_offsets(GROUP, TOPIC),
        broker.end_offsets(TOPIC)
    );
}

/// The partitions `sluice` last logged as its whole assignment.
fn assignment(log: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let Some(line) = text.lines().rev().find(|l| l.contains("assignment now")) else {
        return BTreeSet::new();
    };
    line.split('"')
        .filter(|part| part.starts_with(&format!("{TOPIC}/")))
        .map(str::to_owned)
        .collect()
}

/// Waits until the processes logging to `logs` hold `partitions` partitions
/// between them, each some and none twice.
fn wait_for_split(logs: &[PathBuf], partitions: usize) {
    wait_for(
        &format!("{} processes split {partitions} partitions", logs.len()),
        Duration::from_secs(90),
        || {
            let held: Vec<BTreeSet<String>> = logs.iter().map(|log| assignment(log)).collect();
            let union: BTreeSet<&String> = held.iter().flatten().collect();
            held.iter().all(|mine| !mine.is_empty())
                && union.len() == partitions
                && held.iter().map(BTreeSet::len).sum::<usize>() == partitions
        },
    );
}

/// Produces `tweets` a few at a time on a thread, as a live stream would,
/// until they run out or `stop` is set; `produced` counts what is
/// acknowledged. Each tweet is keyed by its `id_str`, so the default
/// partitioner spreads them over every partition.
struct Stream<'a> {
    tweets: &'a [Vec<u8>],
    produced: AtomicUsize,
    stop: AtomicBool,
}

impl<'a> Stream<'a> {
    const CHUNK: usize = 5;
    const PAUSE: Duration = Duration::from_millis(100);

    fn new(tweets: &'a [Vec<u8>]) -> Self {
        Stream {
            tweets,
            produced: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        }
    }

    fn run(&self, broker: &Broker) {
        for chunk in self.tweets.chunks(Self::CHUNK) {
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            let keyed: Vec<(Vec<u8>, Vec<u8>)> = chunk
                .iter()
                .map(|tweet| {
                    let id = id_str(&serde_json::from_slice(tweet).unwrap());
                    (id.into_bytes(), tweet.clone())
                })
                .collect();
            broker.produce_keyed(TOPIC, &keyed);
            self.produced.fetch_add(chunk.len(), Ordering::Relaxed);
            thread::sleep(Self::PAUSE);
        }
    }

    fn produced(&self) -> usize {
        self.produced.load(Ordering::Relaxed)
    }

    /// What was produced, once the producing thread is done.
    fn sent(&self) -> &'a [Vec<u8>] {
        &self.tweets[..self.produced()]
    }
}

/// The `_id` of every document in the test server's index, as often as it
/// is there.
fn indexed_ids(url: &str) -> Vec<String> {
    count(url, TOPIC); // refreshes
    let (status, body) = http(url, "GET", &format!("/{TOPIC}/_search?size=10000"), None);
    assert_eq!(status, 200, "{body}");
    body["hits"]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Every record of `sent` is in the index exactly once, under its `id_str`,
/// and the group has committed the end of every partition.
fn assert_indexed_once_and_committed(url: &str, broker: &Broker, sent: &[Vec<u8>]) {
    let ids = indexed_ids(url);
    let distinct: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(ids.len(), distinct.len(), "an _id twice in the index");
    assert_eq!(distinct, ids_of(sent), "the index holds what was produced");
    assert_eq!(
        broker.committed_offsets(GROUP, TOPIC),
        broker.end_offsets(TOPIC)
    );
}

/// SIGTERM: the process drains, commits, leaves the group and exits 0.
fn stop(member: &mut Child, dir: &Path, name: &str) -> serde_json::Value {
    signal(member, "TERM");
    let status = wait_exit(member, Duration::from_secs(30));
    assert!(status.success(), "{name}: {status}");
    let summary = summary(dir, name);
    eprintln!(
        "{name}: {} records in, {} written, {} handed back",
        summary["records_in"], summary["written"], summary["handed_back"]
    );
    assert_eq!(summary["interrupted"], true, "{name}");
    assert_eq!(summary["dead_lettered"], 0, "{name}");
    summary
}

#[derive(Clone, Copy, PartialEq)]
enum Victim {
    Leader,
    Follower,
}

/// Two processes split a 4-partition topic; one is SIGKILLed while tweets
/// stream in; the other takes its partitions once its session times out
/// and everything ends up in the index once.
fn the_survivor_takes_over(victim: Victim) {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(Storage::Sqlite(dir.path().join("broker.db")));
    let server = start_server();
    let url = server.url();
    broker.create_topic(TOPIC, 4);
    let pipeline = Pipeline {
        sink: Sink::Elasticsearch(&url),
        ..Pipeline::new(&broker)
    };
    // The group coordinator makes the first member to join the leader and
    // keeps it leader while it stays in the group (nisshi's group
    // administrator, like Kafka's): so "leader" joins alone first.
    let mut leader = pipeline.spawn(dir.path(), "leader");
    let logs = [
        dir.path().join("leader.log"),
        dir.path().join("follower.log"),
    ];
    wait_for_split(&logs[..1], 4);
    let mut follower = pipeline.spawn(dir.path(), "follower");
    wait_for_split(&logs, 4);
    let (killed, killed_log, survivor, survivor_name) = match victim {
        Victim::Leader => (&mut leader, &logs[0], &mut follower, "follower"),
        Victim::Follower => (&mut follower, &logs[1], &mut leader, "leader"),
    };
    let killed_partitions: Vec<i32> = assignment(killed_log)
        .iter()
        .map(|name| name[TOPIC.len() + 1..].parse().unwrap())
        .collect();

    let tweets = tweets(400);
    let stream = Stream::new(&tweets);
    thread::scope(|scope| {
        let producer = scope.spawn(|| stream.run(&broker));
        wait_for(
            "the doomed process commits some of its partitions' records",
            Duration::from_secs(60),
            || {
                broker
                    .committed_offsets(GROUP, TOPIC)
                    .iter()
                    .any(|(partition, next)| killed_partitions.contains(partition) && *next > 0)
            },
        );
        assert!(!producer.is_finished(), "killed while tweets stream");
        signal(killed, "KILL");
        wait_exit(killed, Duration::from_secs(10));
        producer.join().unwrap();
    });
    assert_eq!(stream.produced(), tweets.len());

    wait_for(
        "the survivor takes over every partition",
        Duration::from_secs(60),
        || assignment(&logs[usize::from(victim == Victim::Leader)]).len() == 4,
    );
    wait_for(
        "every tweet is in the index",
        Duration::from_secs(60),
        || count(&url, TOPIC) == tweets.len() as u64,
    );
    stop(survivor, dir.path(), survivor_name);
    assert_indexed_once_and_committed(&url, &broker, &tweets);
}

#[test]
fn the_follower_takes_over_when_the_leader_is_killed() {
    the_survivor_takes_over(Victim::Leader);
}

#[test]
fn the_leader_takes_over_when_a_follower_is_killed() {
    the_survivor_takes_over(Victim::Follower);
}

#[test]
fn a_rolling_restart_of_three_processes_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(Storage::Sqlite(dir.path().join("broker.db")));
    let server = start_server();
    let url = server.url();
    broker.create_topic(TOPIC, 6);
    let pipeline = Pipeline {
        sink: Sink::Elasticsearch(&url),
        ..Pipeline::new(&broker)
    };
    let mut names: Vec<String> = (0..3).map(|i| format!("p{i}")).collect();
    let mut members: Vec<Child> = names
        .iter()
        .map(|name| pipeline.spawn(dir.path(), name))
        .collect();
    let logs = |names: &[String]| -> Vec<PathBuf> {
        names
            .iter()
            .map(|name| dir.path().join(format!("{name}.log")))
            .collect()
    };
    wait_for_split(&logs(&names), 6);

    let tweets = tweets(1500);
    let stream = Stream::new(&tweets);
    thread::scope(|scope| {
        let producer = scope.spawn(|| stream.run(&broker));
        for i in 0..3 {
            let before = stream.produced();
            stop(&mut members[i], dir.path(), &names[i]);
            names[i] = format!("p{i}-restarted");
            members[i] = pipeline.spawn(dir.path(), &names[i]);
            wait_for_split(&logs(&names), 6);
            assert!(
                stream.produced() > before,
                "tweets streamed while p{i} restarted"
            );
        }
        assert!(!producer.is_finished(), "the stream outlasts the restarts");
        stream.stop.store(true, Ordering::Relaxed);
        producer.join().unwrap();
    });

    let sent = stream.sent();
    wait_for(
        "every tweet is in the index",
        Duration::from_secs(60),
        || count(&url, TOPIC) == sent.len() as u64,
    );
    for (member, name) in members.iter_mut().zip(&names) {
        stop(member, dir.path(), name);
    }
    assert_indexed_once_and_committed(&url, &broker, sent);
}

#[test]
fn stop_at_end_with_two_topics_ends_when_both_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(Storage::Sqlite(dir.path().join("broker.db")));
    // Both topics have partitions 0 and 1: the end of one topic's partition
    // must not count as the end of the other's.
    broker.create_topic("small", 2);
    broker.create_topic("large", 3);
    let tweets = tweets(500);
    let (small, large) = tweets.split_at(20);
    broker.produce("small", small);
    broker.produce("large", large);
    let pipeline = Pipeline {
        topics: &["small", "large"],
        stop_at_end: true,
        ..Pipeline::new(&broker)
    };
    succeeded(&pipeline.command(dir.path(), "run").output().unwrap());

    let written = written_ids(&dir.path().join("run.out.ndjson"));
    assert_eq!(written.len(), 500);
    assert_eq!(
        written.into_iter().collect::<BTreeSet<_>>(),
        ids_of(&tweets)
    );
    let summary = summary(dir.path(), "run");
    assert_eq!(summary["records_in"], 500);
    assert_eq!(summary["written"], 500);
    // The summary's lag per partition: read to the end, so the group's
    // commit is the broker's end and nothing is left.
    let lag: Vec<(String, i64, i64, i64)> = summary["consumer_lag"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["committed"], p["end"], "{p}");
            let field = |key: &str| p[key].as_i64().unwrap();
            let topic = p["topic"].as_str().unwrap().to_owned();
            (topic, field("partition"), field("end"), field("lag"))
        })
        .collect();
    let mut expected = Vec::new();
    for topic in ["large", "small"] {
        let end = broker.end_offsets(topic);
        assert_eq!(broker.committed_offsets(GROUP, topic), end);
        expected.extend(
            end.into_iter()
                .map(|(partition, end)| (topic.to_owned(), i64::from(partition), end, 0)),
        );
    }
    assert_eq!(lag, expected);
}

#[test]
fn the_pipeline_recovers_from_a_broker_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::start(Storage::Sqlite(dir.path().join("broker.db")));
    broker.create_topic(TOPIC, 3);
    let tweets = tweets(300);
    let (early, late) = tweets.split_at(150);
    broker.produce(TOPIC, early);
    let pipeline = Pipeline::new(&broker);
    let mut run = pipeline.spawn(dir.path(), "run");
    let out = dir.path().join("run.out.ndjson");
    wait_for("the first half is written", Duration::from_secs(60), || {
        written_ids(&out).len() == 150
    });
    wait_for(
        "the first half is committed",
        Duration::from_secs(30),
        || {
            broker
                .committed_offsets(GROUP, TOPIC)
                .iter()
                .map(|(_, o)| o)
                .sum::<i64>()
                == 150
        },
    );

    broker.restart();
    broker.produce(TOPIC, late);
    wait_for(
        "the second half is written after the restart",
        Duration::from_secs(90),
        || written_ids(&out).len() >= 300,
    );
    signal(&run, "TERM");
    assert!(wait_exit(&mut run, Duration::from_secs(30)).success());

    let written = written_ids(&out);
    assert_eq!(written.len(), 300, "no record twice, none lost");
    assert_eq!(
        written.into_iter().collect::<BTreeSet<_>>(),
        ids_of(&tweets)
    );
    let summary = summary(dir.path(), "run");
    assert_eq!(summary["records_in"], 300);
    assert_eq!(summary["written"], 300);
    assert_eq!(
        broker.committed_offsets(GROUP, TOPIC),
        broker.end_offsets(TOPIC)
    );
}
