//! The Elasticsearch sink against the project's Elasticsearch-compatible
//! test server (`tests/es-server`), not a real cluster: the real tweets,
//! the real mapping limits and error messages, injected faults, a restart.
//! Every assertion is an exact count; none depends on timing.

mod common;
mod elasticsearch_support;

use std::collections::HashSet;

use common::{repo_root, run_pipeline, write_ndjson};
use elasticsearch_support::*;
use es_test_server::Faults;
use serde_json::Value;
use sluice::config::PipelineConfig;
use sluice::pipeline::Pipeline;
use sluice::plugin::PluginRuntime;

fn dead_letters(dir: &std::path::Path) -> Vec<Value> {
    common::read_json_lines(&dir.join("dead.ndjson"))
}

/// The bundled data: 4,011 real tweets (100 in twitter.json, 3,911 in the
/// four NDJSON sets).
const TWEETS: u64 = 4011;

#[test]
fn raw_tweets_overflow_the_default_field_limit_and_the_server_says_why() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    // No plugins, and a guard that lets everything through: the server's
    // own limit (1000) is what stops the documents.
    let toml = pipeline(
        &[&repo_root().join("data")],
        "",
        &server.url(),
        "raw",
        "max_in_flight = 1",
        "total_fields_limit = 1000000",
    );
    let summary = run_pipeline(&toml, dir.path()).unwrap();
    assert!(summary.is_balanced(), "{summary}");
    assert_eq!(summary.records_in, TWEETS);
    assert_eq!(summary.dropped, 0);
    assert!(summary.dead_lettered > 0, "{summary}");

    let dead = dead_letters(dir.path());
    assert_eq!(dead.len() as u64, summary.dead_lettered);
    for letter in &dead {
        let reason = letter["reason"].as_str().unwrap();
        assert_eq!(letter["stage"], "sink");
        assert!(
            reason.starts_with("elasticsearch rejected the document, status 400, document_parsing_exception: [1:")
                && reason.contains(
                    "failed to parse: Limit of total fields [1000] has been exceeded while adding new fields ["
                ),
            "{reason}"
        );
    }
    let stats = server.stats();
    assert_eq!(
        stats.bulk_items.get(&400).copied(),
        Some(summary.dead_lettered)
    );
    assert_eq!(count(&server.url(), "raw"), summary.written);
}

#[test]
fn the_default_chain_and_guard_index_every_tweet() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    let toml = pipeline(
        &[&repo_root().join("data")],
        &default_chain(),
        &server.url(),
        "tweets",
        r#"index_template = { name = "sluice-tweets" }"#,
        "",
    );
    let summary = run_pipeline(&toml, dir.path()).unwrap();
    assert!(summary.is_balanced(), "{summary}");
    assert_eq!(
        (summary.written, summary.dropped, summary.dead_lettered),
        (TWEETS, 0, 0),
        "{summary}"
    );
    let stats = server.stats();
    assert_eq!(stats.bulk_items.get(&400), None, "{stats:?}");
    // Every tweet searchable, by its id_str.
    assert_eq!(count(&server.url(), "tweets"), TWEETS);
    let first = &common::search_api_tweets()[0];
    let id = first["id_str"].as_str().unwrap();
    let indexed = get_source(&server.url(), "tweets", id).expect("indexed by id_str");
    assert_eq!(indexed["id_str"], id);
    // The template put the guard's limits on the index.
    let (_, settings) = http(&server.url(), "GET", "/tweets/_settings", None);
    assert_eq!(
        settings["tweets"]["settings"]["index"]["mapping"]["total_fields"]["limit"],
        "1000"
    );
}

