//! Hostile plugins on streams of real tweets: each misbehaviour costs the
//! records it touches and nothing else, every record leaves exactly one way
//! (`in = out + dropped + dead_lettered`), and each dead letter says why.
//! The plugins are `plugins/chaos` and `plugins/hostile/*`, built by
//! `make plugins`.

mod common;

use std::path::Path;
use std::time::Instant;

use common::*;
use serde_json::Value;
use sluice::report::Summary;

/// What a run left behind.
struct Run {
    summary: Summary,
    written: Vec<Value>,
    dead: Vec<Value>,
}

impl Run {
    /// The dead letter of the record whose `id_str` is `id`.
    fn letter_of(&self, id: &str) -> &Value {
        self.dead
            .iter()
            .find(|letter| original(letter)["id_str"] == id)
            .unwrap_or_else(|| panic!("no dead letter for {id}"))
    }

    fn reason_of(&self, id: &str) -> &str {
        self.letter_of(id)["reason"].as_str().unwrap()
    }

    fn written_ids(&self) -> Vec<&str> {
        self.written
            .iter()
            .map(|d| d["id_str"].as_str().unwrap())
            .collect()
    }
}

fn original(letter: &Value) -> Value {
    serde_json::from_str(letter["original"].as_str().unwrap()).unwrap()
}

/// Runs `lines` through `plugin` on one worker, in batches of `batch_size`.
fn run(
    plugin: &str,
    config: &str,
    limits: &str,
    lines: &[Vec<u8>],
    batch_size: usize,
) -> anyhow::Result<Run> {
    let dir = tempfile::tempdir().unwrap();
    write_ndjson(&dir.path().join("input.ndjson"), lines);
    let toml = format!(
        r#"
        [source]
        type = "file"
        paths = ["input.ndjson"]
        [pipeline]
        batch_size = {batch_size}
        workers = 1
        [sink]
        type = "ndjson"
        path = "out.ndjson"
        [dead_letter]
        path = "dead.ndjson"
        {}
        "#,
        plugin_table(plugin, config, limits)
    );
    let summary = run_pipeline(&toml, dir.path())?;
    assert!(summary.is_balanced(), "{summary:?}");
    let read = |name: &str| {
        let path = dir.path().join(name);
        match Path::exists(&path) {
            true => read_json_lines(&path),
            false => Vec::new(),
        }
    };
    Ok(Run {
        written: read("out.ndjson"),
        dead: read("dead.ndjson"),
        summary,
    })
}

/// The 100 search API tweets, one line each.
fn search_lines() -> Vec<Vec<u8>> {
    search_api_tweets()
        .iter()
        .map(|t| serde_json::to_vec(t).unwrap())
        .collect()
}

