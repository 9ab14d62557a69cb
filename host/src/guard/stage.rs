//! The guard stage: one call per document between the chain and the sink.
//!
//! A document must be one JSON object (a plugin's output is not trusted).
//! It is measured as Elasticsearch would map it and checked against the
//! per-document limits and against the budget of the index it is going to:
//! the union of the fields that index already holds, from earlier documents
//! of this run and from the index's mapping at start ([`Guard::seed`]).
//! A document that does not fit is dead-lettered, trimmed or folded, by the
//! pipeline's [`GuardPolicy`].
//!
//! The budget counts every document the guard lets through, also one the
//! sink later fails to index (a type conflict, say): the guard may
//! over-estimate what an index holds, never under-estimate it.

use std::collections::HashMap;

use serde::Serialize;

use super::limits::{Limits, Violation};
use super::mapping::{FieldKind, MappingShape};
use super::trim::trim;
use crate::config::{GuardConfig, GuardPolicy, IndexTarget};
use crate::json::{Json, Parser};
use crate::record::{DeadLetter, Document, Stage};
use crate::sink::{BulkEncoder, PatternError};

/// What the guard changed, for the run summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct GuardStats {
    /// Documents written without some of their fields (`drop_new_fields`).
    pub trimmed_documents: u64,
    /// Documents written with fields moved into the fold field (`fold`).
    pub folded_documents: u64,
    /// Values taken out of those documents.
    pub overflow_values: u64,
}

pub struct Guard {
    limits: Limits,
    policy: GuardPolicy,
    fold_field: String,
    /// Names each document's index; without one, the whole output is one
    /// budget.
    router: Option<BulkEncoder>,
    indices: HashMap<String, MappingShape>,
    stats: GuardStats,
    parser: Parser,
}

impl Guard {
    pub fn new(config: &GuardConfig, target: Option<&IndexTarget>) -> Result<Self, PatternError> {
        Ok(Guard {
            limits: Limits::from(config),
            policy: config.policy,
            fold_field: config.fold_field.clone(),
            router: target.map(BulkEncoder::new).transpose()?,
            indices: HashMap::new(),
            stats: GuardStats::default(),
            parser: Parser::default(),
        })
    }

    /// Starts an index's budget from the mapping it already has
    /// (`GET <index>/_mapping`'s `mappings` object).
    pub fn seed(&mut self, index: &str, mappings: &serde_json::Value) {
        self.indices
            .entry(index.to_owned())
            .or_default()
            .merge(&MappingShape::from_mapping(mappings));
    }

    /// The budget used so far in `index`.
    pub fn index_shape(&self, index: &str) -> Option<&MappingShape> {
        self.indices.get(index)
    }

    pub fn stats(&self) -> GuardStats {
        self.stats
    }

    /// Checks one document; hands what is written to `visit` (parsed) and
    /// returns it on one line, as NDJSON and `_bulk` framing need, or returns
    /// the dead letter.
    pub fn check(
        &mut self,
        mut document: Document,
        visit: impl FnOnce(Json),
    ) -> Result<Document, DeadLetter> {
        let tape = match self.parser.parse(&document.bytes) {
            Ok(tape) if Json::root(&tape).is_object() => tape,
            Ok(_) => {
                return Err(refuse(
                    document,
                    "plugin output is not a JSON object".into(),
                ));
            }
            Err(error) => {
                return Err(refuse(
                    document,
                    format!("plugin output is not valid JSON: {error}"),
                ));
            }
        };
        let value = Json::root(&tape);
        let (index, address) = match &self.router {
            Some(router) => match router.address_of(value) {
                Ok(address) => (address.index.clone(), Some(address)),
                // No index to budget for: the sink dead-letters it with
                // this same reason, so it is not part of what is written.
                Err(_) => return Ok(one_line(document)),
            },
            None => (String::new(), None),
        };
        let budget = self.indices.entry(index.clone()).or_default();
        let (added, whole) = measure(value, budget, &self.limits);
        let Some(violation) = self.limits.check(&index, budget, &added, whole.as_ref()) else {
            budget.merge(&added);
            visit(value);
            document.address = address;
            return Ok(one_line(document));
        };
        if self.policy == GuardPolicy::DeadLetter {
            return Err(refuse(document, violation.to_string()));
        }
        match self.rewrite(&index, &document.bytes, visit) {
            Ok(bytes) => {
                document.bytes = bytes;
                Ok(document)
            }
            Err(Unwritable::StillTooBig(violation)) => Err(refuse(document, violation.to_string())),
            Err(Unwritable::TooDeep(error)) => Err(refuse(
                document,
                format!("{violation}; too deeply nested to rewrite: {error}"),
            )),
        }
    }

