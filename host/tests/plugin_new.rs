//! `sluice plugin new` as a new plugin author uses it: a project written
//! into a folder outside the repository, built there by its own build.sh
//! with the stock tool chains (those plugins/examples/build.sh installs),
//! its generated fixtures passed with `sluice test`, and the plugin run in a
//! pipeline on the bundled tweets.
//!
//! Python needs target/examples/venv (componentize-py and the sluice-filter
//! wheel: `plugins/examples/build.sh python`); the others install what they
//! need themselves, as the generated README says.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use common::repo_root;

fn sluice(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A temporary folder that is not inside the repository, so no setting of
/// the repository's (its .cargo/config.toml, its workspace) can reach it.
fn outside() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo_root().canonicalize().unwrap();
    assert!(
        !dir.path().canonicalize().unwrap().starts_with(&repo),
        "{} is inside the repository",
        dir.path().display()
    );
    dir
}

fn new_project(parent: &Path, lang: &str) -> PathBuf {
    let output = sluice(
        &[
            "plugin",
            "new",
            "keep-english",
            "--lang",
            lang,
            "--dir",
            parent.to_str().unwrap(),
        ],
        parent,
    );
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("./build.sh"), "{}", text(&output));
    parent.join("keep-english")
}

/// How many tweets in data/ are in English, counted from the data.
fn english_tweets() -> u64 {
    let data = repo_root().join("data");
    let mut langs: Vec<Option<String>> = Vec::new();
    for file in [
        "python-twitter-testdata.ndjson",
        "rtweet-fixtures.ndjson",
        "sfm-twitter-harvester-warcs.ndjson",
        "tweepy-cassettes.ndjson",
    ] {
        for line in std::fs::read_to_string(data.join(file)).unwrap().lines() {
            if let Ok(tweet) = serde_json::from_str::<Value>(line) {
                langs.push(tweet["lang"].as_str().map(str::to_owned));
            }
        }
    }
    let envelope: Value =
        serde_json::from_slice(&std::fs::read(data.join("twitter.json")).unwrap()).unwrap();
    for status in envelope["statuses"].as_array().unwrap() {
        langs.push(status["lang"].as_str().map(str::to_owned));
    }
    langs
        .iter()
        .filter(|lang| lang.as_deref() == Some("en"))
        .count() as u64
}

/// Replaces `from` in a generated file, which must contain it.
fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "no `{from}` in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// For Python and JavaScript, where an exception is either the SDK's Reject
/// or a fault: the filter raises both on request, and a fourth case says
/// what must come of each.
fn add_error_cases(project: &Path, lang: &str) {
    match lang {
        "python" => edit(
            &project.join("app.py"),
            "    return sluice.PASS",
            "    if tweet.get(\"test\") == \"fault\":\n        raise KeyError(\"a bug\")\n    \
             if tweet.get(\"test\") == \"reject\":\n        raise sluice.Reject(\"asked to reject\")\n    \
             return sluice.PASS",
        ),
        "javascript" => {
            let filter = project.join("filter.js");
            edit(
                &filter,
                "{ DROP, PASS, filter }",
                "{ DROP, PASS, Reject, filter }",
            );
            edit(
                &filter,
                "  return settings.langs",
                "  if (tweet.test === \"fault\") throw new TypeError(\"a bug\");\n  \
                 if (tweet.test === \"reject\") throw new Reject(\"asked to reject\");\n  \
                 return settings.langs",
            );
        }
        _ => return,
    }
    let case = project.join("fixtures/errors");
    std::fs::create_dir_all(&case).unwrap();
    std::fs::write(
        case.join("input.ndjson"),
        "{\"id_str\":\"1\",\"lang\":\"en\",\"test\":\"fault\"}\n\
         {\"id_str\":\"2\",\"lang\":\"en\",\"test\":\"reject\"}\n\
         {\"id_str\":\"3\",\"lang\":\"en\"}\n",
    )
    .unwrap();
    std::fs::write(
        case.join("expected.ndjson"),
        "{\"reject\": \"plugin trapped\"}\n{\"reject\": \"asked to reject\"}\n{\"pass\": true}\n",
    )
    .unwrap();
}

