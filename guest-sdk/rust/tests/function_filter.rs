//! `#[sluice_sdk::filter]` used as an author uses it, run natively through
//! the plugin type it makes, on real tweets' fields.

use serde::Deserialize;
use sluice_sdk::prelude::*;

#[sluice_sdk::filter]
fn keep_english(tweet: &View) -> Verdict {
    match tweet.get_str("lang") {
        Some("en") => Verdict::Unchanged,
        _ => Verdict::Drop,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Numbering {
    #[serde(default)]
    first: u64,
    #[serde(skip)]
    seen: u64,
}

/// Keeps only `id_str` and a running number: mutable state between records.
#[sluice_sdk::filter]
fn number(tweet: &View, state: &mut Numbering) -> Verdict {
    let Some(id) = tweet.get_str("id_str") else {
        return Verdict::Reject("missing id_str".to_owned());
    };
    let mut out = Object::with_capacity(2);
    out.insert("id_str".into(), Value::from(id));
    out.insert("n".into(), Value::from(state.first + state.seen));
    state.seen += 1;
    Verdict::Replace(Value::from(out))
}

#[sluice_sdk::filter]
fn mistaken_edit(_tweet: &View) -> Verdict {
    Verdict::Changed
}

/// Edits in place: removes the retweet.
#[sluice_sdk::filter]
fn strip_retweet(tweet: &mut Value) -> Verdict {
    match tweet
        .as_object_mut()
        .and_then(|t| t.remove("retweeted_status"))
    {
        Some(_) => Verdict::Changed,
        None => Verdict::Unchanged,
    }
}

fn records(lines: &[&str]) -> Vec<Vec<u8>> {
    lines.iter().map(|line| line.as_bytes().to_vec()).collect()
}

#[test]
fn a_view_filter_passes_and_drops() {
    let mut plugin = KeepEnglish::init(Config::from_json("{}")).unwrap();
    let outcomes = plugin.process(records(&[
        r#"{"id_str":"1583016517138264066","lang":"en"}"#,
        r#"{"id_str":"505874924095815681","lang":"ja"}"#,
        r#"{"id_str":"2""#,
    ]));
    assert_eq!(outcomes[0], Outcome::Pass);
    assert_eq!(outcomes[1], Outcome::Drop);
    let Outcome::Reject(reason) = &outcomes[2] else {
        panic!("{:?}", outcomes[2]);
    };
    assert!(
        reason.starts_with("plugin could not parse record"),
        "{reason}"
    );
}

#[test]
fn a_filter_without_settings_refuses_any_key_by_name() {
    let error = KeepEnglish::init(Config::from_json(r#"{"langs": ["en"]}"#))
        .err()
        .unwrap();
    assert!(error.contains("`langs`"), "{error}");
}

#[test]
fn settings_are_typed_and_state_carries_across_records_and_batches() {
    let mut plugin = Number::init(Config::from_json(r#"{"first": 10}"#)).unwrap();
    let first = plugin.process(records(&[r#"{"id_str":"a"}"#, r#"{"text":"no id"}"#]));
    let second = plugin.process(records(&[r#"{"id_str":"b"}"#]));
    assert_eq!(
        first[0],
        Outcome::Replace(br#"{"id_str":"a","n":10}"#.to_vec())
    );
    assert_eq!(first[1], Outcome::Reject("missing id_str".to_owned()));
    assert_eq!(
        second[0],
        Outcome::Replace(br#"{"id_str":"b","n":11}"#.to_vec())
    );

    let misspelt = Number::init(Config::from_json(r#"{"frist": 1}"#))
        .err()
        .unwrap();
    assert_eq!(
        misspelt,
        "invalid plugin config at `frist`: unknown field `frist`, expected `first`"
    );
}

#[test]
fn changed_from_a_view_is_refused_with_what_to_write() {
    let mut plugin = MistakenEdit::init(Config::from_json("{}")).unwrap();
    let outcomes = plugin.process(records(&[r#"{"id_str":"1"}"#]));
    let Outcome::Reject(reason) = &outcomes[0] else {
        panic!("{:?}", outcomes[0]);
    };
    assert!(reason.contains("Verdict::Replace"), "{reason}");
}

#[test]
fn a_document_filter_edits_in_place() {
    let mut plugin = StripRetweet::init(Config::from_json("{}")).unwrap();
    let outcomes = plugin.process(records(&[
        r#"{"id_str":"2","retweeted_status":{"id_str":"1"}}"#,
        r#"{"id_str":"3"}"#,
    ]));
    assert_eq!(outcomes[0], Outcome::Replace(br#"{"id_str":"2"}"#.to_vec()));
    assert_eq!(outcomes[1], Outcome::Pass);
}
