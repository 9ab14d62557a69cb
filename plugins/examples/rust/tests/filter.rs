//! The example filter on real tweets from data/, run natively through the
//! SDK's batch entry point (the same code path as the WebAssembly export).

use serde_json::{Value, json};
use sluice_sdk::{Config, Outcome, Plugin};

use example_filter_rust::ExampleFilter;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../data");

fn tweet_line(file: &str, id_str: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(format!("{DATA}/{file}")).expect("read tweet data");
    let needle = format!("\"id_str\":\"{id_str}\"");
    let compact = format!("\"id_str\": \"{id_str}\"");
    text.lines()
        .find(|line| line.contains(&needle) || line.contains(&compact))
        .unwrap_or_else(|| panic!("tweet {id_str} is in {file}"))
        .as_bytes()
        .to_vec()
}

fn process(config: &str, batch: Vec<Vec<u8>>) -> Vec<Outcome> {
    ExampleFilter::init(Config::from_json(config))
        .expect("valid config")
        .process(batch)
}

fn replaced(outcome: &Outcome) -> Value {
    match outcome {
        Outcome::Replace(bytes) => serde_json::from_slice(bytes).expect("output is JSON"),
        other => panic!("expected a replace, got {other:?}"),
    }
}

#[test]
fn extended_tweet_keeps_its_full_text_and_hashtags() {
    let tweet = tweet_line("python-twitter-testdata.ndjson", "972472958601056256");
    let outcomes = process("{}", vec![tweet]);
    let doc = replaced(&outcomes[0]);
    assert!(
        doc["text"]
            .as_str()
            .unwrap()
            .starts_with("#Gills make 2 changes to the starting 11")
    );
    assert_eq!(doc["hashtags"], json!(["Gills"]));
    assert_eq!(doc["hashtag_count"], json!(1));
    assert_eq!(doc["is_retweet"], json!(false));
    assert_eq!(doc["user_followers_count"], json!(1997));
    // in_reply_to_screen_name is null in this tweet, so it is left out.
    assert!(doc.get("in_reply_to_screen_name").is_none());
    assert_eq!(doc.as_object().unwrap().len(), 12);
}

#[test]
fn retweet_is_flagged_and_its_hashtags_listed() {
    let tweet = tweet_line("python-twitter-testdata.ndjson", "675124333967245314");
    let doc = replaced(&process("{}", vec![tweet])[0]);
    assert_eq!(doc["is_retweet"], json!(true));
    assert_eq!(
        doc["hashtags"],
        json!(["IT", "Job", "PALOALTO", "Jobs", "Hiring"])
    );
    assert_eq!(doc["hashtag_count"], json!(5));
    assert_eq!(doc["lang"], json!("en"));
}

#[test]
fn japanese_tweets_are_dropped_unless_configured() {
    // The first status of twitter.json is Japanese, by @ayuu0123.
    let text = std::fs::read_to_string(format!("{DATA}/twitter.json")).unwrap();
    let envelope: Value = serde_json::from_str(&text).unwrap();
    let first = serde_json::to_vec(&envelope["statuses"][0]).unwrap();

    let dropped = process("{}", vec![first.clone()]);
    assert_eq!(dropped, vec![Outcome::Drop]);

    let kept = replaced(&process(r#"{"langs": ["ja"]}"#, vec![first])[0]);
    assert_eq!(kept["user_screen_name"], json!("ayuu0123"));
    assert_eq!(kept["in_reply_to_screen_name"], json!("aym0566x"));
    assert_eq!(kept["id_str"], json!("505874924095815681"));
}

#[test]
fn records_without_a_string_id_are_rejected() {
    let batch = vec![
        b"[1, 2]".to_vec(),
        br#"{"id_str": 5, "lang": "en"}"#.to_vec(),
    ];
    let outcomes = process("{}", batch);
    let reject = Outcome::Reject("missing id_str".to_string());
    assert_eq!(outcomes, vec![reject.clone(), reject]);
}

#[test]
fn a_misspelt_config_key_is_named() {
    let error = ExampleFilter::init(Config::from_json(r#"{"lnags": ["en"]}"#))
        .err()
        .expect("init refuses the key");
    assert_eq!(
        error,
        "invalid plugin config at `lnags`: unknown field `lnags`, expected `langs`"
    );
}
