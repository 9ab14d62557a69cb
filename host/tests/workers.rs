//! Parallel workers (`[pipeline] workers`) change how fast a run goes, never
//! what it writes: the same documents in the same order, the same dead
//! letters, the same summary counts as one worker.

mod common;

use std::path::Path;

use common::*;
use sluice::report::Summary;

/// All bundled tweets plus malformed lines and one poison record for the
/// chaos plugin, through the default chain and chaos, in batches small
/// enough that every worker gets many.
fn run_with_workers(workers: usize, input: &Path, dir: &Path) -> (Summary, String, String) {
    let out = dir.join(format!("out-{workers}.ndjson"));
    let dead = dir.join(format!("dead-{workers}.ndjson"));
    let poison = "505874918039228416"; // the sixth status of data/twitter.json
    let toml = format!(
        "[source]\ntype = \"file\"\npaths = [\"{}\", \"{}\"]\n\n{}\n{}\n{}\n\
         [sink]\ntype = \"ndjson\"\npath = \"{}\"\n\n[dead_letter]\npath = \"{}\"\n\n\
         [pipeline]\nbatch_size = 37\nworkers = {workers}\n",
        repo_root().join("data").display(),
        input.display(),
        plugin_table("chaos", &format!(r#"{{ trap_on = ["{poison}"] }}"#), "{}"),
        plugin_table("flatten-retweets", r#"{ mode = "embed" }"#, "{}"),
        plugin_table("prune-fields", "{ max_string_length = 2000 }", "{}"),
        out.display(),
        dead.display(),
    );
    let summary = run_pipeline(&toml, dir).unwrap();
    (
        summary,
        std::fs::read_to_string(out).unwrap(),
        std::fs::read_to_string(dead).unwrap(),
    )
}

#[test]
fn several_workers_write_what_one_worker_writes_in_the_same_order() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("broken.ndjson");
    write_ndjson(
        &input,
        &[
            b"{\"id_str\": \"1\", \"text\": \"cut".to_vec(),
            b"[1, 2]".to_vec(),
            b"not json".to_vec(),
        ],
    );

    let (one, one_out, one_dead) = run_with_workers(1, &input, dir.path());
    assert_eq!(one.records_in, 4014);
    assert_eq!(
        one.dead_lettered, 4,
        "3 malformed lines and the poison record"
    );
    assert_eq!(one.written, 4010);
    assert!(one.is_balanced());

    for workers in [2, 3] {
        let (many, many_out, many_dead) = run_with_workers(workers, &input, dir.path());
        assert!(many.is_balanced());
        assert_eq!(
            (
                many.records_in,
                many.written,
                many.dropped,
                many.dead_lettered
            ),
            (one.records_in, one.written, one.dropped, one.dead_lettered),
            "{workers} workers"
        );
        assert!(
            many_out == one_out,
            "{workers} workers wrote other documents or another order"
        );
        assert!(
            many_dead == one_dead,
            "{workers} workers dead-lettered differently"
        );
        assert_eq!(
            serde_json::to_value(many.before).unwrap(),
            serde_json::to_value(one.before).unwrap()
        );
        assert_eq!(
            serde_json::to_value(many.after).unwrap(),
            serde_json::to_value(one.after).unwrap()
        );
        // Each worker has its own instances; their counters add up.
        let counts = |s: &Summary| -> Vec<(u64, u64, u64)> {
            s.plugins
                .iter()
                .map(|p| (p.records_in, p.replaced, p.faults))
                .collect()
        };
        assert_eq!(counts(&many), counts(&one), "{workers} workers");
    }
}
