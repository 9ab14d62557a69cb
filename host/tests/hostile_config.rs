//! Command-line overrides are applied before the pipeline file is validated:
//! `--input` stands in for a missing `source.paths` and `--dead-letter` for
//! a missing `[dead_letter]` table, while a file missing both without the
//! flags is still refused, naming the key.

mod common;

use std::process::{Command, Output};

use common::*;

/// A pipeline file with neither `source.paths` nor `[dead_letter]`.
const INCOMPLETE: &str = r#"
[source]
type = "file"
[sink]
type = "ndjson"
path = "out.ndjson"
"#;

fn sluice_run(dir: &std::path::Path, flags: &[&str]) -> Output {
    std::fs::write(dir.join("pipeline.toml"), INCOMPLETE).unwrap();
    write_ndjson(&dir.join("in.ndjson"), &tweets(25));
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .current_dir(dir)
        .args(["run", "--config", "pipeline.toml"])
        .args(flags)
        .output()
        .unwrap()
}

#[test]
fn input_and_dead_letter_flags_stand_in_for_missing_keys() {
    let dir = tempfile::tempdir().unwrap();
    let run = sluice_run(
        dir.path(),
        &["--input", "in.ndjson", "--dead-letter", "dead.ndjson"],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(read_json_lines(&dir.path().join("out.ndjson")).len(), 25);
}

#[test]
fn without_the_flags_the_missing_keys_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let run = sluice_run(dir.path(), &["--dead-letter", "dead.ndjson"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(
        stderr.contains("invalid value for `source.paths`: lists no file"),
        "{stderr}"
    );

    let run = sluice_run(dir.path(), &["--input", "in.ndjson"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(
        stderr.contains("invalid value for `dead_letter.path`: is missing"),
        "{stderr}"
    );
}
