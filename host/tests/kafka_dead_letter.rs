//! Dead letters to a Kafka topic, against a real Kafka-protocol broker
//! (nisshi): the topic holds exactly the refused records, byte for byte, with
//! their origin in headers; a dead-letter broker that cannot be reached fails
//! the run instead of letting the source commit past records it lost.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Headers;
use rdkafka::{Message, Offset, TopicPartitionList};
use sluice::config::{DeadLetterKind, PipelineConfig};
use sluice_kafka_testkit::{Broker, Storage};

const SOURCE_TOPIC: &str = "tweets";
const DEAD_LETTER_TOPIC: &str = "dead-letters";
const GROUP: &str = "sluice";
const TWEETS: usize = 200;

/// Records the decoder refuses, each with the reason it gives (`None`:
/// starts with `malformed JSON: `, the parser's wording follows).
const MALFORMED: [(&[u8], Option<&str>); 5] = [
    (b"{\"id_str\": \"1\", \"text\": ", None),
    (b"not json at all", None),
    (b"[1, 2, 3]", Some("expected a JSON object, found an array")),
    (b"42", Some("expected a JSON object, found a number")),
    (
        b"\xff\xfe{\"text\": \"bad utf-8\"}",
        Some("invalid UTF-8 (valid up to byte 0)"),
    ),
];

fn id_str(line: &[u8]) -> String {
    let tweet: serde_json::Value = serde_json::from_slice(line).unwrap();
    tweet["id_str"].as_str().unwrap().to_owned()
}

fn pipeline_toml(brokers: &str, dead_letter_brokers: &str, reject: &[String]) -> String {
    format!(
        r#"
[source]
type = "kafka"
brokers = ["{brokers}"]
topics = ["{SOURCE_TOPIC}"]
group_id = "{GROUP}"
stop_at_end = true

[source.settings]
"session.timeout.ms" = 6000
"heartbeat.interval.ms" = 500

{chaos}
[sink]
type = "ndjson"
path = "out.ndjson"

[dead_letter]
type = "kafka"
brokers = ["{dead_letter_brokers}"]
topic = "{DEAD_LETTER_TOPIC}"

[dead_letter.settings]
"message.timeout.ms" = 3000

# 200 raw tweets make about 1,005 mapping fields: over Elasticsearch's default
# of 1,000, which would dead-letter whichever tweet comes last.
[guard]
total_fields_limit = 10000

[pipeline]
batch_size = 16
commit_interval_ms = 200
"#,
        chaos = plugin_table(
            "chaos",
            &format!(
                "{{ reject_on = {} }}",
                serde_json::to_string(reject).unwrap()
            ),
            "{}"
        ),
    )
}

/// One record of the dead-letter topic: its value and its headers as text.
struct Letter {
    value: Vec<u8>,
    headers: BTreeMap<String, String>,
}

