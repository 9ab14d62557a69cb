//! The Rust SDK for Sluice filter plugins.
//!
//! A filter is one function with an attribute. It gets each record as a
//! read-only [`View`] of simd-json's parse (the fast path: no tree is built)
//! and answers with a [`Verdict`]:
//!
//! ```ignore
//! use sluice_sdk::prelude::*;
//!
//! #[sluice_sdk::filter]
//! fn keep_english(tweet: &View) -> Verdict {
//!     match tweet.get_str("lang") {
//!         Some("en") => Verdict::Unchanged,
//!         _ => Verdict::Drop,
//!     }
//! }
//! ```
//!
//! Settings are a second parameter, any `serde::Deserialize` type parsed
//! once from the plugin's table (`&Settings`, or `&mut State` for a filter
//! that keeps state between records); a misspelt key is refused by name. A
//! filter that edits in place takes `tweet: &mut Value` instead. See
//! [`macro@filter`] for every form. The SDK owns everything else: the batch call
//! across the WebAssembly boundary, parsing (simd-json, in place), and
//! serializing only the documents the filter made.
//!
//! The [`Filter`] trait is the longer form of the same thing, with a hook for
//! each of the three places a filter can answer (the raw bytes, the view, the
//! document); the plugins in this repository use it. Both run on one core
//! and run natively, which is how plugin logic is unit-tested without
//! WebAssembly: [`Plugin::process`] for a function filter, [`process_batch`]
//! for a trait filter.

mod batch;
mod config;
mod function;
mod outcome;
#[doc(hidden)]
pub mod wasm;

pub use config::Config;
pub use outcome::{Outcome, Verdict};
pub use simd_json;
/// Makes a filter plugin of one function; see the crate's documentation.
pub use sluice_sdk_macros::filter;

/// What `#[filter]` expands to calls; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::function::{NoSettings, each_bytes, each_document, each_view};
}

/// A parsed JSON document that borrows from the record's bytes.
pub type Value<'doc> = simd_json::BorrowedValue<'doc>;

/// A read-only view of a parsed record: the parser's tape, which the
/// editable [`Value`] is built from. Reading a field walks the keys of its
/// object; nothing is allocated.
pub type View<'tape, 'doc> = simd_json::tape::Value<'tape, 'doc>;

/// Everything a filter module usually needs.
pub mod prelude {
    pub use crate::{Config, Filter, Outcome, Plugin, Value, Verdict, View};
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

/// One instance of a plugin as the component exports it: built from its
/// settings once, then handed batches. `#[filter]` implements it for the
/// type it makes; [`export_filter!`] wraps a [`Filter`] in it.
pub trait Plugin: Sized + 'static {
    /// Builds the plugin from its table in the pipeline config. An error
    /// refuses the plugin and is shown to the operator as is.
    fn init(config: Config) -> Result<Self, String>;

    /// One outcome per record of the batch, in order.
    fn process(&mut self, batch: Vec<Vec<u8>>) -> Vec<Outcome>;
}

/// A [`Filter`] as a [`Plugin`]: what [`export_filter!`] exports, and how a
/// host that links filters natively runs both kinds the same way.
pub struct TraitPlugin<F>(F);

impl<F: Filter> Plugin for TraitPlugin<F> {
    fn init(config: Config) -> Result<Self, String> {
        F::init(config).map(TraitPlugin)
    }

    fn process(&mut self, batch: Vec<Vec<u8>>) -> Vec<Outcome> {
        process_batch(&self.0, batch)
    }
}

/// Runs `filter` over a batch of records exactly as the WebAssembly export
/// does: one outcome per record, in order.
pub fn process_batch<F: Filter>(filter: &F, batch: Vec<Vec<u8>>) -> Vec<Outcome> {
    batch::run(&mut TraitHooks(filter), batch)
}

/// The editable document built from a view, sharing its strings: the same
/// tape-to-value step simd-json's `to_borrowed_value` takes. For a view
/// filter that forwards part of a record (`Value::from(..)` covers strings
/// and numbers; this covers objects and arrays).
pub fn to_value<'doc>(view: View<'_, 'doc>) -> Value<'doc> {
    simd_json::value::lazy::Value::from_tape(view).into_value()
}

struct TraitHooks<'a, F>(&'a F);

impl<F: Filter> batch::Hooks for TraitHooks<'_, F> {
    fn raw(&mut self, record: &[u8]) -> Option<Outcome> {
        self.0.filter_raw(record)
    }

    fn view(&mut self, view: View<'_, '_>, scratch: &mut Vec<u8>) -> Option<Outcome> {
        let verdict = self.0.filter_view(view)?;
        Some(Outcome::from_view_verdict(verdict, scratch))
    }

    fn document<'doc>(&mut self, doc: &mut Value<'doc>) -> Verdict<'doc> {
        self.0.filter(doc)
    }
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
