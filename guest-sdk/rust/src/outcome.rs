//! What a filter decides for a record, before and after serialization.

use simd_json::prelude::*;

use crate::Value;

/// What a filter decides for one record, from its document or its view.
pub enum Verdict<'doc> {
    /// The document was not touched: the host forwards its original bytes.
    Unchanged,
    /// The document was edited in place: the SDK serializes it.
    Changed,
    /// Drop the record on purpose (counted as dropped).
    Drop,
    /// Forward this document instead of the record.
    Replace(Value<'doc>),
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
    /// Serializes through `scratch`, which the caller keeps across records:
    /// it grows to the largest document once, and each output is one
    /// allocation of exactly its size, where writing into a fresh vector would
    /// grow and copy it several times (and pre-sizing it by the record's length
    /// would hold several times the memory for a whole batch).
    pub(crate) fn from_verdict(
        verdict: Verdict<'_>,
        doc: &Value<'_>,
        scratch: &mut Vec<u8>,
    ) -> Self {
        match verdict {
            Verdict::Changed => Outcome::Replace(serialize(doc, scratch)),
            other => Self::from_view_verdict(other, scratch),
        }
    }

    /// The outcome of a verdict on a view, where no document was edited.
    pub(crate) fn from_view_verdict(verdict: Verdict<'_>, scratch: &mut Vec<u8>) -> Self {
        match verdict {
            Verdict::Unchanged | Verdict::Changed => Outcome::Pass,
            Verdict::Replace(doc) => Outcome::Replace(serialize(&doc, scratch)),
            Verdict::Drop => Outcome::Drop,
            Verdict::Split(docs) => {
                Outcome::Split(docs.iter().map(|d| serialize(d, scratch)).collect())
            }
            Verdict::Reject(reason) => Outcome::Reject(reason),
        }
    }
}

fn serialize(doc: &Value<'_>, scratch: &mut Vec<u8>) -> Vec<u8> {
    scratch.clear();
    doc.write(scratch)
        .expect("writing JSON into a Vec cannot fail");
    scratch.as_slice().to_vec()
}
