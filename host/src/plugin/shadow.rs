//! Shadow trials: a candidate version runs beside the live one on the same
//! batches; what it makes of each record is compared with what the live
//! version made of it, and then thrown away. This module owns the trial and
//! its report; the workers (`pipeline::live_chain`) run both and hand the
//! two outputs here.
//!
//! Records are compared by where they came from: what the live version
//! wrote for a record (its documents, or its reject) against what the
//! candidate wrote for the same record. Document bytes that differ are
//! diffed path by path the way `sluice test` diffs fixtures, with the live
//! document as the expected side.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;
use serde_json::Value;

use super::chain::ChainOutput;
use super::fixtures::diff_values;
use super::version::PluginVersion;
use crate::record::{Document, Origin};

/// Differences kept as examples in the report.
const EXAMPLES: usize = 10;

pub struct ShadowTrial {
    /// The candidate, numbered when it is promoted.
    pub candidate: PluginVersion,
    pub started_at: String,
    report: Mutex<ShadowReport>,
}

/// What `GET /plugins/{name}/shadow` answers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ShadowReport {
    /// Records both versions were given.
    pub records_seen: u64,
    /// Records the candidate treated differently in any way.
    pub differing: u64,
    /// ... of which a different outcome (kept / dropped / split / rejected).
    pub differing_outcome: u64,
    /// ... of which the same outcome with different document bytes.
    pub differing_bytes: u64,
    /// ... of which both rejected, for different reasons.
    pub differing_reason: u64,
    /// The first differences, with their paths.
    pub examples: Vec<ShadowDifference>,
    /// Traps, timeouts and memory-cap hits of the candidate.
    pub faults: u64,
    /// Time each version spent on the same batches.
    pub live_seconds: f64,
    pub shadow_seconds: f64,
    /// `shadow_seconds / live_seconds`: above 1 the candidate is slower.
    pub time_ratio: Option<f64>,
    /// Set when a worker could not run the candidate any more.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShadowDifference {
    /// `source:offset`, and the tweet's `id_str` when it has one.
    pub record: String,
    pub kind: &'static str,
    /// `$.path: expected <live>, got <candidate>` lines, or what each did.
    pub diff: Vec<String>,
}

/// What one version made of one record.
#[derive(Default)]
struct Treatment<'a> {
    documents: Vec<&'a [u8]>,
    rejected: Option<&'a str>,
}

impl Treatment<'_> {
    fn describe(&self) -> String {
        if let Some(reason) = self.rejected {
            return format!("rejected ({reason})");
        }
        match self.documents.len() {
            0 => "dropped".into(),
            1 => "one document".into(),
            n => format!("split into {n} documents"),
        }
    }
}

type Key<'a> = (&'a str, Option<i32>, u64);

fn key(origin: &Origin) -> Key<'_> {
    (&origin.source, origin.partition, origin.offset)
}

/// Each record's treatment in one output, by origin.
fn treatments(output: &ChainOutput) -> HashMap<Key<'_>, Treatment<'_>> {
    let mut by_origin: HashMap<Key<'_>, Treatment<'_>> = HashMap::new();
    for document in &output.documents {
        by_origin
            .entry(key(&document.origin))
            .or_default()
            .documents
            .push(&document.bytes);
    }
    for letter in &output.dead_letters {
        by_origin.entry(key(&letter.origin)).or_default().rejected = Some(&letter.reason);
    }
    by_origin
}

impl ShadowTrial {
    pub fn new(candidate: PluginVersion) -> Self {
        ShadowTrial {
            candidate,
            started_at: chrono::Utc::now().to_rfc3339(),
            report: Mutex::new(ShadowReport::default()),
        }
    }

    pub fn report(&self) -> ShadowReport {
        let mut report = self.report.lock().expect("shadow report lock").clone();
        report.time_ratio =
            (report.live_seconds > 0.0).then(|| report.shadow_seconds / report.live_seconds);
        report
    }

