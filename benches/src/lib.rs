//! What the criterion benchmarks share: the bundled real tweets read the way
//! the pipeline reads them, the demo pipeline's plugin chain, and the same
//! chain compiled natively.
//!
//! Paths are relative to the repository, found from this crate's manifest;
//! `SLUICE_PLUGIN_DIR` points at the `.wasm` files when the target directory
//! is elsewhere.

use std::path::{Path, PathBuf};

use anyhow::Context;
use flatten_retweets::FlattenRetweets;
use prune_fields::PruneFields;
use sluice::config::{DEFAULT_PIPELINE, InputFormat, PipelineConfig, PluginConfig, SourceConfig};
use sluice::record::{Document, RawRecord};
use sluice::source::{Batch, FileSource, Source};
use sluice_sdk::{Config, Filter, Outcome, process_batch};

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
    }
}

/// The demo chain (flatten-retweets, then prune-fields) built natively from
/// the same settings the WASM chain gets.
pub struct NativeChain {
    flatten: FlattenRetweets,
    prune: PruneFields,
}

impl NativeChain {
    pub fn from_demo() -> anyhow::Result<Self> {
        let config = demo_config()?;
        let settings = |name: &str| -> anyhow::Result<Config> {
            let plugin = config
                .plugins
                .iter()
                .find(|p| p.name == name)
                .with_context(|| format!("the demo pipeline has no plugin {name}"))?;
            Ok(Config::from_json(serde_json::to_string(&plugin.config)?))
        };
        Ok(NativeChain {
            flatten: FlattenRetweets::init(settings("flatten-retweets")?)
                .map_err(anyhow::Error::msg)?,
            prune: PruneFields::init(settings("prune-fields")?).map_err(anyhow::Error::msg)?,
        })
    }

    /// One batch through both filters, as the host's chain moves it: the
    /// filter gets a copy (the WASM guest gets one in its memory) and a
    /// passed record keeps the host's original bytes.
    pub fn run(&self, batch: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        let flattened = apply(batch, |b| process_batch(&self.flatten, b));
        apply(flattened, |b| process_batch(&self.prune, b))
    }
}

/// Runs a filter over a batch and keeps what it kept.
pub fn apply(
    batch: Vec<Vec<u8>>,
    filter: impl FnOnce(Vec<Vec<u8>>) -> Vec<Outcome>,
) -> Vec<Vec<u8>> {
    let outcomes = filter(batch.clone());
    let mut kept = Vec::with_capacity(batch.len());
    for (original, outcome) in batch.into_iter().zip(outcomes) {
        match outcome {
            Outcome::Pass => kept.push(original),
            Outcome::Replace(bytes) => kept.push(bytes),
            Outcome::Split(parts) => kept.extend(parts),
            Outcome::Drop | Outcome::Reject(_) => {}
        }
    }
    kept
}
