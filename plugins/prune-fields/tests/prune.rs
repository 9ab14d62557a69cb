//! prune-fields on the real tweets in data/, through the same batch path as
//! the WebAssembly export.

use std::path::PathBuf;

use prune_fields::PruneFields;
use serde_json::{Map, Value as Json, json};
use sluice_sdk::{Config, Filter, Outcome, Verdict, process_batch};

fn data(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(file)
}

/// The 100 statuses of the search API sample, 73 of them retweets.
fn search_tweets() -> Vec<Json> {
    let search: Json =
        serde_json::from_slice(&std::fs::read(data("twitter.json")).unwrap()).unwrap();
    search["statuses"].as_array().unwrap().clone()
}

/// Every tweet of data/: the search sample, then each NDJSON line.
fn all_tweets() -> Vec<Vec<u8>> {
    let mut tweets: Vec<Vec<u8>> = search_tweets()
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

/// A Japanese retweet of @thsc782_407 with one hashtag and one photo.
fn japanese_retweet() -> Json {
    search_tweets()
        .into_iter()
        .find(|t| t["id_str"] == "505874918198624256")
        .unwrap()
}

fn filter(config: Json) -> PruneFields {
    PruneFields::init(Config::from_json(config.to_string())).unwrap()
}

fn prune(filter: &PruneFields, tweet: &Json) -> Json {
    match process_batch(filter, vec![serde_json::to_vec(tweet).unwrap()]).remove(0) {
        Outcome::Replace(bytes) => serde_json::from_slice(&bytes).unwrap(),
        Outcome::Pass => tweet.clone(),
        other => panic!("prune-fields only edits documents, got {other:?}"),
    }
}

fn keys(obj: &Json) -> Vec<&str> {
    let mut keys: Vec<&str> = obj
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[test]
fn an_empty_config_passes_every_tweet_unchanged() {
    let outcomes = process_batch(&filter(json!({})), all_tweets());
    assert_eq!(outcomes.len(), 4011);
    assert!(outcomes.iter().all(|o| *o == Outcome::Pass));
}

#[test]
fn deny_removes_matching_paths_only() {
    let deny = filter(json!({"deny": ["user.profile_*"]}));
    for tweet in search_tweets() {
        let doc = prune(&deny, &tweet);
        let user = doc["user"].as_object().unwrap();
        assert!(
            user.keys().all(|k| !k.starts_with("profile_")),
            "{:?}",
            user.keys()
        );
        assert_eq!(doc["user"]["screen_name"], tweet["user"]["screen_name"]);
        // The pattern is anchored at the top: the retweeted user keeps them.
        if let Some(retweeted) = tweet.get("retweeted_status") {
            assert_eq!(
                doc["retweeted_status"]["user"]["profile_image_url"],
                retweeted["user"]["profile_image_url"]
            );
        }
    }
}

#[test]
fn always_keep_protects_id_str_from_a_suffix_deny() {
    let doc = prune(&filter(json!({"deny": ["*_str"]})), &japanese_retweet());
    assert_eq!(doc["id_str"], "505874918198624256");
    assert!(doc["user"].get("id_str").is_none());
    assert!(doc["retweeted_status"].get("id_str").is_none());
    assert!(doc.get("in_reply_to_status_id_str").is_none());
    assert_eq!(doc["user"]["id"], 753161754);
    assert_eq!(doc["retweeted_status"]["id"], 439430848190742528u64);
}

#[test]
fn allow_keeps_matching_paths_and_the_objects_above_them() {
    let allow = filter(json!({
        "allow": ["text", "user.screen_name", "entities.hashtags.text"]
    }));
    assert_eq!(
        prune(&allow, &japanese_retweet()),
        json!({
            "id_str": "505874918198624256",
            "text": "RT @thsc782_407: #LEDカツカツ選手権\n漢字一文字ぶんのスペースに「ハウステンボス」を収める狂気 http://t.co/vmrreDMziI",
            "user": {"screen_name": "nekonekomikan"},
            "entities": {"hashtags": [{"text": "LEDカツカツ選手権"}]},
        })
    );
}

#[test]
fn allow_of_an_object_keeps_its_whole_subtree() {
    let tweet = japanese_retweet();
    let doc = prune(
        &filter(json!({"allow": ["user"], "deny": ["user.entities"]})),
        &tweet,
    );
    assert_eq!(keys(&doc), ["id_str", "user"]);
    let mut user_keys = keys(&tweet["user"]);
    user_keys.retain(|&k| k != "entities");
    assert_eq!(keys(&doc["user"]), user_keys);
}

#[test]
fn a_denied_object_keeps_only_its_always_keep_paths() {
    let doc = prune(
        &filter(json!({"deny": ["user"], "always_keep": ["id_str", "user.screen_name"]})),
        &japanese_retweet(),
    );
    assert_eq!(doc["user"], json!({"screen_name": "nekonekomikan"}));
}

/// How deep Elasticsearch maps a document: top-level fields are at depth 1.
fn mapping_depth(value: &Json) -> usize {
    match value {
        Json::Object(obj) => 1 + obj.values().map(mapping_depth).max().unwrap_or(0),
        Json::Array(items) => items.iter().map(mapping_depth).max().unwrap_or(0),
        _ => 0,
    }
}

#[test]
fn max_depth_removes_objects_below_the_limit() {
    let tweet = japanese_retweet();
    assert_eq!(mapping_depth(&tweet), 6);

    let doc = prune(&filter(json!({"max_depth": 2})), &tweet);
    assert_eq!(mapping_depth(&doc), 2);
    assert_eq!(doc["user"]["screen_name"], "nekonekomikan");
    assert!(doc["user"].get("entities").is_none());
    assert_eq!(
        doc["retweeted_status"]["text"],
        tweet["retweeted_status"]["text"]
    );
    assert!(doc["retweeted_status"].get("user").is_none());
    // Lists of objects go; empty lists map to nothing and stay.
    assert_eq!(doc["entities"], json!({"symbols": [], "urls": []}));

    let flat = prune(&filter(json!({"max_depth": 1})), &tweet);
    assert_eq!(mapping_depth(&flat), 1);
    assert!(flat.get("user").is_none());
    assert_eq!(flat["lang"], "ja");

    let depth_3 = filter(json!({"max_depth": 3}));
    for record in all_tweets() {
        let tweet: Json = serde_json::from_slice(&record).unwrap();
        let doc = prune(&depth_3, &tweet);
        assert!(mapping_depth(&doc) <= 3, "{}", tweet["id_str"]);
        assert_eq!(doc["id_str"], tweet["id_str"]);
    }
}

#[test]
fn max_fields_admits_fields_breadth_first_in_key_order() {
    // id_str (2, always kept) + created_at 2 + entities 1 + favorite_count 1
    // + favorited 1 + id 1 + lang 2 = 10; nulls map to nothing and cost 0;
    // `metadata` is the first field that no longer fits.
    let doc = prune(&filter(json!({"max_fields": 10})), &japanese_retweet());
    assert_eq!(
        keys(&doc),
        [
            "contributors",
            "coordinates",
            "created_at",
            "entities",
            "favorite_count",
            "favorited",
            "geo",
            "id",
            "id_str",
            "in_reply_to_screen_name",
            "in_reply_to_status_id",
            "in_reply_to_status_id_str",
            "in_reply_to_user_id",
            "in_reply_to_user_id_str",
            "lang",
        ]
    );
    assert_eq!(doc["entities"], json!({}));
}

#[test]
fn max_fields_keeps_always_keep_paths_first() {
    let doc = prune(
        &filter(json!({"max_fields": 3, "always_keep": ["user.screen_name"]})),
        &japanese_retweet(),
    );
    // user 1 + user.screen_name 2 = 3: nothing else fits, not even id_str,
    // which this config does not protect.
    assert_eq!(
        doc,
        json!({"user": {"screen_name": "nekonekomikan"}, "contributors": null, "coordinates": null})
    );
}

#[test]
fn a_pruned_document_fits_its_field_budget() {
    let cap = filter(json!({"max_fields": 150}));
    let mut cut_retweets = 0;
    for (i, record) in all_tweets().into_iter().enumerate() {
        let outcome = process_batch(&cap, vec![record.clone()]).remove(0);
        let Outcome::Replace(pruned) = outcome else {
            assert_eq!(outcome, Outcome::Pass);
            continue;
        };
        let doc: Json = serde_json::from_slice(&pruned).unwrap();
        let tweet: Json = serde_json::from_slice(&record).unwrap();
        if i < 100 && tweet.get("retweeted_status").is_some() {
            cut_retweets += 1;
        }
        assert_eq!(doc["id_str"], tweet["id_str"]);
        assert!(
            doc.get("text").or(doc.get("full_text")).is_some(),
            "{}",
            tweet["id_str"]
        );
        // Already within the budget: a second pass changes nothing.
        assert_eq!(process_batch(&cap, vec![pruned]).remove(0), Outcome::Pass);
    }
    // Two full user objects alone pass 150 fields: all 73 retweets of the
    // search sample (the first 100 records) are cut.
    assert_eq!(cut_retweets, 73);
}

#[test]
fn max_string_length_truncates_on_character_boundaries() {
    let tweet = japanese_retweet();
    let doc = prune(&filter(json!({"max_string_length": 20})), &tweet);
    assert_eq!(
        doc["retweeted_status"]["text"],
        "#LEDカツカツ選手権\n漢字一文字ぶんの"
    );
    assert_eq!(doc["text"], "RT @thsc782_407: #LE");
    assert_eq!(doc["user"]["screen_name"], "nekonekomikan");
    assert_eq!(doc["id_str"], "505874918198624256");
    assert_eq!(
        doc["entities"]["media"][0]["media_url_https"],
        "https://pbs.twimg.co"
    );
}

#[test]
fn config_errors_name_the_bad_key() {
    let error = |config: Json| {
        PruneFields::init(Config::from_json(config.to_string()))
            .err()
            .unwrap()
    };
    let cases = [
        (json!({"max_depht": 3}), "max_depht"),
        (json!({"max_depth": 0}), "max_depth"),
        (json!({"deny": ["user..name"]}), "deny"),
        (json!({"allow": [""]}), "allow"),
        (json!({"always_keep": "id_str"}), "always_keep"),
        (json!({"max_fields": -1}), "max_fields"),
        (json!({"deny": ["user.name", 7]}), "deny"),
    ];
    for (config, expected) in cases {
        let message = error(config.clone());
        assert!(message.contains(expected), "{config}: {message}");
    }
    assert!(error(json!({"deny": ["user..name"]})).contains("user..name"));
}

#[test]
fn arrays_share_their_path_with_their_elements() {
    // Each hashtag object lies at `entities.hashtags`, so `*.indices`
    // reaches into every element of every entity list.
    let doc = prune(&filter(json!({"deny": ["*.indices"]})), &japanese_retweet());
    let entities: &Map<String, Json> = doc["entities"].as_object().unwrap();
    for list in ["hashtags", "user_mentions", "media"] {
        for item in entities[list].as_array().unwrap() {
            assert!(item.get("indices").is_none(), "{list}: {item}");
        }
    }
    assert_eq!(
        doc["entities"]["hashtags"],
        json!([{"text": "LEDカツカツ選手権"}])
    );
}

#[test]
fn documents_passed_from_the_view_are_those_the_full_walk_leaves_alone() {
    // Limits that cut some tweets and not others: long texts, deep retweets,
    // and tweets with many fields.
    let limits = filter(json!({"max_string_length": 200, "max_depth": 5, "max_fields": 400}));
    let tweets = all_tweets();
    let outcomes = process_batch(&limits, tweets.clone());
    let mut passed = 0;
    for (record, outcome) in tweets.iter().zip(outcomes) {
        let mut bytes = record.clone();
        let mut doc = sluice_sdk::simd_json::to_borrowed_value(&mut bytes).unwrap();
        let walked = limits.filter(&mut doc);
        match outcome {
            Outcome::Pass => {
                passed += 1;
                assert!(matches!(walked, Verdict::Unchanged));
            }
            Outcome::Replace(_) => assert!(matches!(walked, Verdict::Changed)),
            other => panic!("prune-fields only edits documents, got {other:?}"),
        }
    }
    // Both kinds occur, so both paths were compared.
    assert!(passed > 0 && passed < tweets.len(), "{passed}");
}
