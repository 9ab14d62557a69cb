//! Files and standard input: NDJSON streamed line by line, or whole `.json`
//! documents (the search API's `{"statuses": [...]}` envelope, an array of
//! tweets, or a single tweet).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Batch, Source, SourceError};
use crate::config::InputFormat;
use crate::record::{Origin, RawRecord};

pub struct FileSource {
    pending: VecDeque<PathBuf>,
    format: InputFormat,
    current: Option<Reader>,
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
                        Some(record) => batch.push(record),
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
pub(super) fn read_line(
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
            },
            bytes,
        }));
    }
}

/// Splits one JSON document into records: the elements of a `statuses`
/// envelope or of a top-level array, else the document itself (which decode
/// will accept or dead-letter).
fn split_document(
    name: &Arc<str>,
    bytes: Vec<u8>,
    format: InputFormat,
) -> Result<VecDeque<RawRecord>, SourceError> {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow)]
        statuses: Vec<&'a RawValue>,
    }
    let record = |offset: usize, bytes: Vec<u8>| RawRecord {
        origin: Origin {
            source: name.clone(),
            partition: None,
            offset: offset as u64 + 1,
        },
        bytes,
    };
    let elements = |raws: Vec<&RawValue>| {
        raws.into_iter()
            .enumerate()
            .map(|(i, raw)| record(i, raw.get().as_bytes().to_vec()))
            .collect()
    };
    if let Ok(envelope) = serde_json::from_slice::<Envelope>(&bytes) {
        return Ok(elements(envelope.statuses));
    }
    if format == InputFormat::Statuses {
        let reason = serde_json::from_slice::<Envelope>(&bytes)
            .err()
            .map_or_else(String::new, |e| e.to_string());
        return Err(SourceError::Envelope {
            path: name.to_string(),
            reason,
        });
    }
    if let Ok(array) = serde_json::from_slice::<Vec<&RawValue>>(&bytes) {
        return Ok(elements(array));
    }
    Ok(VecDeque::from([record(0, bytes)]))
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
