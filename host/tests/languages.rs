//! The example filter in Rust, C, Python and JavaScript (plugins/examples)
//! decides the same thing for every real tweet, through the host's own
//! plugin runtime: the same outcome per record, replaced documents equal as
//! parsed JSON, the same reject reasons.
//!
//! Needs target/examples/<language>.wasm from plugins/examples/build.sh.

mod common;

use std::sync::OnceLock;

use serde_json::Value;
use sluice::config::PluginLimits;
use sluice::plugin::{LoadedPlugin, Outcome, PluginError, PluginInstance, PluginRuntime};

use common::repo_root;

const LANGUAGES: [&str; 4] = ["rust", "c", "python", "javascript"];
const BATCH: usize = 256;

/// The runtime, after every component has been loaded once: Python and
/// JavaScript take 15-40 s to compile cold, and the runtime's disk cache
/// makes every later load of them a fraction of a second.
fn runtime() -> &'static PluginRuntime {
    static RUNTIME: OnceLock<PluginRuntime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let runtime = PluginRuntime::new().unwrap();
        for language in LANGUAGES {
            load_with(&runtime, language, "{}");
        }
        runtime
    })
}

fn load_with(runtime: &PluginRuntime, language: &str, config: &str) -> LoadedPlugin {
    let path = repo_root().join(format!("target/examples/{language}.wasm"));
    assert!(
        path.is_file(),
        "{} is missing: run plugins/examples/build.sh first",
        path.display()
    );
    runtime
        .load_file(language, &path, config.to_owned(), PluginLimits::default())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn load(language: &str, config: &str) -> LoadedPlugin {
    load_with(runtime(), language, config)
}

/// Every tweet in data/, as the file source hands them to plugins: NDJSON
/// lines as they are, and the statuses of twitter.json one by one.
fn tweets() -> &'static [Vec<u8>] {
    static TWEETS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    TWEETS.get_or_init(|| {
        let data = repo_root().join("data");
        let mut records = Vec::new();
        for file in [
            "python-twitter-testdata.ndjson",
            "rtweet-fixtures.ndjson",
            "sfm-twitter-harvester-warcs.ndjson",
            "tweepy-cassettes.ndjson",
        ] {
            let text = std::fs::read_to_string(data.join(file)).unwrap();
            records.extend(
                text.lines()
                    .filter(|line| !line.trim().is_empty())
                    .map(|line| line.as_bytes().to_vec()),
            );
        }
        let envelope: Value =
            serde_json::from_slice(&std::fs::read(data.join("twitter.json")).unwrap()).unwrap();
        for status in envelope["statuses"].as_array().unwrap() {
            records.push(serde_json::to_vec(status).unwrap());
        }
        records
    })
}

