//! One document per line, to a file or standard output. A stream's delete
//! notice is written as its own line, as it came (on one line), so that a
//! reader of the file can honour it.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::{Delivery, Sink, SinkError, create_file};
use crate::record::Document;

pub struct NdjsonSink {
    name: String,
    out: BufWriter<Box<dyn Write + Send>>,
}

impl NdjsonSink {
    pub fn create(path: &Path) -> Result<Self, SinkError> {
        Ok(NdjsonSink {
            name: path.display().to_string(),
            out: BufWriter::with_capacity(1 << 20, Box::new(create_file(path)?)),
        })
    }

    pub fn stdout() -> Self {
        NdjsonSink {
            name: "stdout".into(),
            out: BufWriter::new(Box::new(std::io::stdout())),
        }
    }

    fn io_error(&self, source: std::io::Error) -> SinkError {
        SinkError::Io {
            path: self.name.clone(),
            source,
        }
    }
}

impl Sink for NdjsonSink {
    fn write(&mut self, documents: Vec<Document>) -> Result<Delivery, SinkError> {
        for document in &documents {
            let written = if document.is_delete() {
                // A notice cut out of a pretty-printed array spans lines;
                // inside JSON a line break is only whitespace.
                let line: Vec<u8> = document
                    .bytes
                    .iter()
                    .copied()
                    .filter(|b| !matches!(b, b'\n' | b'\r'))
                    .collect();
                self.out.write_all(&line)
            } else {
                self.out.write_all(&document.bytes)
            };
            written
                .and_then(|()| self.out.write_all(b"\n"))
                .map_err(|e| self.io_error(e))?;
        }
        Ok(Delivery {
            written: documents.len() as u64,
            dead_letters: Vec::new(),
        })
    }

    fn flush(&mut self) -> Result<Delivery, SinkError> {
        self.out.flush().map_err(|e| self.io_error(e))?;
        Ok(Delivery::default())
    }
}
