use std::path::PathBuf;

/// Why a pipeline file was refused. Each message names the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read pipeline file {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid pipeline file: {0}")]
    Parse(toml::de::Error),
    #[error("invalid value for `{key}`: {message}")]
    Invalid { key: String, message: String },
}

impl ConfigError {
    pub fn invalid(key: &str, message: impl std::fmt::Display) -> Self {
        ConfigError::Invalid {
            key: key.to_owned(),
            message: message.to_string(),
        }
    }
}
