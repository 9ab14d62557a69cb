//! Dead letters as records of a Kafka topic (`[dead_letter] type = "kafka"`).
//!
//! Each record's value is the refused record's original bytes, untouched
//! (they may not be JSON, or not even UTF-8), and it has no key. Its headers
//! say why it was refused and where it came from, all as UTF-8 text:
//!
//! | header             | value                                                        |
//! |--------------------|--------------------------------------------------------------|
//! | `sluice.reason`    | why it was refused                                           |
//! | `sluice.stage`     | `decode`, `plugin`, `guard` or `sink`                        |
//! | `sluice.plugin`    | the plugin that refused it; absent when no plugin did        |
//! | `sluice.plugin_version` | that plugin's version (1, 2, ... per process), decimal  |
//! | `sluice.source`    | the source topic, file path, or `stdin`                      |
//! | `sluice.partition` | the source partition, in decimal; absent for files and stdin |
//! | `sluice.offset`    | the Kafka offset, or a file's line / array position, decimal |
//!
//! Delivery: an idempotent producer with `acks=all`, so a retried send
//! neither duplicates nor reorders, and a dead letter counts as written only
//! when every in-sync replica has it. `flush` waits for the broker's answer
//! on every dead letter written so far and fails if any was refused or timed
//! out (librdkafka gives up after `message.timeout.ms`), because the source
//! commits right after it: a lost dead letter would be a lost record.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::message::{DeliveryResult, Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};
use rdkafka::util::Timeout;
use rdkafka::{ClientConfig, ClientContext};

use crate::config::{ConfigError, DeadLetterConfig};
use crate::librdkafka;
use crate::record::{DeadLetter, Origin};
use crate::sink::SinkError;

/// Settings the sink sets itself: delivery depends on them.
const OWNED_SETTINGS: &[(&str, &str)] = &[
    ("bootstrap.servers", "use `dead_letter.brokers`"),
    (
        "acks",
        "a dead letter counts only once every in-sync replica has it",
    ),
    (
        "request.required.acks",
        "a dead letter counts only once every in-sync replica has it",
    ),
    (
        "enable.idempotence",
        "retries must not duplicate or reorder dead letters",
    ),
    (
        "transactional.id",
        "dead letters are not written in transactions",
    ),
];

/// librdkafka buffers up to 1 GiB of unsent records by default; dead
/// letters pile up there when the brokers are slow or away, so the default
/// is smaller. `write` waits when it is full instead of dropping.
const DEFAULT_SETTINGS: &[(&str, &str)] = &[("queue.buffering.max.kbytes", "16384")];

/// How long `write` lets librdkafka work when its queue is full before it
/// tries again.
const QUEUE_FULL_WAIT: Duration = Duration::from_millis(100);

pub fn validate(config: &DeadLetterConfig) -> Result<(), ConfigError> {
    if config.brokers.iter().all(|b| b.trim().is_empty()) {
        return Err(ConfigError::invalid(
            "dead_letter.brokers",
            "lists no broker",
        ));
    }
    if config.topic.trim().is_empty() {
        return Err(ConfigError::invalid(
            "dead_letter.topic",
            "is missing: name the topic dead letters go to",
        ));
    }
    librdkafka::validate("dead_letter.settings", &config.settings, OWNED_SETTINGS)
}

fn client_config(config: &DeadLetterConfig) -> ClientConfig {
    let mut client = librdkafka::client_config(DEFAULT_SETTINGS, &config.settings);
    client
        .set("bootstrap.servers", config.brokers.join(","))
        .set("acks", "all")
        .set("enable.idempotence", "true");
    client
}

pub struct KafkaDeadLetters {
    producer: BaseProducer<Acknowledgements>,
    topic: String,
    /// Names the destination in errors.
    name: String,
}

/// Why dead letters did not reach the topic.
#[derive(Debug, thiserror::Error)]
enum KafkaDeadLetterError {
    #[error("cannot create the producer: {0}")]
    Create(KafkaError),
    #[error("the dead letter from {origin} ({size} bytes) cannot be queued: {error}")]
    Enqueue {
        origin: OriginText,
        size: usize,
        error: KafkaError,
    },
    #[error("waiting for the brokers: {0}")]
    Flush(KafkaError),
    #[error(
        "{count} dead letter(s) not acknowledged by the brokers; the first, from {origin}: {error}"
    )]
    NotAcknowledged {
        count: u64,
        origin: OriginText,
        error: KafkaError,
    },
}

/// An origin as errors show it: `tweets/2 offset 17`, `in.ndjson offset 4`.
#[derive(Debug)]
struct OriginText(Origin);

impl fmt::Display for OriginText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Origin {
            source,
            partition,
            offset,
            ..
        } = &self.0;
        match partition {
            Some(partition) => write!(f, "{source}/{partition} offset {offset}"),
            None => write!(f, "{source} offset {offset}"),
        }
    }
}

/// Collects the broker's refusals as librdkafka reports deliveries (inside
/// `poll` and `flush`, on the caller's thread, so the lock is never
/// contended). A refusal is kept for good: the dead letter is gone, and every
/// later `flush` must say so.
#[derive(Default)]
struct Acknowledgements {
    refused: AtomicU64,
    first_refusal: Mutex<Option<(Origin, KafkaError)>>,
}

impl ClientContext for Acknowledgements {}

