//! Every tweet format a data team holds, end to end through the default
//! chain: the real files of data/formats/ (sources in data/README.md), each
//! envelope they come in, stream control messages, delete notices that
//! delete their tweets from the test Elasticsearch server, and dead letters
//! that hold their input line byte for byte.

mod common;
mod elasticsearch_support;

use std::path::Path;

use common::*;
use elasticsearch_support::{count, start_server};
use serde_json::{Value, json};

fn formats(file: &str) -> std::path::PathBuf {
    repo_root().join("data/formats").join(file)
}

/// The default chain (flatten-retweets with its default settings, then
/// prune-fields), from `inputs` into an NDJSON or `_bulk` file.
fn pipeline(inputs: &[&Path], sink: &str, flatten: &str) -> String {
    let paths: Vec<String> = inputs
        .iter()
        .map(|p| format!("\"{}\"", p.display()))
        .collect();
    format!(
        "[source]\ntype = \"file\"\npaths = [{}]\n{}{}\n[sink]\n{sink}\n[dead_letter]\npath = \"dead.ndjson\"\n",
        paths.join(", "),
        plugin_table("flatten-retweets", flatten, "{}"),
        plugin_table(
            "prune-fields",
            "{ max_string_length = 2000, max_depth = 5, max_fields = 400 }",
            "{}"
        ),
    )
}

const NDJSON: &str = "type = \"ndjson\"\npath = \"out.ndjson\"";
const BULK: &str =
    "type = \"bulk_file\"\npath = \"bulk.ndjson\"\nindex = \"twitter-%{+YYYY.MM.dd}\"";

fn written(dir: &Path) -> Vec<Value> {
    read_json_lines(&dir.join("out.ndjson"))
}

#[test]
fn every_format_in_data_formats_is_written_and_every_notice_counted() {
    let dir = tempfile::tempdir().unwrap();
    let toml = pipeline(&[&repo_root().join("data/formats")], NDJSON, "{}");
    let summary = run_pipeline(&toml, dir.path()).unwrap();

    // 25 v1.1 + the same 25 as activity streams + 100 + 1 + 2 v2 page
    // tweets + 7 stream lines + 100 twarc-flattened + 20 tweets of 2007.
    let tweets = 25 + 25 + 100 + 1 + 2 + 7 + 100 + 20;
    // The two delete notices go to the file as lines of their own.
    assert_eq!(summary.deletes, 2);
    assert_eq!(summary.written, tweets + 2);
    assert_eq!(summary.dropped, 0);
    // The only dead letter: the stream line cut short.
    assert_eq!(
        summary.dead_lettered, 1,
        "{:?}",
        summary.dead_letter_reasons
    );
    let notices: Vec<(&str, u64)> = summary
        .notices
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        notices,
        [
            ("disconnect", 2),
            ("limit", 2),
            ("scrub_geo", 2),
            ("status_withheld", 2),
            ("user_withheld", 2),
            ("warning", 1)
        ]
    );
    assert!(summary.is_balanced());
    let shown = summary.to_string();
    assert!(shown.contains("stream notices            11"), "{shown}");
    assert!(shown.contains("dead.ndjson (appended)"), "{shown}");

    let docs = written(dir.path());
    let by_format = |format: &str| docs.iter().filter(|d| d["tweet_format"] == format).count();
    assert_eq!(by_format("v1.1"), 45);
    assert_eq!(by_format("activity_streams"), 25);
    assert_eq!(by_format("v2"), 210);
    // Every tweet has its string id and an ISO date, whatever its format.
    for doc in docs.iter().filter(|d| d.get("tweet_format").is_some()) {
        assert!(doc["id_str"].is_string(), "{doc}");
        assert!(doc["created_at"].as_str().unwrap().ends_with('Z'), "{doc}");
    }
    // A v2 page tweet, cut out of its page with the includes it uses.
    let quote = docs
        .iter()
        .find(|d| d["id_str"] == "1440715975020584960")
        .unwrap();
    assert_eq!(quote["user_screen_name"], "Munku1");
    assert_eq!(quote["quoted_user_screen_name"], "paulafr68963440");
}

