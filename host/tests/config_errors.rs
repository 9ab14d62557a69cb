//! A bad pipeline file is refused before anything runs, with the key at fault.

mod common;

use common::*;

fn error_of(toml: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.ndjson"), "{}\n").unwrap();
    format!("{:#}", run_pipeline(toml, dir.path()).unwrap_err())
}

const VALID_TAIL: &str = r#"
[sink]
type = "ndjson"
path = "out.ndjson"
[dead_letter]
path = "dead.ndjson"
"#;

#[test]
fn an_unknown_key_is_named() {
    let error = error_of(&format!(
        "[source]\ntype = \"file\"\npaths = [\"in.ndjson\"]\n[pipeline]\nbatch_sise = 10\n{VALID_TAIL}"
    ));
    assert!(error.contains("unknown field `batch_sise`"), "{error}");
}

#[test]
fn a_bad_value_is_named_with_its_dotted_key() {
    let error = error_of(&format!(
        "[source]\ntype = \"file\"\npaths = [\"in.ndjson\"]\n[pipeline]\nbatch_size = 0\n{VALID_TAIL}"
    ));
    assert_eq!(
        error,
        "invalid value for `pipeline.batch_size`: must be at least 1"
    );

    let error = error_of(&format!(
        "[source]\ntype = \"file\"\npaths = [\"in.ndjson\"]\n[pipeline]\nworkers = 20000\n{VALID_TAIL}"
    ));
    assert_eq!(
        error,
        "invalid value for `pipeline.workers`: must be at most 256 (0 means one per core)"
    );

    let error = error_of(&format!(
        "[source]\ntype = \"file\"\npaths = [\"missing.ndjson\"]\n{VALID_TAIL}"
    ));
    assert!(
        error.starts_with("invalid value for `source.paths`"),
        "{error}"
    );
    assert!(error.contains("missing.ndjson does not exist"), "{error}");
}

#[test]
fn a_missing_plugin_file_is_named() {
    let error = error_of(&format!(
        "[source]\ntype = \"file\"\npaths = [\"in.ndjson\"]\n[[plugins]]\nname = \"x\"\npath = \"nope.wasm\"\n{VALID_TAIL}"
    ));
    assert!(
        error.starts_with("invalid value for `plugins[0].path`"),
        "{error}"
    );
}

#[test]
fn a_plugin_refusing_its_config_names_the_key() {
    let error = error_of(&format!(
        "[source]\ntype = \"file\"\npaths = [\"in.ndjson\"]\n{}{VALID_TAIL}",
        plugin_table("chaos", "{ trap_onn = [] }", "{}")
    ));
    assert!(
        error.contains("plugin `chaos`: init refused its config"),
        "{error}"
    );
    assert!(error.contains("trap_onn"), "{error}");
}

#[test]
fn a_bad_index_pattern_is_named() {
    let error = error_of(
        "[source]\ntype = \"file\"\npaths = [\"in.ndjson\"]\n[sink]\ntype = \"bulk_file\"\npath = \"b\"\nindex = \"Tweets-%{+YYYY}\"\n[dead_letter]\npath = \"d\"\n",
    );
    assert!(
        error.starts_with("invalid value for `sink.index`"),
        "{error}"
    );
}
