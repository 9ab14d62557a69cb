//! The Elasticsearch `_bulk` encoding shared by every sink that speaks it:
//! an action line naming the index and `_id`, then the document; for a
//! stream's delete notice, a `delete` action line alone.

use super::index_pattern::{IndexPattern, parse_timestamp};
use crate::config::IndexTarget;
use crate::json::{Json, Parser, ValueType};
use crate::record::{DeadLetter, Document, Operation, Stage};

/// Twitter's snowflake ids hold their creation time: milliseconds since
/// this epoch (2010-11-04T01:42:54.657Z), shifted left by 22 bits.
const SNOWFLAKE_EPOCH_MS: i64 = 1_288_834_974_657;
/// Ids below this were handed out before snowflake ids (the last ones were
/// about 3 * 10^10) and say nothing about time.
const FIRST_SNOWFLAKE: u64 = 100_000_000_000_000;

/// Elasticsearch's limit on `_id`, in UTF-8 bytes (`DocWriteRequest.validateDocIdLength`).
const MAX_ID_BYTES: usize = 512;

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
    /// An `_id` that Elasticsearch would refuse (empty, or over 512 bytes,
    /// which fails the whole `_bulk` request) is the reason, in ES's words.
    pub fn address_of(&self, value: Json) -> Result<BulkAddress, String> {
        let id = field(value, &self.id_field)
            .and_then(scalar_to_string)
            .ok_or_else(|| format!("no `{}` field to use as _id", self.id_field))?;
        if id.is_empty() {
            return Err(format!(
                "`{}` is empty: if _id is specified it must not be empty",
                self.id_field
            ));
        }
        if id.len() > MAX_ID_BYTES {
            return Err(format!(
                "`{}` is too long for _id: id [{id}] is too long, must be no longer than {MAX_ID_BYTES} bytes but was: {}",
                self.id_field,
                id.len()
            ));
        }
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

    /// Where the tweet `id` that a delete notice names was indexed: a fixed
    /// index, or the one its creation time (read from the id) names.
    pub fn delete_address(&self, id: &str) -> Result<BulkAddress, String> {
        if !self.pattern.needs_timestamp() {
            let index = self.pattern.render(None).expect("no time is needed");
            return Ok(BulkAddress {
                index,
                id: id.to_owned(),
            });
        }
        let time = snowflake_time(id).ok_or_else(|| {
            format!(
                "cannot tell the index of tweet {id} from its id (not a snowflake id, \
                 from before November 2010): use a fixed index name to honour its deletion"
            )
        })?;
        let index = self.pattern.render(Some(time)).expect("the time is given");
        Ok(BulkAddress {
            index,
            id: id.to_owned(),
        })
    }

    /// Appends the action line and the document (only the action line for
    /// a delete), or returns the dead letter.
    pub fn encode(
        &self,
        mut document: Document,
        out: &mut Vec<u8>,
    ) -> Result<BulkAddress, DeadLetter> {
        let address = match (&document.operation, document.address.take()) {
            (Operation::Delete { id }, _) => self.delete_address(id),
            (Operation::Index, Some(address)) => Ok(address),
            (Operation::Index, None) => self.address(&document),
        };
        match address {
            Ok(address) => {
                let action = if document.is_delete() {
                    "delete"
                } else {
                    "index"
                };
                let action = serde_json::json!({
                    (action): { "_index": address.index, "_id": address.id }
                });
                serde_json::to_writer(&mut *out, &action).expect("writing to a Vec cannot fail");
                out.push(b'\n');
                if !document.is_delete() {
                    out.extend_from_slice(&document.bytes);
                    out.push(b'\n');
                }
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

/// The creation time of the tweet with snowflake id `id`.
fn snowflake_time(id: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let id: u64 = id.parse().ok().filter(|id| *id >= FIRST_SNOWFLAKE)?;
    let millis = i64::try_from(id >> 22).ok()? + SNOWFLAKE_EPOCH_MS;
    chrono::DateTime::from_timestamp_millis(millis)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Origin;

    fn encoder(index: &str) -> BulkEncoder {
        BulkEncoder::new(&IndexTarget {
            index: index.into(),
            id_field: "id_str".into(),
            timestamp_field: "created_at".into(),
        })
        .unwrap()
    }

    fn origin() -> Origin {
        Origin {
            source: "test".into(),
            partition: None,
            offset: 1,
            original: None,
        }
    }

    #[test]
    fn a_delete_goes_to_the_daily_index_of_the_tweets_creation() {
        // 668246004051873793 was created at Sun Nov 22 01:53:57 +0000 2015
        // (data/python-twitter-testdata.ndjson).
        let notice = br#"{"delete":{"status":{"id_str":"668246004051873793"}}}"#.to_vec();
        let document = Document::delete(origin(), notice, "668246004051873793".into());
        let mut out = Vec::new();
        encoder("twitter-%{+YYYY.MM.dd}")
            .encode(document, &mut out)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"delete\":{\"_id\":\"668246004051873793\",\"_index\":\"twitter-2015.11.22\"}}\n"
        );
    }

    #[test]
    fn a_pre_snowflake_delete_needs_a_fixed_index() {
        let daily = encoder("twitter-%{+YYYY.MM.dd}").delete_address("1234");
        assert!(daily.unwrap_err().contains("from before November 2010"));
        let fixed = encoder("tweets").delete_address("1234").unwrap();
        assert_eq!(fixed.index, "tweets");
    }

    fn address(doc: &str) -> Result<BulkAddress, String> {
        let mut parser = Parser::default();
        let tape = parser.parse(doc.as_bytes()).unwrap();
        encoder("tweets").address_of(Json::root(&tape))
    }

    #[test]
    fn ids_elasticsearch_refuses_are_reasons_in_its_words() {
        assert_eq!(
            address(r#"{"id_str": ""}"#).unwrap_err(),
            "`id_str` is empty: if _id is specified it must not be empty"
        );
        let long = "9".repeat(513);
        let reason = address(&format!(r#"{{"id_str": "{long}"}}"#)).unwrap_err();
        assert_eq!(
            reason,
            format!(
                "`id_str` is too long for _id: id [{long}] is too long, must be no longer than 512 bytes but was: 513"
            )
        );
        // 512 bytes of UTF-8 (256 two-byte characters) is still an id.
        let at_limit = "é".repeat(256);
        let ok = address(&format!(r#"{{"id_str": "{at_limit}"}}"#)).unwrap();
        assert_eq!(ok.id, at_limit);
        assert_eq!(ok.index, "tweets");
    }
}
