//! An archive written by an archive output, read back: every complete file
//! under the root, oldest hour first, one record per line. Temporary files
//! (a file being written, or left by a killed process) are not read; their
//! records were never acknowledged, so their source delivered them again.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::file::read_line;
use super::{Batch, Source, SourceError};
use crate::sink::archive::{Compression, layout};

pub struct ArchiveSource {
    pending: VecDeque<(PathBuf, Compression)>,
    current: Option<OpenFile>,
}

struct OpenFile {
    name: Arc<str>,
    lines: Box<dyn BufRead + Send>,
    line: u64,
}

impl ArchiveSource {
    /// Lists the complete files under `root` now; files completed later are
    /// not read by this run.
    pub fn open(root: &Path) -> Result<Self, SourceError> {
        let files = layout::complete_files(root).map_err(|source| SourceError::Io {
            path: root.display().to_string(),
            source,
        })?;
        tracing::info!(root = %root.display(), files = files.len(), "reading archive");
        Ok(ArchiveSource {
            pending: files.into(),
            current: None,
        })
    }

    fn open_next(&mut self) -> Result<bool, SourceError> {
        let Some((path, compression)) = self.pending.pop_front() else {
            return Ok(false);
        };
        let name: Arc<str> = path.display().to_string().into();
        let io_error = |source| SourceError::Io {
            path: name.to_string(),
            source,
        };
        let file = BufReader::new(File::open(&path).map_err(io_error)?);
        let decoded: Box<dyn std::io::Read + Send> = match compression {
            Compression::Zstd => Box::new(zstd::Decoder::with_buffer(file).map_err(io_error)?),
            // A gzip file may hold several members; each is read.
            Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(file)),
        };
        self.current = Some(OpenFile {
            name,
            lines: Box::new(BufReader::with_capacity(1 << 20, decoded)),
            line: 0,
        });
        Ok(true)
    }
}

impl Source for ArchiveSource {
    fn next_batch(&mut self, max: usize) -> Result<Batch, SourceError> {
        let mut batch = Vec::with_capacity(max);
        while batch.len() < max {
            let Some(file) = &mut self.current else {
                if self.open_next()? {
                    continue;
                }
                break;
            };
            match read_line(&file.name, file.lines.as_mut(), &mut file.line)? {
                Some(record) => batch.push(record),
                None => self.current = None,
            }
        }
        Ok(if batch.is_empty() {
            Batch::End
        } else {
            Batch::Records(batch)
        })
    }
}
