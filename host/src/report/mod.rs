//! The run summary: how many records came in and how each one left, the
//! shape of the data before and after the chain, and throughput.
//!
//! The balance `in + split_added = written + dropped + dead_lettered +
//! notices + handed_back` is the pipeline's central promise;
//! [`Summary::is_balanced`] checks it and the CLI fails a run where it does
//! not hold. A stream's control messages (`limit`, `scrub_geo`, ...) leave
//! as `notices`, counted by kind and never mixed with filter drops; a
//! `delete` notice becomes a delete action in the sink and so counts as
//! written (or dead-lettered).
//! Records of Kafka partitions revoked while in flight leave as
//! `handed_back`: their new owner reads them again.
//!
//! The "after" shape counts the documents handed to the sink with an index
//! and `_id`: one the sink cannot place, or that a filter let through in
//! `pass` mode without a tweet's fields, is not part of it.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::config::OutputStage;
use crate::guard::{GuardStats, MappingShape};
use crate::plugin::chain::StageStats;
use crate::record::DeadLetter;
use crate::sink::OutputCounts;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub records_in: u64,
    pub bytes_in: u64,
    /// Double-encoded records that were unwrapped (they also count in `records_in`).
    pub unwrapped: u64,
    /// Documents created by plugin splits beyond one per record.
    pub split_added: u64,
    pub written: u64,
    pub dropped: u64,
    pub dead_lettered: u64,
    /// Where dead letters went: a file (appended to) or a Kafka topic.
    pub dead_letters_to: String,
    /// Stream control messages other than `delete`, by kind.
    pub notices: BTreeMap<String, u64>,
    /// Delete notices sent to the sink as deletes of their tweets (they
    /// count in `written`, or in `dead_lettered` when the sink refused them).
    pub deletes: u64,
    /// Dead letters by `stage[ plugin]: reason` with details cut off.
    pub dead_letter_reasons: BTreeMap<String, u64>,
    /// Documents and dead letters of Kafka partitions that a rebalance took
    /// away while they were in the pipeline: not written here, because the
    /// partition's new owner reads them again from the last commit.
    pub handed_back: u64,
    pub before: ShapeSummary,
    pub after: ShapeSummary,
    /// Documents the guard rewrote to fit the limits.
    pub guard: GuardStats,
    pub plugins: Vec<StageStats>,
    /// Per output, `[sink]` first: what each acknowledged.
    pub outputs: Vec<OutputCounts>,
    /// Time spent in each stage, summed over batches (decode and plugins
    /// run on several workers at once, so their sum can exceed the run's
    /// wall time).
    pub stages: StageSeconds,
    pub elapsed_seconds: f64,
    /// CPU time of the process over the run, every thread together:
    /// `records_in / cpu_seconds` is the rate per core.
    pub cpu_seconds: f64,
    pub records_per_second: f64,
    pub megabytes_per_second: f64,
    /// The run was stopped (SIGINT) before its input ended.
    pub interrupted: bool,
    /// For a Kafka source: every partition assigned at the end of the run,
    /// after the last commit, in topic and partition order.
    pub consumer_lag: Vec<PartitionLag>,
}

/// How far a consumer group's commit is behind the end of one partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionLag {
    pub topic: String,
    pub partition: i32,
    /// The group's committed offset; `None` if it has never committed one.
    pub committed: Option<i64>,
    /// The partition's end (the offset the next record will get).
    pub end: i64,
    /// Records after the commit: `end - committed` (from where the group
    /// would start without a commit).
    pub lag: i64,
}

/// A set of documents measured as an Elasticsearch dynamic mapping would hold
/// them: see [`MappingShape`].
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ShapeSummary {
    pub distinct_paths: usize,
    pub mapping_fields: usize,
    pub max_depth: usize,
}

