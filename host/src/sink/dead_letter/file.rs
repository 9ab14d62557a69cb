//! Dead letters in a file: one JSON line per refused record, with the stage,
//! the plugin, the reason, where the record came from and the record as it
//! entered Sluice (`original` when it is UTF-8, else `original_base64`);
//! when a stage refused what a plugin made of it, that too (`refused`).
//!
//! The file is appended to, never emptied: the dead letters of an earlier
//! run stay until the user moves them away, and every line says where its
//! record came from.

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::path::Path;

use base64::Engine as _;
use serde::Serialize;

use crate::record::{DeadLetter, Stage};
use crate::sink::SinkError;

pub struct FileDeadLetters {
    name: String,
    out: BufWriter<std::fs::File>,
}

#[derive(Serialize)]
struct Line<'a> {
    stage: Stage,
    plugin: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plugin_version: Option<u32>,
    reason: &'a str,
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    partition: Option<i32>,
    offset: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    original: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_base64: Option<String>,
    /// What the refusing stage saw, when a plugin had changed the record.
    #[serde(skip_serializing_if = "Option::is_none")]
    refused: Option<std::borrow::Cow<'a, str>>,
}

impl FileDeadLetters {
    /// Opens `path` for appending, creating it and its folder if needed.
    pub fn open(path: &Path) -> Result<Self, SinkError> {
        let io_error = |source| SinkError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io_error)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io_error)?;
        Ok(FileDeadLetters {
            name: path.display().to_string(),
            out: BufWriter::new(file),
        })
    }

    pub fn write(&mut self, dead_letters: &[DeadLetter]) -> Result<(), SinkError> {
        for letter in dead_letters {
            let original = letter.original();
            let text = std::str::from_utf8(original).ok();
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
                    .then(|| base64::engine::general_purpose::STANDARD.encode(original)),
                refused: letter.refused().map(String::from_utf8_lossy),
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
