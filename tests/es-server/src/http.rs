//! The HTTP/1.1 listener: accepts connections, enforces `http.max_content_length`, applies
//! the request-level faults (a dropped connection is a service error, which makes hyper
//! close the socket without answering) and hands requests to `api`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::api::{Cluster, Reply, Request, Verdict};

/// Returned by the service to make hyper drop the connection without a response.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
struct Dropped;

/// Serves until `shutdown` flips, then closes the listener and every open connection.
pub async fn serve(
    listener: TcpListener,
    cluster: Arc<Cluster>,
    max_content_length: usize,
    refresh_interval: Option<Duration>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    let mut refresher = refresh_interval.map(tokio::time::interval);
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = async { refresher.as_mut().expect("guarded").tick().await }, if refresher.is_some() => {
                let cluster = cluster.clone();
                // Refreshing copies every live document reference; keep it off the I/O threads.
                let _ = tokio::task::spawn_blocking(move || cluster.refresh_all()).await;
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let cluster = cluster.clone();
                    connections.spawn(async move {
                        let service = service_fn(move |req| respond(cluster.clone(), max_content_length, req));
                        if let Err(e) = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await
                        {
                            tracing::debug!(%peer, error = %e, "connection ended");
                        }
                    });
                }
                Err(e) => tracing::warn!(error = %e, "accept failed"),
            },
        }
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    connections.shutdown().await;
}

fn payload_too_large(cluster: &Cluster) -> Result<hyper::Response<Full<Bytes>>, Dropped> {
    cluster.count_payload_too_large();
    Ok(hyper::Response::builder()
        .status(413)
        .header("content-length", "0")
        .header("connection", "close")
        .body(Full::new(Bytes::new()))
        .expect("static response"))
}

async fn respond(
    cluster: Arc<Cluster>,
    max_content_length: usize,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Dropped> {
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > max_content_length) {
        return payload_too_large(&cluster);
    }
    let body = match Limited::new(body, max_content_length).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return payload_too_large(&cluster),
        Err(_) => return Err(Dropped),
    };
    let gzipped = parts
        .headers
        .get(hyper::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let body = if gzipped {
        let mut inflated = Vec::new();
        match std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&body[..]),
            &mut inflated,
        ) {
            Ok(_) => Bytes::from(inflated),
            // A body that does not inflate: the client is broken, and a
            // dropped connection fails its test plainly.
            Err(_) => return Err(Dropped),
        }
    } else {
        body
    };
    let compatible = parts
        .headers
        .get(hyper::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("vnd.elasticsearch+json"));
    let request = Request {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(parse_query).unwrap_or_default(),
        has_content_type: parts.headers.contains_key(hyper::header::CONTENT_TYPE),
        body,
    };
    let reply = match cluster.verdict(&request) {
        Verdict::Drop => {
            tracing::debug!(path = %request.path, "dropping connection (fault)");
            return Err(Dropped);
        }
        Verdict::Answer(reply) => reply,
        Verdict::Handle { delay } => {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let method = request.method.clone();
            let path = request.path.clone();
            let reply = tokio::task::spawn_blocking(move || cluster.handle(&request))
                .await
                .unwrap_or_else(|e| Reply {
                    status: 500,
                    body: format!("{{\"error\":\"handler panicked: {e}\",\"status\":500}}")
                        .into_bytes(),
                    json: true,
                });
            tracing::debug!(%method, %path, status = reply.status, "handled");
            reply
        }
    };
    Ok(to_response(reply, compatible))
}

fn to_response(reply: Reply, compatible: bool) -> hyper::Response<Full<Bytes>> {
    let content_type = match (reply.json, compatible) {
        (true, true) => "application/vnd.elasticsearch+json;compatible-with=8",
        (true, false) => "application/json",
        (false, _) => "text/plain; charset=UTF-8",
    };
    hyper::Response::builder()
        .status(reply.status)
        .header("content-type", content_type)
        .header("x-elastic-product", "Elasticsearch")
        .body(Full::new(Bytes::from(reply.body)))
        .expect("valid status and headers")
}

fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (pair.to_owned(), String::new()),
        })
        .collect()
}
