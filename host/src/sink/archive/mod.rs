//! The archive output: records as compressed NDJSON files, one folder per
//! hour of the records' time, for batch work and for `sluice replay`.
//!
//! A record is acknowledged when the file that holds it is complete: ended,
//! synced and renamed from its temporary name (see [`layout`]). Files roll
//! at `max_bytes` or `max_age_ms`, and [`Sink::flush`] completes every open
//! file, because the pipeline flushes before it commits and a commit may
//! only cover acknowledged records.
//!
//! Each record is one line, its bytes unchanged, except that a line break
//! inside a record is written as a space so that the record stays one line:
//! in JSON a line break can only be whitespace between tokens, so the value
//! read back is the same.

mod config;
pub mod layout;
mod part;

pub use config::{ArchiveConfig, Compression, PartitionBy};

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};

use self::part::Part;
use super::{Delivery, Sink, SinkError, parse_timestamp};
use crate::json::{Json, Parser};
use crate::record::Document;

pub struct ArchiveSink {
    config: ArchiveConfig,
    max_age: Duration,
    /// The open file of each hour folder.
    open: HashMap<PathBuf, OpenPart>,
    /// The next part number to try in each folder seen so far.
    next_number: HashMap<PathBuf, u32>,
    parser: Parser,
}

struct OpenPart {
    part: Part,
    /// Records in the file, acknowledged when it is complete.
    records: u64,
}

impl ArchiveSink {
    /// Creates the root folder, so an unwritable path fails before the
    /// first record is read.
    pub fn create(config: &ArchiveConfig) -> Result<Self, SinkError> {
        std::fs::create_dir_all(&config.path).map_err(|source| SinkError::Io {
            path: config.path.display().to_string(),
            source,
        })?;
        Ok(ArchiveSink {
            config: config.clone(),
            max_age: Duration::from_millis(config.max_age_ms),
            open: HashMap::new(),
            next_number: HashMap::new(),
            parser: Parser::default(),
        })
    }

    /// The time whose hour folder `bytes` goes to.
    fn partition_time(&mut self, bytes: &[u8], arrival: DateTime<Utc>) -> DateTime<Utc> {
        if self.config.partition_by == PartitionBy::Arrival {
            return arrival;
        }
        let field = self.config.timestamp_field.as_str();
        let time = self.parser.parse(bytes).ok().and_then(|tape| {
            Json::root(&tape)
                .get(field)
                .and_then(Json::text)
                .and_then(parse_timestamp)
        });
        time.unwrap_or(arrival)
    }

    /// The open file of `folder`, opened if there is none.
    fn part_for(&mut self, folder: PathBuf) -> Result<&mut OpenPart, SinkError> {
        let open = match self.open.entry(folder) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                let folder = entry.key();
                let next = self
                    .next_number
                    .entry(folder.clone())
                    .or_insert_with(|| first_free_number(folder));
                let part =
                    Part::create(folder, self.config.compression, next).map_err(|source| {
                        SinkError::Io {
                            path: folder.display().to_string(),
                            source,
                        }
                    })?;
                entry.insert(OpenPart { part, records: 0 })
            }
        };
        Ok(open)
    }

    /// Completes the open files older than `max_age_ms` (or all of them);
    /// returns the records they held.
    fn complete_open(&mut self, all: bool) -> Result<u64, SinkError> {
        let max_age = self.max_age;
        let due: Vec<PathBuf> = self
            .open
            .iter()
            .filter(|(_, open)| all || open.part.opened.elapsed() >= max_age)
            .map(|(folder, _)| folder.clone())
            .collect();
        let due: Vec<OpenPart> = due.iter().filter_map(|f| self.open.remove(f)).collect();
        complete_all(due)
    }

    /// Completes the open file of `folder`; returns the records it held.
    fn complete(&mut self, folder: &Path) -> Result<u64, SinkError> {
        match self.open.remove(folder) {
            Some(open) => open.complete(),
            None => Ok(0),
        }
    }
}

/// Completes files side by side: most of the time goes to waiting for
/// syncs, and concurrent syncs share the file system's journal commits
/// (ext4 here: 32 at once cost 20 times less per file than one by one).
/// Reading historic data partitioned by `created_at` keeps hundreds of
/// hour folders open at a commit, so this is what keeps it moving.
fn complete_all(due: Vec<OpenPart>) -> Result<u64, SinkError> {
    const SYNCS_AT_ONCE: usize = 32;
    if due.len() <= 1 {
        return due.into_iter().map(OpenPart::complete).sum();
    }
    let mut lanes: Vec<Vec<OpenPart>> = (0..SYNCS_AT_ONCE.min(due.len()))
        .map(|_| Vec::new())
        .collect();
    let lane_count = lanes.len();
    for (i, open) in due.into_iter().enumerate() {
        lanes[i % lane_count].push(open);
    }
    std::thread::scope(|scope| {
        let lanes: Vec<_> = lanes
            .into_iter()
            .map(|lane| {
                scope.spawn(move || {
                    lane.into_iter()
                        .map(OpenPart::complete)
                        .sum::<Result<u64, _>>()
                })
            })
            .collect();
        lanes
            .into_iter()
            .map(|lane| {
                lane.join()
                    .expect("completing archive files does not panic")
            })
            .sum()
    })
}

impl OpenPart {
    /// Completes the file; returns the records it held.
    fn complete(self) -> Result<u64, SinkError> {
        let temporary = self.part.temporary_path().display().to_string();
        let path = self.part.complete().map_err(|source| SinkError::Io {
            path: temporary,
            source,
        })?;
        tracing::debug!(file = %path.display(), records = self.records, "archive file complete");
        Ok(self.records)
    }
}

impl Sink for ArchiveSink {
    fn write(&mut self, documents: Vec<Document>) -> Result<Delivery, SinkError> {
        let arrival = Utc::now();
        let mut acknowledged = 0;
        for document in &documents {
            let time = self.partition_time(&document.bytes, arrival);
            let folder = layout::hour_folder(&self.config.path, time);
            let open = self.part_for(folder.clone())?;
            open.part
                .write_line(&one_line(&document.bytes))
                .map_err(|source| SinkError::Io {
                    path: open.part.temporary_path().display().to_string(),
                    source,
                })?;
            open.records += 1;
            if open.part.bytes >= self.config.max_bytes {
                acknowledged += self.complete(&folder)?;
            }
        }
        acknowledged += self.complete_open(false)?;
        Ok(Delivery {
            written: acknowledged,
            dead_letters: Vec::new(),
        })
    }

    fn flush(&mut self) -> Result<Delivery, SinkError> {
        Ok(Delivery {
            written: self.complete_open(true)?,
            dead_letters: Vec::new(),
        })
    }
}

/// One past the highest part number any file in `folder` claims (0 for a
/// new folder).
fn first_free_number(folder: &Path) -> u32 {
    std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            entry
                .ok()?
                .file_name()
                .to_str()
                .and_then(layout::claimed_number)
        })
        .max()
        .map_or(0, |highest| highest + 1)
}

/// The record as one line: line breaks become spaces.
fn one_line(bytes: &[u8]) -> Cow<'_, [u8]> {
    if bytes.contains(&b'\n') {
        Cow::Owned(
            bytes
                .iter()
                .map(|&b| if b == b'\n' { b' ' } else { b })
                .collect(),
        )
    } else {
        Cow::Borrowed(bytes)
    }
}