/// `(records in, ids written)` of one input file through the default chain.
fn run_file(path: &Path) -> (u64, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let summary = run_pipeline(&pipeline(&[path], NDJSON, "{}"), dir.path()).unwrap();
    assert!(summary.is_balanced());
    assert_eq!(
        summary.dead_lettered, 0,
        "{:?}",
        summary.dead_letter_reasons
    );
    let ids = written(dir.path())
        .iter()
        .map(|d| d["id_str"].as_str().unwrap().to_owned())
        .collect();
    (summary.records_in, ids)
}

#[test]
fn a_statuses_envelope_gives_its_tweets() {
    let (records, ids) = run_file(&repo_root().join("data/twitter.json"));
    assert_eq!(records, 100);
    assert_eq!(ids[0], "505874924095815681");
}

#[test]
fn a_premium_results_envelope_gives_its_tweets() {
    // The premium and enterprise search response around real enterprise
    // tweets (which carry `matching_rules`, as premium results do).
    let dir = tempfile::tempdir().unwrap();
    let tweets: Vec<Value> = std::fs::read_to_string(formats("tweet-parser-original-format.json"))
        .unwrap()
        .lines()
        .take(3)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let path = dir.path().join("premium.json");
    let envelope = json!({"results": tweets, "next": "eyJhdXRoZW50aWNpdHkiOiIx",
        "requestParameters": {"maxResults": 100, "fromDate": "201705010000", "toDate": "201707190000"}});
    std::fs::write(&path, serde_json::to_vec_pretty(&envelope).unwrap()).unwrap();
    let (records, ids) = run_file(&path);
    assert_eq!(records, 3);
    assert_eq!(
        ids,
        [
            "887453193294282752",
            "887450119146270723",
            "872836479608733696"
        ]
    );
}

#[test]
fn a_v2_page_line_gives_each_of_its_tweets() {
    let (records, ids) = run_file(&formats("twarc-csv-brexit.jsonl"));
    assert_eq!(records, 100);
    assert_eq!(ids.len(), 100);
    assert_eq!(ids[0], "1440716895355764743");
}

#[test]
fn a_v2_page_saved_as_a_json_document_gives_each_of_its_tweets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("page.json");
    std::fs::copy(formats("twarc-csv-media_tweet.jsonl"), &path).unwrap();
    let (records, ids) = run_file(&path);
    assert_eq!(records, 1);
    assert_eq!(ids.len(), 1);
}

#[test]
fn an_array_gives_its_elements() {
    let (records, ids) = run_file(&formats("python-twitter-public-timeline-2007.json"));
    assert_eq!(records, 20);
    assert_eq!(ids[0], "89497702");
}

#[test]
fn a_json_file_holding_ndjson_is_read_as_ndjson() {
    let (records, ids) = run_file(&formats("tweet-parser-activity-streams.json"));
    assert_eq!(records, 25);
    assert_eq!(ids[0], "887453193294282752");
}

#[test]
fn every_dead_letter_holds_its_input_line_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    // Real lines: v2 stream lines with one cut short (decode refuses it), a
    // v2 user object (the plugin refuses it), and a real v1.1 tweet whose
    // `created_at` was rewritten out of the API's format (the sink refuses
    // the flattened document: it has no date for the daily index).
    let mut lines: Vec<Vec<u8>> =
        std::fs::read(formats("twarc-csv-streaming_output_with_error.jsonl"))
            .unwrap()
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect();
    let page: Value = serde_json::from_slice(&lines[0]).unwrap();
    lines.push(serde_json::to_vec(&page["includes"]["users"][0]).unwrap());
    let tweet =
        String::from_utf8(std::fs::read(formats("tweet-parser-original-format.json")).unwrap())
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .replace("Tue Jul 18 23:25:04 +0000 2017", "2017-07-18 23:25:04");
    lines.push(tweet.into_bytes());
    let input = dir.path().join("input.ndjson");
    write_ndjson(&input, &lines);

    let summary = run_pipeline(&pipeline(&[&input], BULK, "{}"), dir.path()).unwrap();
    assert_eq!(summary.records_in, 10);
    assert_eq!(summary.written, 7);
    assert_eq!(summary.dead_lettered, 3);

    let dead = read_json_lines(&dir.path().join("dead.ndjson"));
    let stages: Vec<&str> = dead.iter().map(|d| d["stage"].as_str().unwrap()).collect();
    assert_eq!(stages, ["decode", "plugin", "sink"]);
    for letter in &dead {
        let line = letter["offset"].as_u64().unwrap() as usize;
        assert_eq!(
            letter["original"].as_str().unwrap().as_bytes(),
            lines[line - 1],
            "dead letter of line {line}"
        );
    }
    // The cut line is reported where it ends, by line and column.
    assert!(
        dead[0]["reason"]
            .as_str()
            .unwrap()
            .contains("EOF while parsing"),
        "{}",
        dead[0]["reason"]
    );
    assert!(
        dead[1]["reason"]
            .as_str()
            .unwrap()
            .contains("an API v2 user object")
    );
    // What the sink refused is there too: the flattened document.
    assert!(
        dead[2]["refused"]
            .as_str()
            .unwrap()
            .contains("\"tweet_format\":\"v1.1\"")
    );
}

