//! The guard: documents kept inside an index's mapping limits, counted as
//! Elasticsearch counts them. Where a test needs Elasticsearch's own answer
//! it asks the project's Elasticsearch-compatible test server
//! (`tests/es-server`), not a real cluster.

mod common;
mod elasticsearch_support;

use common::{read_json_lines, run_pipeline, search_api_tweets, write_ndjson};
use elasticsearch_support::*;
use serde_json::{Value, json};
use sluice::guard::{FieldKind, MappingShape};
use sluice::json::{Json, Parser};

fn shape_of(document: &Value) -> MappingShape {
    let mut parser = Parser::default();
    let tape = parser
        .parse(&serde_json::to_vec(document).unwrap())
        .unwrap();
    let mut shape = MappingShape::new();
    shape.add(Json::root(&tape));
    shape
}

#[test]
fn date_detection_agrees_with_the_test_server() {
    let server = start_server();
    let strings = [
        "2016",
        "2016-08",
        "2016-08-30",
        "2016-02-29",
        "2015-02-29",
        "2016-13-01",
        "2016-08-30T12",
        "2016-08-30T12:01:02.123+02:00",
        "2016-08-30T12:01:02,5-0530",
        "2016-08-30T24:00",
        "2016-08-30T12:01:02+19:00",
        "2016-08-30 12:01:02",
        "2016/08/30",
        "2016/08/30 12:01:02 +0000",
        "2016/08/30 +0000",
        "201",
        "12345",
        "Wed Aug 27 13:08:45 +0000 2008",
    ];
    let document: serde_json::Map<String, Value> = strings
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("f{i}"), json!(s)))
        .collect();
    let document = Value::Object(document);
    let (status, body) = http(&server.url(), "PUT", "/dates/_doc/1", Some(&document));
    assert_eq!(status, 201, "{body}");
    let (_, mapping) = http(&server.url(), "GET", "/dates/_mapping", None);
    let shape = shape_of(&document);
    for (i, s) in strings.iter().enumerate() {
        let field = format!("f{i}");
        let server_type = mapping["dates"]["mappings"]["properties"][&field]["type"].clone();
        let guard_kind = shape.kind_of(&field).unwrap();
        let guard_type = if guard_kind == FieldKind::Date {
            "date"
        } else {
            "text"
        };
        assert_eq!(server_type, guard_type, "{s:?}");
    }
}

#[test]
fn a_budget_read_from_a_mapping_counts_what_the_documents_did() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    let toml = pipeline(
        &[&data("twitter.json")],
        "",
        &server.url(),
        "search",
        "",
        "",
    );
    let summary = run_pipeline(&toml, dir.path()).unwrap();
    assert_eq!(summary.written, 100);
    let (_, mapping) = http(&server.url(), "GET", "/search/_mapping", None);
    let shape = MappingShape::from_mapping(&mapping["search"]["mappings"]);
    // data/README.md: the 100 search-API tweets map to 235 paths, 343 fields.
    assert_eq!((shape.distinct_paths(), shape.total_fields()), (235, 343));
}

/// The 100 search-API tweets, each carrying the `user` of the next one under
/// a key of its own (`user_0`, `user_1`, ...): every document adds about 60
/// mapping fields to the index, so the union passes 1000 after a dozen.
fn growing_stream(dir: &std::path::Path, prefix: &str) -> std::path::PathBuf {
    let tweets = search_api_tweets();
    let lines: Vec<Vec<u8>> = tweets
        .iter()
        .enumerate()
        .map(|(i, tweet)| {
            let mut document = tweet.clone();
            document[format!("{prefix}_{i}")] = tweets[(i + 1) % tweets.len()]["user"].clone();
            serde_json::to_vec(&document).unwrap()
        })
        .collect();
    let path = dir.join(format!("{prefix}.ndjson"));
    write_ndjson(&path, &lines);
    path
}

#[test]
fn dead_letter_policy_refuses_what_would_pass_the_index_limit() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    let input = growing_stream(dir.path(), "user");
    let toml = pipeline(
        &[&input],
        "",
        &server.url(),
        "grow",
        "",
        r#"policy = "dead_letter""#,
    );
    let summary = run_pipeline(&toml, dir.path()).unwrap();
    assert!(summary.is_balanced(), "{summary}");
    assert_eq!(summary.records_in, 100);
    assert!(
        summary.dead_lettered > 0 && summary.written > 0,
        "{summary}"
    );

    let dead = read_json_lines(&dir.path().join("dead.ndjson"));
    assert_eq!(dead.len() as u64, summary.dead_lettered);
    for letter in &dead {
        assert_eq!(letter["stage"], "guard");
        let reason = letter["reason"].as_str().unwrap();
        assert!(
            reason.starts_with("index field budget exceeded: index [grow] holds ")
                && reason.contains(" of 1000 mapping fields and this document adds "),
            "{reason}"
        );
    }
    assert_eq!(server.stats().bulk_items.get(&400), None);
    assert_eq!(count(&server.url(), "grow"), summary.written);

    // A second process starts from the index's mapping: the same kind of
    // stream, with new keys, finds the index full and is refused by the
    // guard, not by the server.
    let again = growing_stream(dir.path(), "friend");
    let toml = pipeline(
        &[&again],
        "",
        &server.url(),
        "grow",
        "",
        r#"policy = "dead_letter""#,
    );
    let second = run_pipeline(&toml, dir.path()).unwrap();
    assert!(second.is_balanced(), "{second}");
    assert_eq!((second.written, second.dead_lettered), (0, 100), "{second}");
    assert_eq!(server.stats().bulk_items.get(&400), None);
}

