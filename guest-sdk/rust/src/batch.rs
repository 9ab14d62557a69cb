//! The per-record core that every kind of filter runs on: the raw bytes,
//! then simd-json's parse and a read-only view of it, then (only when asked
//! for) the editable document built from the same tape; and the serializer's
//! scratch space, kept across the batch.

use crate::{Outcome, Value, Verdict, View};

/// The three places a filter can answer, in the order the core asks them.
pub(crate) trait Hooks {
    /// `Some` decides the record before it is parsed.
    fn raw(&mut self, record: &[u8]) -> Option<Outcome>;
    /// `Some` decides the record from the view (serializing through
    /// `scratch` what it makes); `None` builds the document.
    fn view(&mut self, view: View<'_, '_>, scratch: &mut Vec<u8>) -> Option<Outcome>;
    /// Decides the record from the editable document.
    fn document<'doc>(&mut self, doc: &mut Value<'doc>) -> Verdict<'doc>;
}

/// One outcome per record, in order.
pub(crate) fn run<H: Hooks>(hooks: &mut H, batch: Vec<Vec<u8>>) -> Vec<Outcome> {
    // simd-json's scratch space (structural indexes, the padded input copy,
    // unescaped strings) and the serializer's are allocated once per batch
    // instead of per record; they grow to the largest record.
    let mut buffers = simd_json::Buffers::new(batch.iter().map(Vec::len).max().unwrap_or(0));
    let mut scratch = Vec::new();
    batch
        .into_iter()
        .map(|record| run_record(hooks, record, &mut buffers, &mut scratch))
        .collect()
}

fn run_record<H: Hooks>(
    hooks: &mut H,
    mut record: Vec<u8>,
    buffers: &mut simd_json::Buffers,
    scratch: &mut Vec<u8>,
) -> Outcome {
    if let Some(outcome) = hooks.raw(&record) {
        return outcome;
    }
    // simd-json parses in place and rewrites the buffer; `Pass` tells the host
    // to reuse its own copy of the original bytes, so that is fine.
    let parsed = match simd_json::Deserializer::from_slice_with_buffers(&mut record, buffers) {
        Ok(parsed) => parsed,
        Err(error) => return Outcome::Reject(format!("plugin could not parse record: {error}")),
    };
    if let Some(outcome) = hooks.view(parsed.as_value(), scratch) {
        return outcome;
    }
    let mut doc = crate::to_value(parsed.as_value());
    Outcome::from_verdict(hooks.document(&mut doc), &doc, scratch)
}
