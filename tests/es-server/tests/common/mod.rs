//! A minimal HTTP/1.1 client for the tests: one request per connection, so what a test
//! sends and receives is exactly what is on the wire.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::PathBuf;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: String,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// Sends one request; `Err` when the server closed the connection without answering.
pub async fn send(
    url: &str,
    method: &str,
    path: &str,
    body: Option<(&str, &[u8])>,
) -> std::io::Result<Response> {
    let addr = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some((content_type, bytes)) = body {
        head.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            bytes.len()
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    if let Some((_, bytes)) = body {
        stream.write_all(bytes).await?;
    }
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no response"))?;
    let headers = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = headers
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    Ok(Response {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}

pub async fn call(url: &str, method: &str, path: &str, body: Option<Value>) -> Response {
    let bytes = body.map(|b| serde_json::to_vec(&b).unwrap());
    send(
        url,
        method,
        path,
        bytes.as_deref().map(|b| ("application/json", b)),
    )
    .await
    .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

pub async fn bulk(url: &str, path: &str, ndjson: &[u8]) -> Response {
    send(url, "POST", path, Some(("application/x-ndjson", ndjson)))
        .await
        .unwrap_or_else(|e| panic!("POST {path}: {e}"))
}

pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// Every tweet of the four NDJSON sets, as the original lines, in file order.
pub fn all_tweets() -> Vec<String> {
    let mut lines = Vec::new();
    for file in [
        "python-twitter-testdata.ndjson",
        "rtweet-fixtures.ndjson",
        "sfm-twitter-harvester-warcs.ndjson",
        "tweepy-cassettes.ndjson",
    ] {
        let text = std::fs::read_to_string(data_dir().join(file)).expect("tweet file");
        lines.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned),
        );
    }
    lines
}

pub fn id_str(tweet: &str) -> String {
    let v: Value = serde_json::from_str(tweet).expect("tweet JSON");
    v["id_str"].as_str().expect("id_str").to_owned()
}

/// An NDJSON bulk body indexing each tweet under its `id_str`.
pub fn index_body(tweets: &[String]) -> Vec<u8> {
    let mut body = Vec::new();
    for tweet in tweets {
        body.extend_from_slice(
            format!("{{\"index\":{{\"_id\":\"{}\"}}}}\n", id_str(tweet)).as_bytes(),
        );
        body.extend_from_slice(tweet.as_bytes());
        body.push(b'\n');
    }
    body
}

/// Fields a mapping counts toward `index.mapping.total_fields.limit`, read from `GET _mapping`.
pub fn count_mapping_fields(properties: &Value) -> usize {
    properties
        .as_object()
        .map(|props| {
            props
                .values()
                .map(|field| {
                    1 + field
                        .get("fields")
                        .and_then(Value::as_object)
                        .map_or(0, |f| f.len())
                        + field.get("properties").map_or(0, count_mapping_fields)
                })
                .sum()
        })
        .unwrap_or(0)
}
