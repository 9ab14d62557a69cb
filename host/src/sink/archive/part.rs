//! One archive file while it is written: compressed lines into a temporary
//! name, then closed, synced and renamed to its complete name.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::config::Compression;
use super::layout;

pub struct Part {
    folder: PathBuf,
    /// Folders created for this part, deepest first.
    created: Vec<PathBuf>,
    temporary: PathBuf,
    complete: PathBuf,
    encoder: Encoder,
    /// Uncompressed bytes written so far.
    pub bytes: u64,
    pub opened: Instant,
}

enum Encoder {
    Zstd(zstd::Encoder<'static, BufWriter<File>>),
    Gzip(flate2::write::GzEncoder<BufWriter<File>>),
}

/// zstd's own default: most of the ratio at a fraction of the CPU of the
/// higher levels.
const ZSTD_LEVEL: i32 = 3;

impl Part {
    /// Opens the first part number in `folder` not taken by a complete or a
    /// temporary file, starting at `*next` (which is moved past it). The
    /// temporary file is created exclusively, so two writers sharing a
    /// folder never take the same number.
    pub fn create(folder: &Path, compression: Compression, next: &mut u32) -> io::Result<Part> {
        // The folders this part creates (hour, and maybe day, month,
        // year): their names must survive a crash as well as the file's.
        let created = folder
            .ancestors()
            .take_while(|f| !f.is_dir())
            .map(Path::to_owned)
            .collect();
        std::fs::create_dir_all(folder)?;
        loop {
            let number = *next;
            *next += 1;
            let temporary = folder.join(layout::temporary_name(number, compression));
            let complete = folder.join(layout::part_name(number, compression));
            let file = match OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temporary)
            {
                Ok(file) => file,
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(error),
            };
            // Holding the temporary name is what reserves a number; a
            // complete file under it means its writer finished before.
            if complete.exists() {
                std::fs::remove_file(&temporary)?;
                continue;
            }
            let output = BufWriter::with_capacity(256 * 1024, file);
            let encoder = match compression {
                Compression::Zstd => Encoder::Zstd(zstd::Encoder::new(output, ZSTD_LEVEL)?),
                Compression::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(
                    output,
                    flate2::Compression::default(),
                )),
            };
            return Ok(Part {
                folder: folder.to_owned(),
                created,
                temporary,
                complete,
                encoder,
                bytes: 0,
                opened: Instant::now(),
            });
        }
    }

    /// Appends one line (the record's bytes and a newline).
    pub fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        let output: &mut dyn Write = match &mut self.encoder {
            Encoder::Zstd(encoder) => encoder,
            Encoder::Gzip(encoder) => encoder,
        };
        output.write_all(line)?;
        output.write_all(b"\n")?;
        self.bytes += line.len() as u64 + 1;
        Ok(())
    }

    /// Ends the compressed stream, syncs the file, renames it to its
    /// complete name and syncs its folder (and the folders above that it
    /// created), so the name survives a crash: only then are its records
    /// acknowledged.
    pub fn complete(self) -> io::Result<PathBuf> {
        let output = match self.encoder {
            Encoder::Zstd(encoder) => encoder.finish()?,
            Encoder::Gzip(encoder) => encoder.finish()?,
        };
        let file = output.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&self.temporary, &self.complete)?;
        File::open(&self.folder)?.sync_all()?;
        for created in &self.created {
            let parent = created.parent().expect("a created folder has a parent");
            File::open(parent)?.sync_all()?;
        }
        Ok(self.complete)
    }

    /// The path of the temporary file, for error messages.
    pub fn temporary_path(&self) -> &Path {
        &self.temporary
    }
}
