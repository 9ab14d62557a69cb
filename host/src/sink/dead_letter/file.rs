//! Dead letters in a file: one JSON line per refused record, with the stage,
//! the plugin, the reason, where the record came from and its original bytes
//! (`original` when they are UTF-8, else `original_base64`).

use std::io::{BufWriter, Write};
use std::path::Path;

use base64::Engine as _;
use serde::Serialize;

use crate::record::{DeadLetter, Stage};
use crate::sink::{SinkError, create_file};

pub struct FileDeadLetters {
    name: String,
    out: BufWriter<std::fs::File>,
}

#[derive(Serialize)]
struct Line<'a> {
    stage: Stage,
    plugin: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plugin_version: Option<u64>,
    reason: &'a str,
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    partition: Option<i32>,
    offset: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    original: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_base64: Option<String>,
}

impl FileDeadLetters {
    pub fn create(path: &Path) -> Result<Self, SinkError> {
        Ok(FileDeadLetters {
            name: path.display().to_string(),
            out: BufWriter::new(create_file(path)?),
        })
    }

    pub fn write(&mut self, dead_letters: &[DeadLetter]) -> Result<(), SinkError> {
        for letter in dead_letters {
            let text = std::str::from_utf8(&letter.bytes).ok();
            let line = Line {
                stage: letter.stage,
                plugin: letter.plugin.as_deref(),
                plugin_version: letter.plugin_version,
                reason: &letter.reason,
                source: &letter.origin.source,
                partition: letter.origin.partition,
                offset: letter.origin.offset,
                original: text,
                original_base64: text
                    .is_none()
                    .then(|| base64::engine::general_purpose::STANDARD.encode(&letter.bytes)),
            };
            serde_json::to_writer(&mut self.out, &line)
                .map_err(std::io::Error::from)
                .and_then(|()| self.out.write_all(b"\n"))
                .map_err(|source| SinkError::Io {
                    path: self.name.clone(),
                    source,
                })?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> Result<(), SinkError> {
        self.out.flush().map_err(|source| SinkError::Io {
            path: self.name.clone(),
            source,
        })
    }
}
