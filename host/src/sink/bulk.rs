//! The Elasticsearch `_bulk` encoding shared by every sink that speaks it:
//! an action line naming the index and `_id`, then the document.

use super::index_pattern::{IndexPattern, parse_timestamp};
use crate::config::IndexTarget;
use crate::json::{Json, Parser, ValueType};
use crate::record::{DeadLetter, Document, Stage};

/// Turns documents into `_bulk` lines for one [`IndexTarget`].
#[derive(Debug, Clone)]
pub struct BulkEncoder {
    pattern: IndexPattern,
    id_field: String,
    timestamp_field: String,
}

/// Where one document goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkAddress {
    pub index: String,
    pub id: String,
}

impl BulkEncoder {
    pub fn new(target: &IndexTarget) -> Result<Self, super::PatternError> {
        Ok(BulkEncoder {
            pattern: IndexPattern::parse(&target.index)?,
            id_field: target.id_field.clone(),
            timestamp_field: target.timestamp_field.clone(),
        })
    }

    /// Every index this encoder can name, as an index expression.
    pub fn index_wildcard(&self) -> String {
        self.pattern.wildcard()
    }

    /// The index and `_id` of a document, or the reason it has none.
    pub fn address(&self, document: &Document) -> Result<BulkAddress, String> {
        let mut parser = Parser::default();
        let tape = parser
            .parse(&document.bytes)
            .map_err(|e| format!("document is not valid JSON: {e}"))?;
        self.address_of(Json::root(&tape))
    }

    /// The index and `_id` of a document already parsed (the guard budgets
    /// per index without parsing twice).
    pub fn address_of(&self, value: Json) -> Result<BulkAddress, String> {
        let id = field(value, &self.id_field)
            .and_then(scalar_to_string)
            .ok_or_else(|| format!("no `{}` field to use as _id", self.id_field))?;
        let time = if self.pattern.needs_timestamp() {
            let text = field(value, &self.timestamp_field)
                .and_then(Json::text)
                .ok_or_else(|| format!("no `{}` field for the index name", self.timestamp_field))?;
            Some(
                parse_timestamp(text)
                    .ok_or_else(|| format!("`{}` is not a time: {text:?}", self.timestamp_field))?,
            )
        } else {
            None
        };
        let index = self
            .pattern
            .render(time)
            .expect("a time is given whenever the pattern needs one");
        Ok(BulkAddress { index, id })
    }

    /// Appends the action line and the document, or returns the dead letter.
    pub fn encode(
        &self,
        mut document: Document,
        out: &mut Vec<u8>,
    ) -> Result<BulkAddress, DeadLetter> {
        let address = match document.address.take() {
            Some(address) => Ok(address),
            None => self.address(&document),
        };
        match address {
            Ok(address) => {
                let action = serde_json::json!({
                    "index": { "_index": address.index, "_id": address.id }
                });
                serde_json::to_writer(&mut *out, &action).expect("writing to a Vec cannot fail");
                out.push(b'\n');
                out.extend_from_slice(&document.bytes);
                out.push(b'\n');
                Ok(address)
            }
            Err(reason) => Err(DeadLetter {
                origin: document.origin,
                stage: Stage::Sink,
                plugin: None,
                plugin_version: None,
                reason,
                bytes: document.bytes,
            }),
        }
    }
}

/// A field by dotted path (`user.id_str`), also when the key itself is dotted.
fn field<'t, 'a>(value: Json<'t, 'a>, path: &str) -> Option<Json<'t, 'a>> {
    if let Some(direct) = value.get(path) {
        return Some(direct);
    }
    let (head, rest) = path.split_once('.')?;
    field(value.get(head)?, rest)
}

fn scalar_to_string(value: Json) -> Option<String> {
    match value.value_type() {
        ValueType::String => value.text().map(str::to_owned),
        _ => value.integer_text(),
    }
}
