//! Decoding: raw bytes become a [`Document`] (one JSON object, parsed with
//! simd-json) or a [`DeadLetter`] that says what is wrong and where.
//!
//! A line holding a JSON *string* whose content is a JSON object is a common
//! producer bug (the tweet was serialized twice). It is unwrapped or
//! dead-lettered as configured.

use simd_json::prelude::*;
use simd_json::{Buffers, tape};

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
    /// census uses it) so the record is parsed only once here. The parse
    /// stops at simd-json's tape: validating and walking the record need no
    /// tree of maps, and building one cost about a third of the stage.
    pub fn decode(&mut self, raw: RawRecord, visit: impl FnOnce(tape::Value)) -> Decoded {
        self.scratch.clear();
        self.scratch.extend_from_slice(&raw.bytes);
        let tape = match simd_json::to_tape_with_buffers(&mut self.scratch, &mut self.buffers) {
            Ok(tape) => tape,
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
        let value = tape.as_value();
        match value.value_type() {
            ValueType::Object => {
                visit(value);
                Decoded::Document(Document::new(raw.origin, raw.bytes))
            }
            ValueType::String => {
                let inner = value.as_str().unwrap_or_default().as_bytes().to_vec();
                Self::decode_double_encoded(self.double_encoded, raw, inner, visit)
            }
            other => {
                let reason = format!("expected a JSON object, found {}", kind(other));
                Decoded::DeadLetter(dead_letter(raw, reason))
            }
        }
    }

    fn decode_double_encoded(
        double_encoded: DoubleEncoded,
        raw: RawRecord,
        inner: Vec<u8>,
        visit: impl FnOnce(tape::Value),
    ) -> Decoded {
        let mut scratch = inner.clone();
        let tape = simd_json::to_tape(&mut scratch);
        let Some(value) = tape
            .as_ref()
            .ok()
            .map(tape::Tape::as_value)
            .filter(|value| value.value_type() == ValueType::Object)
        else {
            let reason = "expected a JSON object, found a string".to_owned();
            return Decoded::DeadLetter(dead_letter(raw, reason));
        };
        if double_encoded == DoubleEncoded::DeadLetter {
            let reason = "double-encoded JSON: a string holding a JSON object".to_owned();
            return Decoded::DeadLetter(dead_letter(raw, reason));
        }
        visit(value);
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

fn kind(value_type: ValueType) -> &'static str {
    match value_type {
        ValueType::Array => "an array",
        ValueType::String => "a string",
        ValueType::Null => "null",
        ValueType::Bool => "a boolean",
        _ => "a number",
    }
}
