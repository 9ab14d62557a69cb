//! Files and standard input: NDJSON streamed line by line, or whole `.json`
//! documents. Envelopes are opened into one record per tweet
//! ([`super::envelope`]): a `.json` file's `statuses`, `results`, v2 `data`
//! page or array, and an NDJSON line that is one of those (twarc writes one
//! v2 page per line). A `.json` file that holds NDJSON (one document per
//! line) is read as NDJSON.
//!
//! Records cut out of one line or one document share its line number as
//! their offset; a dead letter's `original` is the tweet as it stands in the
//! envelope (for a v2 page, wrapped with the includes it uses).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::envelope::{self, Opened};
use super::{Batch, Source, SourceError};
use crate::config::InputFormat;
use crate::record::{Origin, RawRecord};

pub struct FileSource {
    pending: VecDeque<PathBuf>,
    format: InputFormat,
    current: Option<Reader>,
    /// Records of an opened envelope line not yet handed out.
    opened: VecDeque<RawRecord>,
}

enum Reader {
    Lines {
        name: Arc<str>,
        input: Box<dyn BufRead + Send>,
        line: u64,
    },
    Records(VecDeque<RawRecord>),
}

impl FileSource {
    /// Opens the given files; a folder stands for its `.json`, `.ndjson` and
    /// `.jsonl` files in name order.
    pub fn open(paths: &[PathBuf], format: InputFormat) -> Result<Self, SourceError> {
        let mut pending = VecDeque::new();
        for path in paths {
            if path.is_dir() {
                pending.extend(json_files_in(path)?);
            } else {
                pending.push_back(path.clone());
            }
        }
        Ok(FileSource {
            pending,
            format,
            current: None,
            opened: VecDeque::new(),
        })
    }

    pub fn stdin() -> Self {
        FileSource {
            pending: VecDeque::new(),
            format: InputFormat::Ndjson,
            current: Some(Reader::Lines {
                name: "stdin".into(),
                input: Box::new(BufReader::new(std::io::stdin())),
                line: 0,
            }),
            opened: VecDeque::new(),
        }
    }

    fn open_next(&mut self) -> Result<bool, SourceError> {
        let Some(path) = self.pending.pop_front() else {
            return Ok(false);
        };
        let name: Arc<str> = path.display().to_string().into();
        let io_error = |source| SourceError::Io {
            path: name.to_string(),
            source,
        };
        let file = File::open(&path).map_err(io_error)?;
        let whole_document = match self.format {
            InputFormat::Ndjson => false,
            InputFormat::Statuses => true,
            InputFormat::Auto => path.extension().is_some_and(|e| e == "json"),
        };
        self.current = Some(if whole_document {
            let mut bytes = Vec::new();
            BufReader::new(file)
                .read_to_end(&mut bytes)
                .map_err(io_error)?;
            Reader::Records(split_document(&name, bytes, self.format)?)
        } else {
            Reader::Lines {
                name,
                input: Box::new(BufReader::with_capacity(1 << 20, file)),
                line: 0,
            }
        });
        Ok(true)
    }
}

impl Source for FileSource {
    fn next_batch(&mut self, max: usize) -> Result<Batch, SourceError> {
        let mut batch = Vec::with_capacity(max);
        while batch.len() < max {
            if !self.opened.is_empty() {
                let take = self.opened.len().min(max - batch.len());
                batch.extend(self.opened.drain(..take));
                continue;
            }
            let exhausted = match &mut self.current {
                None => !self.open_next()?,
                Some(Reader::Records(records)) => {
                    let take = records.len().min(max - batch.len());
                    batch.extend(records.drain(..take));
                    if records.is_empty() {
                        self.current = None;
                    }
                    false
                }
                Some(Reader::Lines { name, input, line }) => {
                    match read_line(name, input.as_mut(), line)? {
                        Some(record) => self.opened.extend(open_line(record)),
                        None => self.current = None,
                    }
                    false
                }
            };
            if exhausted {
                break;
            }
        }
        Ok(if batch.is_empty() {
            Batch::End
        } else {
            Batch::Records(batch)
        })
    }
}

