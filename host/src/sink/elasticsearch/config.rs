//! What the user writes in `[sink]` with `type = "elasticsearch"`.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::config::{ConfigError, IndexTarget};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElasticsearchConfig {
    /// Node URLs, used round robin (`http://localhost:9200`).
    #[serde(default = "ElasticsearchConfig::default_nodes")]
    pub nodes: Vec<String>,
    #[serde(flatten)]
    pub target: IndexTarget,
    #[serde(default)]
    pub auth: Option<Auth>,
    #[serde(default)]
    pub tls: TlsConfig,
    /// Gzip request bodies (`Content-Encoding: gzip`).
    #[serde(default)]
    pub gzip: bool,
    #[serde(default)]
    pub batch: BatchConfig,
    /// `_bulk` requests sent at the same time. When all are out, writing
    /// blocks, so the source pauses and memory stays bounded.
    #[serde(default = "ElasticsearchConfig::default_max_in_flight")]
    pub max_in_flight: usize,
    /// One request's deadline; a request past it is retried.
    #[serde(default = "ElasticsearchConfig::default_request_timeout_ms")]
    pub request_timeout_ms: u64,
    #[serde(default)]
    pub retry: RetryConfig,
    /// An index template created (or replaced) at start, so every new index
    /// the pattern names gets the limits the guard enforces.
    #[serde(default)]
    pub index_template: Option<TemplateConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Auth {
    Basic {
        user: String,
        password: String,
    },
    /// The `encoded` form Kibana shows, or `id` and `key`.
    ApiKey {
        #[serde(default)]
        encoded: Option<String>,
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        key: Option<String>,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// A PEM file with the CA that signed the cluster's certificate.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// `false` accepts any certificate: for a throwaway cluster only.
    #[serde(default = "TlsConfig::default_verify")]
    pub verify_certificates: bool,
}

impl TlsConfig {
    fn default_verify() -> bool {
        true
    }
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            ca_file: None,
            verify_certificates: Self::default_verify(),
        }
    }
}

/// When a `_bulk` request is sent: whichever of the three comes first.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchConfig {
    #[serde(default = "BatchConfig::default_max_bytes")]
    pub max_bytes: usize,
    #[serde(default = "BatchConfig::default_max_documents")]
    pub max_documents: usize,
    /// How long a started request waits for more documents.
    #[serde(default = "BatchConfig::default_linger_ms")]
    pub linger_ms: u64,
}

impl BatchConfig {
    fn default_max_bytes() -> usize {
        5 * 1024 * 1024
    }
    fn default_max_documents() -> usize {
        1000
    }
    fn default_linger_ms() -> u64 {
        100
    }
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            max_bytes: Self::default_max_bytes(),
            max_documents: Self::default_max_documents(),
            linger_ms: Self::default_linger_ms(),
        }
    }
}

/// Exponential backoff with jitter for 429, 502, 503, 504 and connection
/// errors; `max_elapsed_ms` is the budget after which the run fails.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryConfig {
    #[serde(default = "RetryConfig::default_initial_backoff_ms")]
    pub initial_backoff_ms: u64,
    #[serde(default = "RetryConfig::default_max_backoff_ms")]
    pub max_backoff_ms: u64,
    #[serde(default = "RetryConfig::default_max_elapsed_ms")]
    pub max_elapsed_ms: u64,
}

impl RetryConfig {
    fn default_initial_backoff_ms() -> u64 {
        100
    }
    fn default_max_backoff_ms() -> u64 {
        10_000
    }
    fn default_max_elapsed_ms() -> u64 {
        300_000
    }
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            initial_backoff_ms: Self::default_initial_backoff_ms(),
            max_backoff_ms: Self::default_max_backoff_ms(),
            max_elapsed_ms: Self::default_max_elapsed_ms(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateConfig {
    pub name: String,
    /// Elasticsearch refuses two templates with overlapping patterns and the
    /// same priority; the highest priority wins.
    #[serde(default = "TemplateConfig::default_priority")]
    pub priority: u64,
}

impl TemplateConfig {
    fn default_priority() -> u64 {
        100
    }
}

impl ElasticsearchConfig {
    fn default_nodes() -> Vec<String> {
        vec!["http://localhost:9200".into()]
    }
    fn default_max_in_flight() -> usize {
        4
    }
    fn default_request_timeout_ms() -> u64 {
        60_000
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    /// Checks what serde cannot; keys are dotted from the pipeline file's root.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.nodes.is_empty() {
            return Err(ConfigError::invalid("sink.nodes", "lists no node"));
        }
        for node in &self.nodes {
            match elasticsearch::http::Url::parse(node) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => {}
                Ok(url) => {
                    return Err(ConfigError::invalid(
                        "sink.nodes",
                        format!("`{node}`: scheme `{}` is not http or https", url.scheme()),
                    ));
                }
                Err(error) => {
                    return Err(ConfigError::invalid(
                        "sink.nodes",
                        format!("`{node}` is not a URL: {error}"),
                    ));
                }
            }
        }
        let positive = [
            ("sink.batch.max_bytes", self.batch.max_bytes as u64),
            ("sink.batch.max_documents", self.batch.max_documents as u64),
            ("sink.max_in_flight", self.max_in_flight as u64),
            ("sink.request_timeout_ms", self.request_timeout_ms),
            (
                "sink.retry.initial_backoff_ms",
                self.retry.initial_backoff_ms,
            ),
        ];
        if let Some((key, _)) = positive.iter().find(|(_, value)| *value == 0) {
            return Err(ConfigError::invalid(key, "must be at least 1"));
        }
        if self.retry.max_backoff_ms < self.retry.initial_backoff_ms {
            return Err(ConfigError::invalid(
                "sink.retry.max_backoff_ms",
                "must not be below initial_backoff_ms",
            ));
        }
        if let Some(Auth::ApiKey { encoded, id, key }) = &self.auth
            && !(encoded.is_some() ^ (id.is_some() && key.is_some()))
        {
            return Err(ConfigError::invalid(
                "sink.auth",
                "an api_key needs either `encoded` or both `id` and `key`",
            ));
        }
        if let Some(path) = &self.tls.ca_file
            && !path.is_file()
        {
            return Err(ConfigError::invalid(
                "sink.tls.ca_file",
                format!("{} is not a file", path.display()),
            ));
        }
        Ok(())
    }
}
