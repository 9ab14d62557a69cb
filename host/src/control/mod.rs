//! The control handle: the one way into a running process. Signals
//! ([`signals`]), the plugin file watcher and the admin HTTP API
//! (`crate::admin`) all call it to stop, reload, or change a plugin. It
//! knows the running pipelines by name and finds the one a request means;
//! what a change does to a pipeline's plugins is the registry's
//! (`plugin::registry`), what may change on a reload is [`reload`]'s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::plugin::registry::{
    ChainView, PluginRegistry, Promotion, ReloadOutcome, ShadowEnded, ShadowView, SwapError,
};
use crate::plugin::watch::{PluginWatcher, canonical, read_settled};

pub mod reload;
pub mod services;
pub mod signals;

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("no pipeline `{0}` runs in this process")]
    UnknownPipeline(String),
    #[error("no plugin `{0}` in any pipeline")]
    UnknownPlugin(String),
    #[error(
        "plugin `{plugin}` is in several pipelines ({}): use /pipelines/{{pipeline}}/plugins/{plugin}",
        pipelines.join(", ")
    )]
    Ambiguous {
        plugin: String,
        pipelines: Vec<String>,
    },
    #[error("pipeline `{pipeline}`: {source}")]
    Swap {
        pipeline: String,
        #[source]
        source: SwapError,
    },
    #[error("pipeline `{pipeline}`: reload refused: {reason}")]
    Reload { pipeline: String, reason: String },
}

/// One running pipeline as the control handle sees it.
pub struct PipelineControl {
    pub name: String,
    /// The file it was read from; `None` for the bundled demo (nothing to
    /// re-read on a reload).
    pub file: Option<PathBuf>,
    /// The file as it was last applied, to tell what a reload changes.
    applied: Mutex<Option<toml::Table>>,
    stop: Arc<AtomicBool>,
    registry: Arc<PluginRegistry>,
    /// `[hot_swap] watch`: changed plugin files are promoted.
    watch: bool,
}

impl PipelineControl {
    pub fn new(
        name: String,
        file: Option<PathBuf>,
        stop: Arc<AtomicBool>,
        registry: Arc<PluginRegistry>,
        watch: bool,
    ) -> anyhow::Result<Self> {
        let applied = file.as_deref().map(reload::read_table).transpose()?;
        Ok(PipelineControl {
            name,
            file,
            applied: Mutex::new(applied),
            stop,
            registry,
            watch,
        })
    }
}

pub struct Control {
    pipelines: Vec<PipelineControl>,
    watcher: Mutex<Option<PluginWatcher>>,
}

/// What one reload did, pipeline by pipeline.
pub type Reloaded = BTreeMap<String, ReloadOutcome>;

impl Control {
    pub fn new(pipelines: Vec<PipelineControl>) -> Self {
        Control {
            pipelines,
            watcher: Mutex::new(None),
        }
    }

    /// Every pipeline stops at its next batch boundary, after the batches
    /// in flight are written and committed.
    pub fn stop(&self) {
        for pipeline in &self.pipelines {
            pipeline.stop.store(true, Ordering::SeqCst);
        }
    }

    /// Re-reads every pipeline file and applies what changed in its
    /// plugins; a change anywhere else is refused with its key and leaves
    /// that pipeline as it was.
    pub fn reload(&self) -> Result<Reloaded, ControlError> {
        let mut done = Reloaded::new();
        for pipeline in &self.pipelines {
            let Some(file) = &pipeline.file else {
                tracing::info!(pipeline = %pipeline.name,
                    "no pipeline file to re-read (the bundled demo)");
                continue;
            };
            let refused = |reason: String| ControlError::Reload {
                pipeline: pipeline.name.clone(),
                reason,
            };
            let mut applied = pipeline.applied.lock().expect("applied config lock");
            let (table, config) = reload::read_changes(file, applied.as_ref()).map_err(refused)?;
            let outcome = pipeline
                .registry
                .reload(&config.plugins)
                .map_err(|source| ControlError::Swap {
                    pipeline: pipeline.name.clone(),
                    source,
                })?;
            *applied = Some(table);
            done.insert(pipeline.name.clone(), outcome);
        }
        self.watch_plugin_files();
        Ok(done)
    }

    /// The pipeline `pipeline` names, or else the only one that has `plugin`.
    fn find(&self, pipeline: Option<&str>, plugin: &str) -> Result<&PipelineControl, ControlError> {
        if let Some(wanted) = pipeline {
            return self
                .pipelines
                .iter()
                .find(|p| p.name == wanted)
                .ok_or_else(|| ControlError::UnknownPipeline(wanted.to_owned()));
        }
        let having: Vec<&PipelineControl> = self
            .pipelines
            .iter()
            .filter(|p| p.registry.has_plugin(plugin))
            .collect();
        match having.as_slice() {
            [one] => Ok(one),
            [] => Err(ControlError::UnknownPlugin(plugin.to_owned())),
            many => Err(ControlError::Ambiguous {
                plugin: plugin.to_owned(),
                pipelines: many.iter().map(|p| p.name.clone()).collect(),
            }),
        }
    }

