//! Decoding: raw bytes become a [`Document`] (one JSON object, parsed with
//! simd-json) or a [`DeadLetter`] that says what is wrong and where.
//!
//! A line holding a JSON *string* whose content is a JSON object is a common
//! producer bug (the tweet was serialized twice). It is unwrapped or
//! dead-lettered as configured.

use simd_json::BorrowedValue;
use simd_json::prelude::*;

use crate::config::DoubleEncoded;
use crate::record::{DeadLetter, Document, RawRecord, Stage};

/// Turns raw records into documents. Cheap to clone; one per worker.
#[derive(Debug, Clone, Copy)]
pub struct Decoder {
    double_encoded: DoubleEncoded,
}

/// What decoding made of one record.
pub enum Decoded {
    Document(Document),
    /// The record was double-encoded and has been unwrapped.
    Unwrapped(Document),
    DeadLetter(DeadLetter),
}

impl Decoder {
    pub fn new(double_encoded: DoubleEncoded) -> Self {
        Decoder { double_encoded }
    }

    /// Decodes one record. `visit` sees the parsed object (the summary's field
    /// census uses it) so the record is parsed only once here.
    pub fn decode(&self, raw: RawRecord, visit: impl FnOnce(&BorrowedValue)) -> Decoded {
        // simd-json parses in place; keep the original bytes for the output.
        let mut scratch = raw.bytes.clone();
        let value = match simd_json::to_borrowed_value(&mut scratch) {
            Ok(value) => value,
            Err(error) => {
                // simd-json validates UTF-8 itself; only a refused record
                // pays a second pass, to say where the bad bytes start.
                let reason = match simdutf8::compat::from_utf8(&raw.bytes) {
                    Err(utf8) => format!("invalid UTF-8 (valid up to byte {})", utf8.valid_up_to()),
                    Ok(_) => format!("malformed JSON: {error}"),
                };
                return Decoded::DeadLetter(dead_letter(raw, reason));
            }
        };
        match value {
            BorrowedValue::Object(_) => {
                visit(&value);
                Decoded::Document(Document {
                    origin: raw.origin,
                    bytes: raw.bytes,
                })
            }
            BorrowedValue::String(inner) => {
                let inner = inner.into_owned().into_bytes();
                self.decode_double_encoded(raw, inner, visit)
            }
            other => {
                let reason = format!("expected a JSON object, found {}", kind(&other));
                Decoded::DeadLetter(dead_letter(raw, reason))
            }
        }
    }

    fn decode_double_encoded(
        &self,
        raw: RawRecord,
        inner: Vec<u8>,
        visit: impl FnOnce(&BorrowedValue),
    ) -> Decoded {
        let mut scratch = inner.clone();
        let Ok(value @ BorrowedValue::Object(_)) = simd_json::to_borrowed_value(&mut scratch)
        else {
            let reason = "expected a JSON object, found a string".to_owned();
            return Decoded::DeadLetter(dead_letter(raw, reason));
        };
        if self.double_encoded == DoubleEncoded::DeadLetter {
            let reason = "double-encoded JSON: a string holding a JSON object".to_owned();
            return Decoded::DeadLetter(dead_letter(raw, reason));
        }
        visit(&value);
        Decoded::Unwrapped(Document {
            origin: raw.origin,
            bytes: inner,
        })
    }
}

fn dead_letter(raw: RawRecord, reason: String) -> DeadLetter {
    DeadLetter {
        origin: raw.origin,
        stage: Stage::Decode,
        plugin: None,
        reason,
        bytes: raw.bytes,
    }
}

fn kind(value: &BorrowedValue) -> &'static str {
    match value.value_type() {
        ValueType::Array => "an array",
        ValueType::String => "a string",
        ValueType::Null => "null",
        ValueType::Bool => "a boolean",
        _ => "a number",
    }
}
