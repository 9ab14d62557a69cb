//! Hot swap in a running `sluice run`: plugins change through the admin
//! API, SIGHUP and the file watcher while tweets stream through two
//! workers, and no record is lost, run twice, or run by two versions.

mod common;
mod hot_swap_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use common::plugin;
use hot_swap_support::*;
use serde_json::Value;

/// `(seq, plugin_version)` of every output document, in output order;
/// fails when a document carries the field other than exactly once.
fn versions_by_seq(out: &Path) -> Vec<(u64, u64)> {
    lines(out)
        .iter()
        .map(|line| {
            assert_eq!(
                line.matches("\"plugin_version\":").count(),
                1,
                "one plugin_version per document: {line:.200}"
            );
            let doc: Value = serde_json::from_str(line).unwrap();
            (
                doc["seq"].as_u64().unwrap(),
                doc["plugin_version"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn balanced(summary: &Value) {
    let n = |key: &str| summary[key].as_u64().unwrap();
    assert_eq!(
        n("records_in") + n("split_added"),
        n("written") + n("dropped") + n("dead_lettered"),
        "{summary}"
    );
}

#[test]
fn twenty_one_swaps_through_three_triggers_lose_nothing_and_run_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let live_wasm = dir.join("add-fields.wasm");
    std::fs::write(&live_wasm, add_fields_a()).unwrap();
    let write_pipeline = |n: u64| watched_pipeline(dir, STDIN, &live_wasm, n);
    let config = write_pipeline(1);
    let mut sluice = Sluice::start(dir, &config, true);

    // Full speed: the writer blocks only when sluice is behind.
    let stream = Arc::new(Stream::new());
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let mut stdin = sluice.stdin.take().unwrap();
    let writer = {
        let (stream, stop, written) = (stream.clone(), stop.clone(), written.clone());
        thread::spawn(move || {
            let mut seq = 0;
            while !stop.load(Ordering::Relaxed) {
                feed(&mut stdin, &stream, seq, seq + 256, 256, Duration::ZERO);
                seq += 256;
                written.store(seq, Ordering::Relaxed);
            }
            drop(stdin);
        })
    };

    sluice.wait_live("add-fields", 1);
    let mut rig = SwapRig::new(live_wasm.clone());
    for swap in 1..=21 {
        rig.swap(&sluice, swap, &write_pipeline);
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let (status, summary) = sluice.finish();
    assert!(status.success(), "{status}");
    let total = written.load(Ordering::Relaxed);

    // Every record exactly once, in order, versions never going back.
    let out = versions_by_seq(&dir.join("out.ndjson"));
    assert_eq!(out.len() as u64, total, "{summary}");
    for (i, (seq, _)) in out.iter().enumerate() {
        assert_eq!(*seq, i as u64, "records leave in the order they came");
    }
    assert!(
        out.windows(2).all(|w| w[0].1 <= w[1].1),
        "versions went backwards"
    );
    let seen: std::collections::BTreeSet<u64> = out.iter().map(|(_, v)| *v).collect();
    let used: std::collections::BTreeSet<u64> = rig.settings_used.iter().copied().collect();
    assert_eq!(
        seen, used,
        "every setting ran on some records, and no other"
    );

    assert_eq!(summary["records_in"].as_u64(), Some(total));
    assert_eq!(summary["written"].as_u64(), Some(total));
    assert_eq!(summary["dead_lettered"], 0);
    balanced(&summary);
    // The summary lists every version that ran, and they add up.
    let plugins = summary["plugins"].as_array().unwrap();
    let versions: Vec<u64> = plugins
        .iter()
        .map(|p| p["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, (1..=22).collect::<Vec<_>>());
    let records: u64 = plugins
        .iter()
        .map(|p| p["records_in"].as_u64().unwrap())
        .sum();
    assert_eq!(records, total);
}

/// The five ways a candidate is refused, tried while records flow; the
/// output must be what a run without any attempt writes.
#[test]
fn refused_swaps_name_their_cause_and_change_nothing() {
    let stream = Stream::new();
    let count = 3000;
    let run = |attempts: bool| {
        let dir = tempfile::tempdir().unwrap();
        let fixtures = dir.path().join("fixtures");
        std::fs::create_dir_all(&fixtures).unwrap();
        std::fs::write(fixtures.join("input.ndjson"), "{\"id_str\":\"1\"}\n").unwrap();
        std::fs::write(
            fixtures.join("expected.ndjson"),
            "{\"output\":{\"id_str\":\"1\",\"plugin_version\":1}}\n",
        )
        .unwrap();
        let config = pipeline_file(
            dir.path(),
            STDIN,
            &add_fields_table(
                &plugin("add-fields"),
                "{ plugin_version = 1 }",
                &format!("fixtures = \"{}\"", fixtures.display()),
            ),
            "",
        );
        let mut sluice = Sluice::start(dir.path(), &config, true);
        let mut stdin = sluice.stdin.take().unwrap();
        let feeder = {
            let stream = Stream::new();
            thread::spawn(move || {
                feed(
                    &mut stdin,
                    &stream,
                    0,
                    count,
                    BATCH,
                    Duration::from_millis(40),
                );
                stdin
            })
        };
        if attempts {
            wait_for("records flowing", Duration::from_secs(30), || {
                sluice.records_in("add-fields") > 0
            });
            let before = sluice.records_in("add-fields");
            let chaos = std::fs::read(plugin("chaos")).unwrap();
            let cases: [(&str, &str, &[u8], &str); 5] = [
                (
                    "PUT",
                    "/plugins/add-fields",
                    b"not a component",
                    "not a valid sluice:filter@1 component",
                ),
                // The smallest valid component: it exports nothing.
                (
                    "PUT",
                    "/plugins/add-fields",
                    b"\0asm\x0d\x00\x01\x00",
                    "not a valid sluice:filter@1 component",
                ),
                (
                    "PUT",
                    &format!(
                        "/plugins/add-fields?config={}",
                        percent_encoded(r#"{"trap_in_init":true}"#)
                    ),
                    &chaos,
                    "init failed",
                ),
                (
                    "PUT",
                    "/plugins/add-fields/config",
                    br#"{"fields": {}}"#,
                    "names no field",
                ),
                (
                    "PUT",
                    "/plugins/add-fields/config",
                    br#"{"fields": {"plugin_version": 7}}"#,
                    "fails its fixtures",
                ),
            ];
            for (method, path, body, cause) in cases {
                let (status, answer) = sluice.request(method, path, body);
                assert_eq!(status, 422, "{path}: {answer}");
                let error = answer["error"].as_str().unwrap();
                assert!(error.contains(cause), "{path}: {error}");
            }
            let live = sluice.plugin("add-fields");
            assert_eq!(live["version"], 1, "{live}");
            assert_eq!(live["previous_version"], Value::Null, "{live}");
            let (status, answer) = sluice.request("POST", "/plugins/add-fields/rollback", b"");
            assert_eq!(status, 409, "{answer}");
            wait_for("records still flowing", Duration::from_secs(30), || {
                sluice.records_in("add-fields") > before
            });
            let log = sluice.log();
            assert!(
                log.contains("swap refused") && log.contains("names no field"),
                "{log}"
            );
        }
        drop(feeder.join().unwrap());
        let (status, summary) = sluice.finish();
        assert!(status.success(), "{status}");
        balanced(&summary);
        assert_eq!(summary["written"].as_u64(), Some(count));
        (
            std::fs::read(dir.path().join("out.ndjson")).unwrap(),
            std::fs::read(dir.path().join("dead.ndjson")).unwrap(),
        )
    };
    let (out, dead) = run(true);
    let (reference_out, reference_dead) = run(false);
    assert!(
        out == reference_out,
        "the output differs from a run without the attempts"
    );
    assert_eq!(dead, reference_dead);
    assert_eq!(stream.len(), 1783);
}

#[test]
fn rollback_in_one_call_restores_the_previous_version() {
    let dir = tempfile::tempdir().unwrap();
    let config = add_fields_pipeline(dir.path());
    let mut sluice = Sluice::start(dir.path(), &config, true);
    let stream = Stream::new();
    let mut stdin = sluice.stdin.take().unwrap();
    let mut seq = 0;
    let mut step = |sluice: &Sluice, stdin: &mut std::process::ChildStdin| {
        let from = sluice.records_in("add-fields");
        feed(stdin, &stream, seq, seq + 8 * BATCH, BATCH, Duration::ZERO);
        seq += 8 * BATCH;
        wait_for("the batches through", Duration::from_secs(30), || {
            sluice.records_in("add-fields") == from + 8 * BATCH
        });
    };
    step(&sluice, &mut stdin);
    let (status, answer) = sluice.request(
        "PUT",
        "/plugins/add-fields/config",
        br#"{"fields": {"plugin_version": 2}}"#,
    );
    assert_eq!(
        (status, answer["version"].as_u64()),
        (200, Some(2)),
        "{answer}"
    );
    step(&sluice, &mut stdin);
    let (status, answer) = sluice.request("POST", "/plugins/add-fields/rollback", b"");
    assert_eq!(
        (status, answer["version"].as_u64()),
        (200, Some(1)),
        "{answer}"
    );
    let live = sluice.plugin("add-fields");
    assert_eq!(live["settings"]["fields"]["plugin_version"], 1, "{live}");
    step(&sluice, &mut stdin);
    sluice.stdin = Some(stdin);
    let (status, summary) = sluice.finish();
    assert!(status.success());
    balanced(&summary);

    // 1 ... 1, 2 ... 2, 1 ... 1: the runs of versions in output order.
    let out = versions_by_seq(&dir.path().join("out.ndjson"));
    assert_eq!(out.len(), 1536);
    let mut runs: Vec<(u64, usize)> = Vec::new();
    for (_, version) in out {
        match runs.last_mut() {
            Some((v, n)) if *v == version => *n += 1,
            _ => runs.push((version, 1)),
        }
    }
    let order: Vec<u64> = runs.iter().map(|(v, _)| *v).collect();
    assert_eq!(order, [1, 2, 1], "{runs:?}");
    // Each step's records were all through before the next change.
    assert_eq!(
        runs.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        [512, 512, 512]
    );
}

#[test]
fn a_shadow_reports_exactly_the_records_it_would_change_and_changes_none() {
    let stream = Stream::new();
    let count = stream.len() as u64 / BATCH * BATCH;
    // Tweets without a top-level `possibly_sensitive`: the ones the
    // candidate (which adds it unless present) treats differently.
    let lacking = (0..count)
        .filter(|seq| stream.tweet(*seq).get("possibly_sensitive").is_none())
        .count() as u64;
    assert!(lacking > 0 && lacking < count, "{lacking} of {count}");

    let run = |shadow: bool| {
        let dir = tempfile::tempdir().unwrap();
        let config = add_fields_pipeline(dir.path());
        let mut sluice = Sluice::start(dir.path(), &config, true);
        if shadow {
            let settings =
                r#"{"fields":{"plugin_version":1,"possibly_sensitive":false},"overwrite":false}"#;
            let query = percent_encoded(settings);
            let (status, answer) = sluice.request(
                "POST",
                &format!("/plugins/add-fields/shadow?config={query}"),
                b"",
            );
            assert_eq!(status, 200, "{answer}");
        }
        let mut stdin = sluice.stdin.take().unwrap();
        feed(&mut stdin, &stream, 0, count, 200, Duration::ZERO);
        wait_for("every record through", Duration::from_secs(60), || {
            sluice.records_in("add-fields") == count
        });
        if shadow {
            let (status, view) = sluice.request("GET", "/plugins/add-fields/shadow", b"");
            assert_eq!(status, 200, "{view}");
            let report = &view["report"];
            assert_eq!(report["records_seen"].as_u64(), Some(count), "{report}");
            assert_eq!(report["differing"].as_u64(), Some(lacking), "{report}");
            assert_eq!(
                report["differing_bytes"].as_u64(),
                Some(lacking),
                "{report}"
            );
            assert_eq!(report["faults"], 0);
            let examples = report["examples"].as_array().unwrap();
            assert_eq!(examples.len(), 10);
            for example in examples {
                assert_eq!(
                    example["diff"],
                    serde_json::json!(["$.possibly_sensitive: not expected, got false"]),
                    "{example}"
                );
            }
            assert!(report["time_ratio"].as_f64().unwrap() > 0.0);
            let (status, ended) = sluice.request("DELETE", "/plugins/add-fields/shadow", b"");
            assert_eq!(status, 200, "{ended}");
            assert_eq!(sluice.plugin("add-fields")["version"], 1);
            let (status, _) = sluice.request("GET", "/plugins/add-fields/shadow", b"");
            assert_eq!(status, 404);
        }
        sluice.stdin = Some(stdin);
        let (status, summary) = sluice.finish();
        assert!(status.success());
        balanced(&summary);
        std::fs::read(dir.path().join("out.ndjson")).unwrap()
    };
    let with_shadow = run(true);
    let without = run(false);
    assert!(with_shadow == without, "the shadow changed the live output");
}

#[test]
fn a_version_that_traps_on_every_record_is_rolled_back_by_itself() {
    let stream = Stream::new();
    let dir = tempfile::tempdir().unwrap();
    let table = format!(
        "[[plugins]]\nname = \"chaos\"\npath = \"{}\"\n",
        plugin("chaos").display()
    );
    let config = pipeline_file(
        dir.path(),
        STDIN,
        &table,
        "[hot_swap]\nauto_rollback = { max_fault_rate = 0.5, window_records = 100 }\n",
    );
    let mut sluice = Sluice::start(dir.path(), &config, true);
    let mut stdin = sluice.stdin.take().unwrap();
    feed(&mut stdin, &stream, 0, 8 * BATCH, BATCH, Duration::ZERO);
    wait_for("v1 through", Duration::from_secs(30), || {
        sluice.records_in("chaos") == 8 * BATCH
    });

    // Version 2 traps on every tweet there is.
    let ids: Vec<String> = (0..stream.len() as u64)
        .map(|seq| stream.tweet(seq)["id_str"].as_str().unwrap().to_owned())
        .collect();
    let settings = serde_json::json!({ "trap_on": ids }).to_string();
    let (status, answer) = sluice.request("PUT", "/plugins/chaos/config", settings.as_bytes());
    assert_eq!(
        (status, answer["version"].as_u64()),
        (200, Some(2)),
        "{answer}"
    );
    feed(
        &mut stdin,
        &stream,
        8 * BATCH,
        3000,
        BATCH,
        Duration::from_millis(20),
    );
    wait_for("rolled back to version 1", Duration::from_secs(60), || {
        sluice.version("chaos") == 1
    });
    sluice.stdin = Some(stdin);
    let log = sluice.log();
    let (status, summary) = sluice.finish();
    assert!(status.success(), "{status}");
    assert!(
        log.contains("plugin rolled back") && log.contains("faults in its first"),
        "{log}"
    );

    // Counts balance: what version 2 trapped on is dead-lettered, naming it.
    balanced(&summary);
    assert_eq!(summary["records_in"], 3000);
    let dead = common::read_json_lines(&dir.path().join("dead.ndjson"));
    assert_eq!(summary["dead_lettered"].as_u64(), Some(dead.len() as u64));
    assert!(dead.len() > 50, "{}", dead.len());
    assert!(dead.iter().all(|letter| letter["plugin"] == "chaos"
        && letter["plugin_version"] == 2
        && letter["reason"].as_str().unwrap().contains("trapped")));
    let by_version: BTreeMap<u64, u64> = summary["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["version"].as_u64().unwrap(),
                p["faults"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(by_version.get(&1), Some(&0));
    assert_eq!(by_version.get(&2), Some(&(dead.len() as u64)));
    // Once back on version 1, everything after is written.
    assert_eq!(summary["written"].as_u64(), Some(3000 - dead.len() as u64));
}

#[test]
fn sighup_refuses_a_changed_sink_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = add_fields_pipeline(dir.path());
    let sluice = Sluice::start(dir.path(), &config, true);
    let text = std::fs::read_to_string(&config).unwrap();
    let changed = text
        .replace("path = \"out.ndjson\"", "path = \"elsewhere.ndjson\"")
        .replace("plugin_version = 1", "plugin_version = 2");
    replace_file(&config, changed.as_bytes());
    let (status, answer) = sluice.request("POST", "/reload", b"");
    assert_eq!(status, 409, "{answer}");
    let error = answer["error"].as_str().unwrap();
    assert!(error.contains("`sink.path` changed"), "{error}");
    assert_eq!(sluice.version("add-fields"), 1, "nothing changed");

    // Back to the running sink: the plugin change alone is applied.
    replace_file(
        &config,
        text.replace("plugin_version = 1", "plugin_version = 2")
            .as_bytes(),
    );
    let (status, answer) = sluice.request("POST", "/reload", b"");
    assert_eq!(status, 200, "{answer}");
    assert_eq!(sluice.version("add-fields"), 2);
    let (status, answer) = sluice.request("PUT", "/plugins/nonexistent/config", b"{}");
    assert_eq!(status, 404, "{answer}");
    let (status, answer) = sluice.request("PUT", "/plugins/add-fields/config", b"[1]");
    assert_eq!(status, 400, "{answer}");
    let (status, summary) = sluice.finish();
    assert!(status.success());
    balanced(&summary);
}
