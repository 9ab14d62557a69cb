//! A plugin that traps, loops, eats memory or rejects costs exactly the
//! records it misbehaves on; everything else goes on.

mod common;

use common::*;
use sluice::report::Summary;

/// Runs the 100 search API tweets through the chaos plugin with `chaos`
/// as its config, in one batch of 100.
fn run_chaos(chaos: &str, limits: &str) -> (Summary, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<Vec<u8>> = search_api_tweets()
        .iter()
        .map(|t| serde_json::to_vec(t).unwrap())
        .collect();
    write_ndjson(&dir.path().join("input.ndjson"), &lines);
    let toml = format!(
        r#"
        [source]
        type = "file"
        paths = ["input.ndjson"]
        [pipeline]
        batch_size = 100
        [sink]
        type = "ndjson"
        path = "out.ndjson"
        [dead_letter]
        path = "dead.ndjson"
        {}
        "#,
        plugin_table("chaos", chaos, limits)
    );
    let summary = run_pipeline(&toml, dir.path()).unwrap();
    (summary, dir)
}

fn id(n: usize) -> String {
    search_api_tweets()[n]["id_str"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn trap_loop_and_memory_hog_each_cost_one_record() {
    let chaos = format!(
        r#"{{ trap_on = ["{}"], loop_on = ["{}"], eat_memory_on = ["{}"] }}"#,
        id(10),
        id(50),
        id(90)
    );
    let (summary, dir) = run_chaos(&chaos, "{ timeout_ms = 300, memory_mib = 64 }");

    assert_eq!(summary.records_in, 100);
    assert_eq!(summary.written, 97);
    assert_eq!(summary.dead_lettered, 3);
    assert!(summary.is_balanced());
    assert_eq!(summary.plugins[0].faults, 3);

    let dead = read_json_lines(&dir.path().join("dead.ndjson"));
    let reason_of = |n: usize| {
        let letter = dead.iter().find(|d| d["offset"] == (n as u64 + 1)).unwrap();
        assert_eq!(letter["stage"], "plugin");
        assert_eq!(letter["plugin"], "chaos");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(letter["original"].as_str().unwrap())
                .unwrap()["id_str"],
            id(n)
        );
        letter["reason"].as_str().unwrap().to_owned()
    };
    assert!(
        reason_of(10).starts_with("plugin trapped"),
        "{}",
        reason_of(10)
    );
    assert_eq!(reason_of(50), "plugin timed out after 300 ms");
    assert_eq!(reason_of(90), "plugin exceeded its memory limit of 64 MiB");

    let written = read_json_lines(&dir.path().join("out.ndjson"));
    let ids: Vec<&str> = written
        .iter()
        .map(|d| d["id_str"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&id(10).as_str()));
    assert!(
        ids.contains(&id(11).as_str()),
        "records after the poison one go on"
    );
}

#[test]
fn a_rejected_record_lands_in_the_dead_letter_file_with_the_plugins_reason() {
    let chaos = format!(r#"{{ reject_on = ["{}"] }}"#, id(3));
    let (summary, dir) = run_chaos(&chaos, "{}");

    assert_eq!((summary.written, summary.dead_lettered), (99, 1));
    let dead = read_json_lines(&dir.path().join("dead.ndjson"));
    assert_eq!(dead[0]["reason"], format!("chaos: rejected {}", id(3)));
    assert_eq!(dead[0]["plugin"], "chaos");
    assert_eq!(
        summary.dead_letter_reasons.get("plugin chaos: chaos"),
        Some(&1)
    );
}

#[test]
fn drops_and_splits_keep_the_books_balanced() {
    let chaos = format!(r#"{{ drop_on = ["{}"], split_on = ["{}"] }}"#, id(1), id(2));
    let (summary, dir) = run_chaos(&chaos, "{}");

    assert_eq!(summary.records_in, 100);
    assert_eq!(summary.dropped, 1);
    assert_eq!(summary.split_added, 1);
    assert_eq!(summary.written, 100);
    assert!(summary.is_balanced());
    let written = read_json_lines(&dir.path().join("out.ndjson"));
    let copies: Vec<_> = written.iter().filter(|d| d["copy"] == true).collect();
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0]["id_str"], id(2));
}
