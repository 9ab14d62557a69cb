//! Talking to the cluster: the transport (nodes, credentials, TLS, gzip,
//! timeouts) and the requests the sink makes, with their answers parsed.

use std::time::Duration;

use bytes::Bytes;
use elasticsearch::auth::Credentials;
use elasticsearch::cert::{Certificate, CertificateValidation};
use elasticsearch::http::headers::{CONTENT_TYPE, HeaderMap, HeaderValue};
use elasticsearch::http::transport::{MultiNodeConnectionPool, Transport, TransportBuilder};
use elasticsearch::http::{Method, Url};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::ElasticsearchError;
use super::config::{Auth, ElasticsearchConfig};

pub struct Service {
    transport: Transport,
    timeout: Duration,
}

/// An HTTP answer: its status and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Bytes,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One item of a `_bulk` answer, in request order.
#[derive(Debug, Clone, Deserialize)]
pub struct ItemResult {
    pub status: u16,
    #[serde(default)]
    pub error: Option<ItemError>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ItemError {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub caused_by: Option<Box<ItemError>>,
}

impl ItemError {
    /// `type: reason`, then each `caused_by` in brackets.
    pub fn describe(&self) -> String {
        let mut text = format!("{}: {}", self.kind, self.reason.as_deref().unwrap_or(""));
        let mut cause = self.caused_by.as_deref();
        while let Some(error) = cause {
            text.push_str(&format!(
                " [caused by {}: {}]",
                error.kind,
                error.reason.as_deref().unwrap_or("")
            ));
            cause = error.caused_by.as_deref();
        }
        text
    }
}

#[derive(Deserialize)]
struct BulkResponse<'a> {
    errors: bool,
    #[serde(borrow)]
    items: &'a RawValue,
}

#[derive(Deserialize)]
struct ItemEnvelope {
    #[serde(alias = "create", alias = "update", alias = "delete")]
    index: ItemResult,
}

/// What a `_bulk` request came back with.
#[derive(Debug)]
pub enum BulkReply {
    /// Every item acknowledged (`errors: false`).
    AllDone,
    /// Per-item results, in request order.
    Items(Vec<ItemResult>),
    /// The request as a whole was answered with this (non-2xx) status.
    Refused(Answer),
}

impl Service {
    pub fn new(config: &ElasticsearchConfig) -> Result<Self, ElasticsearchError> {
        let urls = config
            .nodes
            .iter()
            .map(|node| Url::parse(node))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ElasticsearchError::Setup(format!("node URL: {e}")))?;
        let mut builder = TransportBuilder::new(MultiNodeConnectionPool::round_robin(urls, None))
            .request_body_compression(config.gzip)
            .timeout(config.request_timeout())
            .enable_meta_header(false);
        if let Some(auth) = &config.auth {
            builder = builder.auth(match auth.clone() {
                Auth::Basic { user, password } => Credentials::Basic(user, password),
                Auth::ApiKey {
                    encoded: Some(encoded),
                    ..
                } => Credentials::EncodedApiKey(encoded),
                Auth::ApiKey { id, key, .. } => Credentials::ApiKey(
                    id.expect("validated: id and key"),
                    key.expect("validated: id and key"),
                ),
            });
        }
        if let Some(path) = &config.tls.ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                ElasticsearchError::Setup(format!("reading {}: {e}", path.display()))
            })?;
            let ca = Certificate::from_pem(&pem).map_err(|e| {
                ElasticsearchError::Setup(format!(
                    "{} is not a PEM certificate: {e}",
                    path.display()
                ))
            })?;
            builder = builder.cert_validation(CertificateValidation::Full(ca));
        } else if !config.tls.verify_certificates {
            builder = builder.cert_validation(CertificateValidation::None);
        }
        let transport = builder
            .build()
            .map_err(|e| ElasticsearchError::Setup(format!("building the HTTP client: {e}")))?;
        Ok(Service {
            transport,
            timeout: config.request_timeout(),
        })
    }

    /// Sends a `_bulk` body (NDJSON, ending in a newline). `Err` is a
    /// connection error or timeout: the request may or may not have been
    /// applied, which is harmless because every action carries its `_id`.
    pub async fn bulk(&self, body: Bytes) -> Result<BulkReply, elasticsearch::Error> {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-ndjson"),
        );
        let answer = self
            .request(Method::Post, "/_bulk", headers, Some(body))
            .await?;
        if !(200..300).contains(&answer.status) {
            return Ok(BulkReply::Refused(answer));
        }
        let invalid = |e: serde_json::Error| {
            elasticsearch::Error::from(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("unreadable _bulk response: {e}"),
            ))
        };
        let response: BulkResponse = serde_json::from_slice(&answer.body).map_err(invalid)?;
        if !response.errors {
            return Ok(BulkReply::AllDone);
        }
        let items: Vec<ItemEnvelope> =
            serde_json::from_str(response.items.get()).map_err(invalid)?;
        Ok(BulkReply::Items(
            items.into_iter().map(|i| i.index).collect(),
        ))
    }

    pub async fn get(&self, path: &str) -> Result<Answer, elasticsearch::Error> {
        self.request(Method::Get, path, HeaderMap::new(), None)
            .await
    }

    pub async fn put_json(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<Answer, elasticsearch::Error> {
        let body = Bytes::from(serde_json::to_vec(body).expect("a JSON value serializes"));
        self.request(Method::Put, path, HeaderMap::new(), Some(body))
            .await
    }

    async fn request(
        &self,
        method: Method,
        path: &str,
        headers: HeaderMap,
        body: Option<Bytes>,
    ) -> Result<Answer, elasticsearch::Error> {
        let response = self
            .transport
            .send(method, path, headers, None::<&()>, body, Some(self.timeout))
            .await?;
        let status = response.status_code().as_u16();
        let body = response.bytes().await?;
        Ok(Answer { status, body })
    }
}
