//! What a user writes for an archive output (`type = "archive"`).

use std::path::PathBuf;

use serde::Deserialize;

use crate::config::ConfigError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveConfig {
    /// The archive's root folder; files go into `YYYY/MM/DD/HH/` below it.
    pub path: PathBuf,
    #[serde(default)]
    pub compression: Compression,
    /// Uncompressed bytes a file may hold before the next one is started.
    #[serde(default = "ArchiveConfig::default_max_bytes")]
    pub max_bytes: u64,
    /// How long a file stays open before the next one is started. Every
    /// commit closes the open files too (a file is acknowledged only once
    /// it is closed), so `[pipeline] commit_interval_ms` is the other bound.
    #[serde(default = "ArchiveConfig::default_max_age_ms")]
    pub max_age_ms: u64,
    #[serde(default)]
    pub partition_by: PartitionBy,
    /// The field `partition_by = "created_at"` reads the time from
    /// (Twitter's `Wed Aug 27 13:08:45 +0000 2008`, or RFC 3339).
    #[serde(default = "ArchiveConfig::default_timestamp_field")]
    pub timestamp_field: String,
}

/// How files are compressed. zstd by default: with it the pipeline ran 1.6
/// to 2 times as fast as with gzip, into files 15% smaller (BENCHMARKS.md);
/// gzip for tools that read nothing else.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    #[default]
    Zstd,
    Gzip,
}

impl Compression {
    /// The file name suffix the stock tool (`zstd -d`, `gunzip`) expects.
    pub fn extension(self) -> &'static str {
        match self {
            Compression::Zstd => "zst",
            Compression::Gzip => "gz",
        }
    }
}

/// Which hour's folder a record goes to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartitionBy {
    /// The record's own time (`timestamp_field`); a record without a
    /// readable one goes by its arrival time.
    #[default]
    CreatedAt,
    /// When the record reached the archive.
    Arrival,
}

impl ArchiveConfig {
    fn default_max_bytes() -> u64 {
        128 * 1024 * 1024
    }
    fn default_max_age_ms() -> u64 {
        300_000
    }
    fn default_timestamp_field() -> String {
        "created_at".into()
    }

    /// `key` is where this table sits in the pipeline file (`sink`,
    /// `outputs[1]`), so a message names the key as the user wrote it.
    pub fn validate(&self, key: &str) -> Result<(), ConfigError> {
        if self.path.as_os_str().is_empty() {
            return Err(ConfigError::invalid(
                &format!("{key}.path"),
                "names no folder",
            ));
        }
        if self.path.is_file() {
            return Err(ConfigError::invalid(
                &format!("{key}.path"),
                format!("{} is a file, not a folder", self.path.display()),
            ));
        }
        for (field, value) in [
            ("max_bytes", self.max_bytes),
            ("max_age_ms", self.max_age_ms),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(
                    &format!("{key}.{field}"),
                    "must be at least 1",
                ));
            }
        }
        if self.timestamp_field.is_empty() {
            return Err(ConfigError::invalid(
                &format!("{key}.timestamp_field"),
                "names no field",
            ));
        }
        Ok(())
    }
}
