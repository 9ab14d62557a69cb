//! The README's demo command: the bundled real tweets through the default
//! chain into a `_bulk` body, with a summary that balances.

mod common;

use std::process::Command;

use common::*;

#[test]
fn the_demo_flattens_bundled_tweets_far_under_elasticsearch_limits() {
    plugin("flatten-retweets");
    plugin("prune-fields");
    let dir = tempfile::tempdir().unwrap();
    let bulk = dir.path().join("bulk.ndjson");
    let summary_path = dir.path().join("summary.json");
    let run = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .current_dir(repo_root())
        .args(["run", "--output"])
        .arg(&bulk)
        .arg("--dead-letter")
        .arg(dir.path().join("dead.ndjson"))
        .arg("--summary-json")
        .arg(&summary_path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        stdout.contains("in + split = written + dropped + dead-lettered: ok"),
        "{stdout}"
    );

    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary_path).unwrap()).unwrap();
    // data/README.md: 3,911 NDJSON tweets plus the 100 statuses of twitter.json,
    // about 1,121 distinct Elasticsearch paths together.
    assert_eq!(summary["records_in"], 4011);
    assert_eq!(summary["written"], 4011);
    assert_eq!(summary["dead_lettered"], 0);
    assert_eq!(summary["before"]["distinct_paths"], 1121);
    assert!(summary["before"]["mapping_fields"].as_u64().unwrap() > 1000);
    let after_fields = summary["after"]["mapping_fields"].as_u64().unwrap();
    let after_depth = summary["after"]["max_depth"].as_u64().unwrap();
    assert!(
        after_fields < 200,
        "the default chain leaves {after_fields} mapping fields"
    );
    assert!(
        after_depth <= 2,
        "the default chain leaves depth {after_depth}"
    );

    let lines: Vec<serde_json::Value> = read_json_lines(&bulk);
    assert_eq!(
        lines.len(),
        2 * 4011,
        "an action line and a document per tweet"
    );
    let find = |id: &str| {
        let at = lines
            .iter()
            .position(|l| l["index"]["_id"] == id)
            .unwrap_or_else(|| panic!("tweet {id} is not in the bulk body"));
        (&lines[at]["index"], &lines[at + 1])
    };
    // In data/twitter.json, @yuttari1998 retweets @KATANA77 on 2014-08-31.
    let (action, retweet) = find("505874922023837696");
    assert_eq!(action["_index"], "twitter-2014.08.31");
    assert_eq!(retweet["user_screen_name"], "yuttari1998");
    assert_eq!(retweet["retweeted_user_screen_name"], "KATANA77");
    assert_eq!(retweet["is_retweet"], true);
    assert_eq!(retweet["created_at"], "2014-08-31T00:29:14Z");
    // And @nekonekomikan's tweet carries the hashtag #LEDカツカツ選手権.
    let (_, tagged) = find("505874918198624256");
    assert_eq!(tagged["hashtags"], serde_json::json!(["LEDカツカツ選手権"]));
}