    /// A worker could not keep the candidate running.
    pub fn failed(&self, error: String) {
        self.report.lock().expect("shadow report lock").error = Some(error);
    }

    /// Books one batch: `input` went into both versions, `live` and
    /// `shadow` came out, in the times given.
    pub fn compare(&self, run: ShadowRun<'_>) {
        let live = treatments(run.live);
        let shadow = treatments(run.shadow);
        let mut seen = std::collections::HashSet::new();
        let mut report = self.report.lock().expect("shadow report lock");
        report.records_seen += run.input.len() as u64;
        report.faults += run.shadow_faults;
        report.live_seconds += run.live_seconds;
        report.shadow_seconds += run.shadow_seconds;
        let none = Treatment::default();
        for document in run.input {
            let key = key(&document.origin);
            if !seen.insert(key) {
                continue;
            }
            let live = live.get(&key).unwrap_or(&none);
            let shadow = shadow.get(&key).unwrap_or(&none);
            let Some((kind, diff)) = difference(live, shadow) else {
                continue;
            };
            report.differing += 1;
            match kind {
                "outcome" => report.differing_outcome += 1,
                "bytes" => report.differing_bytes += 1,
                _ => report.differing_reason += 1,
            }
            if report.examples.len() < EXAMPLES {
                report.examples.push(ShadowDifference {
                    record: label(document),
                    kind,
                    diff,
                });
            }
        }
    }
}

/// One batch as both versions saw it.
pub struct ShadowRun<'a> {
    pub input: &'a [Document],
    pub live: &'a ChainOutput,
    pub shadow: &'a ChainOutput,
    pub live_seconds: f64,
    pub shadow_seconds: f64,
    pub shadow_faults: u64,
}

fn difference(live: &Treatment<'_>, shadow: &Treatment<'_>) -> Option<(&'static str, Vec<String>)> {
    let outcome = || {
        Some((
            "outcome",
            vec![format!(
                "live: {}, shadow: {}",
                live.describe(),
                shadow.describe()
            )],
        ))
    };
    match (live.rejected, shadow.rejected) {
        (Some(a), Some(b)) if a == b => return None,
        (Some(_), Some(_)) => {
            return Some((
                "reason",
                vec![format!(
                    "live: {}, shadow: {}",
                    live.describe(),
                    shadow.describe()
                )],
            ));
        }
        (None, None) => {}
        _ => return outcome(),
    }
    if live.documents.len() != shadow.documents.len() {
        return outcome();
    }
    let mut lines = Vec::new();
    for (n, (a, b)) in live.documents.iter().zip(&shadow.documents).enumerate() {
        if a == b {
            continue;
        }
        let parse = |bytes: &[u8]| serde_json::from_slice::<Value>(bytes).ok();
        match (parse(a), parse(b)) {
            (Some(a), Some(b)) => {
                let path = if live.documents.len() == 1 {
                    "$".to_owned()
                } else {
                    format!("document {}: $", n + 1)
                };
                diff_values(&path, &a, &b, &mut lines);
            }
            _ => lines.push(format!("document {}: the bytes differ", n + 1)),
        }
    }
    // Same JSON written differently (key order, escapes) still counts: the
    // candidate's output would not be byte-identical.
    if lines.is_empty() && live.documents != shadow.documents {
        lines.push("the same JSON, written with different bytes".into());
    }
    (!lines.is_empty()).then_some(("bytes", lines))
}

fn label(document: &Document) -> String {
    let origin = &document.origin;
    let place = match origin.partition {
        Some(partition) => format!("{}[{partition}]@{}", origin.source, origin.offset),
        None => format!("{}:{}", origin.source, origin.offset),
    };
    let id = serde_json::from_slice::<Value>(&document.bytes)
        .ok()
        .and_then(|v| v.get("id_str").and_then(Value::as_str).map(str::to_owned));
    match id {
        Some(id) => format!("{place} (id_str {id})"),
        None => place,
    }
}
