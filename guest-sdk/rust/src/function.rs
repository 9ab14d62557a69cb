//! What `#[sluice_sdk::filter]` expands to calls: a function filter run on
//! the core, and the settings type of a filter that takes none. Not for
//! authors to call; the macro's paths name it.

use serde::Deserialize;

use crate::batch::{self, Hooks};
use crate::{Outcome, Value, Verdict, View};

/// The settings of a filter without a settings parameter: none, so any key
/// in its table is refused by name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoSettings {}

/// A view or the bytes have nothing to edit, so `Changed` from such a filter
/// would forward the record untouched while its author meant an edit: the
/// record is refused instead, saying what to write.
const CHANGED_FROM_VIEW: &str = "filter returned Verdict::Changed without an editable document: \
     return Verdict::Replace(new document), or take `tweet: &mut Value` to edit in place";

/// Runs a `fn(record: &[u8], ...)` filter over a batch.
pub fn each_bytes<F>(batch: Vec<Vec<u8>>, filter: F) -> Vec<Outcome>
where
    F: for<'doc> FnMut(&'doc [u8]) -> Verdict<'doc>,
{
    batch::run(&mut BytesFilter(filter), batch)
}

/// Runs a `fn(tweet: &View, ...)` filter over a batch.
pub fn each_view<F>(batch: Vec<Vec<u8>>, filter: F) -> Vec<Outcome>
where
    F: for<'doc> FnMut(&'doc View<'doc, 'doc>) -> Verdict<'doc>,
{
    batch::run(&mut ViewFilter(filter), batch)
}

/// Runs a `fn(tweet: &mut Value, ...)` filter over a batch.
pub fn each_document<F>(batch: Vec<Vec<u8>>, filter: F) -> Vec<Outcome>
where
    F: for<'doc> FnMut(&mut Value<'doc>) -> Verdict<'doc>,
{
    batch::run(&mut DocumentFilter(filter), batch)
}

struct BytesFilter<F>(F);

impl<F> Hooks for BytesFilter<F>
where
    F: for<'doc> FnMut(&'doc [u8]) -> Verdict<'doc>,
{
    fn raw(&mut self, record: &[u8]) -> Option<Outcome> {
        // A document made from the bytes is serialized here, while they are
        // still borrowed; there is no edited document to serialize.
        let verdict = match (self.0)(record) {
            Verdict::Changed => Verdict::Reject(CHANGED_FROM_VIEW.to_owned()),
            verdict => verdict,
        };
        Some(Outcome::from_view_verdict(verdict, &mut Vec::new()))
    }

    fn view(&mut self, _view: View<'_, '_>, _scratch: &mut Vec<u8>) -> Option<Outcome> {
        unreachable!("a bytes filter answers every record before it is parsed")
    }

    fn document<'doc>(&mut self, _doc: &mut Value<'doc>) -> Verdict<'doc> {
        unreachable!("a bytes filter answers every record before it is parsed")
    }
}

struct ViewFilter<F>(F);

impl<F> Hooks for ViewFilter<F>
where
    F: for<'doc> FnMut(&'doc View<'doc, 'doc>) -> Verdict<'doc>,
{
    fn raw(&mut self, _record: &[u8]) -> Option<Outcome> {
        None
    }

    /// The function sees the view, its tape and the record under one
    /// lifetime, so whatever it reads (`get_str`, `into_string`) can go
    /// into the document it returns; that document is serialized here,
    /// while the view is still borrowed.
    fn view(&mut self, view: View<'_, '_>, scratch: &mut Vec<u8>) -> Option<Outcome> {
        let verdict = match (self.0)(&view) {
            Verdict::Changed => Verdict::Reject(CHANGED_FROM_VIEW.to_owned()),
            verdict => verdict,
        };
        Some(Outcome::from_view_verdict(verdict, scratch))
    }

    fn document<'doc>(&mut self, _doc: &mut Value<'doc>) -> Verdict<'doc> {
        unreachable!("a view filter answers every record from its view")
    }
}

struct DocumentFilter<F>(F);

impl<F> Hooks for DocumentFilter<F>
where
    F: for<'doc> FnMut(&mut Value<'doc>) -> Verdict<'doc>,
{
    fn raw(&mut self, _record: &[u8]) -> Option<Outcome> {
        None
    }

    fn view(&mut self, _view: View<'_, '_>, _scratch: &mut Vec<u8>) -> Option<Outcome> {
        None
    }

    fn document<'doc>(&mut self, doc: &mut Value<'doc>) -> Verdict<'doc> {
        (self.0)(doc)
    }
}