#[test]
fn retried_429s_and_503s_index_every_tweet_exactly_once() {
    let server = start_server();
    server
        .set_faults(Faults {
            seed: 42,
            item_reject_rate: 0.2,
            bulk_reject_rate: 0.2,
            unavailable_rate: 0.05,
            unavailable_status: 503,
            ..Faults::default()
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let toml = pipeline(
        &[&repo_root().join("data")],
        &default_chain(),
        &server.url(),
        "tweets",
        "batch = { max_documents = 200 }",
        "",
    );
    let summary = run_pipeline(&toml, dir.path()).unwrap();
    assert!(summary.is_balanced(), "{summary}");
    assert_eq!(
        (summary.written, summary.dead_lettered),
        (TWEETS, 0),
        "{summary}"
    );
    let stats = server.stats();
    assert!(stats.faults.items_rejected > 0, "{stats:?}");
    assert!(stats.faults.bulk_rejected > 0, "{stats:?}");
    assert!(stats.faults.unavailable > 0, "{stats:?}");
    // Each document created once (201), never written a second time (200):
    // only the rejected items were sent again.
    assert_eq!(
        stats.bulk_items.get(&201).copied(),
        Some(TWEETS),
        "{stats:?}"
    );
    assert_eq!(stats.bulk_items.get(&200), None, "{stats:?}");
    assert_eq!(
        stats.bulk_items.get(&429).copied(),
        Some(stats.faults.items_rejected)
    );
    // The check reads the index, not the faults: a seeded 503 on the test's
    // own refresh (how many requests the run made varies with timing) would
    // fail it for nothing.
    server.set_faults(Faults::default()).unwrap();
    assert_eq!(count(&server.url(), "tweets"), TWEETS);
}

#[test]
fn a_mapping_conflict_dead_letters_that_document_with_the_servers_reason() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    let mut tweets = common::search_api_tweets();
    // retweet_count is a long in every tweet; in the 51st it is an object.
    tweets[50]["retweet_count"] = serde_json::json!({ "total": 5 });
    let conflicting = tweets[50]["id_str"].as_str().unwrap().to_owned();
    let lines: Vec<Vec<u8>> = tweets
        .iter()
        .map(|t| serde_json::to_vec(t).unwrap())
        .collect();
    let input = dir.path().join("tweets.ndjson");
    write_ndjson(&input, &lines);
    let toml = pipeline(&[&input], "", &server.url(), "conflict", "", "");
    let summary = run_pipeline(&toml, dir.path()).unwrap();
    assert!(summary.is_balanced(), "{summary}");
    assert_eq!(
        (summary.written, summary.dead_lettered),
        (99, 1),
        "{summary}"
    );

    let dead = dead_letters(dir.path());
    let reason = dead[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("elasticsearch rejected the document, status 400, document_parsing_exception:")
            && reason.contains(&format!(
                "failed to parse field [retweet_count] of type [long] in document with id '{conflicting}'"
            )),
        "{reason}"
    );
    let original: Value = serde_json::from_str(dead[0]["original"].as_str().unwrap()).unwrap();
    assert_eq!(original["id_str"], conflicting.as_str());
    assert_eq!(count(&server.url(), "conflict"), 99);
    assert_eq!(get_source(&server.url(), "conflict", &conflicting), None);
}

#[test]
fn a_server_restart_mid_run_is_waited_out_and_every_tweet_arrives() {
    let mut server = start_server();
    // Slow answers and small requests keep the run going while the server
    // is stopped.
    server
        .set_faults(Faults {
            delay_ms: 20,
            ..Faults::default()
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let toml = pipeline(
        &[&repo_root().join("data")],
        &default_chain(),
        &server.url(),
        "tweets",
        "batch = { max_documents = 50 }\nmax_in_flight = 2",
        "",
    );
    let config = PipelineConfig::from_toml(&toml, dir.path()).unwrap();
    let runtime = PluginRuntime::new().unwrap();
    let pipeline = Pipeline::build(&config, &runtime).unwrap();
    let run = std::thread::spawn(move || pipeline.run());

    while server.stats().bulk_items.get(&201).copied().unwrap_or(0) < 500 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    server.stop();
    let indexed_before_the_stop = server.stats().bulk_items.get(&201).copied().unwrap_or(0);
    std::thread::sleep(std::time::Duration::from_millis(500));
    server.restart().unwrap();

    let summary = run.join().unwrap().unwrap();
    assert!(indexed_before_the_stop < TWEETS, "the stop came mid-run");
    assert!(summary.is_balanced(), "{summary}");
    assert_eq!(
        (summary.written, summary.dead_lettered),
        (TWEETS, 0),
        "{summary}"
    );
    assert_eq!(count(&server.url(), "tweets"), TWEETS);
}

#[test]
fn an_exhausted_retry_budget_fails_the_run_and_says_what_was_not_delivered() {
    let mut server = start_server();
    let dir = tempfile::tempdir().unwrap();
    let toml = pipeline(
        &[&data("twitter.json")],
        "",
        &server.url(),
        "tweets",
        "",
        "",
    )
    .replace(
        "retry = { initial_backoff_ms = 5, max_backoff_ms = 200 }",
        "retry = { initial_backoff_ms = 5, max_backoff_ms = 20, max_elapsed_ms = 300 }",
    );
    let config = PipelineConfig::from_toml(&toml, dir.path()).unwrap();
    let runtime = PluginRuntime::new().unwrap();
    let pipeline = Pipeline::build(&config, &runtime).unwrap();
    server.stop();
    let error = format!("{:#}", pipeline.run().unwrap_err());
    assert!(
        error.contains("100 documents not acknowledged after")
            && error.contains("they are not committed, a rerun delivers them"),
        "{error}"
    );
}

#[test]
fn redelivered_tweets_overwrite_by_id_instead_of_duplicating() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    let toml = pipeline(
        &[&data("twitter.json")],
        "",
        &server.url(),
        "tweets",
        "",
        "",
    );
    for _ in 0..2 {
        let summary = run_pipeline(&toml, dir.path()).unwrap();
        assert_eq!((summary.written, summary.dead_lettered), (100, 0));
    }
    let ids: HashSet<String> = common::search_api_tweets()
        .iter()
        .map(|t| t["id_str"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(count(&server.url(), "tweets"), ids.len() as u64);
    let stats = server.stats();
    assert_eq!(stats.bulk_items.get(&201).copied(), Some(ids.len() as u64));
    assert_eq!(stats.bulk_items.get(&200).copied(), Some(100));
}

#[test]
fn unknown_sink_keys_are_refused_with_their_name() {
    let dir = tempfile::tempdir().unwrap();
    let toml = pipeline(
        &[&data("twitter.json")],
        "",
        "http://127.0.0.1:9",
        "tweets",
        "max_in_flite = 2",
        "",
    );
    let error = PipelineConfig::from_toml(&toml, dir.path()).unwrap_err();
    assert!(error.to_string().contains("max_in_flite"), "{error}");
}

#[test]
fn a_request_over_the_content_length_limit_is_split_and_a_document_too_large_alone_is_dead_lettered()
 {
    // http.max_content_length of 16 KiB: the run's one request (~40 KB of
    // small documents) is refused with 413 until it is split small enough.
    let server = es_test_server::BlockingEsTestServer::start(es_test_server::Options {
        refresh_interval: None,
        max_content_length: 16 * 1024,
        ..es_test_server::Options::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let small = |line: &Vec<u8>| -> Vec<u8> {
        let tweet: Value = serde_json::from_slice(line).unwrap();
        let document = serde_json::json!({
            "id_str": tweet["id_str"],
            "text": tweet["text"],
            "lang": tweet["lang"],
        });
        serde_json::to_vec(&document).unwrap()
    };
    let mut lines: Vec<Vec<u8>> = common::tweets(200).iter().map(small).collect();
    let too_large = serde_json::json!({ "id_str": "too-large", "text": "x".repeat(20_000) });
    lines.insert(100, serde_json::to_vec(&too_large).unwrap());
    let input = dir.path().join("small.ndjson");
    write_ndjson(&input, &lines);

    let toml = pipeline(&[&input], "", &server.url(), "small", "", "");
    let summary = run_pipeline(&toml, dir.path()).unwrap();
    assert!(summary.is_balanced(), "{summary}");
    assert_eq!(
        (summary.written, summary.dead_lettered),
        (200, 1),
        "{summary}"
    );
    let dead = dead_letters(dir.path());
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("elasticsearch refused the document as too large (HTTP 413)"),
        "{}",
        dead[0]
    );
    assert!(dead[0]["original"].as_str().unwrap().contains("too-large"));
    assert_eq!(count(&server.url(), "small"), 200);
}

#[test]
fn gzip_bodies_fit_where_plain_ones_are_refused_as_too_large() {
    // 512 KiB requests against a 256 KiB http.max_content_length: plain
    // bodies are refused (and split), gzipped ones fit as they are.
    let run = |gzip: bool| {
        let server = es_test_server::BlockingEsTestServer::start(es_test_server::Options {
            refresh_interval: None,
            max_content_length: 256 * 1024,
            ..es_test_server::Options::default()
        })
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let toml = pipeline(
            &[&repo_root().join("data")],
            &default_chain(),
            &server.url(),
            "tweets",
            &format!("gzip = {gzip}\nbatch = {{ max_bytes = 524288, max_documents = 10000 }}"),
            "",
        );
        let summary = run_pipeline(&toml, dir.path()).unwrap();
        assert!(summary.is_balanced(), "{summary}");
        assert_eq!(
            (summary.written, summary.dead_lettered),
            (TWEETS, 0),
            "{summary}"
        );
        assert_eq!(count(&server.url(), "tweets"), TWEETS);
        server.stats().payload_too_large
    };
    assert!(run(false) > 0, "plain 512 KiB bodies should be refused");
    assert_eq!(run(true), 0, "gzipped bodies fit");
}

#[test]
fn tweets_whose_id_elasticsearch_refuses_are_dead_lettered_before_sending() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    let mut tweets = common::search_api_tweets();
    // One tweet's id_str is empty, another's is 600 bytes: Elasticsearch
    // fails the first item, and the second fails the whole `_bulk` request.
    tweets[10]["id_str"] = serde_json::json!("");
    let long_id = "7".repeat(600);
    tweets[20]["id_str"] = serde_json::json!(long_id);
    let lines: Vec<Vec<u8>> = tweets
        .iter()
        .map(|t| serde_json::to_vec(t).unwrap())
        .collect();
    let input = dir.path().join("tweets.ndjson");
    write_ndjson(&input, &lines);
    let toml = pipeline(&[&input], "", &server.url(), "ids", "", "");
    let summary = run_pipeline(&toml, dir.path()).unwrap();
    assert!(summary.is_balanced(), "{summary}");
    assert_eq!(
        (summary.records_in, summary.written, summary.dead_lettered),
        (100, 98, 2),
        "{summary}"
    );

    let dead = dead_letters(dir.path());
    assert_eq!(dead.len(), 2);
    let by_id = |id: &str| {
        dead.iter()
            .find(|d| {
                let original: Value =
                    serde_json::from_str(d["original"].as_str().unwrap()).unwrap();
                original["id_str"] == id
            })
            .unwrap_or_else(|| panic!("no dead letter for id_str {id:?}: {dead:?}"))
    };
    let empty = by_id("");
    assert_eq!(empty["stage"], "sink");
    assert_eq!(
        empty["reason"],
        "`id_str` is empty: if _id is specified it must not be empty"
    );
    let long = by_id(&long_id);
    assert_eq!(long["stage"], "sink");
    assert_eq!(
        long["reason"],
        format!(
            "`id_str` is too long for _id: id [{long_id}] is too long, must be no longer than 512 bytes but was: 600"
        )
    );

    // Neither was sent: the server saw the 98 others and refused none.
    let kept: HashSet<&str> = tweets
        .iter()
        .filter_map(|t| t["id_str"].as_str())
        .filter(|id| !id.is_empty() && id.len() <= 512)
        .collect();
    let stats = server.stats();
    assert_eq!(stats.bulk_items.get(&400), None);
    assert_eq!(stats.bulk_items.values().sum::<u64>(), 98);
    assert_eq!(count(&server.url(), "ids"), kept.len() as u64);
}

#[test]
fn a_tweet_with_an_empty_field_name_is_dead_lettered_with_elasticsearchs_reason() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    let mut tweets = common::search_api_tweets();
    tweets[30]["user"][""] = serde_json::json!("no name");
    let refused = tweets[30]["id_str"].as_str().unwrap().to_owned();
    let lines: Vec<Vec<u8>> = tweets
        .iter()
        .map(|t| serde_json::to_vec(t).unwrap())
        .collect();
    let input = dir.path().join("tweets.ndjson");
    write_ndjson(&input, &lines);
    let toml = pipeline(&[&input], "", &server.url(), "names", "", "");
    let summary = run_pipeline(&toml, dir.path()).unwrap();
    assert!(summary.is_balanced(), "{summary}");
    assert_eq!(
        (summary.written, summary.dead_lettered),
        (99, 1),
        "{summary}"
    );
    let dead = dead_letters(dir.path());
    let reason = dead[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(
            "elasticsearch rejected the document, status 400, document_parsing_exception: [1:"
        ) && reason.contains("failed to parse: field name cannot be an empty string"),
        "{reason}"
    );
    let original: Value = serde_json::from_str(dead[0]["original"].as_str().unwrap()).unwrap();
    assert_eq!(original["id_str"], refused.as_str());
    assert_eq!(count(&server.url(), "names"), 99);
}
