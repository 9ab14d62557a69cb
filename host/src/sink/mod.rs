//! Where documents go. A sink takes documents that passed the chain and the
//! guard; a document it cannot place (no `_id`, no timestamp for the index
//! pattern) comes back as a dead letter, so nothing disappears.

pub mod archive;
mod bulk;
mod bulk_file;
mod dead_letter;
pub mod elasticsearch;
mod fanout;
mod index_pattern;
mod ndjson;

pub use archive::{ArchiveConfig, ArchiveSink};
pub use bulk::{BulkAddress, BulkEncoder};
pub use bulk_file::BulkFileSink;
pub use dead_letter::DeadLetterSink;
pub use fanout::{FanOut, OutputCounts};
pub use index_pattern::{IndexPattern, PatternError, parse_timestamp};
pub use ndjson::NdjsonSink;

use std::path::Path;

use crate::config::{GuardConfig, SinkConfig};
use crate::record::{DeadLetter, Document};

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("cannot write {path}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("Elasticsearch sink: {0}")]
    Elasticsearch(#[from] elasticsearch::ElasticsearchError),
    #[error("output `{name}`")]
    Output {
        name: String,
        source: Box<SinkError>,
    },
}

/// Documents whose fate a sink has settled since it last reported:
/// acknowledged (`written`) or refused for good (`dead_letters`).
#[derive(Debug, Default)]
pub struct Delivery {
    pub written: u64,
    pub dead_letters: Vec<DeadLetter>,
}

/// A destination for documents. A sink may settle documents later than
/// `write` returns (requests in flight); it reports them in a later
/// [`Delivery`], and by the end of `flush` every document it was given has
/// been reported exactly once.
pub trait Sink: Send {
    fn write(&mut self, documents: Vec<Document>) -> Result<Delivery, SinkError>;
    /// Settles everything written so far and makes it durable. Called before
    /// a source commits, and at the end of the run.
    fn flush(&mut self) -> Result<Delivery, SinkError>;
    /// `(index, mappings)` of the indices this sink writes to that already
    /// exist, so the guard's budgets start from what they hold. A sink
    /// without a mapping holds none.
    fn index_mappings(&mut self) -> Result<Vec<(String, serde_json::Value)>, SinkError> {
        Ok(Vec::new())
    }
}

/// Opens the configured sink; `guard` holds the limits a sink that creates
/// indices gives them.
pub fn from_config(config: &SinkConfig, guard: &GuardConfig) -> Result<Box<dyn Sink>, SinkError> {
    Ok(match config {
        SinkConfig::Ndjson { path } => Box::new(NdjsonSink::create(path)?),
        SinkConfig::Stdout => Box::new(NdjsonSink::stdout()),
        SinkConfig::Null => Box::new(NullSink),
        SinkConfig::BulkFile { path, target } => Box::new(BulkFileSink::create(path, target)?),
        SinkConfig::Elasticsearch(config) => {
            Box::new(elasticsearch::ElasticsearchSink::connect(config, guard)?)
        }
        SinkConfig::Archive(config) => Box::new(ArchiveSink::create(config)?),
    })
}

/// Acknowledges every document and keeps none.
pub struct NullSink;

impl Sink for NullSink {
    fn write(&mut self, documents: Vec<Document>) -> Result<Delivery, SinkError> {
        Ok(Delivery {
            written: documents.len() as u64,
            dead_letters: Vec::new(),
        })
    }

    fn flush(&mut self) -> Result<Delivery, SinkError> {
        Ok(Delivery::default())
    }
}

/// Creates a file (and its folder) for writing, with a path-carrying error.
pub(crate) fn create_file(path: &Path) -> Result<std::fs::File, SinkError> {
    let io_error = |source| SinkError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io_error)?;
    }
    std::fs::File::create(path).map_err(io_error)
}
