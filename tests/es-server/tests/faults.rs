//! Injected faults: deterministic given a seed, counted in `/_test/stats`.

mod common;

use std::collections::BTreeSet;

use common::{all_tweets, bulk, call, index_body, send};
use es_test_server::{EsTestServer, Faults, Options};
use serde_json::{Value, json};

async fn server() -> EsTestServer {
    EsTestServer::start(Options {
        refresh_interval: None,
        ..Options::default()
    })
    .await
    .expect("server starts")
}

fn rejected_ids(response: &Value) -> BTreeSet<String> {
    response["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["index"]["status"] == 429)
        .map(|i| i["index"]["_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn partial_429s_are_reproducible_and_succeed_on_retry() {
    let server = server().await;
    let url = server.url();
    let tweets: Vec<String> = all_tweets().into_iter().take(300).collect();
    let faults = Faults {
        seed: 42,
        item_reject_rate: 0.25,
        ..Faults::default()
    };
    server.set_faults(faults.clone()).unwrap();
    let first = bulk(&url, "/first/_bulk", &index_body(&tweets)).await;
    assert_eq!(first.status, 200);
    let first = first.json();
    assert_eq!(first["errors"], true);
    let rejected = rejected_ids(&first);
    assert!(
        (30..=120).contains(&rejected.len()),
        "{} of 300 rejected",
        rejected.len()
    );
    let sample = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["index"]["status"] == 429)
        .unwrap();
    assert_eq!(
        sample["index"]["error"]["type"],
        "es_rejected_execution_exception"
    );

    // Same seed, same requests: the same items fail.
    server.set_faults(faults).unwrap();
    let again = bulk(&url, "/second/_bulk", &index_body(&tweets))
        .await
        .json();
    assert_eq!(rejected_ids(&again), rejected);

    // Retrying exactly the rejected items completes the index.
    server.set_faults(Faults::default()).unwrap();
    let retry: Vec<String> = tweets
        .iter()
        .filter(|t| rejected.contains(&common::id_str(t)))
        .cloned()
        .collect();
    let retried = bulk(&url, "/first/_bulk", &index_body(&retry)).await.json();
    assert_eq!(retried["errors"], false);
    call(&url, "POST", "/first/_refresh", None).await;
    assert_eq!(
        call(&url, "GET", "/first/_count", None).await.json()["count"],
        300
    );

    let stats = call(&url, "GET", "/_test/stats", None).await.json();
    let rejected_total = 2 * rejected.len() as u64;
    assert_eq!(stats["faults"]["items_rejected"], rejected_total);
    assert_eq!(stats["bulk_items"]["429"], rejected_total);
    // Both first passes create the accepted items; the retry creates the rest of the first index.
    assert_eq!(stats["bulk_items"]["201"], 600 - rejected.len() as u64);
    assert_eq!(stats["bulk_requests"], 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn whole_requests_can_be_rejected_unavailable_or_dropped() {
    let server = server().await;
    let url = server.url();
    let tweets: Vec<String> = all_tweets().into_iter().take(10).collect();
    let body = index_body(&tweets);

    let faults = json!({"bulk_reject_rate": 1.0});
    assert_eq!(
        call(&url, "POST", "/_test/faults", Some(faults))
            .await
            .status,
        200
    );
    let response = bulk(&url, "/t/_bulk", &body).await;
    assert_eq!(response.status, 429);
    let error = response.json()["error"].clone();
    assert_eq!(error["type"], "es_rejected_execution_exception");
    assert_eq!(
        error["root_cause"][0]["type"],
        "es_rejected_execution_exception"
    );

    let faults = json!({"unavailable_rate": 1.0});
    call(&url, "POST", "/_test/faults", Some(faults)).await;
    let response = bulk(&url, "/t/_bulk", &body).await;
    assert_eq!(response.status, 503);
    assert_eq!(response.json()["error"]["type"], "cluster_block_exception");

    let faults = json!({"unavailable_rate": 1.0, "unavailable_status": 502});
    call(&url, "POST", "/_test/faults", Some(faults)).await;
    assert_eq!(call(&url, "GET", "/", None).await.status, 502);

    let faults = json!({"drop_rate": 1.0});
    call(&url, "POST", "/_test/faults", Some(faults)).await;
    let dropped = send(
        &url,
        "POST",
        "/t/_bulk",
        Some(("application/x-ndjson", &body)),
    )
    .await;
    assert!(dropped.is_err(), "no response expected, got {dropped:?}");

    // Dropped before being applied: nothing was written by any of the faulted requests.
    call(&url, "POST", "/_test/faults", Some(json!({}))).await;
    assert_eq!(call(&url, "HEAD", "/t", None).await.status, 404);
    let stats = call(&url, "GET", "/_test/stats", None).await.json();
    assert_eq!(stats["faults"]["bulk_rejected"], 1);
    assert_eq!(stats["faults"]["unavailable"], 2);
    assert_eq!(stats["faults"]["dropped"], 1);

    let bad = call(
        &url,
        "POST",
        "/_test/faults",
        Some(json!({"drop_rate": 2.0})),
    )
    .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fixed_delay_slows_every_response() {
    let server = server().await;
    let url = server.url();
    server
        .set_faults(Faults {
            delay_ms: 300,
            ..Faults::default()
        })
        .unwrap();
    let started = std::time::Instant::now();
    assert_eq!(call(&url, "GET", "/", None).await.status, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    assert_eq!(server.stats().faults.delayed, 1);
}
