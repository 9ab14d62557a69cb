//! Elasticsearch's error objects, as they appear in responses.
//!
//! An error is `{"type", "reason", <metadata>..., "caused_by"}`; a failed request wraps it as
//! `{"error": {"root_cause": [...], ...}, "status": N}` and a failed bulk item carries it
//! under `"error"`. Field order follows Elasticsearch's `ElasticsearchException.toXContent`.

use serde::ser::{Serialize, SerializeMap, Serializer};

#[derive(Debug, Clone, PartialEq)]
pub struct EsError {
    pub kind: String,
    pub reason: String,
    /// Metadata such as `index_uuid`, `shard`, `index`, in Elasticsearch's order.
    pub meta: Vec<(&'static str, String)>,
    pub caused_by: Option<Box<EsError>>,
}

impl EsError {
    pub fn new(kind: &str, reason: impl Into<String>) -> Self {
        Self {
            kind: kind.to_owned(),
            reason: reason.into(),
            meta: Vec::new(),
            caused_by: None,
        }
    }

    pub fn with_meta(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.meta.push((key, value.into()));
        self
    }

    pub fn caused_by(mut self, cause: EsError) -> Self {
        self.caused_by = Some(Box::new(cause));
        self
    }

    pub fn index_not_found(index: &str, resource_type: &str) -> Self {
        Self::new(
            "index_not_found_exception",
            format!("no such index [{index}]"),
        )
        .with_meta("resource.type", resource_type)
        .with_meta("resource.id", index)
        .with_meta("index_uuid", "_na_")
        .with_meta("index", index)
    }

    /// The body of a failed request: `{"error": {"root_cause": [...], ...}, "status": N}`.
    pub fn to_response_body(&self, status: u16) -> Vec<u8> {
        #[derive(serde::Serialize)]
        struct Body<'a> {
            error: ErrorWithRoot<'a>,
            status: u16,
        }
        serde_json::to_vec(&Body {
            error: ErrorWithRoot(self),
            status,
        })
        .expect("error serializes")
    }
}

impl Serialize for EsError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", &self.kind)?;
        map.serialize_entry("reason", &self.reason)?;
        for (key, value) in &self.meta {
            map.serialize_entry(key, value)?;
        }
        if let Some(cause) = &self.caused_by {
            map.serialize_entry("caused_by", cause)?;
        }
        map.end()
    }
}

/// Serializes `root_cause` first, then the error itself, as a failed request does.
struct ErrorWithRoot<'a>(pub &'a EsError);

impl Serialize for ErrorWithRoot<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut map = serializer.serialize_map(None)?;
        // For the errors this server raises, Elasticsearch reports the top-level error
        // itself (without its cause) as the root cause.
        let root_entry = EsError {
            caused_by: None,
            ..e.clone()
        };
        map.serialize_entry("root_cause", &[root_entry])?;
        map.serialize_entry("type", &e.kind)?;
        map.serialize_entry("reason", &e.reason)?;
        for (key, value) in &e.meta {
            map.serialize_entry(key, value)?;
        }
        if let Some(cause) = &e.caused_by {
            map.serialize_entry("caused_by", cause)?;
        }
        map.end()
    }
}