/// Every record of the dead-letter topic's partitions, read from the start
/// until `expected` have arrived.
fn read_dead_letters(broker: &Broker, expected: usize) -> Vec<Letter> {
    let consumer: BaseConsumer = broker.consumer_config("checker").create().unwrap();
    let mut partitions = TopicPartitionList::new();
    for partition in 0..broker.partition_count(DEAD_LETTER_TOPIC) {
        partitions
            .add_partition_offset(DEAD_LETTER_TOPIC, partition, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&partitions).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut letters = Vec::new();
    while letters.len() < expected {
        assert!(
            Instant::now() < deadline,
            "{} of {expected} dead letters read",
            letters.len()
        );
        let Some(message) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let message = message.unwrap();
        let headers = message
            .headers()
            .map(|headers| {
                headers
                    .iter()
                    .map(|header| {
                        let value = std::str::from_utf8(header.value.unwrap()).unwrap();
                        (header.key.to_owned(), value.to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        letters.push(Letter {
            value: message.payload().unwrap_or_default().to_vec(),
            headers,
        });
    }
    letters
}

/// What the dead letter of one refused record must hold.
struct Expected<'a> {
    original: &'a [u8],
    stage: &'static str,
    plugin: Option<&'static str>,
    /// `None`: starts with `malformed JSON: `.
    reason: Option<String>,
}

#[test]
fn the_dead_letter_topic_holds_exactly_the_refused_records_with_their_origin() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(Storage::Sqlite(dir.path().join("broker.db")));
    broker.create_topic(SOURCE_TOPIC, 3);
    broker.create_topic(DEAD_LETTER_TOPIC, 1);

    let tweets = tweets(TWEETS);
    let rejected = vec![id_str(&tweets[10]), id_str(&tweets[150])];
    let mut records = tweets.clone();
    for (i, (bad, _)) in MALFORMED.iter().enumerate() {
        records.insert(i * 40 + 3, bad.to_vec());
    }
    let placed = broker.produce(SOURCE_TOPIC, &records);

    // What the dead letter of each refused (partition, offset) must hold.
    let mut expected: BTreeMap<(i32, i64), Expected> = BTreeMap::new();
    for (record, &(partition, offset)) in records.iter().zip(&placed) {
        let letter = if let Some((_, reason)) = MALFORMED.iter().find(|(bad, _)| bad == record) {
            Expected {
                original: record,
                stage: "decode",
                plugin: None,
                reason: reason.map(str::to_owned),
            }
        } else if rejected.contains(&id_str(record)) {
            Expected {
                original: record,
                stage: "plugin",
                plugin: Some("chaos"),
                reason: Some(format!("chaos: rejected {}", id_str(record))),
            }
        } else {
            continue;
        };
        expected.insert((partition, offset), letter);
    }
    assert_eq!(expected.len(), MALFORMED.len() + rejected.len());

    let toml = pipeline_toml(
        &broker.bootstrap_servers(),
        &broker.bootstrap_servers(),
        &rejected,
    );
    let summary = run_pipeline(&toml, dir.path()).unwrap();
    assert_eq!(
        (
            summary.records_in,
            summary.written,
            summary.dropped,
            summary.dead_lettered
        ),
        (
            (TWEETS + MALFORMED.len()) as u64,
            (TWEETS - rejected.len()) as u64,
            0,
            expected.len() as u64
        ),
        "{summary}"
    );
    assert!(summary.is_balanced(), "{summary}");
    let written = std::fs::read_to_string(dir.path().join("out.ndjson")).unwrap();
    assert_eq!(written.lines().count(), TWEETS - rejected.len());

    // Exactly one record per dead letter: no loss, no duplicate.
    let dead_letter_end: i64 = broker
        .end_offsets(DEAD_LETTER_TOPIC)
        .iter()
        .map(|(_, end)| end)
        .sum();
    assert_eq!(dead_letter_end, expected.len() as i64);

    let letters = read_dead_letters(&broker, expected.len());
    let mut seen = BTreeSet::new();
    for letter in &letters {
        let header = |key: &str| letter.headers.get(key).map(String::as_str);
        assert_eq!(header("sluice.source"), Some(SOURCE_TOPIC));
        let partition: i32 = header("sluice.partition").unwrap().parse().unwrap();
        let offset: i64 = header("sluice.offset").unwrap().parse().unwrap();
        let Some(want) = expected.get(&(partition, offset)) else {
            panic!(
                "dead letter for {partition}/{offset} was not refused: {:?}",
                letter.headers
            );
        };
        assert_eq!(letter.value.as_slice(), want.original);
        assert_eq!(header("sluice.stage"), Some(want.stage));
        assert_eq!(header("sluice.plugin"), want.plugin);
        let got_reason = header("sluice.reason").unwrap();
        match &want.reason {
            Some(reason) => assert_eq!(got_reason, reason),
            None => assert!(got_reason.starts_with("malformed JSON: "), "{got_reason}"),
        }
        assert!(
            seen.insert((partition, offset)),
            "{partition}/{offset} twice"
        );
    }
    assert_eq!(seen.len(), expected.len());

    assert_eq!(
        broker.committed_offsets(GROUP, SOURCE_TOPIC),
        broker.end_offsets(SOURCE_TOPIC)
    );
}

/// A loopback address nobody listens on.
fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    address.to_string()
}

#[test]
fn an_unreachable_dead_letter_broker_fails_the_run_and_commits_nothing_past_it() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(Storage::Sqlite(dir.path().join("broker.db")));
    broker.create_topic(SOURCE_TOPIC, 3);
    let mut records = tweets(60);
    for (i, (bad, _)) in MALFORMED.iter().enumerate() {
        records.insert(i * 13, bad.to_vec());
    }
    let placed = broker.produce(SOURCE_TOPIC, &records);
    // The first refused record of each partition: nothing at or after it may
    // be committed, since its dead letter never reached a broker.
    let mut first_refused: BTreeMap<i32, i64> = BTreeMap::new();
    for (record, &(partition, offset)) in records.iter().zip(&placed) {
        if MALFORMED.iter().any(|(bad, _)| bad == record) {
            first_refused.entry(partition).or_insert(offset);
        }
    }

    let started = Instant::now();
    let toml = pipeline_toml(&broker.bootstrap_servers(), &closed_port(), &[]);
    let error = format!("{:#}", run_pipeline(&toml, dir.path()).unwrap_err());
    assert!(
        error.contains("Kafka topic `dead-letters`")
            && error.contains("not acknowledged by the brokers")
            && error.contains("Message timed out"),
        "{error}"
    );
    // message.timeout.ms is 3 s: the run gives up soon after, not after
    // librdkafka's default of five minutes.
    assert!(started.elapsed() < Duration::from_secs(60), "{error}");

    for (partition, committed) in broker.committed_offsets(GROUP, SOURCE_TOPIC) {
        if let Some(&refused) = first_refused.get(&partition) {
            assert!(
                committed <= refused,
                "partition {partition} committed to {committed}, past the lost dead letter at {refused}"
            );
        }
    }
}

fn config_error(dir: &Path, dead_letter: &str) -> String {
    let toml = format!(
        "[source]\ntype = \"file\"\npaths = [\"in.ndjson\"]\n[sink]\ntype = \"null\"\n[dead_letter]\n{dead_letter}"
    );
    format!("{:#}", PipelineConfig::from_toml(&toml, dir).unwrap_err())
}

#[test]
fn a_path_alone_still_means_a_file_and_bad_kafka_tables_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = tweets(3);
    lines.insert(1, b"not json at all".to_vec());
    write_ndjson(&dir.path().join("in.ndjson"), &lines);
    let toml = "[source]\ntype = \"file\"\npaths = [\"in.ndjson\"]\n[sink]\ntype = \"null\"\n[dead_letter]\npath = \"dead.ndjson\"\n";
    let config = PipelineConfig::from_toml(toml, dir.path()).unwrap();
    assert_eq!(config.dead_letter.kind, DeadLetterKind::File);
    let summary = run_pipeline(toml, dir.path()).unwrap();
    assert_eq!((summary.written, summary.dead_lettered), (3, 1));
    let dead = read_json_lines(&dir.path().join("dead.ndjson"));
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["original"], "not json at all");
    assert_eq!(dead[0]["offset"], 2);

    let kafka = "type = \"kafka\"\nbrokers = [\"127.0.0.1:9092\"]\n";
    let cases = [
        (kafka.to_owned(), "`dead_letter.topic`: is missing"),
        (
            "type = \"kafka\"\ntopic = \"dl\"\n".to_owned(),
            "`dead_letter.brokers`: lists no broker",
        ),
        (
            format!("{kafka}topic = \"dl\"\npath = \"dead.ndjson\"\n"),
            "`dead_letter.path`: belongs to `type = \"file\"`",
        ),
        (
            "path = \"dead.ndjson\"\ntopic = \"dl\"\n".to_owned(),
            "`dead_letter.topic`: belongs to `type = \"kafka\"`",
        ),
        (String::new(), "`dead_letter.path`: is missing"),
        (
            format!("{kafka}topic = \"dl\"\nsettings = {{ acks = \"1\" }}\n"),
            "`dead_letter.settings.acks`: is set by sluice",
        ),
        (
            format!("{kafka}topic = \"dl\"\nsettings = {{ \"enable.idempotence\" = false }}\n"),
            "`dead_letter.settings.enable.idempotence`: is set by sluice",
        ),
        (
            format!("{kafka}topic = \"dl\"\nsettings = {{ \"linger.ms\" = [5] }}\n"),
            "`dead_letter.settings.linger.ms`: must be a string, number or boolean",
        ),
        (format!("{kafka}topik = \"dl\"\n"), "unknown field `topik`"),
        ("type = \"s3\"\n".to_owned(), "unknown variant `s3`"),
    ];
    for (table, wanted) in cases {
        let error = config_error(dir.path(), &table);
        assert!(error.contains(wanted), "{table}\n=> {error}");
    }
}
