//! Elasticsearch's YAML REST tests, run against the test server: the conformance suite.
//!
//! The test files live in `rest-api-spec/test/` (see its README for their source, licence
//! and which cases were written here from Elasticsearch's documentation). Each test runs on
//! a fresh server, after the file's `setup` and before its `teardown`. A test is skipped
//! when its `skip` section says so for version 8.15.0 or for a runner feature this runner
//! lacks, when it calls an API the server does not claim, or when [`SKIPPED`] lists it; every
//! skip is printed with its reason. Any failure fails this test, with every failure listed.

mod common;
mod yaml_rest {
    pub mod api;
    pub mod steps;
}

use std::io::Write;
use std::path::{Path, PathBuf};

use es_test_server::{EsTestServer, Options};
use serde::Deserialize;
use serde_json::Value;
use yaml_rest::steps::{Session, Stop};

/// The version the server reports (`GET /`), against which `skip.version` ranges are read.
const VERSION: [u64; 3] = [8, 15, 0];

/// Runner features this runner has, for `skip.features`.
const FEATURES: &[&str] = &["headers", "allowed_warnings", "allowed_warnings_regex"];

/// Tests that cannot pass against Elasticsearch 8 or against a server without aliases,
/// by file, test name and reason.
const SKIPPED: &[(&str, &str, &str)] = &[
    (
        "bulk/10_basic.yml",
        "When setting require_alias flag per request",
        "creates an alias; es-test-server serves no aliases and refuses them with 400",
    ),
    (
        "bulk/10_basic.yml",
        "When setting require_alias flag",
        "creates an alias; es-test-server serves no aliases and refuses them with 400",
    ),
    (
        "indices.create/10_basic.yml",
        "Create index with explicit _doc type",
        "OpenSearch refuses a mapping under [_doc]; Elasticsearch 8 unwraps it \
         (MappingParser.extractMapping), and so does es-test-server",
    ),
    (
        "indices.put_index_template/10_basic.yml",
        "Put multiple index templates",
        "template aliases; es-test-server serves no aliases and refuses them with 400",
    ),
    (
        "indices.put_index_template/10_basic.yml",
        "Put distinguishable multi-wildcard templates at the same priority",
        "OpenSearch accepts these; Elasticsearch 8 refuses overlapping patterns at one \
         priority (es8/index_templates.yml has that case)",
    ),
];

enum Outcome {
    Passed,
    Skipped(String),
    Failed(String),
}

struct Suite {
    setup: Vec<Value>,
    teardown: Vec<Value>,
    tests: Vec<(String, Vec<Value>)>,
}

fn spec_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rest-api-spec/test")
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
}

/// A file is a stream of YAML documents, each a map: `setup`, `teardown`, or a test name.
fn read_suite(path: &Path) -> Suite {
    let text = std::fs::read_to_string(path).expect("test file");
    let mut suite = Suite {
        setup: Vec::new(),
        teardown: Vec::new(),
        tests: Vec::new(),
    };
    for document in serde_yaml_ng::Deserializer::from_str(&text) {
        let value = Value::deserialize(document)
            .unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display()));
        let Value::Object(sections) = value else {
            continue;
        };
        for (name, steps) in sections {
            let steps = steps.as_array().cloned().unwrap_or_default();
            match name.as_str() {
                "setup" => suite.setup = steps,
                "teardown" => suite.teardown = steps,
                _ => suite.tests.push((name, steps)),
            }
        }
    }
    suite
}

fn parse_version(text: &str) -> Option<[u64; 3]> {
    let mut parts = text.trim().split('.').map(|p| p.parse::<u64>().ok());
    Some([
        parts.next()??,
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
    ])
}

