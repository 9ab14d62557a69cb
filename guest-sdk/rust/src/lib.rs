//! The Rust SDK for Sluice filter plugins.
//!
//! A filter is a type that implements [`Filter`]: it is built once from the
//! plugin's config and then sees one parsed JSON document at a time. The SDK
//! owns everything else: the batch call across the WebAssembly boundary,
//! parsing (simd-json, in place), and serializing only the documents the
//! filter changed.
//!
//! ```ignore
//! use sluice_sdk::prelude::*;
//!
//! struct KeepEnglish;
//!
//! impl Filter for KeepEnglish {
//!     fn init(_config: Config) -> Result<Self, String> {
//!         Ok(KeepEnglish)
//!     }
//!     fn filter<'doc>(&self, tweet: &mut Value<'doc>) -> Verdict<'doc> {
//!         match tweet.get_str("lang") {
//!             Some("en") => Verdict::Unchanged,
//!             _ => Verdict::Drop,
//!         }
//!     }
//! }
//!
//! sluice_sdk::export_filter!(KeepEnglish);
//! ```
//!
//! A filter that can decide without the editable document answers earlier
//! and cheaper: [`Filter::filter_raw`] from the record's bytes,
//! [`Filter::filter_view`] from a read-only [`View`] of the parse.
//!
//! The same type runs natively through [`process_batch`], which is how plugin
//! logic is unit-tested and benchmarked without WebAssembly.

mod config;
mod outcome;
#[doc(hidden)]
pub mod wasm;

pub use config::Config;
pub use outcome::{Outcome, Verdict};
pub use simd_json;

/// A parsed JSON document that borrows from the record's bytes.
pub type Value<'doc> = simd_json::BorrowedValue<'doc>;

/// A read-only view of a parsed record: the parser's tape, which the
/// editable [`Value`] is built from. Reading a field walks the keys of its
/// object; nothing is allocated.
pub type View<'tape, 'doc> = simd_json::tape::Value<'tape, 'doc>;

/// Everything a filter module usually needs.
pub mod prelude {
    pub use crate::{Config, Filter, Outcome, Value, Verdict, View};
    pub use simd_json::prelude::*;
    pub use simd_json::value::borrowed::Object;
}

/// A filter plugin: built once per instance, then called once per record.
pub trait Filter: Sized + 'static {
    /// Builds the filter from its table in the pipeline config. An error
    /// refuses the plugin and is shown to the operator as is.
    fn init(config: Config) -> Result<Self, String>;

    /// Decides what happens to one document. Edit it in place and return
    /// [`Verdict::Changed`], or return another verdict.
    fn filter<'doc>(&self, doc: &mut Value<'doc>) -> Verdict<'doc>;

    /// Decides from the record's bytes alone, before they are parsed:
    /// `Some` is the record's outcome and [`Filter::filter`] is not called;
    /// `None` (the default) parses the record and calls it. Parsing is most
    /// of what a plugin costs, so a filter that can answer for some records
    /// without the document (or, like identity, for all of them) saves it.
    /// The bytes are whatever the previous stage forwarded, not checked to
    /// be JSON.
    fn filter_raw(&self, _record: &[u8]) -> Option<Outcome> {
        None
    }

    /// Decides from a read-only view of the parsed record, before the
    /// editable [`Value`] is built from it: `Some` is the record's verdict
    /// and [`Filter::filter`] is not called; `None` (the default) builds the
    /// value and calls it. Building the value (a map per object, all freed
    /// again) costs about as much as parsing, so a filter that reads a few
    /// fields and writes a new document from them saves it by answering
    /// [`Verdict::Replace`] here. There is nothing to edit in a view:
    /// [`Verdict::Changed`] from here forwards the record as it is.
    fn filter_view<'doc>(&self, _view: View<'_, 'doc>) -> Option<Verdict<'doc>> {
        None
    }
}