impl From<&MappingShape> for ShapeSummary {
    fn from(shape: &MappingShape) -> Self {
        ShapeSummary {
            distinct_paths: shape.distinct_paths(),
            mapping_fields: shape.total_fields(),
            max_depth: shape.max_depth(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct StageSeconds {
    pub read: f64,
    pub decode: f64,
    pub plugins: f64,
    pub guard: f64,
    pub sink: f64,
}

impl Summary {
    /// Every record that entered left exactly one way.
    pub fn is_balanced(&self) -> bool {
        self.records_in + self.split_added
            == self.written
                + self.dropped
                + self.dead_lettered
                + self.notices_total()
                + self.handed_back
    }

    /// Control messages that left as notices (deletes are not among them).
    pub fn notices_total(&self) -> u64 {
        self.notices.values().sum()
    }

    /// Adds one batch's control messages, by kind.
    pub fn count_notices(&mut self, notices: &BTreeMap<&'static str, u64>) {
        for (kind, count) in notices {
            match *kind {
                "delete" => self.deletes += count,
                kind => *self.notices.entry(kind.to_owned()).or_default() += count,
            }
        }
    }

    pub fn count_dead_letters(&mut self, dead_letters: &[DeadLetter]) {
        self.dead_lettered += dead_letters.len() as u64;
        for letter in dead_letters {
            let key = match &letter.plugin {
                Some(plugin) => format!(
                    "{} {plugin}: {}",
                    letter.stage.as_str(),
                    reason_class(&letter.reason)
                ),
                None => format!(
                    "{}: {}",
                    letter.stage.as_str(),
                    reason_class(&letter.reason)
                ),
            };
            *self.dead_letter_reasons.entry(key).or_default() += 1;
        }
    }
}

/// The stable part of a reason: details after `:` or `(` vary per record.
fn reason_class(reason: &str) -> &str {
    let end = reason.find([':', '(']).unwrap_or(reason.len()).min(80);
    let end = (0..=end)
        .rev()
        .find(|i| reason.is_char_boundary(*i))
        .unwrap_or(0);
    reason[..end].trim_end()
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = if self.interrupted {
            " (interrupted)"
        } else {
            ""
        };
        writeln!(f, "sluice run summary{status}")?;
        writeln!(
            f,
            "  records in        {:>10}   ({:.1} MB)",
            self.records_in,
            self.bytes_in as f64 / 1e6
        )?;
        if self.unwrapped > 0 {
            writeln!(
                f,
                "    double-encoded  {:>10}   (unwrapped)",
                self.unwrapped
            )?;
        }
        if self.split_added > 0 {
            writeln!(f, "  added by splits   {:>10}", self.split_added)?;
        }
        writeln!(f, "  written           {:>10}", self.written)?;
        if self.deletes > 0 {
            // Not indented under `written`: a delete the sink cannot place
            // (a daily index for a pre-snowflake id) is dead-lettered.
            writeln!(
                f,
                "  delete notices    {:>10}   (recognised; each counted as written or dead-lettered)",
                self.deletes
            )?;
        }
        writeln!(f, "  dropped by filter {:>10}", self.dropped)?;
        if !self.notices.is_empty() {
            writeln!(f, "  stream notices    {:>10}", self.notices_total())?;
            for (kind, count) in &self.notices {
                writeln!(f, "    {count:>8}  {kind}")?;
            }
        }
        writeln!(f, "  dead-lettered     {:>10}", self.dead_lettered)?;
        for (reason, count) in &self.dead_letter_reasons {
            writeln!(f, "    {count:>8}  {reason}")?;
        }
        if self.dead_lettered > 0 {
            writeln!(f, "    to {}", self.dead_letters_to)?;
        }
        if self.handed_back > 0 {
            writeln!(
                f,
                "  handed back       {:>10}   (partitions revoked in flight)",
                self.handed_back
            )?;
        }
        let balance = if self.is_balanced() {
            "ok"
        } else {
            "MISMATCH: records went missing"
        };
        let notices = if self.notices.is_empty() {
            ""
        } else {
            " + notices"
        };
        writeln!(
            f,
            "  in + split = written + dropped + dead-lettered{notices}: {balance}"
        )?;
        // One output is `[sink]` alone, already counted above.
        if self.outputs.len() > 1 {
            for output in &self.outputs {
                let stage = match output.stage {
                    OutputStage::Documents => "documents",
                    OutputStage::Raw => "raw records",
                };
                write!(
                    f,
                    "  output {:<18} {:>10} {stage} acknowledged, {} refused",
                    output.name, output.written, output.refused
                )?;
                match &output.detached {
                    Some(reason) => writeln!(f, "  DETACHED: {reason}")?,
                    None => writeln!(f)?,
                }
            }
        }
        let guard = &self.guard;
        if guard.trimmed_documents + guard.folded_documents > 0 {
            writeln!(
                f,
                "  guard: {} documents trimmed, {} folded, {} values taken out",
                guard.trimmed_documents, guard.folded_documents, guard.overflow_values
            )?;
        }
        writeln!(
            f,
            "  shape (as an Elasticsearch dynamic mapping)   before     after"
        )?;
        writeln!(
            f,
            "    distinct field paths                       {:>7}   {:>7}",
            self.before.distinct_paths, self.after.distinct_paths
        )?;
        writeln!(
            f,
            "    mapping fields (limit 1000)                {:>7}   {:>7}",
            self.before.mapping_fields, self.after.mapping_fields
        )?;
        writeln!(
            f,
            "    max depth (limit 20)                       {:>7}   {:>7}",
            self.before.max_depth, self.after.max_depth
        )?;
        for plugin in &self.plugins {
            // A plugin swapped while running has a row per version.
            let name = match plugin.version {
                0 | 1 => plugin.name.to_string(),
                n => format!("{} v{n}", plugin.name),
            };
            writeln!(
                f,
                "  plugin {:<18} in {:>7}  pass {:>7}  replace {:>7}  drop {:>6}  split {:>6}  reject {:>5}  faults {:>3}  {:.3} s",
                name,
                plugin.records_in,
                plugin.passed,
                plugin.replaced,
                plugin.dropped,
                plugin.split,
                plugin.rejected,
                plugin.faults,
                plugin.busy_seconds
            )?;
            if plugin.breaker_trips > 0 {
                writeln!(
                    f,
                    "    circuit breaker: tripped {} times, {} at the end; bypassed {}, dead-lettered {}",
                    plugin.breaker_trips,
                    if plugin.breaker_open {
                        "open"
                    } else {
                        "closed"
                    },
                    plugin.bypassed,
                    plugin.blocked
                )?;
            }
        }
        for lag in &self.consumer_lag {
            let committed = lag.committed.map_or("none".to_owned(), |c| c.to_string());
            writeln!(
                f,
                "  consumer lag {}/{}: {} (committed {committed}, end {})",
                lag.topic, lag.partition, lag.lag, lag.end
            )?;
        }
        let st = &self.stages;
        writeln!(
            f,
            "  stage seconds: read {:.3}  decode {:.3}  plugins {:.3}  guard {:.3}  sink {:.3}",
            st.read, st.decode, st.plugins, st.guard, st.sink
        )?;
        write!(
            f,
            "  {:.2} s, {:.0} records/s, {:.1} MB/s",
            self.elapsed_seconds, self.records_per_second, self.megabytes_per_second
        )
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{Summary, reason_class};

    #[test]
    fn notices_balance_the_books_and_deletes_count_as_written() {
        // Two tweets, a delete notice and two limit notices came in; the
        // tweets and the delete were written.
        let mut summary = Summary {
            records_in: 5,
            written: 3,
            ..Summary::default()
        };
        assert!(!summary.is_balanced());
        summary.count_notices(&BTreeMap::from([("delete", 1), ("limit", 2)]));
        assert_eq!(summary.deletes, 1);
        assert_eq!(summary.notices_total(), 2);
        assert!(summary.is_balanced());
        summary.records_in = 6;
        assert!(!summary.is_balanced(), "a record that left no way");
    }

    #[test]
    fn reason_classes_drop_per_record_details() {
        assert_eq!(
            reason_class("malformed JSON: Syntax at character 3"),
            "malformed JSON"
        );
        assert_eq!(
            reason_class("invalid UTF-8 (valid up to byte 4)"),
            "invalid UTF-8"
        );
        assert_eq!(reason_class("missing id_str"), "missing id_str");
    }
}
