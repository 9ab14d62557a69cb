//! flatten-retweets on the real tweets in data/, through the same batch path
//! as the WebAssembly export.

use std::collections::BTreeSet;
use std::path::PathBuf;

use flatten_retweets::FlattenRetweets;
use serde_json::{Value as Json, json};
use sluice_sdk::prelude::*;
use sluice_sdk::{Outcome, process_batch};

fn data(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(file)
}

/// Every tweet of data/: twitter.json's statuses, then each NDJSON line.
fn all_tweets() -> Vec<Vec<u8>> {
    let search: Json =
        serde_json::from_slice(&std::fs::read(data("twitter.json")).unwrap()).unwrap();
    let mut tweets: Vec<Vec<u8>> = search["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| serde_json::to_vec(t).unwrap())
        .collect();
    for file in [
        "python-twitter-testdata.ndjson",
        "rtweet-fixtures.ndjson",
        "sfm-twitter-harvester-warcs.ndjson",
        "tweepy-cassettes.ndjson",
    ] {
        let text = std::fs::read_to_string(data(file)).unwrap();
        tweets.extend(text.lines().map(|l| l.as_bytes().to_vec()));
    }
    tweets
}

fn tweet(id: &str) -> Json {
    all_tweets()
        .into_iter()
        .map(|t| serde_json::from_slice::<Json>(&t).unwrap())
        .find(|t| t["id_str"] == id)
        .unwrap_or_else(|| panic!("tweet {id} is in data/"))
}

fn filter(config: &str) -> FlattenRetweets {
    FlattenRetweets::init(Config::from_json(config)).unwrap()
}

fn run(filter: &FlattenRetweets, record: &Json) -> Outcome {
    let mut outcomes = process_batch(filter, vec![serde_json::to_vec(record).unwrap()]);
    assert_eq!(outcomes.len(), 1);
    outcomes.remove(0)
}

fn replaced(outcome: Outcome) -> Json {
    match outcome {
        Outcome::Replace(bytes) => serde_json::from_slice(&bytes).unwrap(),
        other => panic!("expected a replaced document, got {other:?}"),
    }
}

fn split_docs(outcome: Outcome) -> Vec<Json> {
    match outcome {
        Outcome::Split(docs) => docs
            .iter()
            .map(|d| serde_json::from_slice(d).unwrap())
            .collect(),
        other => panic!("expected split documents, got {other:?}"),
    }
}

#[test]
fn embeds_the_retweeted_tweet_with_prefixed_fields() {
    // A Japanese retweet from the search API sample.
    let doc = replaced(run(&filter("{}"), &tweet("505874918198624256")));

    assert_eq!(doc["id_str"], "505874918198624256");
    assert_eq!(doc["created_at"], "2014-08-31T00:29:13Z");
    assert_eq!(doc["user_screen_name"], "nekonekomikan");
    assert_eq!(doc["source"], "Twitter for Android");
    assert_eq!(doc["is_retweet"], true);
    assert_eq!(doc["is_quote"], false);
    assert_eq!(doc["hashtags"], json!(["LEDカツカツ選手権"]));

    assert_eq!(doc["retweeted_id_str"], "439430848190742528");
    assert_eq!(doc["retweeted_created_at"], "2014-02-28T16:04:13Z");
    assert_eq!(doc["retweeted_user_screen_name"], "thsc782_407");
    assert_eq!(doc["retweeted_user_id_str"], "82900665");
    assert_eq!(doc["retweeted_user_followers_count"], 587);
    assert_eq!(doc["retweeted_user_verified"], false);
    assert_eq!(doc["retweeted_retweet_count"], 3291);
    assert_eq!(doc["retweeted_favorite_count"], 1526);
    assert_eq!(doc["retweeted_lang"], "ja");
    assert_eq!(doc["retweeted_hashtags"], json!(["LEDカツカツ選手権"]));
    assert_eq!(
        doc["retweeted_media_urls"],
        json!(["https://pbs.twimg.com/media/BhksBzoCAAAJeDS.jpg"])
    );
    assert!(
        doc["retweeted_text"]
            .as_str()
            .unwrap()
            .starts_with("#LEDカツカツ選手権\n")
    );
    // Absent or null in the input: absent in the output, never null.
    for absent in [
        "retweeted_place_name",
        "retweeted_mentions",
        "retweeted_urls",
        "quoted_id_str",
    ] {
        assert!(doc.get(absent).is_none(), "{absent} should be absent");
    }
    assert!(doc.get("retweeted_status").is_none());
    assert!(doc.get("user").is_none());
}

#[test]
fn takes_the_full_text_and_entities_of_an_extended_tweet() {
    // Streamed with `truncated: true`; `text` stops at 140 characters.
    let input = tweet("972472962786869248");
    assert!(input["text"].as_str().unwrap().ends_with('\u{2026}') || input["truncated"] == true);
    let doc = replaced(run(&filter("{}"), &input));

    assert_eq!(
        doc["text"],
        "@maggieNYT Reminder: #Bossie of #CitizensUnited was placed by #RebekahMercer as a Trump \
         handler during the transition. https://t.co/OQ13KtHfK3"
    );
    assert_eq!(
        doc["hashtags"],
        json!(["Bossie", "CitizensUnited", "RebekahMercer"])
    );
    assert_eq!(doc["mentions"], json!(["maggieNYT"]));
    assert_eq!(
        doc["media_urls"],
        json!(["https://pbs.twimg.com/media/DX7q_RYUQAEJZLF.jpg"])
    );
    assert_eq!(doc["created_at"], "2018-03-10T14:03:16Z");
}

#[test]
fn embeds_the_quote_of_a_retweeted_tweet() {
    // __jcbl__ retweets HeerJeet, who quotes maggieNYT.
    let doc = replaced(run(&filter("{}"), &tweet("668246004051873793")));

    assert_eq!(doc["user_screen_name"], "__jcbl__");
    assert_eq!(doc["is_retweet"], true);
    assert_eq!(doc["is_quote"], true);
    assert_eq!(doc["retweeted_id_str"], "668245508411006977");
    assert_eq!(doc["retweeted_user_screen_name"], "HeerJeet");
    assert_eq!(doc["quoted_id_str"], "668239849581903872");
    assert_eq!(doc["quoted_user_screen_name"], "maggieNYT");
    assert_eq!(doc["quoted_created_at"], "2015-11-22T01:29:30Z");
}

#[test]
fn split_mode_gives_each_tweet_its_own_document_with_references() {
    let docs = split_docs(run(
        &filter(r#"{"mode": "split"}"#),
        &tweet("668246004051873793"),
    ));

    let ids: Vec<&str> = docs.iter().map(|d| d["id_str"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "668246004051873793",
            "668245508411006977",
            "668239849581903872"
        ]
    );

    let (retweet, retweeted, quoted) = (&docs[0], &docs[1], &docs[2]);
    assert_eq!(retweet["retweeted_id_str"], "668245508411006977");
    assert_eq!(retweet["quoted_id_str"], "668239849581903872");
    assert!(retweet.get("retweeted_user_screen_name").is_none());
    assert!(retweet.get("quoted_text").is_none());

    assert_eq!(retweeted["user_screen_name"], "HeerJeet");
    assert_eq!(retweeted["is_retweet"], false);
    assert_eq!(retweeted["is_quote"], true);
    assert_eq!(retweeted["quoted_id_str"], "668239849581903872");
    assert!(retweeted.get("retweeted_id_str").is_none());

    assert_eq!(quoted["user_screen_name"], "maggieNYT");
    assert_eq!(quoted["created_at"], "2015-11-22T01:29:30Z");
    assert!(quoted.get("quoted_id_str").is_none());
}

#[test]
fn split_mode_writes_each_tweet_once() {
    // The v1.1 API also gives a retweet of a quote the quote at top level.
    let mut record = tweet("668246004051873793");
    record["quoted_status"] = record["retweeted_status"]["quoted_status"].clone();
    let docs = split_docs(run(&filter(r#"{"mode": "split"}"#), &record));
    assert_eq!(docs.len(), 3);

    // Should the retweet quote another tweet than the retweeted one does,
    // both quoted tweets get a document, as each is referred to.
    record["quoted_status"] = tweet("972472962786869248");
    let docs = split_docs(run(&filter(r#"{"mode": "split"}"#), &record));
    let ids: Vec<&str> = docs.iter().map(|d| d["id_str"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "668246004051873793",
            "668245508411006977",
            "972472962786869248",
            "668239849581903872"
        ]
    );
    assert_eq!(docs[0]["quoted_id_str"], "972472962786869248");
    assert_eq!(docs[1]["quoted_id_str"], "668239849581903872");

    // A plain tweet stays one document.
    let plain = replaced(run(
        &filter(r#"{"mode": "split"}"#),
        &tweet("972472962786869248"),
    ));
    assert_eq!(plain["id_str"], "972472962786869248");
    assert_eq!(plain["is_retweet"], false);
}

#[test]
fn non_tweets_are_dropped_rejected_or_passed_as_configured() {
    let delete =
        json!({"delete": {"status": {"id": 1, "id_str": "1", "user_id": 2, "user_id_str": "2"}}});
    let limit = json!({"limit": {"track": 5}});

    // The host takes control messages out before the plugins; a plugin
    // that meets one anyway treats it as any record in no tweet format.
    let drop = filter(r#"{"non_tweets": "drop"}"#);
    assert_eq!(run(&drop, &delete), Outcome::Drop);
    assert_eq!(run(&drop, &limit), Outcome::Drop);

    // Rejecting is the default.
    let reject = filter("{}");
    match run(&reject, &delete) {
        Outcome::Reject(reason) => {
            assert!(reason.starts_with("not a tweet"), "{reason}");
            assert!(reason.contains("top-level keys: delete"), "{reason}");
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert!(
        matches!(run(&reject, &json!([1, 2])), Outcome::Reject(r) if r.contains("not an object"))
    );

    assert_eq!(
        run(&filter(r#"{"non_tweets": "pass"}"#), &limit),
        Outcome::Pass
    );
}

#[test]
fn config_errors_name_the_bad_key_or_value() {
    let error = |config: &str| {
        FlattenRetweets::init(Config::from_json(config))
            .err()
            .unwrap()
    };
    assert!(error(r#"{"mdoe": "split"}"#).contains("mdoe"));
    assert!(error(r#"{"mode": "flat"}"#).contains("flat"));
    assert!(error(r#"{"non_tweets": "keep"}"#).contains("keep"));
}

/// The field set documented in README.md, written out by hand.
const PER_TWEET: [&str; 17] = [
    "id_str",
    "created_at",
    "text",
    "lang",
    "user_id_str",
    "user_screen_name",
    "user_name",
    "user_followers_count",
    "user_verified",
    "retweet_count",
    "favorite_count",
    "hashtags",
    "mentions",
    "urls",
    "media_urls",
    "place_name",
    "place_country",
];
const OWN_ONLY: [&str; 6] = [
    "is_retweet",
    "is_quote",
    "in_reply_to_status_id_str",
    "in_reply_to_screen_name",
    "source",
    "tweet_format",
];

fn documented(prefixes: &[&str]) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = OWN_ONLY.iter().map(|n| n.to_string()).collect();
    names.extend(PER_TWEET.iter().map(|n| n.to_string()));
    for prefix in prefixes {
        names.extend(PER_TWEET.iter().map(|n| format!("{prefix}{n}")));
    }
    names
}

#[test]
fn every_tweet_in_data_flattens_into_the_documented_field_set() {
    let tweets = all_tweets();
    assert_eq!(tweets.len(), 100 + 3911);

    for (mode, allowed) in [
        ("embed", documented(&["retweeted_", "quoted_"])),
        ("split", {
            let mut names = documented(&[]);
            names.extend(["retweeted_id_str".to_owned(), "quoted_id_str".to_owned()]);
            names
        }),
    ] {
        let filter = filter(&format!(r#"{{"mode": "{mode}"}}"#));
        let mut seen = BTreeSet::new();
        let mut documents = 0;
        for outcome in process_batch(&filter, tweets.clone()) {
            let docs = match outcome {
                Outcome::Replace(bytes) => vec![bytes],
                Outcome::Split(docs) => docs,
                other => panic!("{mode}: every record is a tweet, got {other:?}"),
            };
            for bytes in docs {
                let doc: Json = serde_json::from_slice(&bytes).unwrap();
                let doc = doc.as_object().unwrap();
                for (key, value) in doc {
                    assert!(!value.is_null(), "{mode}: {key} is null");
                    if key.ends_with("created_at") {
                        let date = value.as_str().unwrap();
                        assert!(
                            date.len() == 20 && date.ends_with('Z'),
                            "{mode}: {key} = {date}"
                        );
                    }
                }
                seen.extend(doc.keys().cloned());
                documents += 1;
            }
        }
        let extra: Vec<_> = seen.difference(&allowed).collect();
        assert!(extra.is_empty(), "{mode}: undocumented fields {extra:?}");
        // The data holds retweets, quotes, places and media: most of the
        // documented fields do occur.
        assert!(seen.len() + 6 >= allowed.len(), "{mode}: only {seen:?}");
        match mode {
            "embed" => assert_eq!(documents, tweets.len()),
            _ => assert!(
                documents > tweets.len() + 1000,
                "{mode}: {documents} documents"
            ),
        }
    }
}

/// The documents of a verdict as JSON, to compare verdicts by content.
fn verdict_docs(verdict: Verdict<'_>) -> Vec<Json> {
    let docs = match verdict {
        Verdict::Replace(doc) => vec![doc],
        Verdict::Split(docs) => docs,
        _ => panic!("every record of data/ is a tweet"),
    };
    docs.iter()
        .map(|d| serde_json::from_str(&d.encode()).unwrap())
        .collect()
}

#[test]
fn a_parsed_document_flattens_as_the_view_of_the_record_does() {
    // The SDK hands the plugin a view of the record; a caller holding a
    // parsed document gets the same documents from `filter`.
    let tweets = all_tweets();
    for mode in ["embed", "split"] {
        let filter = filter(&format!(r#"{{"mode": "{mode}"}}"#));
        let from_views = process_batch(&filter, tweets.clone());
        for (record, from_view) in tweets.iter().zip(from_views) {
            let mut bytes = record.clone();
            let mut doc = sluice_sdk::simd_json::to_borrowed_value(&mut bytes).unwrap();
            let from_doc = verdict_docs(filter.filter(&mut doc));
            let from_view: Vec<Json> = match from_view {
                Outcome::Replace(bytes) => vec![serde_json::from_slice(&bytes).unwrap()],
                Outcome::Split(docs) => docs
                    .iter()
                    .map(|d| serde_json::from_slice(d).unwrap())
                    .collect(),
                other => panic!("{mode}: {other:?}"),
            };
            assert_eq!(from_doc, from_view, "{mode}: {}", from_doc[0]["id_str"]);
        }
    }
}