/// Objects the host could hand over that are not tweets.
const NOT_TWEETS: [&str; 2] = [r#"{"lang": "en"}"#, r#"{"id_str": 5, "lang": "en"}"#];

fn records() -> Vec<Vec<u8>> {
    let mut records = tweets().to_vec();
    records.extend(NOT_TWEETS.iter().map(|r| r.as_bytes().to_vec()));
    records
}

/// One outcome per record, as comparable values.
#[derive(Debug, PartialEq)]
enum Decision {
    Pass,
    Replace(Value),
    Drop,
    Split(Vec<Value>),
    Reject(String),
}

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

fn run(language: &str, config: &str, records: &[Vec<u8>]) -> Vec<Decision> {
    let mut instance = PluginInstance::new(&load(language, config)).unwrap();
    let mut decisions = Vec::with_capacity(records.len());
    for batch in records.chunks(BATCH) {
        let outcomes = instance
            .process(batch)
            .unwrap_or_else(|fault| panic!("{language} faulted: {fault}"));
        decisions.extend(outcomes.into_iter().map(|outcome| match outcome {
            Outcome::Pass => Decision::Pass,
            Outcome::Replace(bytes) => Decision::Replace(parse(&bytes)),
            Outcome::Drop => Decision::Drop,
            Outcome::Split(parts) => Decision::Split(parts.iter().map(|p| parse(p)).collect()),
            Outcome::Reject(reason) => Decision::Reject(reason),
        }));
    }
    decisions
}

/// How many tweets in data/ have one of `langs`, counted straight from the
/// data.
fn tweets_in(langs: &[&str]) -> usize {
    tweets()
        .iter()
        .filter(|bytes| {
            parse(bytes)["lang"]
                .as_str()
                .is_some_and(|lang| langs.contains(&lang))
        })
        .count()
}

fn replaced<'a>(decisions: &'a [Decision], id: &str) -> &'a Value {
    decisions
        .iter()
        .find_map(|d| match d {
            Decision::Replace(doc) if doc["id_str"] == id => Some(doc),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no replaced document for {id}"))
}

/// Runs every language with `config`, which keeps tweets in `langs`, of
/// which data/ holds `count`.
fn assert_all_languages_agree(config: &str, langs: &[&str], count: usize) {
    let records = records();
    let rust = run("rust", config, &records);

    // What the filter must do, from the data alone.
    let kept = tweets_in(langs);
    assert_eq!(kept, count, "tweets in {langs:?}");
    let replaced_count = rust
        .iter()
        .filter(|d| matches!(d, Decision::Replace(_)))
        .count();
    assert_eq!(replaced_count, kept, "config {config}");
    assert_eq!(
        rust.iter().filter(|d| **d == Decision::Drop).count(),
        tweets().len() - kept
    );
    let missing_id = Decision::Reject("missing id_str".into());
    assert_eq!(
        rust[rust.len() - 2..],
        [missing_id, Decision::Reject("missing id_str".into())]
    );
    // zx8754's tweet 1583016517138264066: #rstats #TIL and two images.
    let zx = replaced(&rust, "1583016517138264066");
    assert_eq!(zx["user_screen_name"], "zx8754");
    assert_eq!(zx["hashtags"], serde_json::json!(["rstats", "TIL"]));
    assert!(
        zx["hashtag_count"].is_u64(),
        "an integer: {}",
        zx["hashtag_count"]
    );
    assert_eq!(zx["hashtag_count"], 2);

    for language in &LANGUAGES[1..] {
        let other = run(language, config, &records);
        assert_eq!(other.len(), rust.len());
        let differing: Vec<String> = rust
            .iter()
            .zip(&other)
            .enumerate()
            .filter(|(_, (r, o))| r != o)
            .take(3)
            .map(|(i, (r, o))| format!("record {i}: rust {r:?}\n{language} {o:?}"))
            .collect();
        assert!(
            differing.is_empty(),
            "{language} differs from rust with config {config}:\n{}",
            differing.join("\n")
        );
    }
}

#[test]
fn every_language_decides_like_rust_on_every_tweet_by_default() {
    // English and Korean by default.
    assert_all_languages_agree("{}", &["en", "ko"], 2761);
}

#[test]
fn every_language_decides_like_rust_on_every_tweet_with_more_languages() {
    assert_all_languages_agree(
        r#"{"langs": ["en", "ja", "es"]}"#,
        &["en", "ja", "es"],
        3548,
    );
}

#[test]
fn every_language_flattens_a_truncated_reply_the_same_way() {
    // ffemt210's reply 972473004721627137 (python-twitter-testdata line 470):
    // truncated, whole text in extended_tweet, no hashtags in `entities`.
    let reply = std::fs::read_to_string(repo_root().join("data/python-twitter-testdata.ndjson"))
        .unwrap()
        .lines()
        .nth(469)
        .unwrap()
        .as_bytes()
        .to_vec();
    for language in LANGUAGES {
        let decisions = run(language, "{}", std::slice::from_ref(&reply));
        let doc = replaced(&decisions, "972473004721627137");
        assert_eq!(doc["user_screen_name"], "ffemt210", "{language}");
        assert_eq!(doc["user_followers_count"], 147, "{language}");
        assert_eq!(doc["in_reply_to_screen_name"], "resisterhood", "{language}");
        assert!(
            doc["text"]
                .as_str()
                .unwrap()
                .ends_with("#NoNRA\n#VoteThemOut \n#BlueWave"),
            "{language}: {}",
            doc["text"]
        );
        assert_eq!(doc["is_retweet"], false, "{language}");
        assert_eq!(doc["hashtag_count"], 0, "{language}");
    }
}

#[test]
fn every_language_refuses_a_misspelt_key_by_name() {
    for language in LANGUAGES {
        match PluginInstance::new(&load(language, r#"{"lnags": ["en"]}"#)) {
            Err(PluginError::InitRefused { reason, .. }) => {
                assert_eq!(
                    reason,
                    "invalid plugin config at `lnags`: unknown field `lnags`, expected `langs`",
                    "{language}"
                )
            }
            Err(other) => panic!("{language}: {other}"),
            Ok(_) => panic!("{language} accepted a misspelt key"),
        }
    }
}
