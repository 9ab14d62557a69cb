//! Fixture cases for a plugin: records in, what must come out, compared as
//! parsed JSON. `sluice test` runs them; a plugin author keeps them next to
//! the plugin and runs them in CI.
//!
//! A fixtures folder is one case (it holds `input.ndjson`) or a folder of
//! cases, one subfolder each, run in name order. A case holds:
//!
//! - `input.ndjson`: the records, one JSON object per line;
//! - `expected.ndjson`: one line per input record, saying what comes out of
//!   the plugin for it: `{"pass": true}` (the record unchanged, byte for
//!   byte), `{"output": {...}}` (exactly this one document),
//!   `{"split": [{...}, ...]}` (these documents, in order), `{"drop": true}`,
//!   or `{"reject": "text"}` (dead-lettered with a reason containing the
//!   text; a trap or timeout is dead-lettered the same way);
//! - or, instead of `expected.ndjson`, `init-error.txt`: `init` must refuse
//!   the config with a message containing the file's text;
//! - optionally `config.json`: the plugin's config for this case (else the
//!   one given to the harness, else `{}`).
//!
//! Records run as one batch through the host's own [`Chain`], so a fixture
//! sees exactly what the pipeline would do with them, fault isolation
//! included. Documents are compared as parsed JSON: key order and escapes
//! are free, but `1` and `1.0` differ.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::chain::Chain;
use super::runtime::{LoadedPlugin, PluginError};
use crate::record::{Document, Origin};

/// Longest rendering of a document in a failure message.
const SHOWN_CHARS: usize = 240;
/// Most differing paths listed for one document.
const SHOWN_PATHS: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {reason}")]
    Line {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("{0}")]
    Layout(String),
}

/// What one input record must become.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    Pass,
    Output(Value),
    Split(Vec<Value>),
    Drop,
    Reject(String),
}

/// What the case as a whole expects.
#[derive(Debug, Clone)]
pub enum Expectation {
    /// One entry per input record, in order.
    Records(Vec<Expected>),
    /// `init` refuses the config with a message containing this text.
    InitRefused(String),
}

#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub dir: PathBuf,
    /// The plugin config for this case, if the case has its own.
    pub config: Option<String>,
    pub inputs: Vec<Vec<u8>>,
    pub expectation: Expectation,
}

/// How one case went: a failure for each record that came out wrong, or for
/// the case as a whole.
#[derive(Debug)]
pub struct CaseReport {
    pub name: String,
    pub records: usize,
    pub failures: Vec<Failure>,
}

impl CaseReport {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

#[derive(Debug)]
pub struct Failure {
    /// Which record (`record 3 (id_str 1234)`), or `None` for the case.
    pub record: Option<String>,
    /// Readable lines saying what differs.
    pub lines: Vec<String>,
}

/// Finds the cases under `dir`: the folder itself when it holds
/// `input.ndjson`, else each subfolder, in name order.
pub fn load_cases(dir: &Path) -> Result<Vec<Case>, FixtureError> {
    if dir.join("input.ndjson").is_file() {
        let name = dir
            .file_name()
            .map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into());
        return Ok(vec![load_case(name, dir)?]);
    }
    let read_error = |source| FixtureError::Read {
        path: dir.to_owned(),
        source,
    };
    let mut folders = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let path = entry.map_err(read_error)?.path();
        if path.is_dir() {
            folders.push(path);
        }
    }
    folders.sort();
    if folders.is_empty() {
        return Err(FixtureError::Layout(format!(
            "{} holds no input.ndjson and no case folders",
            dir.display()
        )));
    }
    folders
        .iter()
        .map(|folder| {
            let name = folder.file_name().unwrap_or_default().to_string_lossy();
            load_case(name.into_owned(), folder)
        })
        .collect()
}

