//! A `_bulk` request body on disk, ready for
//! `curl -H 'Content-Type: application/x-ndjson' --data-binary @FILE .../_bulk`.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::bulk::BulkEncoder;
use super::{Delivery, Sink, SinkError, create_file};
use crate::config::IndexTarget;
use crate::record::Document;

pub struct BulkFileSink {
    name: String,
    encoder: BulkEncoder,
    out: BufWriter<std::fs::File>,
    buffer: Vec<u8>,
}

impl BulkFileSink {
    pub fn create(path: &Path, target: &IndexTarget) -> Result<Self, SinkError> {
        let encoder = BulkEncoder::new(target).map_err(|e| SinkError::Io {
            path: path.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, e),
        })?;
        Ok(BulkFileSink {
            name: path.display().to_string(),
            encoder,
            out: BufWriter::with_capacity(1 << 20, create_file(path)?),
            buffer: Vec::new(),
        })
    }
}

impl Sink for BulkFileSink {
    fn write(&mut self, documents: Vec<Document>) -> Result<Delivery, SinkError> {
        let mut delivery = Delivery::default();
        self.buffer.clear();
        for document in documents {
            match self.encoder.encode(document, &mut self.buffer) {
                Ok(_) => delivery.written += 1,
                Err(dead_letter) => delivery.dead_letters.push(dead_letter),
            }
        }
        self.out
            .write_all(&self.buffer)
            .map_err(|source| SinkError::Io {
                path: self.name.clone(),
                source,
            })?;
        Ok(delivery)
    }

    fn flush(&mut self) -> Result<Delivery, SinkError> {
        self.out.flush().map_err(|source| SinkError::Io {
            path: self.name.clone(),
            source,
        })?;
        Ok(Delivery::default())
    }
}
