//! The units that move through the pipeline.

use std::sync::Arc;

use crate::sink::BulkAddress;

/// Where a record came from: enough to find it again, and (for Kafka) to
/// commit past it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// A file path, `stdin`, or a topic name.
    pub source: Arc<str>,
    pub partition: Option<i32>,
    /// Line number (1-based) in a file, position in a `statuses` array, or
    /// the Kafka offset.
    pub offset: u64,
}

/// Bytes as the source produced them, not yet checked.
#[derive(Debug, Clone)]
pub struct RawRecord {
    pub origin: Origin,
    pub bytes: Vec<u8>,
}

/// A record that is known to be one JSON object.
#[derive(Debug, Clone)]
pub struct Document {
    pub origin: Origin,
    pub bytes: Vec<u8>,
    /// The index and `_id` the guard found while checking the document, so
    /// a `_bulk` sink need not parse it again; `None` until then, and after
    /// anything changes the bytes.
    pub address: Option<BulkAddress>,
}

impl Document {
    pub fn new(origin: Origin, bytes: Vec<u8>) -> Self {
        Document {
            origin,
            bytes,
            address: None,
        }
    }
}

/// The pipeline stage that refused a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Decode,
    Plugin,
    Guard,
    Sink,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Decode => "decode",
            Stage::Plugin => "plugin",
            Stage::Guard => "guard",
            Stage::Sink => "sink",
        }
    }
}

/// A record that leaves the pipeline through the dead-letter sink.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub origin: Origin,
    pub stage: Stage,
    /// The plugin that rejected or trapped on the record, if any.
    pub plugin: Option<Arc<str>>,
    /// The version of that plugin (1, 2, ... per process; see hot swap).
    pub plugin_version: Option<u64>,
    pub reason: String,
    /// The bytes as they entered the stage that refused them.
    pub bytes: Vec<u8>,
}
