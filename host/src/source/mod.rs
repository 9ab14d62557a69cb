//! Where records come from. A source hands out batches of raw bytes with
//! their origin; it does not parse them (that is [`crate::decode`]'s job, so a
//! malformed record is dead-lettered instead of stopping the source).

mod archive;
mod envelope;
mod file;
pub mod kafka;

pub use archive::ArchiveSource;
pub use file::FileSource;
pub use kafka::{KafkaConfig, KafkaSource};

use crate::config::SourceConfig;
use crate::record::RawRecord;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read {path}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a search API envelope (`format = \"statuses\"`): {reason}")]
    Envelope { path: String, reason: String },
    #[error("kafka: {doing}")]
    Kafka {
        doing: String,
        source: rdkafka::error::KafkaError,
    },
}

/// What a source has right now.
#[derive(Debug)]
pub enum Batch {
    /// At least one record, at most the number asked for.
    Records(Vec<RawRecord>),
    /// Nothing yet; a stream may have more later (the pipeline uses the pause
    /// to check for shutdown and to commit).
    Idle,
    /// The input is exhausted: the run ends.
    End,
}

/// A stream of raw records.
pub trait Source: Send {
    /// Up to `max` records, or why there are none.
    fn next_batch(&mut self, max: usize) -> Result<Batch, SourceError>;

    /// Every record handed out so far has left the pipeline (written and
    /// flushed, dropped, or dead-lettered and flushed): a source with a
    /// position to keep (Kafka offsets) may commit past them now.
    fn commit(&mut self) -> Result<(), SourceError> {
        Ok(())
    }
}

pub fn from_config(config: &SourceConfig) -> Result<Box<dyn Source>, SourceError> {
    Ok(match config {
        SourceConfig::File { paths, format } => Box::new(FileSource::open(paths, *format)?),
        SourceConfig::Stdin => Box::new(FileSource::stdin()),
        SourceConfig::Kafka(kafka) => Box::new(KafkaSource::connect(kafka)?),
        SourceConfig::Archive { path } => Box::new(ArchiveSource::open(path)?),
    })
}
