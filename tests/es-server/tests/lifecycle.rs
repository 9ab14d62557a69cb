//! Stopping, restarting, body limits, and the blocking API for synchronous tests.

mod common;

use std::io::{Read, Write};

use common::{all_tweets, bulk, call, index_body, send};
use es_test_server::{BlockingEsTestServer, EsTestServer, Options};

#[tokio::test(flavor = "multi_thread")]
async fn stop_keeps_the_data_and_restart_serves_it_on_the_same_port() {
    let mut server = EsTestServer::start(Options::default()).await.unwrap();
    let url = server.url();
    let tweets: Vec<String> = all_tweets().into_iter().take(250).collect();
    assert_eq!(
        bulk(&url, "/tweets/_bulk?refresh=true", &index_body(&tweets))
            .await
            .json()["errors"],
        false
    );

    server.stop().await;
    assert!(
        send(&url, "GET", "/", None).await.is_err(),
        "stopped server still answers"
    );

    server.restart().await.unwrap();
    assert_eq!(server.url(), url);
    assert_eq!(
        call(&url, "GET", "/tweets/_count", None).await.json()["count"],
        250
    );
    let mapping = call(&url, "GET", "/tweets/_mapping", None).await.json();
    assert_eq!(
        mapping["tweets"]["mappings"]["properties"]["id_str"]["type"],
        "text"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_periodic_refresh_makes_writes_visible() {
    let server = EsTestServer::start(Options {
        refresh_interval: Some(std::time::Duration::from_millis(100)),
        ..Options::default()
    })
    .await
    .unwrap();
    let url = server.url();
    let tweets: Vec<String> = all_tweets().into_iter().take(20).collect();
    bulk(&url, "/tweets/_bulk", &index_body(&tweets)).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(
        call(&url, "GET", "/tweets/_count", None).await.json()["count"],
        20
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_over_max_content_length_get_413() {
    let server = EsTestServer::start(Options {
        max_content_length: 64 * 1024,
        ..Options::default()
    })
    .await
    .unwrap();
    let url = server.url();
    let tweets: Vec<String> = all_tweets().into_iter().take(40).collect();
    let body = index_body(&tweets);
    assert!(body.len() > 64 * 1024);
    let response = bulk(&url, "/tweets/_bulk", &body).await;
    assert_eq!(response.status, 413);
    assert_eq!(server.stats().payload_too_large, 1);
    assert_eq!(call(&url, "HEAD", "/tweets", None).await.status, 404);
}

/// A synchronous test, as a CLI's test would use it: no async runtime of its own.
#[test]
fn the_blocking_server_serves_plain_threads() {
    let mut server = BlockingEsTestServer::start(Options::default()).unwrap();
    let get_root = |addr: std::net::SocketAddr| -> std::io::Result<String> {
        let mut stream = std::net::TcpStream::connect(addr)?;
        stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
        let mut text = String::new();
        stream.read_to_string(&mut text)?;
        Ok(text)
    };
    let addr = server.addr();
    assert!(get_root(addr).unwrap().contains("\"number\":\"8.15.0\""));
    server.stop();
    assert!(get_root(addr).is_err());
    server.restart().unwrap();
    assert!(get_root(addr).unwrap().starts_with("HTTP/1.1 200"));
    assert_eq!(server.stats().requests, 2);
}
