//! A read-only view of a parsed JSON document, over simd-json's tape.
//!
//! The host only reads documents (the decode stage's census, the guard's
//! measurements, the sink's `_id` and index); a tape is enough for that and
//! costs far less than a tree of maps. One parse, then every reader walks
//! the same tape.

use simd_json::prelude::*;
use simd_json::{Buffers, tape};

pub use simd_json::ValueType;

/// A value inside a parsed document; `'a` is the lifetime of the parsed
/// text, so strings are borrowed, never copied.
#[derive(Debug, Clone, Copy)]
pub struct Json<'t, 'a>(tape::Value<'t, 'a>);

impl<'t, 'a: 't> Json<'t, 'a> {
    /// The whole document.
    pub fn root(tape: &'t tape::Tape<'a>) -> Self {
        Json(tape.as_value())
    }

    pub fn value_type(self) -> ValueType {
        self.0.value_type()
    }

    pub fn is_object(self) -> bool {
        self.value_type() == ValueType::Object
    }

    /// The text of a string.
    pub fn text(self) -> Option<&'a str> {
        self.0.into_string()
    }

    /// An integer, written as JSON writes it.
    pub fn integer_text(self) -> Option<String> {
        match self.value_type() {
            ValueType::I64 => self.0.as_i64().map(|n| n.to_string()),
            ValueType::U64 => self.0.as_u64().map(|n| n.to_string()),
            _ => None,
        }
    }

    /// The value under `key`, when this is an object that holds it.
    pub fn get(self, key: &str) -> Option<Self> {
        self.0.into_object()?.get(key).map(Json)
    }

    /// Keys and values, when this is an object (nothing otherwise).
    pub fn entries(self) -> impl Iterator<Item = (&'a str, Self)> {
        self.0
            .into_object()
            .into_iter()
            .flat_map(|object| object.iter().map(|(key, value)| (key, Json(value))))
    }

    /// Elements, when this is an array (nothing otherwise).
    pub fn elements(self) -> impl Iterator<Item = Self> {
        self.0
            .into_array()
            .into_iter()
            .flat_map(|array| array.iter().map(Json))
    }
}

/// Parses JSON text in place (simd-json overwrites it), keeping simd-json's
/// working buffers from one document to the next.
#[derive(Default)]
pub struct Parser {
    scratch: Vec<u8>,
    buffers: Buffers,
}

impl Parser {
    /// Parses a copy of `bytes`; the original is left as it was.
    pub fn parse(&mut self, bytes: &[u8]) -> simd_json::Result<tape::Tape<'_>> {
        self.scratch.clear();
        self.scratch.extend_from_slice(bytes);
        simd_json::to_tape_with_buffers(&mut self.scratch, &mut self.buffers)
    }
}
