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

/// Everything a filter module usually needs.
pub mod prelude {
    pub use crate::{Config, Filter, Value, Verdict};
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
}

/// Runs `filter` over a batch of records exactly as the WebAssembly export
/// does: one outcome per record, in order.
pub fn process_batch<F: Filter>(filter: &F, batch: Vec<Vec<u8>>) -> Vec<Outcome> {
    batch
        .into_iter()
        .map(|record| process_record(filter, record))
        .collect()
}

fn process_record<F: Filter>(filter: &F, mut record: Vec<u8>) -> Outcome {
    // simd-json parses in place and rewrites the buffer; `Pass` tells the host
    // to reuse its own copy of the original bytes, so that is fine.
    let mut doc = match simd_json::to_borrowed_value(&mut record) {
        Ok(doc) => doc,
        Err(error) => return Outcome::Reject(format!("plugin could not parse record: {error}")),
    };
    Outcome::from_verdict(filter.filter(&mut doc), &doc)
}
