//! The Elasticsearch sink: documents bulk-indexed through `_bulk`, each
//! with its `_id`, so a redelivery overwrites instead of duplicating.
//!
//! One question per file, as in Vector's sink: `config` (what the user
//! writes), `request_builder` (documents into `_bulk` items and request
//! bodies, through the shared [`BulkEncoder`](crate::sink::BulkEncoder)),
//! `service` (the HTTP transport of the `elasticsearch` crate and the
//! answers parsed), `retry` (which answers are retried, and when), `health`
//! (is the cluster there), `template` (the index template and the mappings
//! the indices already have) and `sink` (the glue to the pipeline).
//!
//! Only documents Elasticsearch acknowledged or that were dead-lettered are
//! reported as settled. A request over the cluster's
//! `http.max_content_length` (413) is split until each part fits; a
//! document too large on its own is dead-lettered. When the retry budget
//! runs out, or the cluster refuses a whole request for good (401, ...),
//! the run fails: a
//! document that could not be delivered in time is not a bad document, and
//! failing leaves it unsettled, so the source does not commit past it and a
//! rerun delivers it, where dead-lettering it would hand the replay to the
//! user and, in a long outage, fill the dead-letter file with the stream.

mod config;
mod health;
mod request_builder;
mod retry;
mod service;
mod sink;
mod template;

pub use config::{Auth, BatchConfig, ElasticsearchConfig, RetryConfig, TemplateConfig, TlsConfig};
pub use sink::ElasticsearchSink;

#[derive(Debug, thiserror::Error)]
pub enum ElasticsearchError {
    #[error("{0}")]
    Setup(String),
    #[error("no answer from Elasticsearch within {seconds:.1} s (last error: {last_error})")]
    Unreachable { seconds: f64, last_error: String },
    #[error("{what}: Elasticsearch answered HTTP {status}: {body}")]
    Refused {
        what: String,
        status: u16,
        body: String,
    },
    #[error(
        "{documents} documents not acknowledged after {attempts} attempts over {seconds:.1} s \
         (last error: {last_error}); they are not committed, a rerun delivers them"
    )]
    RetriesExhausted {
        documents: usize,
        attempts: u32,
        seconds: f64,
        last_error: String,
    },
    #[error("unexpected _bulk answer: {0}")]
    Protocol(String),
    #[error("the sink's background task stopped")]
    Stopped,
}