    /// Takes out what does not fit (folding it for `fold`), checks the
    /// result again and books it into the index's budget.
    fn rewrite(
        &mut self,
        index: &str,
        bytes: &[u8],
        visit: impl FnOnce(Json),
    ) -> Result<Vec<u8>, Unwritable> {
        let budget = self.indices.get_mut(index).expect("created by check");
        // simd-json has no nesting limit; serde_json stops at 128 levels,
        // which keeps the rewrite's recursion off the end of the stack.
        let mut object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(bytes).map_err(Unwritable::TooDeep)?;
        let fold = self.policy == GuardPolicy::Fold;
        let mut overflow = Vec::new();
        if fold && let Some(value) = object.remove(&self.fold_field) {
            // The fold field is the guard's: a value already there is kept
            // inside the folded one.
            overflow.push((self.fold_field.clone(), value));
        }
        let reserved = if fold && budget.kind_of(&self.fold_field).is_none() {
            FieldKind::Text.mapping_fields()
        } else {
            0
        };
        overflow.extend(trim(&mut object, &self.limits, budget, reserved));
        let values = overflow.len() as u64;
        if fold && !overflow.is_empty() {
            object.insert(self.fold_field.clone(), folded(overflow).into());
        }
        let mut rewritten = serde_json::to_vec(&object).expect("a JSON value serializes");
        let tape = self
            .parser
            .parse(&rewritten)
            .expect("serde_json wrote JSON");
        let value = Json::root(&tape);
        let (added, whole) = measure(value, budget, &self.limits);
        if let Some(violation) = self.limits.check(index, budget, &added, whole.as_ref()) {
            return Err(Unwritable::StillTooBig(violation));
        }
        budget.merge(&added);
        visit(value);
        self.stats.overflow_values += values;
        if values > 0 {
            match fold {
                true => self.stats.folded_documents += 1,
                false => self.stats.trimmed_documents += 1,
            }
        }
        rewritten.shrink_to_fit();
        Ok(rewritten)
    }
}

/// Why a document that does not fit cannot be rewritten to fit.
enum Unwritable {
    /// What is left after trimming still breaks a limit.
    StillTooBig(Violation),
    /// Nested deeper than the rewrite's parser goes.
    TooDeep(serde_json::Error),
}

/// What a document adds to an index's budget, and its whole shape when a
/// per-document field limit needs it.
fn measure(
    value: Json,
    budget: &MappingShape,
    limits: &Limits,
) -> (MappingShape, Option<MappingShape>) {
    let mut added = MappingShape::new();
    added.add_unknown(value, budget);
    let whole = limits.document_fields.map(|_| {
        let mut whole = MappingShape::new();
        whole.add(value);
        whole
    });
    (added, whole)
}

/// The fold field's text: an object from dotted path to value, as JSON; a
/// path met more than once (array elements) holds an array of its values.
fn folded(overflow: Vec<(String, serde_json::Value)>) -> String {
    let mut object = serde_json::Map::new();
    for (path, value) in overflow {
        match object.get_mut(&path) {
            None => {
                object.insert(path, value);
            }
            Some(serde_json::Value::Array(values)) => values.push(value),
            Some(first) => *first = serde_json::Value::Array(vec![first.take(), value]),
        }
    }
    serde_json::Value::Object(object).to_string()
}

/// Inside valid JSON a line break can only be insignificant whitespace
/// (strings must escape it), so removing it is lossless.
fn one_line(mut document: Document) -> Document {
    document.bytes.retain(|b| !matches!(b, b'\n' | b'\r'));
    document
}

fn refuse(document: Document, reason: String) -> DeadLetter {
    DeadLetter {
        origin: document.origin,
        stage: Stage::Guard,
        plugin: None,
        plugin_version: None,
        reason,
        bytes: document.bytes,
    }
}
