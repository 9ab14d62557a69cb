//! `sluice test` and `sluice plugin inspect`, run as a plugin author runs
//! them: the built binary on the shipped plugins and their fixtures.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

fn sluice(args: &[&Path]) -> (Output, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, text)
}

fn sluice_test(plugin_name: &str, fixtures: &Path) -> (Output, String) {
    sluice(&[Path::new("test"), &plugin(plugin_name), fixtures])
}

fn fixtures(plugin_name: &str) -> std::path::PathBuf {
    repo_root()
        .join("plugins")
        .join(plugin_name)
        .join("fixtures")
}

/// A copy of one shipped fixture case, to break on purpose.
fn copy_case(plugin_name: &str, case: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixtures(plugin_name).join(case)).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    dir
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn the_shipped_fixtures_of_flatten_retweets_pass() {
    let (output, text) = sluice_test("flatten-retweets", &fixtures("flatten-retweets"));
    assert!(output.status.success(), "{text}");
    for line in [
        "ok   embed (4 records)",
        "ok   misspelt-config (1 record)",
        "ok   non-tweets-rejected (2 records)",
        "ok   split (2 records)",
        "4 passed, 0 failed",
    ] {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }
}

#[test]
fn the_shipped_fixtures_of_prune_fields_pass() {
    let (output, text) = sluice_test("prune-fields", &fixtures("prune-fields"));
    assert!(output.status.success(), "{text}");
    assert!(text.contains("ok   truncate (2 records)"), "{text}");
    assert!(text.contains("5 passed, 0 failed"), "{text}");
}

#[test]
fn a_wrong_expectation_fails_with_a_diff_naming_each_path() {
    let case = copy_case("flatten-retweets", "embed");
    let expected = case.path().join("expected.ndjson");
    // ffemt210 has 147 followers, and five hashtags in extended_tweet.
    edit(
        &expected,
        r#""user_followers_count":147"#,
        r#""user_followers_count":148"#,
    );
    edit(&expected, r#""NoNRA","#, "");
    let (output, text) = sluice_test("flatten-retweets", case.path());
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("FAIL "), "{text}");
    assert!(
        text.contains("  record 2 (id_str 972473004721627137):"),
        "{text}"
    );
    assert!(
        text.contains("    $.user_followers_count: expected 148, got 147"),
        "{text}"
    );
    assert!(
        text.contains(r#"    $.hashtags: expected 4 elements ["GunControlNow","NeverAgain","VoteThemOut","BlueWave"], got 5 ["GunControlNow","NeverAgain","NoNRA","VoteThemOut","BlueWave"]"#),
        "{text}"
    );
    // The other three records of the case are right and not mentioned.
    assert!(!text.contains("record 1"), "{text}");
    assert!(text.contains("0 passed, 1 failed"), "{text}");
}

#[test]
fn a_reject_is_checked_by_its_reason() {
    let case = copy_case("flatten-retweets", "non-tweets-rejected");
    // The delete notice is rejected, naming its one top-level key.
    edit(
        &case.path().join("expected.ndjson"),
        "top-level keys: delete",
        "top-level keys: limit",
    );
    let (output, text) = sluice_test("flatten-retweets", case.path());
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains(
            "    rejected with \"not a tweet: no tweet format the plugin reads (top-level keys: delete)\", \
             which does not contain \"not a tweet: no tweet format the plugin reads (top-level keys: limit)\""
        ),
        "{text}"
    );

    // Configured to drop non-tweets, the same record is dropped, not rejected.
    std::fs::write(case.path().join("config.json"), r#"{"non_tweets":"drop"}"#).unwrap();
    let (output, text) = sluice_test("flatten-retweets", case.path());
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("    expected a reject containing \"not a tweet: no tweet format the plugin reads (top-level keys: limit)\", got a drop"),
        "{text}"
    );
}

#[test]
fn a_case_whose_lines_do_not_match_its_inputs_is_refused() {
    let case = copy_case("prune-fields", "truncate");
    std::fs::write(
        case.path().join("expected.ndjson"),
        "{\"drop\": true}\n{\"tweet\": true}\n",
    )
    .unwrap();
    let (output, text) = sluice_test("prune-fields", case.path());
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("expected.ndjson:2: expected one of"),
        "{text}"
    );

    std::fs::write(case.path().join("expected.ndjson"), "{\"drop\": true}\n").unwrap();
    let (_, text) = sluice_test("prune-fields", case.path());
    assert!(
        text.contains("expected.ndjson has 1 lines, input.ndjson 2 records: one line per record"),
        "{text}"
    );
}

#[test]
fn inspect_shows_the_interface_and_what_a_plugin_imports() {
    let (output, text) = sluice(&[
        Path::new("plugin"),
        Path::new("inspect"),
        &plugin("prune-fields"),
    ]);
    assert!(output.status.success(), "{text}");
    for line in [
        "  interface: sluice:filter@1.0.0",
        "    init: func(config: string) -> result<_, string>",
        "    process: func(batch: list<list<u8>>) -> list<variant { pass, replace(list<u8>), drop, split(list<list<u8>>), reject(string) }>",
        "    sluice:filter/types@1.0.0: instance, 1 export",
        "  exports (2):",
    ] {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }
    // A Rust plugin's standard library asks for the environment and stderr.
    assert!(text.contains("    wasi:cli/environment@0.2."), "{text}");
    assert!(text.contains("    wasi:cli/stderr@0.2."), "{text}");
    assert!(text.contains(" s cold (no cache)"), "{text}");
    assert!(text.contains("MiB linear memory after init"), "{text}");
}

#[test]
fn inspect_refuses_what_is_not_a_filter_component() {
    let dir = tempfile::tempdir().unwrap();
    let inspect = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        sluice(&[Path::new("plugin"), Path::new("inspect"), &path])
    };

    let tweets = std::fs::read(repo_root().join("data/twitter.json")).unwrap();
    let (output, text) = inspect("twitter.wasm", &tweets);
    assert!(!output.status.success());
    assert!(text.contains("is not a WebAssembly file"), "{text}");

    // The smallest core module: the preamble alone.
    let (output, text) = inspect("core.wasm", b"\0asm\x01\0\0\0");
    assert!(!output.status.success());
    assert!(
        text.contains("is a core WebAssembly module, not a component"),
        "{text}"
    );

    // The smallest component: valid, but it exports no filter.
    let (output, text) = inspect("empty.wasm", b"\0asm\x0d\0\x01\0");
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("interface: none (imports no sluice:filter interface)"),
        "{text}"
    );
    assert!(
        text.contains("refused by the host: plugin `empty`: not a valid sluice:filter@1 component"),
        "{text}"
    );
}
