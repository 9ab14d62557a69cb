//! What a filter decides for a record, before and after serialization.

use simd_json::prelude::*;

use crate::Value;

/// What [`crate::Filter::filter`] returns for one document.
pub enum Verdict<'doc> {
    /// The document was not touched: the host forwards its original bytes.
    Unchanged,
    /// The document was edited in place: the SDK serializes it.
    Changed,
    /// Drop the record on purpose (counted as dropped).
    Drop,
    /// Forward these documents instead of this one.
    Split(Vec<Value<'doc>>),
    /// Refuse the record; the reason is dead-lettered with its bytes.
    Reject(String),
}

/// The outcome for one record as it crosses the plugin boundary; mirrors the
/// `outcome` variant in `guest-sdk/wit/filter.wit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Replace(Vec<u8>),
    Drop,
    Split(Vec<Vec<u8>>),
    Reject(String),
}

impl Outcome {
    pub(crate) fn from_verdict(verdict: Verdict<'_>, doc: &Value<'_>) -> Self {
        match verdict {
            Verdict::Unchanged => Outcome::Pass,
            Verdict::Changed => Outcome::Replace(doc.encode().into_bytes()),
            Verdict::Drop => Outcome::Drop,
            Verdict::Split(docs) => {
                Outcome::Split(docs.iter().map(|d| d.encode().into_bytes()).collect())
            }
            Verdict::Reject(reason) => Outcome::Reject(reason),
        }
    }
}
