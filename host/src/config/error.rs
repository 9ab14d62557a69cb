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

    /// The same error for a table that sits under `to` instead of `from`
    /// (an `[[outputs]]` entry checked by a sink's own validation).
    pub fn moved_under(self, from: &str, to: &str) -> Self {
        match self {
            ConfigError::Invalid { key, message } => {
                let key = match key.strip_prefix(from) {
                    Some(rest) => format!("{to}{rest}"),
                    None => key,
                };
                ConfigError::Invalid { key, message }
            }
            other => other,
        }
    }
}
