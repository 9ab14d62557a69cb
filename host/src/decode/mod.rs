//! Decoding: raw bytes become a [`Document`] (one JSON object, parsed with
//! simd-json) or a [`DeadLetter`] that says what is wrong and where.
//!
//! A line holding a JSON *string* whose content is a JSON object is a common
//! producer bug (the tweet was serialized twice). It is unwrapped or
//! dead-lettered as configured.

use simd_json::prelude::*;
use simd_json::{BorrowedValue, Buffers};

use crate::config::DoubleEncoded;
use crate::record::{DeadLetter, Document, RawRecord, Stage};

/// Turns raw records into documents; one per worker.
pub struct Decoder {
    double_encoded: DoubleEncoded,
    /// simd-json parses in place, so each record is copied here first (the
    /// original bytes go on unchanged). Kept, like simd-json's buffers,
    /// from record to record: allocating both per record cost more than
    /// a tenth of the decode stage.
    scratch: Vec<u8>,
    buffers: Buffers,
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
        Decoder {
            double_encoded,
            scratch: Vec::new(),
            buffers: Buffers::default(),
        }
    }

    /// Decodes one record. `visit` sees the parsed object (the summary's field
    /// census uses it) so the record is parsed only once here.
    pub fn decode(&mut self, raw: RawRecord, visit: impl FnOnce(&BorrowedValue)) -> Decoded {
        self.scratch.clear();
        self.scratch.extend_from_slice(&raw.bytes);
        let value = match simd_json::value::borrowed::to_value_with_buffers(
            &mut self.scratch,
            &mut self.buffers,
        ) {
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
                Decoded::Document(Document::new(raw.origin, raw.bytes))
            }
            BorrowedValue::String(inner) => {
                let inner = inner.into_owned().into_bytes();
                Self::decode_double_encoded(self.double_encoded, raw, inner, visit)
            }
            other => {
                let reason = format!("expected a JSON object, found {}", kind(&other));
                Decoded::DeadLetter(dead_letter(raw, reason))
            }
        }
    }

    fn decode_double_encoded(
        double_encoded: DoubleEncoded,
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
        if double_encoded == DoubleEncoded::DeadLetter {
            let reason = "double-encoded JSON: a string holding a JSON object".to_owned();
            return Decoded::DeadLetter(dead_letter(raw, reason));
        }
        visit(&value);
        Decoded::Unwrapped(Document::new(raw.origin, inner))
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