/// The next non-blank line. Blank lines are not records: they are skipped
/// and not counted, but still advance the line number.
fn read_line(
    name: &Arc<str>,
    input: &mut dyn BufRead,
    line: &mut u64,
) -> Result<Option<RawRecord>, SourceError> {
    loop {
        let mut bytes = Vec::new();
        let read = input
            .read_until(b'\n', &mut bytes)
            .map_err(|source| SourceError::Io {
                path: name.to_string(),
                source,
            })?;
        if read == 0 {
            return Ok(None);
        }
        *line += 1;
        while bytes.last().is_some_and(|b| matches!(b, b'\n' | b'\r')) {
            bytes.pop();
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        return Ok(Some(RawRecord {
            origin: Origin {
                source: name.clone(),
                partition: None,
                offset: *line,
                original: None,
            },
            bytes,
        }));
    }
}

/// The records of one NDJSON line: the line itself, or the tweets of the
/// envelope it holds.
fn open_line(record: RawRecord) -> Vec<RawRecord> {
    if !envelope::may_be_envelope(&record.bytes) {
        return vec![record];
    }
    match envelope::open(&record.bytes) {
        Ok(Opened::Records(pieces)) => pieces
            .into_iter()
            .map(|bytes| RawRecord {
                origin: record.origin.clone(),
                bytes,
            })
            .collect(),
        Ok(Opened::Whole) | Err(_) => vec![record],
    }
}

/// Splits one JSON document into records: the tweets of an envelope or the
/// elements of an array, else the document itself (which decode will accept
/// or dead-letter). A file of several JSON documents, one per line, is read
/// as NDJSON.
fn split_document(
    name: &Arc<str>,
    bytes: Vec<u8>,
    format: InputFormat,
) -> Result<VecDeque<RawRecord>, SourceError> {
    let origin = |offset: u64| Origin {
        source: name.clone(),
        partition: None,
        offset,
        original: None,
    };
    let opened = envelope::open(&bytes);
    if let Err(error) = &opened
        && holds_ndjson(&bytes, error)
    {
        let mut records = VecDeque::new();
        let mut input: &[u8] = &bytes;
        let mut line = 0;
        while let Some(record) = read_line(name, &mut input, &mut line)? {
            records.extend(open_line(record));
        }
        return Ok(records);
    }
    match (opened, format) {
        (Ok(Opened::Records(pieces)), _) => Ok(pieces
            .into_iter()
            .enumerate()
            .map(|(i, bytes)| RawRecord {
                origin: origin(i as u64 + 1),
                bytes,
            })
            .collect()),
        (Ok(Opened::Whole), InputFormat::Statuses) => Err(SourceError::Envelope {
            path: name.to_string(),
            reason: "no `statuses`, `results` or v2 `data` list of tweets".into(),
        }),
        (Err(error), InputFormat::Statuses) => Err(SourceError::Envelope {
            path: name.to_string(),
            reason: error.to_string(),
        }),
        _ => Ok(VecDeque::from([RawRecord {
            origin: origin(1),
            bytes,
        }])),
    }
}

/// Whether a document that failed to parse whole is NDJSON: the parser
/// stopped at trailing characters after a complete first line.
fn holds_ndjson(bytes: &[u8], error: &serde_json::Error) -> bool {
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    error.to_string().starts_with("trailing characters")
        && serde_json::from_slice::<serde::de::IgnoredAny>(first_line).is_ok()
}

fn json_files_in(dir: &Path) -> Result<Vec<PathBuf>, SourceError> {
    let entries = std::fs::read_dir(dir).map_err(|source| SourceError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .is_some_and(|e| e == "json" || e == "ndjson" || e == "jsonl")
        })
        .collect();
    files.sort();
    Ok(files)
}