/// Writes the project, builds it, passes its fixtures, runs its pipeline.
fn new_build_test_run(lang: &str, build_env: &[(&str, PathBuf)]) {
    let parent = outside();
    let project = new_project(parent.path(), lang);
    add_error_cases(&project, lang);
    let cases = if matches!(lang, "python" | "javascript") {
        4
    } else {
        3
    };

    let build = Command::new(project.join("build.sh"))
        .current_dir(&project)
        .envs(build_env.iter().map(|(key, value)| (key, value)))
        .output()
        .unwrap();
    assert!(build.status.success(), "{lang} build.sh:\n{}", text(&build));
    assert!(project.join("keep_english.wasm").is_file());

    let test = sluice(&["test", "keep_english.wasm", "fixtures"], &project);
    let report = text(&test);
    assert!(test.status.success(), "{lang} sluice test:\n{report}");
    for line in [
        "ok   english (3 records)",
        "ok   english-and-japanese (3 records)",
        "ok   misspelt-setting (1 record)",
    ] {
        assert!(report.contains(line), "{lang}: no `{line}` in:\n{report}");
    }
    let tally = format!("{cases} passed, 0 failed");
    assert!(
        report.contains(&tally),
        "{lang}: no `{tally}` in:\n{report}"
    );

    let run = sluice(
        &[
            "run",
            "--config",
            "pipeline.toml",
            "--summary-json",
            "summary.json",
        ],
        &project,
    );
    assert!(run.status.success(), "{lang} sluice run:\n{}", text(&run));
    let summary: Value =
        serde_json::from_slice(&std::fs::read(project.join("summary.json")).unwrap()).unwrap();
    let english = english_tweets();
    let stage = &summary["plugins"][0];
    assert_eq!(stage["passed"], english, "{lang}: {summary}");
    assert_eq!(stage["faults"], 0, "{lang}: {summary}");
    let records_in = summary["records_in"].as_u64().unwrap();
    assert_eq!(stage["dropped"], records_in - english, "{lang}: {summary}");
    // What the filter kept is written, or dead-lettered by the guard when
    // whole tweets pass the index's field budget.
    let written = summary["written"].as_u64().unwrap();
    assert_eq!(
        records_in,
        written + summary["dropped"].as_u64().unwrap() + summary["dead_lettered"].as_u64().unwrap()
    );
    let kept = std::fs::read_to_string(project.join("out/kept.ndjson")).unwrap();
    assert_eq!(kept.lines().count() as u64, written);
    assert!(written > 0);
    assert!(
        kept.lines()
            .all(|line| serde_json::from_str::<Value>(line).unwrap()["lang"] == "en")
    );
}

#[test]
fn a_new_rust_filter_builds_outside_the_repository_and_runs() {
    // Dependencies stay built between runs; the project itself is new.
    let target = repo_root().join("target/plugin-new/rust");
    new_build_test_run("rust", &[("CARGO_TARGET_DIR", target)]);
}

#[test]
fn a_new_c_filter_builds_outside_the_repository_and_runs() {
    new_build_test_run("c", &[]);
}

#[test]
fn a_new_python_filter_builds_outside_the_repository_and_runs() {
    let python = repo_root().join("target/examples/venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run plugins/examples/build.sh python first",
        python.display()
    );
    new_build_test_run("python", &[("SLUICE_PYTHON", python)]);
}

#[test]
fn a_new_javascript_filter_builds_outside_the_repository_and_runs() {
    new_build_test_run("javascript", &[]);
}

#[test]
fn the_new_rust_project_carries_simd128_and_its_own_workspace() {
    let parent = outside();
    let project = new_project(parent.path(), "rust");
    let config = std::fs::read_to_string(project.join(".cargo/config.toml")).unwrap();
    assert!(config.contains("target-feature=+simd128"), "{config}");
    let manifest = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("\n[workspace]\n"), "{manifest}");
    let sdk = repo_root().join("guest-sdk/rust").canonicalize().unwrap();
    assert!(
        manifest.contains(&format!("path = \"{}\"", sdk.display())),
        "{manifest}"
    );
    let lib = std::fs::read_to_string(project.join("src/lib.rs")).unwrap();
    assert!(lib.contains("fn keep_english(tweet: &View, settings: &Settings) -> Verdict"));
}

#[test]
fn plugin_new_refuses_a_bad_name_and_an_existing_folder() {
    let parent = outside();
    let dir = parent.path().to_str().unwrap();
    let bad = sluice(
        &["plugin", "new", "Keep_English", "--lang", "c", "--dir", dir],
        parent.path(),
    );
    assert!(!bad.status.success());
    assert!(
        text(&bad).contains("plugin name `Keep_English`: use lowercase letters"),
        "{}",
        text(&bad)
    );

    new_project(parent.path(), "c");
    let again = sluice(
        &["plugin", "new", "keep-english", "--lang", "c", "--dir", dir],
        parent.path(),
    );
    assert!(!again.status.success());
    assert!(text(&again).contains("already exists"), "{}", text(&again));
}

#[test]
fn every_sdk_carries_the_interface_the_host_links() {
    // The Rust crate, the Python package and the npm package each carry a
    // copy of the WIT so that they build from a package; the host and the C
    // bindings read guest-sdk/wit.
    let sdk = repo_root().join("guest-sdk");
    let interface = std::fs::read_to_string(sdk.join("wit/filter.wit")).unwrap();
    assert!(interface.contains("package sluice:filter@1.0.0;"));
    for copy in [
        "rust/wit/filter.wit",
        "python/sluice_filter/wit/filter.wit",
        "javascript/wit/filter.wit",
    ] {
        let text = std::fs::read_to_string(sdk.join(copy)).unwrap();
        assert_eq!(
            text, interface,
            "guest-sdk/{copy} differs from guest-sdk/wit/filter.wit: copy the change"
        );
    }
}