fn load_case(name: String, dir: &Path) -> Result<Case, FixtureError> {
    let input_path = dir.join("input.ndjson");
    if !input_path.is_file() {
        return Err(FixtureError::Layout(format!(
            "case {name}: {} is missing",
            input_path.display()
        )));
    }
    let inputs: Vec<Vec<u8>> = json_lines(&input_path)?
        .into_iter()
        .map(|(line, text, value)| {
            if value.is_object() {
                Ok(text.into_bytes())
            } else {
                Err(FixtureError::Line {
                    path: input_path.clone(),
                    line,
                    reason: "not a JSON object (the host hands plugins only objects)".into(),
                })
            }
        })
        .collect::<Result<_, _>>()?;

    let expected_path = dir.join("expected.ndjson");
    let refused_path = dir.join("init-error.txt");
    let expectation = match (expected_path.is_file(), refused_path.is_file()) {
        (true, false) => {
            let expected = json_lines(&expected_path)?
                .into_iter()
                .map(|(line, _, value)| {
                    parse_expected(value).map_err(|reason| FixtureError::Line {
                        path: expected_path.clone(),
                        line,
                        reason,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            if expected.len() != inputs.len() {
                return Err(FixtureError::Layout(format!(
                    "case {name}: expected.ndjson has {} lines, input.ndjson {} records: one line per record",
                    expected.len(),
                    inputs.len()
                )));
            }
            Expectation::Records(expected)
        }
        (false, true) => Expectation::InitRefused(read(&refused_path)?.trim().to_owned()),
        (true, true) => {
            return Err(FixtureError::Layout(format!(
                "case {name}: has both expected.ndjson and init-error.txt; keep one"
            )));
        }
        (false, false) => {
            return Err(FixtureError::Layout(format!(
                "case {name}: needs expected.ndjson (or init-error.txt) next to input.ndjson"
            )));
        }
    };

    let config_path = dir.join("config.json");
    let config = if config_path.is_file() {
        Some(config_json(&config_path)?)
    } else {
        None
    };
    Ok(Case {
        name,
        dir: dir.to_owned(),
        config,
        inputs,
        expectation,
    })
}

/// Reads a plugin config file: one JSON object, returned compact.
pub fn config_json(path: &Path) -> Result<String, FixtureError> {
    let text = read(path)?;
    match serde_json::from_str::<Value>(&text) {
        Ok(value @ Value::Object(_)) => Ok(value.to_string()),
        Ok(_) => Err(FixtureError::Line {
            path: path.to_owned(),
            line: 1,
            reason: "a plugin config must be a JSON object".into(),
        }),
        Err(error) => Err(FixtureError::Line {
            path: path.to_owned(),
            line: error.line(),
            reason: format!("not JSON: {error}"),
        }),
    }
}

fn read(path: &Path) -> Result<String, FixtureError> {
    std::fs::read_to_string(path).map_err(|source| FixtureError::Read {
        path: path.to_owned(),
        source,
    })
}

/// The non-blank lines of an NDJSON file: line number, text, parsed value.
fn json_lines(path: &Path) -> Result<Vec<(usize, String, Value)>, FixtureError> {
    read(path)?
        .lines()
        .enumerate()
        .filter(|(_, text)| !text.trim().is_empty())
        .map(|(i, text)| {
            let value = serde_json::from_str(text).map_err(|error| FixtureError::Line {
                path: path.to_owned(),
                line: i + 1,
                reason: format!("not JSON: {error}"),
            })?;
            Ok((i + 1, text.to_owned(), value))
        })
        .collect()
}

fn parse_expected(value: Value) -> Result<Expected, String> {
    const FORMS: &str = r#"expected one of {"pass": true}, {"output": {...}}, {"split": [...]}, {"drop": true}, {"reject": "text"}"#;
    let Value::Object(map) = value else {
        return Err(FORMS.into());
    };
    if map.len() != 1 {
        return Err(FORMS.into());
    }
    let (key, value) = map.into_iter().next().expect("one entry");
    match (key.as_str(), value) {
        ("pass", Value::Bool(true)) => Ok(Expected::Pass),
        ("drop", Value::Bool(true)) => Ok(Expected::Drop),
        ("output", value @ Value::Object(_)) => Ok(Expected::Output(value)),
        ("split", Value::Array(parts)) if parts.iter().all(Value::is_object) => {
            Ok(Expected::Split(parts))
        }
        ("reject", Value::String(reason)) => Ok(Expected::Reject(reason)),
        _ => Err(FORMS.into()),
    }
}

/// Runs one case on `plugin` with the case's config, else `default_config`.
/// Fails only when the plugin cannot be instantiated at all.
pub fn run_case(
    plugin: &LoadedPlugin,
    case: &Case,
    default_config: &str,
) -> Result<CaseReport, PluginError> {
    let config = case.config.as_deref().unwrap_or(default_config);
    let plugin = LoadedPlugin {
        config_json: config.into(),
        ..plugin.clone()
    };
    let mut report = CaseReport {
        name: case.name.clone(),
        records: case.inputs.len(),
        failures: Vec::new(),
    };
    let chain = Chain::new(std::slice::from_ref(&plugin));
    let (expected, mut chain) = match (&case.expectation, chain) {
        (Expectation::InitRefused(text), Err(PluginError::InitRefused { reason, .. })) => {
            if !reason.contains(text.as_str()) {
                report.failures.push(case_failure(format!(
                    "init refused the config with {reason:?}, which does not contain {text:?}"
                )));
            }
            return Ok(report);
        }
        (Expectation::InitRefused(text), Ok(_)) => {
            report.failures.push(case_failure(format!(
                "init accepted the config {config}; expected a refusal containing {text:?}"
            )));
            return Ok(report);
        }
        (Expectation::Records(_), Err(PluginError::InitRefused { reason, .. })) => {
            report.failures.push(case_failure(format!(
                "init refused the config {config}: {reason}"
            )));
            return Ok(report);
        }
        (_, Err(error)) => return Err(error),
        (Expectation::Records(expected), Ok(chain)) => (expected, chain),
    };

    let source: std::sync::Arc<str> = case.dir.join("input.ndjson").display().to_string().into();
    let origin = |i: usize| Origin {
        source: source.clone(),
        partition: None,
        offset: i as u64,
        original: None,
    };
    let documents = case
        .inputs
        .iter()
        .enumerate()
        .map(|(i, bytes)| Document::new(origin(i), bytes.clone()))
        .collect();
    let output = chain.run(documents)?;

    let mut actual: Vec<Actual> = vec![Actual::default(); case.inputs.len()];
    for document in output.documents {
        actual[document.origin.offset as usize]
            .documents
            .push(document.bytes);
    }
    for letter in output.dead_letters {
        actual[letter.origin.offset as usize].rejected = Some(letter.reason);
    }
    for (i, ((want, got), input)) in expected.iter().zip(&actual).zip(&case.inputs).enumerate() {
        let lines = compare(want, got, input);
        if !lines.is_empty() {
            report.failures.push(Failure {
                record: Some(record_label(i, input)),
                lines,
            });
        }
    }
    Ok(report)
}

/// What came out of the chain for one input record.
#[derive(Debug, Clone, Default)]
struct Actual {
    documents: Vec<Vec<u8>>,
    rejected: Option<String>,
}

impl Actual {
    fn describe(&self) -> String {
        if let Some(reason) = &self.rejected {
            return format!("a reject: {reason:?}");
        }
        match self.documents.as_slice() {
            [] => "a drop".into(),
            [one] => format!("one document: {}", shorten(&String::from_utf8_lossy(one))),
            many => format!("{} documents", many.len()),
        }
    }
}

fn case_failure(line: String) -> Failure {
    Failure {
        record: None,
        lines: vec![line],
    }
}

fn record_label(i: usize, input: &[u8]) -> String {
    let id = serde_json::from_slice::<Value>(input)
        .ok()
        .and_then(|v| v.get("id_str").and_then(Value::as_str).map(str::to_owned));
    match id {
        Some(id) => format!("record {} (id_str {id})", i + 1),
        None => format!("record {}", i + 1),
    }
}

/// Why `got` is not what `want` says, as readable lines; empty when it is.
fn compare(want: &Expected, got: &Actual, input: &[u8]) -> Vec<String> {
    let mismatch = |expected: &str| vec![format!("expected {expected}, got {}", got.describe())];
    if let Expected::Reject(text) = want {
        return match &got.rejected {
            Some(reason) if reason.contains(text.as_str()) => Vec::new(),
            Some(reason) => vec![format!(
                "rejected with {reason:?}, which does not contain {text:?}"
            )],
            None => mismatch(&format!("a reject containing {text:?}")),
        };
    }
    if got.rejected.is_some() {
        return mismatch(&describe_expected(want));
    }
    match want {
        Expected::Pass => match got.documents.as_slice() {
            [one] if one.as_slice() == input => Vec::new(),
            [one] => {
                let mut lines = vec!["expected the record unchanged; it was rewritten:".into()];
                lines.extend(diff_documents(&parse_input(input), one));
                lines
            }
            _ => mismatch("the record unchanged"),
        },
        Expected::Drop => match got.documents.as_slice() {
            [] => Vec::new(),
            _ => mismatch("a drop"),
        },
        Expected::Output(doc) => match got.documents.as_slice() {
            [one] => diff_documents(doc, one),
            _ => mismatch("one document"),
        },
        Expected::Split(docs) => {
            if got.documents.len() != docs.len() {
                return mismatch(&format!("{} documents", docs.len()));
            }
            let mut lines = Vec::new();
            for (n, (doc, bytes)) in docs.iter().zip(&got.documents).enumerate() {
                let diff = diff_documents(doc, bytes);
                if !diff.is_empty() {
                    lines.push(format!("document {} of {}:", n + 1, docs.len()));
                    lines.extend(diff.into_iter().map(|line| format!("  {line}")));
                }
            }
            lines
        }
        Expected::Reject(_) => unreachable!("handled above"),
    }
}

fn describe_expected(want: &Expected) -> String {
    match want {
        Expected::Pass => "the record unchanged".into(),
        Expected::Output(_) => "one document".into(),
        Expected::Split(docs) => format!("{} documents", docs.len()),
        Expected::Drop => "a drop".into(),
        Expected::Reject(text) => format!("a reject containing {text:?}"),
    }
}

fn parse_input(input: &[u8]) -> Value {
    serde_json::from_slice(input).expect("inputs were checked when the case was loaded")
}

/// Lines naming each JSON path where `bytes` differs from `want`.
fn diff_documents(want: &Value, bytes: &[u8]) -> Vec<String> {
    let got: Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(error) => {
            return vec![format!(
                "the plugin wrote bytes that are not JSON ({error}): {}",
                shorten(&String::from_utf8_lossy(bytes))
            )];
        }
    };
    let mut lines = Vec::new();
    diff_values("$", want, &got, &mut lines);
    if lines.len() > SHOWN_PATHS {
        let more = lines.len() - SHOWN_PATHS;
        lines.truncate(SHOWN_PATHS);
        lines.push(format!("... and {more} more differences"));
    }
    lines
}

/// Walks both values together. Objects are compared key by key in any
/// order; arrays element by element.
pub fn diff_values(path: &str, want: &Value, got: &Value, lines: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (key, w_value) in w {
                let child = format!("{path}.{key}");
                match g.get(key) {
                    Some(g_value) => diff_values(&child, w_value, g_value, lines),
                    None => lines.push(format!(
                        "{child}: missing, expected {}",
                        shorten_value(w_value)
                    )),
                }
            }
            for (key, g_value) in g.iter().filter(|(key, _)| !w.contains_key(*key)) {
                lines.push(format!(
                    "{path}.{key}: not expected, got {}",
                    shorten_value(g_value)
                ));
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.len() != g.len() {
                lines.push(format!(
                    "{path}: expected {} elements {}, got {} {}",
                    w.len(),
                    shorten_value(want),
                    g.len(),
                    shorten_value(got)
                ));
                return;
            }
            for (i, (w_item, g_item)) in w.iter().zip(g).enumerate() {
                diff_values(&format!("{path}[{i}]"), w_item, g_item, lines);
            }
        }
        _ if want != got => lines.push(format!(
            "{path}: expected {}, got {}",
            shorten_value(want),
            shorten_value(got)
        )),
        _ => {}
    }
}

fn shorten_value(value: &Value) -> String {
    shorten(&value.to_string())
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn diff(want: Value, got: Value) -> Vec<String> {
        let mut lines = Vec::new();
        diff_values("$", &want, &got, &mut lines);
        lines
    }

    #[test]
    fn key_order_is_free_but_integer_and_float_differ() {
        assert!(diff(json!({"a": 1, "b": [1, 2]}), json!({"b": [1, 2], "a": 1})).is_empty());
        assert_eq!(
            diff(json!({"a": 1}), json!({"a": 1.0})),
            ["$.a: expected 1, got 1.0"]
        );
    }

    #[test]
    fn names_each_differing_path() {
        let mut lines = diff(
            json!({"user": {"name": "Jeet Heer"}, "hashtags": ["a", "b"], "n": 2}),
            json!({"user": {"name": "jeet"}, "hashtags": ["a", "c"], "extra": true}),
        );
        // Key order follows serde_json's map, which a feature may change.
        lines.sort();
        assert_eq!(
            lines,
            [
                "$.extra: not expected, got true",
                r#"$.hashtags[1]: expected "b", got "c""#,
                "$.n: missing, expected 2",
                r#"$.user.name: expected "Jeet Heer", got "jeet""#,
            ]
        );
    }

    #[test]
    fn expected_lines_take_one_of_five_forms() {
        assert_eq!(parse_expected(json!({"pass": true})), Ok(Expected::Pass));
        assert_eq!(
            parse_expected(json!({"reject": "missing id_str"})),
            Ok(Expected::Reject("missing id_str".into()))
        );
        assert!(parse_expected(json!({"pass": true, "drop": true})).is_err());
        assert!(parse_expected(json!({"output": [1]})).is_err());
        assert!(parse_expected(json!({"text": "a tweet"})).is_err());
    }
}
