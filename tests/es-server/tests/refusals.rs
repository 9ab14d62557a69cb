//! What the server does not serve is refused with a 400 that names it, never answered
//! with a silent success; and the ES 8 answers the conformance suite checks in general,
//! here on the real tweets as Sluice sends them.

mod common;

use common::{all_tweets, bulk, call, id_str};
use es_test_server::{EsTestServer, Options};
use serde_json::json;

async fn server() -> EsTestServer {
    EsTestServer::start(Options {
        refresh_interval: None,
        ..Options::default()
    })
    .await
    .expect("server starts")
}

#[tokio::test(flavor = "multi_thread")]
async fn aliases_are_refused_where_they_would_be_created() {
    let server = server().await;
    let url = server.url();
    let create = call(
        &url,
        "PUT",
        "/tweets",
        Some(json!({"aliases": {"current": {}}})),
    )
    .await;
    assert_eq!(create.status, 400);
    assert_eq!(
        create.json()["error"]["reason"],
        "es-test-server does not serve aliases: [aliases] in a create index request"
    );
    assert_eq!(call(&url, "HEAD", "/tweets", None).await.status, 404);

    let template = call(
        &url,
        "PUT",
        "/_index_template/t",
        Some(json!({"index_patterns": ["t-*"], "template": {"aliases": {"a": {}}}})),
    )
    .await;
    assert_eq!(template.status, 400);
    assert_eq!(
        template.json()["error"]["reason"],
        "es-test-server does not serve aliases ([template.aliases]) in index templates"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_items_with_parameters_not_served_fail_alone() {
    let server = server().await;
    let url = server.url();
    let tweets = all_tweets();
    let (a, b) = (&tweets[0], &tweets[1]);
    let body = format!(
        "{{\"index\":{{\"_id\":\"{}\",\"routing\":\"r\"}}}}\n{a}\n{{\"index\":{{\"_id\":\"{}\"}}}}\n{b}\n",
        id_str(a),
        id_str(b)
    );
    let response = bulk(&url, "/tweets/_bulk?refresh=true", body.as_bytes())
        .await
        .json();
    assert_eq!(response["errors"], true);
    assert_eq!(response["items"][0]["index"]["status"], 400);
    assert_eq!(
        response["items"][0]["index"]["error"]["reason"],
        "es-test-server does not serve the bulk item parameter [routing]"
    );
    assert_eq!(response["items"][1]["index"]["status"], 201);
    assert_eq!(
        call(&url, "GET", "/tweets/_count", None).await.json()["count"],
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn search_keys_not_served_are_named() {
    let server = server().await;
    let url = server.url();
    call(&url, "PUT", "/tweets", None).await;
    for key in ["sort", "aggs", "_source"] {
        let response = call(
            &url,
            "POST",
            "/tweets/_search",
            Some(json!({key: {}, "query": {"match_all": {}}})),
        )
        .await;
        assert_eq!(response.status, 400, "{key}");
        assert_eq!(
            response.json()["error"]["reason"],
            format!("es-test-server does not serve [{key}] in a search body")
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_tweet_with_an_over_long_id_fails_the_whole_bulk_as_in_elasticsearch() {
    let server = server().await;
    let url = server.url();
    let tweets = all_tweets();
    let long_id = "7".repeat(600);
    let body = format!(
        "{{\"index\":{{\"_id\":\"{}\"}}}}\n{}\n{{\"index\":{{\"_id\":\"{long_id}\"}}}}\n{}\n{{\"index\":{{\"_id\":\"\"}}}}\n{}\n",
        id_str(&tweets[0]),
        tweets[0],
        tweets[1],
        tweets[2]
    );
    let response = bulk(&url, "/tweets/_bulk", body.as_bytes()).await;
    assert_eq!(response.status, 400);
    let error = &response.json()["error"];
    assert_eq!(error["type"], "action_request_validation_exception");
    assert_eq!(
        error["reason"],
        format!(
            "Validation Failed: 1: id [{long_id}] is too long, must be no longer than 512 bytes but was: 600;"
        )
    );
    assert_eq!(call(&url, "HEAD", "/tweets", None).await.status, 404);

    // Without it, the empty id fails its item only.
    let body = format!(
        "{{\"index\":{{\"_id\":\"{}\"}}}}\n{}\n{{\"index\":{{\"_id\":\"\"}}}}\n{}\n",
        id_str(&tweets[0]),
        tweets[0],
        tweets[2]
    );
    let response = bulk(&url, "/tweets/_bulk?refresh=true", body.as_bytes())
        .await
        .json();
    assert_eq!(response["items"][0]["index"]["status"], 201);
    assert_eq!(response["items"][1]["index"]["status"], 400);
    assert_eq!(
        response["items"][1]["index"]["error"],
        json!({"type": "illegal_argument_exception", "reason": "if _id is specified it must not be empty"})
    );
    assert_eq!(
        call(&url, "GET", "/tweets/_count", None).await.json()["count"],
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn periodic_refresh_skips_indices_with_refresh_interval_minus_one() {
    let server = EsTestServer::start(Options {
        refresh_interval: Some(std::time::Duration::from_millis(20)),
        ..Options::default()
    })
    .await
    .expect("server starts");
    let url = server.url();
    call(
        &url,
        "PUT",
        "/manual",
        Some(json!({"settings": {"index": {"refresh_interval": -1}}})),
    )
    .await;
    let tweet = &all_tweets()[0];
    for index in ["manual", "periodic"] {
        let body = format!("{{\"index\":{{\"_id\":\"{}\"}}}}\n{tweet}\n", id_str(tweet));
        bulk(&url, &format!("/{index}/_bulk"), body.as_bytes()).await;
    }
    let count = |index: &'static str| {
        let url = url.clone();
        async move {
            call(&url, "GET", &format!("/{index}/_count"), None)
                .await
                .json()["count"]
                .clone()
        }
    };
    // One periodic refresh covers every index at once: once `periodic` shows its
    // document, a refresh has passed that would have shown `manual`'s too.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while count("periodic").await != 1 {
        assert!(std::time::Instant::now() < deadline, "no periodic refresh");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(count("manual").await, 0);
    call(&url, "POST", "/manual/_refresh", None).await;
    assert_eq!(count("manual").await, 1);
}
