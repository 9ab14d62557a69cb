//! The REST endpoints a sink and its tests use, against the real tweets.

mod common;

use common::{all_tweets, bulk, call, id_str, index_body, send};
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
async fn root_and_health_answer_like_a_cluster() {
    let server = server().await;
    let url = server.url();
    let info = call(&url, "GET", "/", None).await;
    assert!(
        info.headers
            .to_lowercase()
            .contains("x-elastic-product: elasticsearch")
    );
    let info = info.json();
    assert_eq!(info["version"]["number"], "8.15.0");
    assert_eq!(info["tagline"], "You Know, for Search");
    assert_eq!(
        call(&url, "GET", "/_cluster/health", None).await.json()["status"],
        "green"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_items_report_created_updated_conflict_and_deleted() {
    let server = server().await;
    let url = server.url();
    let tweets = all_tweets();
    let first = &tweets[0];
    let id = id_str(first);
    assert_eq!(id, "782737772490600448");
    let body = format!(
        "{{\"index\":{{\"_id\":\"{id}\"}}}}\n{first}\n{{\"index\":{{\"_id\":\"{id}\"}}}}\n{first}\n{{\"create\":{{\"_id\":\"{id}\"}}}}\n{first}\n{{\"delete\":{{\"_id\":\"{id}\"}}}}\n{{\"delete\":{{\"_id\":\"{id}\"}}}}\n{{\"index\":{{}}}}\n{first}\n"
    );
    let response = bulk(&url, "/tweets/_bulk", body.as_bytes()).await;
    assert_eq!(response.status, 200);
    let text = String::from_utf8(response.body.clone()).unwrap();
    assert!(text.starts_with("{\"took\":"), "{text}");
    let response = response.json();
    assert_eq!(response["errors"], true);
    let items = response["items"].as_array().unwrap();
    assert_eq!(
        items[0],
        json!({"index": {"_index": "tweets", "_id": id, "_version": 1, "result": "created",
            "_shards": {"total": 2, "successful": 1, "failed": 0}, "_seq_no": 0, "_primary_term": 1, "status": 201}})
    );
    assert_eq!(items[1]["index"]["result"], "updated");
    assert_eq!(items[1]["index"]["_version"], 2);
    assert_eq!(items[1]["index"]["status"], 200);
    let conflict = &items[2]["create"];
    assert_eq!(conflict["status"], 409);
    assert_eq!(
        conflict["error"]["type"],
        "version_conflict_engine_exception"
    );
    assert_eq!(
        conflict["error"]["reason"],
        format!("[{id}]: version conflict, document already exists (current version [2])")
    );
    assert_eq!(conflict["error"]["index"], "tweets");
    assert_eq!(items[3]["delete"]["result"], "deleted");
    assert_eq!(items[4]["delete"]["result"], "not_found");
    assert_eq!(items[4]["delete"]["status"], 404);
    let generated = items[5]["index"]["_id"].as_str().unwrap();
    assert_eq!(generated.len(), 20);

    let doc = call(&url, "GET", &format!("/tweets/_doc/{generated}"), None)
        .await
        .json();
    assert_eq!(doc["found"], true);
    assert_eq!(doc["_source"]["user"]["screen_name"], "notinourselves");
    // _source comes back byte for byte as it was sent.
    let raw = call(&url, "GET", &format!("/tweets/_doc/{generated}"), None)
        .await
        .body;
    assert!(String::from_utf8(raw).unwrap().contains(first.as_str()));
    assert_eq!(
        call(&url, "GET", &format!("/tweets/_doc/{id}"), None)
            .await
            .status,
        404
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_bulk_bodies_fail_the_whole_request() {
    let server = server().await;
    let url = server.url();
    let response = bulk(&url, "/t/_bulk", b"{\"upsert\":{\"_id\":\"1\"}}\n{}\n").await;
    assert_eq!(response.status, 400);
    let reason = "Malformed action/metadata line [1], expected field [create], [delete], [index] or [update] but found [upsert]";
    assert_eq!(
        response.json(),
        json!({"error": {"root_cause": [{"type": "illegal_argument_exception", "reason": reason}],
            "type": "illegal_argument_exception", "reason": reason}, "status": 400})
    );
    let response = bulk(&url, "/t/_bulk", b"{\"index\":{}\n{}\n").await;
    assert_eq!(response.status, 400);
    assert_eq!(
        response.json()["error"]["type"],
        "x_content_parse_exception"
    );
    assert_eq!(
        call(&url, "HEAD", "/t", None).await.status,
        404,
        "nothing was created"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn search_and_count_see_documents_after_refresh() {
    let server = server().await;
    let url = server.url();
    let tweets = all_tweets();
    let (first_file, rest) = tweets.split_at(518);
    // python-twitter's 518 tweets alone pass 1000 fields: give the indices room.
    let template = json!({"index_patterns": ["twitter-*"], "template": {"settings": {"index.mapping.total_fields.limit": 5000}}});
    assert_eq!(
        call(&url, "PUT", "/_index_template/twitter", Some(template))
            .await
            .status,
        200
    );
    assert_eq!(
        bulk(&url, "/twitter-a/_bulk", &index_body(first_file))
            .await
            .json()["errors"],
        false
    );
    assert_eq!(
        bulk(&url, "/twitter-b/_bulk", &index_body(&rest[..100]))
            .await
            .json()["errors"],
        false
    );

    assert_eq!(
        call(&url, "GET", "/twitter-a/_count", None).await.json()["count"],
        0
    );
    assert_eq!(
        call(&url, "POST", "/twitter-*/_refresh", None).await.status,
        200
    );
    assert_eq!(
        call(&url, "GET", "/twitter-a/_count", None).await.json()["count"],
        518
    );
    assert_eq!(
        call(&url, "GET", "/twitter-*/_count", None).await.json()["count"],
        618
    );
    assert_eq!(
        call(&url, "GET", "/twitter-a,twitter-b/_count", None)
            .await
            .json()["count"],
        618
    );

    // rtweet-fixtures' first tweet is by hadleywickham.
    let term = json!({"query": {"term": {"user.screen_name.keyword": "hadleywickham"}}, "size": 1});
    let hits = call(&url, "POST", "/twitter-*/_search", Some(term))
        .await
        .json();
    assert!(hits["hits"]["total"]["value"].as_u64().unwrap() >= 1);
    assert_eq!(hits["hits"]["hits"][0]["_index"], "twitter-b");
    assert_eq!(
        hits["hits"]["hits"][0]["_source"]["user"]["screen_name"],
        "hadleywickham"
    );

    let ids = json!({"query": {"ids": {"values": ["782737772490600448", "1589632502309990401"]}}});
    let hits = call(&url, "POST", "/twitter-*/_search", Some(ids))
        .await
        .json();
    assert_eq!(hits["hits"]["total"], json!({"value": 2, "relation": "eq"}));

    let numeric = json!({"query": {"term": {"id": 782737772490600448_u64}}});
    assert_eq!(
        call(&url, "POST", "/twitter-a/_count", Some(numeric))
            .await
            .json()["count"],
        1
    );

    let page = json!({"query": {"match_all": {}}, "from": 510, "size": 50});
    let hits = call(&url, "POST", "/twitter-a/_search", Some(page))
        .await
        .json();
    assert_eq!(hits["hits"]["total"]["value"], 518);
    assert_eq!(hits["hits"]["hits"].as_array().unwrap().len(), 8);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_indices_are_404_in_es_shape() {
    let server = server().await;
    let url = server.url();
    let response = call(&url, "GET", "/nope/_search", None).await;
    assert_eq!(response.status, 404);
    let error = json!({"type": "index_not_found_exception", "reason": "no such index [nope]",
        "resource.type": "index_or_alias", "resource.id": "nope", "index_uuid": "_na_", "index": "nope"});
    let mut expected = error.clone();
    expected["root_cause"] = json!([error]);
    assert_eq!(response.json(), json!({"error": expected, "status": 404}));
    // A wildcard that matches nothing is not an error.
    assert_eq!(
        call(&url, "GET", "/nope-*/_count", None).await.json()["count"],
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn creating_an_existing_index_is_refused() {
    let server = server().await;
    let url = server.url();
    let body = json!({"mappings": {"properties": {"id_str": {"type": "keyword"}, "entities": {"type": "nested"}}}});
    let created = call(&url, "PUT", "/tweets", Some(body.clone())).await;
    assert_eq!(
        created.json(),
        json!({"acknowledged": true, "shards_acknowledged": true, "index": "tweets"})
    );
    let again = call(&url, "PUT", "/tweets", Some(body)).await;
    assert_eq!(again.status, 400);
    assert_eq!(
        again.json()["error"]["type"],
        "resource_already_exists_exception"
    );
    let mapping = call(&url, "GET", "/tweets/_mapping", None).await.json();
    assert_eq!(
        mapping["tweets"]["mappings"]["properties"]["entities"],
        json!({"type": "nested"})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn single_document_writes_and_refresh_parameter() {
    let server = server().await;
    let url = server.url();
    let tweet = &all_tweets()[3911 - 137];
    let id = id_str(tweet);
    assert_eq!(id, "1359273099355713538");
    let path = format!("/tweets/_doc/{id}?refresh=true");
    let response = send(
        &url,
        "PUT",
        &path,
        Some(("application/json", tweet.as_bytes())),
    )
    .await
    .unwrap();
    assert_eq!(response.status, 201);
    assert_eq!(response.json()["result"], "created");
    let term = json!({"query": {"term": {"user.screen_name.keyword": "andypiper"}}});
    assert_eq!(
        call(&url, "POST", "/tweets/_count", Some(term))
            .await
            .json()["count"],
        1
    );
    let create = format!("/tweets/_create/{id}");
    let response = send(
        &url,
        "PUT",
        &create,
        Some(("application/json", tweet.as_bytes())),
    )
    .await
    .unwrap();
    assert_eq!(response.status, 409);
}
