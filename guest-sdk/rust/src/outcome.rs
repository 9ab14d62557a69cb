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
    /// `size_hint` is the record's length: edited documents are rarely much
    /// larger, so one allocation of that size usually holds the output where
    /// growing from nothing would copy it several times.
    pub(crate) fn from_verdict(verdict: Verdict<'_>, doc: &Value<'_>, size_hint: usize) -> Self {
        match verdict {
            Verdict::Unchanged => Outcome::Pass,
            Verdict::Changed => Outcome::Replace(serialize(doc, size_hint)),
            Verdict::Drop => Outcome::Drop,
            Verdict::Split(docs) => {
                let each = size_hint / docs.len().max(1);
                Outcome::Split(docs.iter().map(|d| serialize(d, each)).collect())
            }
            Verdict::Reject(reason) => Outcome::Reject(reason),
        }
    }
}

fn serialize(doc: &Value<'_>, capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(capacity);
    doc.write(&mut out)
        .expect("writing JSON into a Vec cannot fail");
    out
}