#[test]
fn drop_new_fields_policy_writes_every_document_without_what_does_not_fit() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    let input = growing_stream(dir.path(), "user");
    let toml = pipeline(
        &[&input],
        "",
        &server.url(),
        "grow",
        "",
        r#"policy = "drop_new_fields""#,
    );
    let summary = run_pipeline(&toml, dir.path()).unwrap();
    assert!(summary.is_balanced(), "{summary}");
    assert_eq!(
        (summary.written, summary.dead_lettered),
        (100, 0),
        "{summary}"
    );
    assert!(summary.guard.trimmed_documents > 0, "{summary}");
    assert_eq!(summary.guard.folded_documents, 0);
    assert_eq!(server.stats().bulk_items.get(&400), None);
    assert_eq!(count(&server.url(), "grow"), 100);

    // The last tweet kept its own fields, which the index already had, and
    // lost the new object it brought.
    let last = &search_api_tweets()[99];
    let id = last["id_str"].as_str().unwrap();
    let indexed = get_source(&server.url(), "grow", id).unwrap();
    assert_eq!(indexed["text"], last["text"]);
    assert_eq!(indexed["user"]["screen_name"], last["user"]["screen_name"]);
    assert!(indexed.get("user_99").is_none(), "{indexed}");
}

#[test]
fn fold_policy_keeps_what_does_not_fit_in_one_string_field() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    let input = growing_stream(dir.path(), "user");
    let toml = pipeline(
        &[&input],
        "",
        &server.url(),
        "grow",
        "",
        r#"policy = "fold""#,
    );
    let summary = run_pipeline(&toml, dir.path()).unwrap();
    assert!(summary.is_balanced(), "{summary}");
    assert_eq!(
        (summary.written, summary.dead_lettered),
        (100, 0),
        "{summary}"
    );
    assert!(summary.guard.folded_documents > 0, "{summary}");
    assert_eq!(server.stats().bulk_items.get(&400), None);
    assert_eq!(count(&server.url(), "grow"), 100);

    let tweets = search_api_tweets();
    let id = tweets[99]["id_str"].as_str().unwrap();
    let indexed = get_source(&server.url(), "grow", id).unwrap();
    assert!(indexed.get("user_99").is_none(), "{indexed}");
    let folded: Value = serde_json::from_str(indexed["sluice_overflow"].as_str().unwrap()).unwrap();
    // tweets[99] carries tweets[0]'s user.
    assert_eq!(
        folded["user_99"]["screen_name"],
        tweets[0]["user"]["screen_name"]
    );
}

#[test]
fn per_document_limits_apply_without_elasticsearch() {
    let dir = tempfile::tempdir().unwrap();
    let tweet = search_api_tweets()[0].clone();
    // Objects n1 (depth 2) to n10 (depth 11): past a depth limit of 10.
    let mut deep = tweet.clone();
    deep["n1"] = (2..=10).rev().fold(
        json!({ "x": 1 }),
        |inner, n| json!({ format!("n{n}"): inner }),
    );
    // The longest name in a v1.1 tweet is profile_background_image_url_https
    // (34 characters): a limit of 34 lets the tweet through, not this one.
    let mut long_name = tweet.clone();
    long_name["a_field_name_longer_than_thirty_characters"] = json!(1);
    let input = dir.path().join("in.ndjson");
    write_ndjson(
        &input,
        &[
            serde_json::to_vec(&deep).unwrap(),
            serde_json::to_vec(&long_name).unwrap(),
        ],
    );
    let toml = |policy: &str| {
        format!(
            r#"
            [source]
            type = "file"
            paths = ["{}"]
            [sink]
            type = "ndjson"
            path = "out.ndjson"
            [guard]
            depth_limit = 10
            field_name_length_limit = 34
            policy = "{policy}"
            [dead_letter]
            path = "dead.ndjson"
            "#,
            input.display()
        )
    };
    let summary = run_pipeline(&toml("dead_letter"), dir.path()).unwrap();
    assert_eq!(
        (summary.written, summary.dead_lettered),
        (0, 2),
        "{summary}"
    );
    let reasons: Vec<String> = read_json_lines(&dir.path().join("dead.ndjson"))
        .iter()
        .map(|d| d["reason"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        reasons,
        [
            "mapping depth limit exceeded: object field [n1.n2.n3.n4.n5.n6.n7.n8.n9.n10] is at depth 11, the limit is 10",
            "field name too long: [a_field_name_longer_than_thirty_characters] has 42 characters, the limit is 34",
        ]
    );

    let summary = run_pipeline(&toml("drop_new_fields"), dir.path()).unwrap();
    assert!(summary.is_balanced(), "{summary}");
    assert_eq!(
        (summary.written, summary.dead_lettered),
        (2, 0),
        "{summary}"
    );
    assert_eq!(summary.guard.trimmed_documents, 2);
    let written = read_json_lines(&dir.path().join("out.ndjson"));
    assert_eq!(
        written[0]["n1"]["n2"]["n3"]["n4"]["n5"]["n6"]["n7"]["n8"]["n9"],
        json!({})
    );
    assert!(
        written[1]
            .get("a_field_name_longer_than_thirty_characters")
            .is_none()
    );
    for document in &written {
        assert_eq!(document["text"], tweet["text"]);
    }
}
