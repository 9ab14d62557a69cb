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
    /// The record as it entered Sluice, kept once a stage has changed its
    /// bytes (unwrapped, replaced or split by a plugin), so that a dead
    /// letter from any later stage still holds what came in. `None` while
    /// the bytes are still the ones read.
    pub original: Option<Arc<Vec<u8>>>,
}

impl Origin {
    /// The origin of a record whose current bytes, `entered`, are about to
    /// be replaced: keeps them as the original unless an earlier stage
    /// already kept the bytes as read.
    pub fn entered_as(mut self, entered: Vec<u8>) -> Self {
        if self.original.is_none() {
            self.original = Some(Arc::new(entered));
        }
        self
    }
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
    pub operation: Operation,
}

/// What the sink does with a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// Write it (a `_bulk` `index` action, a line in a file).
    Index,
    /// Remove the tweet with this id: the stream's `delete` notice, whose
    /// bytes are the document. It skips the plugins and the guard.
    Delete { id: String },
}

impl Document {
    pub fn new(origin: Origin, bytes: Vec<u8>) -> Self {
        Document {
            origin,
            bytes,
            address: None,
            operation: Operation::Index,
        }
    }

    /// A delete notice for the tweet `id`; `bytes` is the notice.
    pub fn delete(origin: Origin, bytes: Vec<u8>, id: String) -> Self {
        Document {
            operation: Operation::Delete { id },
            ..Document::new(origin, bytes)
        }
    }

    pub fn is_delete(&self) -> bool {
        matches!(self.operation, Operation::Delete { .. })
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
    /// 32 bits keep a dead letter small enough to travel in a `Result`.
    pub plugin_version: Option<u32>,
    pub reason: String,
    /// The bytes as they entered the stage that refused them.
    pub bytes: Vec<u8>,
}

impl DeadLetter {
    /// The record as it entered Sluice, byte for byte: what a replay needs.
    pub fn original(&self) -> &[u8] {
        self.origin.original.as_deref().unwrap_or(&self.bytes)
    }

    /// The bytes the refusing stage saw, when they differ from the
    /// original (a plugin's output refused by the guard or the sink).
    pub fn refused(&self) -> Option<&[u8]> {
        self.origin.original.as_ref().map(|_| self.bytes.as_slice())
    }
}
