//! The dead-letter sink: where every record the pipeline refuses goes, with
//! why and where it came from. A file ([`file`]) or a Kafka topic
//! ([`kafka`]), as the `[dead_letter]` table says.
//!
//! The pipeline flushes it before the source commits: once `flush` returns,
//! every dead letter written so far is durable, so committing past its
//! record loses nothing.

mod file;
mod kafka;

use crate::config::{ConfigError, DeadLetterConfig, DeadLetterKind};
use crate::record::DeadLetter;
use crate::sink::SinkError;

use file::FileDeadLetters;
use kafka::KafkaDeadLetters;

pub struct DeadLetterSink {
    destination: Destination,
}

enum Destination {
    File(FileDeadLetters),
    Kafka(KafkaDeadLetters),
}

impl DeadLetterSink {
    pub fn from_config(config: &DeadLetterConfig) -> Result<Self, SinkError> {
        let destination = match config.kind {
            DeadLetterKind::File => Destination::File(FileDeadLetters::open(&config.path)?),
            DeadLetterKind::Kafka => Destination::Kafka(KafkaDeadLetters::connect(config)?),
        };
        Ok(DeadLetterSink { destination })
    }

    /// Where the dead letters go, as the run summary names it: the file's
    /// path, or `kafka topic T`.
    pub fn describe(config: &DeadLetterConfig) -> String {
        match config.kind {
            DeadLetterKind::File => format!("{} (appended)", config.path.display()),
            DeadLetterKind::Kafka => format!("Kafka topic {}", config.topic),
        }
    }

    pub fn write(&mut self, dead_letters: &[DeadLetter]) -> Result<(), SinkError> {
        match &mut self.destination {
            Destination::File(file) => file.write(dead_letters),
            Destination::Kafka(topic) => topic.write(dead_letters),
        }
    }

    /// Returns once every dead letter written so far is durable: flushed to
    /// the file, or acknowledged by the Kafka brokers.
    pub fn flush(&mut self) -> Result<(), SinkError> {
        match &mut self.destination {
            Destination::File(file) => file.flush(),
            Destination::Kafka(topic) => topic.flush(),
        }
    }
}

impl DeadLetterConfig {
    /// Refuses a table whose keys do not fit its `type`, naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let given_path = !self.path.as_os_str().is_empty();
        match self.kind {
            DeadLetterKind::File => {
                if !given_path {
                    return Err(ConfigError::invalid(
                        "dead_letter.path",
                        "is missing: name the file dead letters go to (or set `type = \"kafka\"`)",
                    ));
                }
                let kafka_key = [
                    ("brokers", self.brokers.is_empty()),
                    ("topic", self.topic.is_empty()),
                    ("settings", self.settings.is_empty()),
                ]
                .into_iter()
                .find_map(|(key, absent)| (!absent).then_some(key));
                if let Some(key) = kafka_key {
                    return Err(ConfigError::invalid(
                        &format!("dead_letter.{key}"),
                        "belongs to `type = \"kafka\"`; this dead-letter destination is a file",
                    ));
                }
                Ok(())
            }
            DeadLetterKind::Kafka => {
                if given_path {
                    return Err(ConfigError::invalid(
                        "dead_letter.path",
                        "belongs to `type = \"file\"`; this dead-letter destination is a Kafka topic",
                    ));
                }
                kafka::validate(self)
            }
        }
    }
}