/// Runs `filter` over a batch of records exactly as the WebAssembly export
/// does: one outcome per record, in order.
pub fn process_batch<F: Filter>(filter: &F, batch: Vec<Vec<u8>>) -> Vec<Outcome> {
    // simd-json's scratch space (structural indexes, the padded input copy,
    // unescaped strings) and the serializer's are allocated once per batch
    // instead of per record; they grow to the largest record.
    let mut buffers = simd_json::Buffers::new(batch.iter().map(Vec::len).max().unwrap_or(0));
    let mut scratch = Vec::new();
    batch
        .into_iter()
        .map(|record| process_record(filter, record, &mut buffers, &mut scratch))
        .collect()
}

fn process_record<F: Filter>(
    filter: &F,
    mut record: Vec<u8>,
    buffers: &mut simd_json::Buffers,
    scratch: &mut Vec<u8>,
) -> Outcome {
    if let Some(outcome) = filter.filter_raw(&record) {
        return outcome;
    }
    // simd-json parses in place and rewrites the buffer; `Pass` tells the host
    // to reuse its own copy of the original bytes, so that is fine.
    let parsed = match simd_json::Deserializer::from_slice_with_buffers(&mut record, buffers) {
        Ok(parsed) => parsed,
        Err(error) => return Outcome::Reject(format!("plugin could not parse record: {error}")),
    };
    if let Some(verdict) = filter.filter_view(parsed.as_value()) {
        return Outcome::from_view_verdict(verdict, scratch);
    }
    // The same tape-to-value step simd-json's `to_borrowed_value` takes.
    let mut doc = simd_json::value::lazy::Value::from_tape(parsed.as_value()).into_value();
    Outcome::from_verdict(filter.filter(&mut doc), &doc, scratch)
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;
    use crate::{Outcome, process_batch};

    /// Drops stream control messages by their first bytes, retweets by a
    /// look at their text, and keeps only the text of everything else.
    struct TextOnly;

    impl Filter for TextOnly {
        fn init(_config: Config) -> Result<Self, String> {
            Ok(TextOnly)
        }

        fn filter<'doc>(&self, doc: &mut Value<'doc>) -> Verdict<'doc> {
            let Some(text) = doc.get("text").cloned() else {
                return Verdict::Reject("no text".to_owned());
            };
            let mut only = Object::default();
            only.insert("text".into(), text);
            *doc = Value::from(only);
            Verdict::Changed
        }

        fn filter_raw(&self, record: &[u8]) -> Option<Outcome> {
            record.starts_with(br#"{"delete""#).then_some(Outcome::Drop)
        }

        fn filter_view<'doc>(&self, view: View<'_, 'doc>) -> Option<Verdict<'doc>> {
            let text = view.get("text")?.into_string()?;
            text.starts_with("RT @").then_some(Verdict::Drop)
        }
    }

    #[test]
    fn raw_and_view_decisions_skip_the_document() {
        let batch = vec![
            br#"{"delete":{"status":{"id_str":"1"}}}"#.to_vec(),
            // Not JSON, yet decided before any parse.
            br#"{"delete" oops"#.to_vec(),
            br#"{"id_str":"505874918198624256","text":"RT @thsc782_407: #LED"}"#.to_vec(),
            br#"{"id_str":"505874915338104833","text":"\u304a\u306f\u3088\u3046"}"#.to_vec(),
            br#"{"id_str":"2""#.to_vec(),
        ];
        let outcomes = process_batch(&TextOnly, batch);
        assert_eq!(outcomes[0], Outcome::Drop);
        assert_eq!(outcomes[1], Outcome::Drop);
        assert_eq!(outcomes[2], Outcome::Drop);
        // The view declined: the document was built from the same parse,
        // escapes resolved.
        assert_eq!(
            outcomes[3],
            Outcome::Replace(r#"{"text":"おはよう"}"#.as_bytes().to_vec())
        );
        let Outcome::Reject(reason) = &outcomes[4] else {
            panic!("{:?}", outcomes[4]);
        };
        assert!(
            reason.starts_with("plugin could not parse record"),
            "{reason}"
        );
    }
}
