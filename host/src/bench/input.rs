//! The documents a parse benchmark times, read the way the pipeline reads
//! them: NDJSON line by line, a `.json` file split into its `statuses` (or
//! array elements), or, on request, the whole file as one document.

use std::path::{Path, PathBuf};

use crate::config::InputFormat;
use crate::source::{Batch, FileSource, Source, SourceError};

use super::parse::Decoder;

/// How a file is cut into documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// As the pipeline's file source cuts it (one record per document).
    Records,
    /// The whole file is one document.
    WholeFile,
}

/// Documents that every decoder accepts, ready to be parsed again and again.
#[derive(Debug)]
pub struct Documents {
    pub path: PathBuf,
    pub documents: Vec<Vec<u8>>,
    pub bytes: u64,
    /// Records left out because some decoder refused them.
    pub skipped: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path} does not exist")]
    Missing { path: String },
    #[error("{path} is not a file")]
    NotAFile { path: String },
    #[error("{path} is empty: there is nothing to parse")]
    Empty { path: String },
    #[error("cannot read {path}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(
        "{path} holds no parseable JSON document: {records} record(s), none accepted by every \
         decoder (first: {first_error})"
    )]
    NoDocuments {
        path: String,
        records: usize,
        first_error: String,
    },
}

impl Documents {
    /// Reads `path` and keeps the documents that all of `decoders` parse, so
    /// that every decoder is timed on the same bytes.
    pub fn load(path: &Path, split: Split, decoders: &[Decoder]) -> Result<Self, InputError> {
        let name = path.display().to_string();
        if !path.exists() {
            return Err(InputError::Missing { path: name });
        }
        if !path.is_file() {
            return Err(InputError::NotAFile { path: name });
        }
        let records = match split {
            Split::WholeFile => {
                let bytes = std::fs::read(path).map_err(|source| InputError::Read {
                    path: name.clone(),
                    source,
                })?;
                vec![bytes]
            }
            Split::Records => read_records(path)?,
        };
        if records
            .iter()
            .all(|r| r.iter().all(u8::is_ascii_whitespace))
        {
            return Err(InputError::Empty { path: name });
        }
        let total = records.len();
        let mut first_error = None;
        let documents: Vec<Vec<u8>> = records
            .into_iter()
            .filter(|record| match refusal(record, decoders) {
                None => true,
                Some(error) => {
                    first_error.get_or_insert(error);
                    false
                }
            })
            .collect();
        if documents.is_empty() {
            return Err(InputError::NoDocuments {
                path: name,
                records: total,
                first_error: first_error.unwrap_or_default(),
            });
        }
        Ok(Documents {
            path: path.to_owned(),
            bytes: documents.iter().map(|d| d.len() as u64).sum(),
            skipped: total - documents.len(),
            documents,
        })
    }
}

fn read_records(path: &Path) -> Result<Vec<Vec<u8>>, InputError> {
    let mut source = FileSource::open(&[path.to_owned()], InputFormat::Auto)?;
    let mut records = Vec::new();
    while let Batch::Records(batch) = source.next_batch(1024)? {
        records.extend(batch.into_iter().map(|r| r.bytes));
    }
    Ok(records)
}

/// The first decoder's complaint about `record`, if any decoder has one.
fn refusal(record: &[u8], decoders: &[Decoder]) -> Option<String> {
    decoders
        .iter()
        .find_map(|d| d.parse(record).err().map(|e| format!("{}: {e}", d.name())))
}
