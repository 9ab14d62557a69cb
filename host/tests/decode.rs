//! Bad input is dead-lettered with its reason and position, and never stops
//! the run.

mod common;

use common::*;

fn mixed_input() -> Vec<Vec<u8>> {
    let tweet = serde_json::to_vec(&search_api_tweets()[0]).unwrap();
    let double_encoded = serde_json::to_vec(&String::from_utf8(tweet.clone()).unwrap()).unwrap();
    vec![
        tweet,                                                // line 1: fine
        br#"{"id_str": "1", "text": "cut off"#.to_vec(),      // line 2: malformed
        b"{\"id_str\":\"2\",\"text\":\"\xff\xfe\"}".to_vec(), // line 3: not UTF-8
        double_encoded,                                       // line 4: a string holding the tweet
        b"   ".to_vec(),                                      // line 5: blank, not a record
        b"[1,2,3]".to_vec(),                                  // line 6: not an object
        br#""just a string""#.to_vec(),                       // line 7: a string, not JSON inside
    ]
}

fn config(double_encoded: &str) -> String {
    format!(
        r#"
        [source]
        type = "file"
        paths = ["input.ndjson"]
        [decode]
        double_encoded = "{double_encoded}"
        [sink]
        type = "ndjson"
        path = "out.ndjson"
        [dead_letter]
        path = "dead.ndjson"
        "#
    )
}

#[test]
fn malformed_lines_are_dead_lettered_with_reason_line_and_bytes() {
    let dir = tempfile::tempdir().unwrap();
    write_ndjson(&dir.path().join("input.ndjson"), &mixed_input());

    let summary = run_pipeline(&config("unwrap"), dir.path()).unwrap();

    assert_eq!(summary.records_in, 6, "the blank line is not a record");
    assert_eq!(summary.unwrapped, 1);
    assert_eq!(summary.written, 2);
    assert_eq!(summary.dead_lettered, 4);
    assert!(summary.is_balanced());

    let written = read_json_lines(&dir.path().join("out.ndjson"));
    let first_id = search_api_tweets()[0]["id_str"].clone();
    assert_eq!(written[0]["id_str"], first_id);
    assert_eq!(
        written[1]["id_str"], first_id,
        "the double-encoded copy is unwrapped"
    );

    let dead = read_json_lines(&dir.path().join("dead.ndjson"));
    let by_line: Vec<(u64, &str)> = dead
        .iter()
        .map(|d| (d["offset"].as_u64().unwrap(), d["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(by_line[0].0, 2);
    assert!(
        by_line[0].1.starts_with("malformed JSON"),
        "{}",
        by_line[0].1
    );
    assert_eq!(by_line[1], (3, "invalid UTF-8 (valid up to byte 22)"));
    assert_eq!(by_line[2], (6, "expected a JSON object, found an array"));
    assert_eq!(by_line[3], (7, "expected a JSON object, found a string"));
    assert!(dead.iter().all(|d| d["stage"] == "decode"));
    assert_eq!(dead[0]["original"], r#"{"id_str": "1", "text": "cut off"#);
    assert_eq!(
        dead[1]["original_base64"],
        "eyJpZF9zdHIiOiIyIiwidGV4dCI6Iv/+In0="
    );
    assert!(
        dead[0]["source"]
            .as_str()
            .unwrap()
            .ends_with("input.ndjson")
    );
}

#[test]
fn double_encoded_lines_can_be_dead_lettered_instead() {
    let dir = tempfile::tempdir().unwrap();
    write_ndjson(&dir.path().join("input.ndjson"), &mixed_input());

    let summary = run_pipeline(&config("dead_letter"), dir.path()).unwrap();

    assert_eq!(
        (summary.written, summary.dead_lettered, summary.unwrapped),
        (1, 5, 0)
    );
    let dead = read_json_lines(&dir.path().join("dead.ndjson"));
    let double = dead.iter().find(|d| d["offset"] == 4).unwrap();
    assert_eq!(
        double["reason"],
        "double-encoded JSON: a string holding a JSON object"
    );
}

#[test]
fn the_search_api_envelope_yields_each_status() {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        r#"
        [source]
        type = "file"
        paths = ["{}"]
        [sink]
        type = "ndjson"
        path = "out.ndjson"
        [dead_letter]
        path = "dead.ndjson"
        "#,
        repo_root().join("data/twitter.json").display()
    );
    let summary = run_pipeline(&toml, dir.path()).unwrap();
    assert_eq!(
        (summary.records_in, summary.written, summary.dead_lettered),
        (100, 100, 0)
    );
    let written = read_json_lines(&dir.path().join("out.ndjson"));
    assert_eq!(written[99]["id_str"], search_api_tweets()[99]["id_str"]);
    // 100 search API tweets: 235 distinct paths, 343 mapping fields (data/README.md).
    assert_eq!(summary.before.distinct_paths, 235);
    assert_eq!(summary.before.mapping_fields, 343);
}
