//! Where an archive's files live and what their names mean, for the writer
//! and for the reader ([`crate::source::ArchiveSource`]).
//!
//! `ROOT/YYYY/MM/DD/HH/part-NNNNNN.ndjson.zst` (or `.gz`) is a complete
//! file. While it is written it is `.part-NNNNNN.ndjson.zst.tmp` in the same
//! folder: hidden, with a suffix no reader takes, and renamed only once it
//! is complete and synced, so a reader never sees half a file.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Timelike, Utc};

use super::config::Compression;

/// The hour folder below the root for records of `time`.
pub fn hour_folder(root: &Path, time: DateTime<Utc>) -> PathBuf {
    root.join(format!("{:04}", time.year()))
        .join(format!("{:02}", time.month()))
        .join(format!("{:02}", time.day()))
        .join(format!("{:02}", time.hour()))
}

/// The complete file's name for part `number`.
pub fn part_name(number: u32, compression: Compression) -> String {
    format!("part-{number:06}.ndjson.{}", compression.extension())
}

/// The name part `number` has while it is being written.
pub fn temporary_name(number: u32, compression: Compression) -> String {
    format!(".{}.tmp", part_name(number, compression))
}

/// The part number a file name claims, complete or temporary (so a writer
/// never reuses a number a killed process left a temporary file under).
pub fn claimed_number(name: &str) -> Option<u32> {
    let name = name.strip_prefix('.').unwrap_or(name);
    let digits = name.strip_prefix("part-")?.get(..6)?;
    digits.parse().ok()
}

/// How a complete file is compressed, judged by its name; `None` for
/// anything else (temporary files, other files a user put there).
pub fn complete_file(name: &str) -> Option<Compression> {
    if name.starts_with('.') || !name.starts_with("part-") {
        return None;
    }
    [Compression::Zstd, Compression::Gzip]
        .into_iter()
        .find(|c| name.ends_with(&format!(".ndjson.{}", c.extension())))
}

/// Every complete file under `root`, in path order (which is time order,
/// then part order, because every name component is zero-padded).
pub fn complete_files(root: &Path) -> std::io::Result<Vec<(PathBuf, Compression)>> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                folders.push(path);
            } else if let Some(compression) = entry.file_name().to_str().and_then(complete_file) {
                files.push((path, compression));
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_part_and_only_complete_files_are_taken() {
        assert_eq!(part_name(7, Compression::Zstd), "part-000007.ndjson.zst");
        assert_eq!(
            temporary_name(7, Compression::Gzip),
            ".part-000007.ndjson.gz.tmp"
        );
        assert_eq!(claimed_number(".part-000042.ndjson.zst.tmp"), Some(42));
        assert_eq!(claimed_number("part-000042.ndjson.gz"), Some(42));
        assert_eq!(claimed_number("notes.txt"), None);
        assert_eq!(
            complete_file("part-000001.ndjson.zst"),
            Some(Compression::Zstd)
        );
        assert_eq!(complete_file(".part-000001.ndjson.zst.tmp"), None);
        assert_eq!(complete_file("part-000001.ndjson"), None);
    }

    #[test]
    fn hours_are_zero_padded_folders() {
        let time = crate::sink::parse_timestamp("Tue Dec 01 03:04:05 +0000 2026").unwrap();
        assert_eq!(
            hour_folder(Path::new("a"), time),
            Path::new("a/2026/12/01/03")
        );
    }
}
