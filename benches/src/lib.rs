//! What the criterion benchmarks share: the bundled real tweets read the way
//! the pipeline reads them and the demo pipeline's plugin chain (its native
//! build is the host's `plugin::native`).
//!
//! Paths are relative to the repository, found from this crate's manifest;
//! `SLUICE_PLUGIN_DIR` points at the `.wasm` files when the target directory
//! is elsewhere.

use std::path::{Path, PathBuf};

use anyhow::Context;
use sluice::config::{DEFAULT_PIPELINE, InputFormat, PipelineConfig, PluginConfig, SourceConfig};
use sluice::record::{Document, RawRecord};
use sluice::source::{Batch, FileSource, Source};

/// The repository root.
pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the benches crate sits in the repository")
        .to_owned()
}

pub fn data(file: &str) -> PathBuf {
    repository().join("data").join(file)
}

/// Where `make plugins` puts the components.
pub fn plugin_dir() -> PathBuf {
    std::env::var_os("SLUICE_PLUGIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repository().join("target/wasm32-wasip2/wasm"))
}

/// Every record of `paths` as the pipeline's file source hands them out.
pub fn records(paths: &[PathBuf]) -> anyhow::Result<Vec<RawRecord>> {
    let mut source = FileSource::open(paths, InputFormat::Auto)?;
    let mut records = Vec::new();
    while let Batch::Records(batch) = source.next_batch(1024)? {
        records.extend(batch);
    }
    anyhow::ensure!(!records.is_empty(), "no records in {paths:?}");
    Ok(records)
}

/// `count` tweets spread over every bundled file, so that no single
/// source's shape dominates.
pub fn tweet_sample(count: usize) -> anyhow::Result<Vec<Document>> {
    let all = records(&[repository().join("data")])?;
    let step = (all.len() / count).max(1);
    Ok(all
        .into_iter()
        .step_by(step)
        .take(count)
        .map(|r| Document::new(r.origin, r.bytes))
        .collect())
}

/// The bundled demo pipeline, reading the bundled tweets, with its plugin
/// paths under [`plugin_dir`].
pub fn demo_config() -> anyhow::Result<PipelineConfig> {
    let mut config: PipelineConfig =
        toml::from_str(DEFAULT_PIPELINE).context("parsing the bundled demo pipeline")?;
    config.source = SourceConfig::File {
        paths: vec![repository().join("data")],
        format: InputFormat::Auto,
    };
    for plugin in &mut config.plugins {
        let file = plugin
            .path
            .file_name()
            .context("a plugin path names a file")?;
        plugin.path = plugin_dir().join(file);
    }
    Ok(config)
}

/// The identity plugin's config, for the plugin stage benchmark.
pub fn identity_plugin() -> PluginConfig {
    PluginConfig {
        name: "identity".into(),
        path: plugin_dir().join("identity.wasm"),
        config: Default::default(),
        limits: Default::default(),
        fixtures: None,
    }
}
