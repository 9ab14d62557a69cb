//! Documents into `_bulk` items (an `index` action and its document, or a
//! `delete` action for a stream's delete notice), and items into request
//! bodies sized by bytes and count.

use std::time::Instant;

use bytes::{Bytes, BytesMut};

use super::config::BatchConfig;
use super::retry::{Class, classify};
use crate::record::{DeadLetter, Document, Origin, Stage};
use crate::sink::BulkEncoder;

/// One `index` action and its document, or one `delete` action, ready to
/// send (and to send again).
#[derive(Debug, Clone)]
pub struct Item {
    pub origin: Origin,
    /// The action line and the document, each ending in a newline.
    pub lines: Bytes,
    /// Where the document starts in `lines` (its end, for a delete).
    document_at: usize,
    delete: bool,
}

impl Item {
    /// Encodes a document with the shared `_bulk` encoder, or returns the
    /// dead letter of a document that has no `_id` or index.
    pub fn encode(encoder: &BulkEncoder, document: Document) -> Result<Item, DeadLetter> {
        let delete = document.is_delete();
        // A delete sends no document: its dead letter must still hold the
        // notice.
        let origin = match delete {
            true => document.origin.clone().entered_as(document.bytes.clone()),
            false => document.origin.clone(),
        };
        let mut lines = Vec::with_capacity(document.bytes.len() + 96);
        encoder.encode(document, &mut lines)?;
        let document_at = lines
            .iter()
            .position(|b| *b == b'\n')
            .expect("the encoder ends the action line with a newline")
            + 1;
        Ok(Item {
            origin,
            lines: Bytes::from(lines),
            document_at,
            delete,
        })
    }

    /// What an item's status means. A delete of a tweet the index does not
    /// hold (404, `not_found`) is done: the tweet is not there.
    pub fn classify(&self, status: u16) -> Class {
        match status {
            404 if self.delete => Class::Done,
            status => classify(status),
        }
    }

    /// The dead letter for this item, with the document as it was sent
    /// (a delete sent no document: its action line).
    pub fn dead_letter(&self, reason: String) -> DeadLetter {
        let document = match self.delete {
            true => &self.lines[..],
            false => &self.lines[self.document_at..],
        };
        DeadLetter {
            origin: self.origin.clone(),
            stage: Stage::Sink,
            plugin: None,
            plugin_version: None,
            reason,
            bytes: document.strip_suffix(b"\n").unwrap_or(document).to_vec(),
        }
    }
}

/// The body of one `_bulk` request for `items`.
pub fn body(items: &[Item]) -> Bytes {
    let mut body = BytesMut::with_capacity(items.iter().map(|i| i.lines.len()).sum());
    for item in items {
        body.extend_from_slice(&item.lines);
    }
    body.freeze()
}

/// Items gathered for the next request.
#[derive(Debug)]
pub struct Batch {
    limits: BatchConfig,
    items: Vec<Item>,
    bytes: usize,
    started: Option<Instant>,
}

impl Batch {
    pub fn new(limits: BatchConfig) -> Self {
        Batch {
            limits,
            items: Vec::new(),
            bytes: 0,
            started: None,
        }
    }

    /// Whether `item` must go into the next request instead. A single item
    /// larger than `max_bytes` still goes, alone.
    pub fn has_no_room_for(&self, item: &Item) -> bool {
        !self.items.is_empty() && self.bytes + item.lines.len() > self.limits.max_bytes
    }

    pub fn push(&mut self, item: Item) {
        self.started.get_or_insert_with(Instant::now);
        self.bytes += item.lines.len();
        self.items.push(item);
    }

    pub fn is_full(&self) -> bool {
        self.items.len() >= self.limits.max_documents || self.bytes >= self.limits.max_bytes
    }

    /// When the linger time of the oldest item ends.
    pub fn deadline(&self) -> Option<Instant> {
        self.started
            .map(|started| started + std::time::Duration::from_millis(self.limits.linger_ms))
    }

    pub fn take(&mut self) -> Vec<Item> {
        self.bytes = 0;
        self.started = None;
        std::mem::take(&mut self.items)
    }
}
