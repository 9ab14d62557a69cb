//! Decoding: raw bytes become a [`Document`] (one JSON object, parsed with
//! simd-json) or a [`DeadLetter`] that says what is wrong and where.
//!
//! A line holding a JSON *string* whose content is a JSON object is a common
//! producer bug (the tweet was serialized twice). It is unwrapped or
//! dead-lettered as configured.
//!
//! A stream control message (`{"delete": ...}`, `{"limit": ...}`) is
//! recognised here ([`control`]) and leaves as a [`Decoded::Notice`].

pub mod control;

use crate::json::{Json, Parser, ValueType};

use crate::config::DoubleEncoded;
use crate::record::{DeadLetter, Document, RawRecord, Stage};

/// Turns raw records into documents; one per worker.
pub struct Decoder {
    double_encoded: DoubleEncoded,
    /// Kept from record to record: allocating simd-json's buffers and the
    /// record's copy per record cost more than a tenth of the decode stage.
    parser: Parser,
}

/// What decoding made of one record.
pub enum Decoded {
    Document(Document),
    /// The record was double-encoded and has been unwrapped.
    Unwrapped(Document),
    DeadLetter(DeadLetter),
    /// A stream control message; a `delete` notice carries the delete
    /// document for its tweet.
    Notice {
        kind: &'static str,
        delete: Option<Document>,
    },
}

impl Decoder {
    pub fn new(double_encoded: DoubleEncoded) -> Self {
        Decoder {
            double_encoded,
            parser: Parser::default(),
        }
    }

    /// Decodes one record. `visit` sees the parsed object (the summary's field
    /// census uses it) so the record is parsed only once here. The parse
    /// stops at simd-json's tape: validating and walking the record need no
    /// tree of maps, and building one cost about a third of the stage.
    pub fn decode(&mut self, raw: RawRecord, visit: impl FnOnce(Json)) -> Decoded {
        let tape = match self.parser.parse(&raw.bytes) {
            Ok(tape) => tape,
            Err(error) => {
                // simd-json validates UTF-8 itself; only a refused record
                // pays a second pass, to say where the bad bytes start.
                let reason = match simdutf8::compat::from_utf8(&raw.bytes) {
                    Err(utf8) => format!("invalid UTF-8 (valid up to byte {})", utf8.valid_up_to()),
                    Ok(_) => malformed(&raw.bytes, &error),
                };
                return Decoded::DeadLetter(dead_letter(raw, reason));
            }
        };
        let value = Json::root(&tape);
        match value.value_type() {
            ValueType::Object => match control::recognise(value) {
                None => {
                    visit(value);
                    Decoded::Document(Document::new(raw.origin, raw.bytes))
                }
                Some(notice) => decode_notice(raw, notice),
            },
            ValueType::String => {
                let inner = value.text().unwrap_or_default().as_bytes().to_vec();
                self.decode_double_encoded(raw, inner, visit)
            }
            other => {
                let reason = format!("expected a JSON object, found {}", kind(other));
                Decoded::DeadLetter(dead_letter(raw, reason))
            }
        }
    }

    fn decode_double_encoded(
        &mut self,
        raw: RawRecord,
        inner: Vec<u8>,
        visit: impl FnOnce(Json),
    ) -> Decoded {
        let tape = self.parser.parse(&inner);
        let Some(value) = tape
            .as_ref()
            .ok()
            .map(Json::root)
            .filter(|value| value.is_object())
        else {
            let reason = "expected a JSON object, found a string".to_owned();
            return Decoded::DeadLetter(dead_letter(raw, reason));
        };
        if self.double_encoded == DoubleEncoded::DeadLetter {
            let reason = "double-encoded JSON: a string holding a JSON object".to_owned();
            return Decoded::DeadLetter(dead_letter(raw, reason));
        }
        visit(value);
        Decoded::Unwrapped(Document::new(raw.origin.entered_as(raw.bytes), inner))
    }
}

fn decode_notice(raw: RawRecord, notice: control::Notice) -> Decoded {
    let kind = notice.kind();
    match notice {
        control::Notice::Delete(Some(id)) => Decoded::Notice {
            kind,
            delete: Some(Document::delete(raw.origin, raw.bytes, id)),
        },
        control::Notice::Delete(None) => Decoded::DeadLetter(dead_letter(
            raw,
            "delete notice without the id of a tweet (`delete.status.id_str`)".to_owned(),
        )),
        control::Notice::Other(_) => Decoded::Notice { kind, delete: None },
    }
}

/// Why `bytes` is not JSON. simd-json finds that it is not, but its
/// position can point past the real fault (a line cut short is reported
/// where its structure check gave up), so the refused record, and only
/// it, is read again by serde_json, which names the line and column.
fn malformed(bytes: &[u8], error: &simd_json::Error) -> String {
    match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        Err(precise) => format!("malformed JSON: {precise}"),
        Ok(_) => format!("malformed JSON: {error}"),
    }
}

fn dead_letter(raw: RawRecord, reason: String) -> DeadLetter {
    DeadLetter {
        origin: raw.origin,
        stage: Stage::Decode,
        plugin: None,
        plugin_version: None,
        reason,
        bytes: raw.bytes,
    }
}

fn kind(value_type: ValueType) -> &'static str {
    match value_type {
        ValueType::Array => "an array",
        ValueType::String => "a string",
        ValueType::Null => "null",
        ValueType::Bool => "a boolean",
        _ => "a number",
    }
}
