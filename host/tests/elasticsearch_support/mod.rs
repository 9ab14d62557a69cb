//! Shared by the Elasticsearch and guard tests: the project's
//! Elasticsearch-compatible test server (not a real cluster), a tiny HTTP
//! client to ask it what it holds, and pipeline files that write into it.
#![allow(dead_code)] // each test binary uses a different subset

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;

use es_test_server::{BlockingEsTestServer, Options};
use serde_json::Value;

use crate::common::{plugin_table, repo_root};

/// A server whose indices become searchable on `_refresh` only, so counts
/// never depend on timing.
pub fn start_server() -> BlockingEsTestServer {
    BlockingEsTestServer::start(Options {
        refresh_interval: None,
        ..Options::default()
    })
    .expect("starting es-test-server")
}

/// One request on its own connection: `(status, body as JSON)`.
pub fn http(url: &str, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let addr = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connecting to the test server");
    let bytes = body
        .map(|b| serde_json::to_vec(b).unwrap())
        .unwrap_or_default();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n").into_bytes();
    if body.is_some() {
        request.extend_from_slice(
            format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                bytes.len()
            )
            .as_bytes(),
        );
    }
    request.extend_from_slice(b"\r\n");
    request.extend_from_slice(&bytes);
    stream.write_all(&request).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]);
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body = &raw[split + 4..];
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body).unwrap_or_else(|_| String::from_utf8_lossy(body).into())
    };
    (status, json)
}

/// Documents searchable in `index` after a refresh.
pub fn count(url: &str, index: &str) -> u64 {
    let (status, body) = http(url, "POST", &format!("/{index}/_refresh"), None);
    assert_eq!(status, 200, "{body}");
    let (status, body) = http(url, "GET", &format!("/{index}/_count"), None);
    assert_eq!(status, 200, "{body}");
    body["count"].as_u64().unwrap()
}

/// A document by `_id`, if the index holds it.
pub fn get_source(url: &str, index: &str, id: &str) -> Option<Value> {
    let (status, body) = http(url, "GET", &format!("/{index}/_doc/{id}"), None);
    (status == 200).then(|| body["_source"].clone())
}

/// The `[[plugins]]` tables of the bundled demo pipeline: the default chain.
pub fn default_chain() -> String {
    plugin_table(
        "flatten-retweets",
        r#"{ mode = "embed", non_tweets = "drop" }"#,
        "{}",
    ) + &plugin_table(
        "prune-fields",
        "{ max_string_length = 2000, max_depth = 5, max_fields = 400 }",
        "{}",
    )
}

/// A pipeline file reading `input` (files or folders), through `plugins`,
/// into `index` on the server at `url`; `sink_extra` and `guard` are added
/// to the `[sink]` and `[guard]` tables. Dead letters go to
/// `dir/dead.ndjson`.
pub fn pipeline(
    input: &[&Path],
    plugins: &str,
    url: &str,
    index: &str,
    sink_extra: &str,
    guard: &str,
) -> String {
    let paths: Vec<String> = input
        .iter()
        .map(|p| format!("\"{}\"", p.display()))
        .collect();
    format!(
        r#"
[source]
type = "file"
paths = [{paths}]

{plugins}

[sink]
type = "elasticsearch"
nodes = ["{url}"]
index = "{index}"
retry = {{ initial_backoff_ms = 5, max_backoff_ms = 200 }}
{sink_extra}

[guard]
{guard}

[dead_letter]
path = "dead.ndjson"
"#,
        paths = paths.join(", ")
    )
}

pub fn data(name: &str) -> std::path::PathBuf {
    repo_root().join("data").join(name)
}

/// The raw lines of a bundled NDJSON file.
pub fn tweet_lines(name: &str) -> Vec<Vec<u8>> {
    std::fs::read(data(name))
        .unwrap()
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}