fn id(n: usize) -> String {
    search_api_tweets()[n]["id_str"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `[ "id", ... ]` for the tweets at `positions`.
fn ids(positions: impl IntoIterator<Item = usize>) -> String {
    let quoted: Vec<String> = positions
        .into_iter()
        .map(|n| format!("\"{}\"", id(n)))
        .collect();
    format!("[{}]", quoted.join(", "))
}

fn chaos(key: &str, positions: impl IntoIterator<Item = usize>) -> String {
    format!("{{ {key} = {} }}", ids(positions))
}

#[test]
fn an_infinite_loop_on_one_record_costs_that_record() {
    let run = run(
        "chaos",
        &chaos("loop_on", [37]),
        "{ timeout_ms = 200 }",
        &search_lines(),
        100,
    )
    .unwrap();
    assert_eq!((run.summary.written, run.summary.dead_lettered), (99, 1));
    assert_eq!(run.reason_of(&id(37)), "plugin timed out after 200 ms");
    assert_eq!(run.letter_of(&id(37))["plugin"], "chaos");
    assert!(run.written_ids().contains(&id(38).as_str()));
    assert_eq!(run.summary.plugins[0].breaker_trips, 0);
}

/// The bound: the first batch costs at most one whole-batch call, the batch
/// budget and one call in flight when it runs out (100 + 1,000 + 100 ms);
/// then the breaker is open and the other nine batches never reach the
/// plugin. Record by record the run would take 1,000 timeouts (100 s).
#[test]
fn a_loop_on_every_record_trips_the_breaker_and_the_run_stays_short() {
    let lines = tweets(1_000);
    let started = Instant::now();
    let run = run(
        "chaos",
        "{ loop_on_every = true }",
        "{ timeout_ms = 100, batch_budget_ms = 1000 }",
        &lines,
        100,
    )
    .unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let stats = &run.summary.plugins[0];

    assert_eq!(run.summary.records_in, 1_000);
    assert_eq!((run.summary.written, run.summary.dead_lettered), (0, 1_000));
    assert_eq!(stats.breaker_trips, 1);
    assert!(stats.breaker_open);
    assert_eq!(stats.faults, 100, "the first batch");
    assert_eq!(stats.blocked, 900, "the nine batches after the trip");
    let reasons = |prefix: &str| {
        run.dead
            .iter()
            .filter(|d| d["reason"].as_str().unwrap().starts_with(prefix))
            .count()
    };
    let timed_out = reasons("plugin timed out after 100 ms");
    assert_eq!(timed_out, 100, "every record of the first batch timed out");
    assert!(
        reasons("plugin timed out after 100 ms on a batch holding this record") > 0,
        "the budget ran out before every record was tried alone"
    );
    assert_eq!(reasons("plugin circuit breaker open: "), 900);
    assert!(
        elapsed < 5.0,
        "the run took {elapsed:.1} s; the bound is about 1.2 s"
    );
}

#[test]
fn a_memory_bomb_costs_one_record() {
    let run = run(
        "chaos",
        &chaos("eat_memory_on", [64]),
        "{ memory_mib = 64 }",
        &search_lines(),
        100,
    )
    .unwrap();
    assert_eq!((run.summary.written, run.summary.dead_lettered), (99, 1));
    assert_eq!(
        run.reason_of(&id(64)),
        "plugin exceeded its memory limit of 64 MiB"
    );
}

#[test]
fn unbounded_recursion_costs_one_record() {
    let run = run(
        "chaos",
        &chaos("recurse_on", [12]),
        "{}",
        &search_lines(),
        100,
    )
    .unwrap();
    assert_eq!((run.summary.written, run.summary.dead_lettered), (99, 1));
    assert_eq!(run.reason_of(&id(12)), "plugin overflowed its stack");
}

#[test]
fn a_panic_on_one_record_costs_that_record() {
    let run = run("chaos", &chaos("trap_on", [0]), "{}", &search_lines(), 100).unwrap();
    assert_eq!((run.summary.written, run.summary.dead_lettered), (99, 1));
    assert!(
        run.reason_of(&id(0)).starts_with("plugin trapped: "),
        "{}",
        run.reason_of(&id(0))
    );
    assert_eq!(run.summary.plugins[0].faults, 1);
}

#[test]
fn an_allocation_storm_is_slow_but_legal() {
    let run = run(
        "chaos",
        &chaos("storm_on", [3, 30, 60]),
        "{ memory_mib = 64 }",
        &search_lines(),
        100,
    )
    .unwrap();
    assert_eq!((run.summary.written, run.summary.dead_lettered), (100, 0));
    assert_eq!(run.summary.plugins[0].faults, 0);
    assert!(run.written_ids().contains(&id(30).as_str()));
}

#[test]
fn output_that_is_not_utf8_or_not_an_object_is_a_fault_of_its_record() {
    let config = format!(
        "{{ not_utf8_on = {}, not_object_on = {} }}",
        ids([5]),
        ids([6])
    );
    let run = run("chaos", &config, "{}", &search_lines(), 100).unwrap();
    assert_eq!((run.summary.written, run.summary.dead_lettered), (98, 2));
    assert!(
        run.reason_of(&id(5))
            .starts_with("plugin returned an invalid record: not valid UTF-8 JSON"),
        "{}",
        run.reason_of(&id(5))
    );
    assert_eq!(
        run.reason_of(&id(6)),
        "plugin returned an invalid record: not a JSON object"
    );
    assert_eq!(run.letter_of(&id(6))["plugin"], "chaos");
    assert_eq!(run.summary.plugins[0].faults, 2);
}

#[test]
fn the_wrong_number_of_outcomes_faults_the_batch_and_trips_the_breaker() {
    let run = run("hostile-wrong-count", "{}", "{}", &search_lines(), 100).unwrap();
    assert_eq!((run.summary.written, run.summary.dead_lettered), (0, 100));
    assert!(
        run.dead
            .iter()
            .all(|d| d["reason"] == "plugin returned 0 outcomes for 1 records"),
        "every record, tried alone, gets no outcome"
    );
    assert_eq!(run.summary.plugins[0].breaker_trips, 1);
}

#[test]
fn a_module_missing_an_export_is_refused_at_load_naming_it() {
    let error = run("hostile-missing-export", "{}", "{}", &search_lines(), 100)
        .err()
        .expect("the plugin is refused");
    let message = format!("{error:#}");
    assert!(
        message.contains("not a valid sluice:filter@1 component: missing export `process` "),
        "{message}"
    );
}

#[test]
fn a_module_of_another_interface_version_is_refused_at_load_naming_it() {
    let error = run("hostile-wrong-version", "{}", "{}", &search_lines(), 100)
        .err()
        .expect("the plugin is refused");
    let message = format!("{error:#}");
    assert!(
        message.contains("built for sluice:filter@2.0.0; this host runs sluice:filter@1.0.0"),
        "{message}"
    );
}

#[test]
fn files_sockets_and_the_clock_are_out_of_reach() {
    let config = format!(
        "{{ open_file_on = {}, connect_on = {}, stamp_clock_on = {} }}",
        ids([1]),
        ids([2]),
        ids([3])
    );
    let denied = run("chaos", &config, "{}", &search_lines(), 100).unwrap();
    assert_eq!(
        (denied.summary.written, denied.summary.dead_lettered),
        (98, 2)
    );
    let file = denied.reason_of(&id(1));
    assert!(file.starts_with("chaos: open refused: "), "{file}");
    let socket = denied.reason_of(&id(2));
    assert!(socket.starts_with("chaos: connect refused: "), "{socket}");
    let stamped = denied
        .written
        .iter()
        .find(|d| d["id_str"] == id(3))
        .unwrap();
    assert_eq!(stamped["chaos_clock"], 0, "the clock reads zero");

    let granted = run(
        "chaos",
        &config,
        "{ allow_clock = true }",
        &search_lines(),
        100,
    )
    .unwrap();
    let stamped = granted
        .written
        .iter()
        .find(|d| d["id_str"] == id(3))
        .unwrap();
    assert!(
        stamped["chaos_clock"].as_i64().unwrap() > 1_700_000_000,
        "a granted clock is the host's"
    );
}

/// Breaker settings for the tests below: batches of 10, a window of 10,
/// tripped by the first batch (the first ten tweets trap).
fn trip_on_first_batch(on_trip: &str, probe_after_ms: u64) -> anyhow::Result<Run> {
    run(
        "chaos",
        &chaos("trap_on", 0..10),
        &format!(
            "{{ breaker = {{ on_trip = \"{on_trip}\", window = 10, probe_after_ms = {probe_after_ms} }} }}"
        ),
        &search_lines(),
        10,
    )
}

#[test]
fn a_tripped_breaker_set_to_bypass_lets_records_skip_the_plugin() {
    let run = trip_on_first_batch("bypass", 60_000).unwrap();
    let stats = &run.summary.plugins[0];
    assert_eq!((run.summary.written, run.summary.dead_lettered), (90, 10));
    assert_eq!(
        (stats.faults, stats.bypassed, stats.breaker_trips),
        (10, 90, 1)
    );
    assert!(run.written_ids().contains(&id(10).as_str()));
}

#[test]
fn a_tripped_breaker_set_to_dead_letter_dead_letters_with_its_reason() {
    let run = trip_on_first_batch("dead_letter", 60_000).unwrap();
    assert_eq!((run.summary.written, run.summary.dead_lettered), (0, 100));
    let reason = run.reason_of(&id(55));
    assert!(
        reason.starts_with("plugin circuit breaker open: 10 of its last 10 records faulted"),
        "{reason}"
    );
    assert_eq!(run.summary.plugins[0].blocked, 90);
}

#[test]
fn a_tripped_breaker_set_to_stop_fails_the_run_naming_the_plugin() {
    let error = trip_on_first_batch("stop", 60_000)
        .err()
        .expect("the run stops");
    let message = format!("{error:#}");
    assert!(
        message.contains("plugin `chaos`: circuit breaker tripped (10 of its last 10 records"),
        "{message}"
    );
}

#[test]
fn a_breaker_closes_again_when_its_probe_passes() {
    let run = trip_on_first_batch("dead_letter", 0).unwrap();
    let stats = &run.summary.plugins[0];
    assert_eq!((run.summary.written, run.summary.dead_lettered), (90, 10));
    assert_eq!((stats.breaker_trips, stats.blocked), (1, 0));
    assert!(!stats.breaker_open);
}