impl ProducerContext for Acknowledgements {
    type DeliveryOpaque = Box<Origin>;

    fn delivery(&self, result: &DeliveryResult<'_>, origin: Box<Origin>) {
        if let Err((error, _)) = result
            && self.refused.fetch_add(1, Ordering::SeqCst) == 0
        {
            let mut first = self.first_refusal.lock().unwrap_or_else(|e| e.into_inner());
            *first = Some((*origin, error.clone()));
        }
    }
}

impl KafkaDeadLetters {
    pub fn connect(config: &DeadLetterConfig) -> Result<Self, SinkError> {
        let name = format!(
            "Kafka topic `{}` on {}",
            config.topic,
            config.brokers.join(",")
        );
        let producer = client_config(config)
            .create_with_context(Acknowledgements::default())
            .map_err(|error| sink_error(&name, KafkaDeadLetterError::Create(error)))?;
        Ok(KafkaDeadLetters {
            producer,
            topic: config.topic.clone(),
            name,
        })
    }

    pub fn write(&mut self, dead_letters: &[DeadLetter]) -> Result<(), SinkError> {
        for letter in dead_letters {
            let record = BaseRecord::<(), [u8], _>::with_opaque_to(
                &self.topic,
                Box::new(letter.origin.clone()),
            )
            .payload(letter.original())
            .headers(headers(letter));
            librdkafka::send_waiting(&self.producer, record, QUEUE_FULL_WAIT).map_err(|error| {
                let error = KafkaDeadLetterError::Enqueue {
                    origin: OriginText(letter.origin.clone()),
                    size: letter.original().len(),
                    error,
                };
                sink_error(&self.name, error)
            })?;
        }
        // Serves delivery reports that are ready without waiting for any.
        self.producer.poll(Duration::ZERO);
        Ok(())
    }

    pub fn flush(&mut self) -> Result<(), SinkError> {
        // Never is safe: every queued record is delivered or given up on
        // within `message.timeout.ms`.
        self.producer
            .flush(Timeout::Never)
            .map_err(|error| sink_error(&self.name, KafkaDeadLetterError::Flush(error)))?;
        let context = self.producer.context();
        let count = context.refused.load(Ordering::SeqCst);
        if count == 0 {
            return Ok(());
        }
        let first = context
            .first_refusal
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let (origin, error) = first
            .clone()
            .expect("the first refusal is stored when the count leaves zero");
        Err(sink_error(
            &self.name,
            KafkaDeadLetterError::NotAcknowledged {
                count,
                origin: OriginText(origin),
                error,
            },
        ))
    }
}

fn headers(letter: &DeadLetter) -> OwnedHeaders {
    let mut headers = OwnedHeaders::new_with_capacity(6)
        .insert(text_header("sluice.reason", &letter.reason))
        .insert(text_header("sluice.stage", letter.stage.as_str()));
    if let Some(plugin) = &letter.plugin {
        headers = headers.insert(text_header("sluice.plugin", plugin));
    }
    if let Some(version) = letter.plugin_version {
        headers = headers.insert(text_header("sluice.plugin_version", &version.to_string()));
    }
    headers = headers.insert(text_header("sluice.source", &letter.origin.source));
    if let Some(partition) = letter.origin.partition {
        headers = headers.insert(text_header("sluice.partition", &partition.to_string()));
    }
    headers.insert(text_header(
        "sluice.offset",
        &letter.origin.offset.to_string(),
    ))
}

fn text_header<'a>(key: &'a str, value: &'a str) -> Header<'a, &'a str> {
    Header {
        key,
        value: Some(value),
    }
}

/// The pipeline's sinks share one error type; a Kafka failure travels as the
/// source of an I/O error that names the topic.
fn sink_error(name: &str, error: KafkaDeadLetterError) -> SinkError {
    SinkError::Io {
        path: name.to_owned(),
        source: std::io::Error::other(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> DeadLetterConfig {
        toml::from_str(text).unwrap()
    }

    const BASE: &str = r#"
        type = "kafka"
        brokers = ["127.0.0.1:9092"]
        topic = "dead-letters"
    "#;

    #[test]
    fn delivery_settings_are_forced_and_others_pass_through_as_text() {
        let config = parse(&format!(
            "{BASE}\n[settings]\n\"message.timeout.ms\" = 5000\n\"compression.type\" = \"lz4\"\n"
        ));
        config.validate().unwrap();
        let client = client_config(&config);
        assert_eq!(client.get("acks"), Some("all"));
        assert_eq!(client.get("enable.idempotence"), Some("true"));
        assert_eq!(client.get("bootstrap.servers"), Some("127.0.0.1:9092"));
        assert_eq!(client.get("message.timeout.ms"), Some("5000"));
        assert_eq!(client.get("compression.type"), Some("lz4"));
    }

    #[test]
    fn the_queue_limit_is_bounded_by_default_and_can_be_raised() {
        let default = parse(BASE);
        assert_eq!(
            client_config(&default).get("queue.buffering.max.kbytes"),
            Some("16384")
        );
        let raised = parse(&format!(
            "{BASE}\n[settings]\n\"queue.buffering.max.kbytes\" = 65536\n"
        ));
        raised.validate().unwrap();
        assert_eq!(
            client_config(&raised).get("queue.buffering.max.kbytes"),
            Some("65536")
        );
    }
}