#[test]
fn a_later_run_appends_to_the_dead_letter_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.ndjson");
    write_ndjson(&input, &[br#"{"not":"a tweet"}"#.to_vec()]);
    let toml = pipeline(&[&input], NDJSON, "{}");
    run_pipeline(&toml, dir.path()).unwrap();
    run_pipeline(&toml, dir.path()).unwrap();
    assert_eq!(read_json_lines(&dir.path().join("dead.ndjson")).len(), 2);
}

#[test]
fn in_pass_mode_with_nothing_written_the_after_shape_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    // Real records that are no tweets: the users of a v2 page.
    let page: Value =
        serde_json::from_str(&std::fs::read_to_string(formats("twarc-csv-brexit.jsonl")).unwrap())
            .unwrap();
    let users: Vec<Vec<u8>> = page["includes"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| serde_json::to_vec(u).unwrap())
        .collect();
    let input = dir.path().join("users.ndjson");
    write_ndjson(&input, &users);
    let toml = pipeline(&[&input], BULK, "{ non_tweets = \"pass\" }");
    let summary = run_pipeline(&toml, dir.path()).unwrap();
    assert_eq!(summary.written, 0);
    assert_eq!(summary.dead_lettered, 177);
    assert!(summary.before.distinct_paths > 0);
    assert_eq!(summary.after.distinct_paths, 0);
    assert_eq!(summary.after.mapping_fields, 0);
}

/// A v1.1 delete notice for `id`, in the form Twitter's stream sends it.
fn delete_notice(id: &str, user: &str) -> Vec<u8> {
    format!(
        r#"{{"delete":{{"status":{{"id":{id},"id_str":"{id}","user_id":{user},"user_id_str":"{user}"}},"timestamp_ms":"1500000000000"}}}}"#
    )
    .into_bytes()
}

#[test]
fn delete_notices_delete_their_tweets_from_elasticsearch() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    let elasticsearch = format!(
        "type = \"elasticsearch\"\nnodes = [\"{}\"]\nindex = \"twitter-%{{+YYYY.MM.dd}}\"\nretry = {{ initial_backoff_ms = 5, max_backoff_ms = 200 }}",
        server.url()
    );
    let tweets = formats("tweet-parser-original-format.json");
    let summary = run_pipeline(&pipeline(&[&tweets], &elasticsearch, "{}"), dir.path()).unwrap();
    assert_eq!(summary.written, 25);
    assert_eq!(count(&server.url(), "twitter-*"), 25);

    // Three of them deleted (on three different days' indices), and one
    // tweet the index never held.
    let notices = dir.path().join("deletes.ndjson");
    write_ndjson(
        &notices,
        &[
            delete_notice("887453193294282752", "815279070241955840"),
            delete_notice("872836479608733696", "815279070241955840"),
            delete_notice("867468138991964160", "815279070241955840"),
            delete_notice("303747490128207873", "74558989"),
        ],
    );
    let summary = run_pipeline(&pipeline(&[&notices], &elasticsearch, "{}"), dir.path()).unwrap();
    assert_eq!(summary.deletes, 4);
    assert_eq!(summary.written, 4);
    assert_eq!(summary.dead_lettered, 0);
    assert!(summary.is_balanced());
    assert_eq!(count(&server.url(), "twitter-*"), 22);
    assert_eq!(count(&server.url(), "twitter-2017.07.18"), 1);
}
