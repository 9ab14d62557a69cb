//! Where records come from. A source hands out batches of raw bytes with
//! their origin; it does not parse them (that is [`crate::decode`]'s job, so a
//! malformed record is dead-lettered instead of stopping the source).

mod envelope;
mod file;
pub mod kafka;

pub use file::FileSource;
pub use kafka::{KafkaConfig, KafkaSource};

use std::sync::Arc;

use crate::config::SourceConfig;
use crate::record::{Origin, RawRecord};
use crate::report::PartitionLag;

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

    /// Partitions taken away from this process (a Kafka rebalance) whose
    /// records handed out before may still be in the pipeline. The pipeline
    /// drops those records instead of writing them: the partition's new
    /// owner reads them again from the last commit. Empty until the next
    /// [`Source::commit`] once the pipeline is empty again.
    fn revoked(&self) -> Vec<(Arc<str>, i32)> {
        Vec::new()
    }

    /// How far the committed position is behind the end of each partition
    /// this source reads, for the run summary (empty for sources without
    /// partitions).
    fn lag(&mut self) -> Vec<PartitionLag> {
        Vec::new()
    }
}

/// `origin` is a record of one of the partitions `revoked` lists
/// ([`Source::revoked`]).
pub fn is_revoked(revoked: &[(Arc<str>, i32)], origin: &Origin) -> bool {
    origin.partition.is_some_and(|partition| {
        revoked
            .iter()
            .any(|(topic, p)| *p == partition && **topic == *origin.source)
    })
}

pub fn from_config(config: &SourceConfig) -> Result<Box<dyn Source>, SourceError> {
    Ok(match config {
        SourceConfig::File { paths, format } => Box::new(FileSource::open(paths, *format)?),
        SourceConfig::Stdin => Box::new(FileSource::stdin()),
        SourceConfig::Kafka(kafka) => Box::new(KafkaSource::connect(kafka)?),
    })
}
