//! The bodies of the fuzz targets, one function per target, each taking the
//! fuzzer's bytes. They are shared with `host/tests/hostile_fuzz_corpus.rs`,
//! which replays the seed corpus (`corpus/<target>/`) as an ordinary test.
//!
//! Besides "does not panic", each target checks what the pipeline promises
//! of what comes out: a decoded or guarded document is one JSON object on
//! one line, every record leaves exactly one way, and a `_bulk` body is an
//! action line followed by its document.

use std::sync::Arc;

use sluice::config::{DoubleEncoded, GuardConfig, GuardPolicy, IndexTarget, PipelineConfig};
use sluice::decode::{Decoded, Decoder};
use sluice::guard::{Guard, MappingShape};
use sluice::record::{Document, Origin, RawRecord};
use sluice::sink::BulkEncoder;

fn origin() -> Origin {
    Origin {
        source: Arc::from("fuzz"),
        partition: None,
        offset: 1,
        original: None,
    }
}

/// The input split into records at line breaks, as the file source does.
fn records(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split(|b| *b == b'\n').filter(|line| !line.is_empty())
}

fn is_one_json_object(bytes: &[u8]) -> bool {
    !bytes.contains(&b'\n')
        && serde_json::from_slice::<serde_json::Value>(bytes).is_ok_and(|v| v.is_object())
}

/// Decoding, both double-encoded policies, with the field census.
pub fn decode(data: &[u8]) {
    for policy in [DoubleEncoded::Unwrap, DoubleEncoded::DeadLetter] {
        let mut decoder = Decoder::new(policy);
        let mut reported = MappingShape::new();
        for record in records(data) {
            let raw = RawRecord {
                origin: origin(),
                bytes: record.to_vec(),
            };
            let mut shape = MappingShape::new();
            match decoder.decode(raw, |value| shape.add_unknown(value, &reported)) {
                Decoded::Document(document) | Decoded::Unwrapped(document) => {
                    assert!(std::str::from_utf8(&document.bytes).is_ok());
                }
                Decoded::DeadLetter(letter) => assert!(!letter.reason.is_empty()),
                Decoded::Notice { kind, .. } => assert!(!kind.is_empty()),
            }
            reported.merge(&shape);
        }
    }
}

/// The guard under each policy, with limits small enough that fuzzed
/// documents hit them: what it lets through is one JSON object on one line,
/// and every record is either let through or dead-lettered.
pub fn guard(data: &[u8]) {
    for policy in [
        GuardPolicy::DeadLetter,
        GuardPolicy::DropNewFields,
        GuardPolicy::Fold,
    ] {
        let config = GuardConfig {
            total_fields_limit: 24,
            depth_limit: 4,
            field_name_length_limit: Some(24),
            document_fields_limit: Some(16),
            policy,
            ..GuardConfig::default()
        };
        let mut guard = Guard::new(&config, None).expect("no index pattern to parse");
        for record in records(data) {
            let document = Document::new(origin(), record.to_vec());
            if let Ok(document) = guard.check(document, |_| {}) {
                // A document nested past serde_json's limit is fine for the
                // guard (simd-json has none); only shallower ones are checked.
                let deep = serde_json::from_slice::<serde_json::Value>(&document.bytes)
                    .is_err_and(|e| e.to_string().contains("recursion limit"));
                assert!(
                    deep || is_one_json_object(&document.bytes),
                    "{policy:?} let through {:?}",
                    String::from_utf8_lossy(&document.bytes)
                );
            }
        }
    }
}

/// The `_bulk` encoder with the default target (a daily index from
/// `created_at`, `_id` from `id_str`): a document is encoded as an action
/// line and itself, or dead-lettered.
pub fn bulk(data: &[u8]) {
    let target: IndexTarget = serde_json::from_str("{}").expect("every key has a default");
    let encoder = BulkEncoder::new(&target).expect("the default index pattern parses");
    for record in records(data) {
        if !is_one_json_object(record) {
            continue;
        }
        let mut out = Vec::new();
        if encoder
            .encode(Document::new(origin(), record.to_vec()), &mut out)
            .is_ok()
        {
            let mut lines = out.split(|b| *b == b'\n');
            let action: serde_json::Value =
                serde_json::from_slice(lines.next().unwrap()).expect("the action line is JSON");
            assert!(action["index"]["_index"].is_string());
            assert_eq!(lines.next(), Some(record));
        }
    }
}

/// The pipeline file loader: any text is parsed and validated or refused
/// with an error, never a panic.
pub fn config(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = PipelineConfig::from_toml(text, std::path::Path::new("/nonexistent"));
    }
}
