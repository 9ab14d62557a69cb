//! The per-document check between the chain and the sink: what leaves the
//! chain must be one JSON object (a plugin's output is not trusted), it is
//! measured into the output's [`MappingShape`], and it leaves on one line, as
//! NDJSON and `_bulk` framing need.

use simd_json::BorrowedValue;

use crate::record::{DeadLetter, Document, Stage};

/// Parses a chain output once, hands the parsed value to `visit`, and returns
/// the document on one line, or a dead letter when it is not a JSON object.
pub fn check_document(
    mut document: Document,
    visit: impl FnOnce(&BorrowedValue),
) -> Result<Document, DeadLetter> {
    let mut scratch = document.bytes.clone();
    let reason = match simd_json::to_borrowed_value(&mut scratch) {
        Ok(value @ BorrowedValue::Object(_)) => {
            visit(&value);
            // Inside valid JSON a line break can only be insignificant
            // whitespace (strings must escape it), so removing it is lossless.
            document.bytes.retain(|b| !matches!(b, b'\n' | b'\r'));
            return Ok(document);
        }
        Ok(_) => "plugin output is not a JSON object".to_owned(),
        Err(error) => format!("plugin output is not valid JSON: {error}"),
    };
    Err(DeadLetter {
        origin: document.origin,
        stage: Stage::Guard,
        plugin: None,
        reason,
        bytes: document.bytes,
    })
}
