//! Shared helpers for the host's integration tests: real tweets, built
//! plugins, and a pipeline run from a TOML string.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};

use sluice::config::PipelineConfig;
use sluice::pipeline::Pipeline;
use sluice::plugin::PluginRuntime;
use sluice::report::Summary;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// A plugin component built by `make plugins`.
pub fn plugin(name: &str) -> PathBuf {
    let path = repo_root()
        .join("target/wasm32-wasip2/wasm")
        .join(format!("{}.wasm", name.replace('-', "_")));
    assert!(
        path.is_file(),
        "{} is missing: run `make plugins` first",
        path.display()
    );
    path
}

/// The 100 statuses of data/twitter.json, one compact JSON object each.
pub fn search_api_tweets() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(repo_root().join("data/twitter.json")).unwrap();
    let envelope: serde_json::Value = serde_json::from_str(&text).unwrap();
    envelope["statuses"].as_array().unwrap().clone()
}

pub fn write_ndjson(path: &Path, lines: &[Vec<u8>]) {
    let mut bytes = Vec::new();
    for line in lines {
        bytes.extend_from_slice(line);
        bytes.push(b'\n');
    }
    std::fs::write(path, bytes).unwrap();
}

pub fn run_pipeline(toml: &str, dir: &Path) -> anyhow::Result<Summary> {
    let config = PipelineConfig::from_toml(toml, dir)?;
    let runtime = PluginRuntime::new()?;
    Pipeline::build(&config, &runtime)?.run()
}

pub fn read_json_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// TOML for a plugin table, with forward slashes so Windows-style escapes
/// never matter.
pub fn plugin_table(name: &str, config: &str, limits: &str) -> String {
    format!(
        "[[plugins]]\nname = \"{name}\"\npath = \"{}\"\nconfig = {config}\nlimits = {limits}\n",
        plugin(name).display()
    )
}

/// The first `count` tweets of data/rtweet-fixtures.ndjson, as their lines.
pub fn tweets(count: usize) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(repo_root().join("data/rtweet-fixtures.ndjson")).unwrap();
    let lines: Vec<Vec<u8>> = text
        .lines()
        .take(count)
        .map(|line| line.as_bytes().to_vec())
        .collect();
    assert_eq!(lines.len(), count);
    lines
}