    /// Runs `change` on the registry of the pipeline that has `plugin`.
    fn on_plugin<T>(
        &self,
        pipeline: Option<&str>,
        plugin: &str,
        change: impl FnOnce(&PluginRegistry) -> Result<T, SwapError>,
    ) -> Result<T, ControlError> {
        let target = self.find(pipeline, plugin)?;
        change(&target.registry).map_err(|source| ControlError::Swap {
            pipeline: target.name.clone(),
            source,
        })
    }

    pub fn swap_module(
        &self,
        pipeline: Option<&str>,
        plugin: &str,
        bytes: &[u8],
        settings: Option<Value>,
    ) -> Result<Promotion, ControlError> {
        self.on_plugin(pipeline, plugin, |r| r.swap_module(plugin, bytes, settings))
    }

    pub fn swap_settings(
        &self,
        pipeline: Option<&str>,
        plugin: &str,
        settings: Value,
    ) -> Result<Promotion, ControlError> {
        self.on_plugin(pipeline, plugin, |r| r.swap_settings(plugin, settings))
    }

    pub fn rollback(
        &self,
        pipeline: Option<&str>,
        plugin: &str,
    ) -> Result<Promotion, ControlError> {
        self.on_plugin(pipeline, plugin, |r| r.rollback(plugin, "asked for"))
    }

    pub fn shadow_start(
        &self,
        pipeline: Option<&str>,
        plugin: &str,
        bytes: Option<&[u8]>,
        settings: Option<Value>,
    ) -> Result<ShadowView, ControlError> {
        self.on_plugin(pipeline, plugin, |r| {
            r.shadow_start(plugin, bytes, settings)
        })
    }

    pub fn shadow_report(
        &self,
        pipeline: Option<&str>,
        plugin: &str,
    ) -> Result<ShadowView, ControlError> {
        self.on_plugin(pipeline, plugin, |r| r.shadow_report(plugin))
    }

    pub fn shadow_end(
        &self,
        pipeline: Option<&str>,
        plugin: &str,
        promote: bool,
    ) -> Result<ShadowEnded, ControlError> {
        self.on_plugin(pipeline, plugin, |r| r.shadow_end(plugin, promote))
    }

    /// Every pipeline's chain, by pipeline name.
    pub fn plugins(
        &self,
        pipeline: Option<&str>,
    ) -> Result<BTreeMap<String, ChainView>, ControlError> {
        if let Some(wanted) = pipeline
            && !self.pipelines.iter().any(|p| p.name == wanted)
        {
            return Err(ControlError::UnknownPipeline(wanted.to_owned()));
        }
        Ok(self
            .pipelines
            .iter()
            .filter(|p| pipeline.is_none_or(|wanted| p.name == wanted))
            .map(|p| (p.name.clone(), p.registry.view()))
            .collect())
    }

    /// Installs the file watcher (for pipelines with `[hot_swap] watch`).
    pub fn set_watcher(&self, watcher: PluginWatcher) {
        *self.watcher.lock().expect("watcher lock") = Some(watcher);
        self.watch_plugin_files();
    }

    /// Watches the folders of the live plugin files (new ones after a reload).
    fn watch_plugin_files(&self) {
        let mut watcher = self.watcher.lock().expect("watcher lock");
        let Some(watcher) = watcher.as_mut() else {
            return;
        };
        for pipeline in self.pipelines.iter().filter(|p| p.watch) {
            let spec = pipeline.registry.current();
            watcher.watch(spec.stages.iter().filter_map(|s| s.plugin.path.as_deref()));
        }
    }

    pub fn watches_files(&self) -> bool {
        self.pipelines.iter().any(|p| p.watch)
    }

    /// A watched file settled: every live plugin read from it gets it as a
    /// new version, validated first. Refusals are logged; the live version
    /// keeps running.
    pub fn file_changed(&self, path: &Path) {
        for pipeline in self.pipelines.iter().filter(|p| p.watch) {
            let spec = pipeline.registry.current();
            for stage in &spec.stages {
                let Some(plugin_path) = &stage.plugin.path else {
                    continue;
                };
                if canonical(plugin_path) != path {
                    continue;
                }
                let name = stage.plugin.name();
                let bytes = match read_settled(path) {
                    Ok(Some(bytes)) => bytes,
                    Ok(None) => {
                        tracing::debug!(path = %path.display(), "plugin file still changing");
                        continue;
                    }
                    Err(error) => {
                        tracing::warn!(path = %path.display(), %error, "cannot read plugin file");
                        continue;
                    }
                };
                match pipeline.registry.swap_file(name, &bytes) {
                    Ok(Some(_)) | Ok(None) => {}
                    Err(error) => tracing::warn!(pipeline = %pipeline.name, plugin = %name,
                        path = %path.display(), %error, "changed plugin file refused"),
                }
            }
        }
    }
}