/// Why a `skip` section skips this runner against this server, if it does.
fn skip_reason(steps: &[Value]) -> Option<String> {
    let skip = steps.first()?.get("skip")?;
    let reason = skip.get("reason").and_then(Value::as_str).unwrap_or("");
    if let Some(range) = skip.get("version").and_then(Value::as_str) {
        if range.trim() == "all" {
            return Some(format!("skip version all: {reason}"));
        }
        for one in range.split(',') {
            let (low, high) = one.split_once('-').unwrap_or((one, one));
            let low = parse_version(low).unwrap_or([0, 0, 0]);
            let high = parse_version(high).unwrap_or([u64::MAX; 3]);
            if low <= VERSION && VERSION <= high {
                return Some(format!("skip version [{}]: {reason}", one.trim()));
            }
        }
    }
    let features: Vec<&str> = match skip.get("features") {
        Some(Value::String(f)) => vec![f.as_str()],
        Some(Value::Array(fs)) => fs.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    features
        .iter()
        .find(|f| !FEATURES.contains(f))
        .map(|f| format!("the runner lacks the [{f}] feature"))
}

/// The first API a test calls that the server does not claim (it would answer 400).
fn unserved_api<'s>(mut steps: impl Iterator<Item = &'s Value>) -> Option<String> {
    steps.find_map(|step| {
        step.get("do")?
            .as_object()?
            .keys()
            .find(|k| !DO_KEYS.contains(&k.as_str()) && !yaml_rest::api::is_known(k))
            .cloned()
    })
}

/// Keys of a `do` section other than the API name.
const DO_KEYS: &[&str] = &[
    "catch",
    "headers",
    "warnings",
    "warnings_regex",
    "allowed_warnings",
    "allowed_warnings_regex",
    "node_selector",
];

async fn run_steps(session: &mut Session<'_>, steps: &[Value]) -> Result<(), Stop> {
    for step in steps {
        session.run(step).await?;
    }
    Ok(())
}

async fn run_test(file: &str, suite: &Suite, name: &str, steps: &[Value]) -> Outcome {
    if let Some((_, _, why)) = SKIPPED.iter().find(|(f, t, _)| *f == file && *t == name) {
        return Outcome::Skipped((*why).to_owned());
    }
    if let Some(why) = skip_reason(&suite.setup).or_else(|| skip_reason(steps)) {
        return Outcome::Skipped(why);
    }
    if let Some(api) = unserved_api(suite.setup.iter().chain(steps).chain(&suite.teardown)) {
        return Outcome::Skipped(format!(
            "calls [{api}], which es-test-server does not serve"
        ));
    }
    let server = EsTestServer::start(Options::default())
        .await
        .expect("server starts");
    let url = server.url();
    let mut session = Session::new(&url);
    let mut result = run_steps(&mut session, &suite.setup).await;
    if result.is_ok() {
        result = run_steps(&mut session, steps).await;
    }
    let teardown = run_steps(&mut session, &suite.teardown).await;
    match result.and(teardown) {
        Ok(()) => Outcome::Passed,
        Err(Stop::Unsupported(why)) => Outcome::Skipped(why),
        Err(Stop::Failed(why)) => Outcome::Failed(why),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_passes_the_rest_api_yaml_tests() {
    let root = spec_dir();
    let mut files = Vec::new();
    yaml_files(&root, &mut files);
    assert!(!files.is_empty(), "no YAML tests under {}", root.display());
    let (mut passed, mut skipped, mut failed) = (Vec::new(), Vec::new(), Vec::new());
    for path in &files {
        let file = path
            .strip_prefix(&root)
            .expect("under the root")
            .to_string_lossy()
            .replace('\\', "/");
        let suite = read_suite(path);
        for (name, steps) in &suite.tests {
            let label = format!("{file} \"{name}\"");
            match run_test(&file, &suite, name, steps).await {
                Outcome::Passed => passed.push(label),
                Outcome::Skipped(why) => skipped.push(format!("{label}: {why}")),
                Outcome::Failed(why) => failed.push(format!("{label}: {why}")),
            }
        }
    }
    // Written past the test harness's capture, so that every run shows the counts and skips.
    let mut report = format!("YAML REST tests passed ({}):\n", passed.len());
    for label in &passed {
        report.push_str(&format!("  {label}\n"));
    }
    report.push_str(&format!("YAML REST tests skipped ({}):\n", skipped.len()));
    for line in &skipped {
        report.push_str(&format!("  {line}\n"));
    }
    report.push_str(&format!("YAML REST tests failed ({}):\n", failed.len()));
    for line in &failed {
        report.push_str(&format!("  {line}\n"));
    }
    report.push_str(&format!(
        "YAML REST conformance: passed {}, failed {}, skipped {}\n",
        passed.len(),
        failed.len(),
        skipped.len()
    ));
    std::io::stdout()
        .write_all(report.as_bytes())
        .expect("stdout");
    assert!(
        failed.is_empty(),
        "{} YAML REST tests failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}
