//! The plugin registry of one pipeline: which version of each plugin is
//! live, which came before it (for rollback), the shadow trials, and the
//! [`ChainSpec`] the workers run.
//!
//! Every change (a new module or settings, a rollback, a reload, a shadow
//! started or ended) validates what it needs first ([`super::candidate`])
//! and then publishes one new spec with a higher version. The pipeline's
//! reader stamps each batch with the spec current when it read it
//! ([`PluginRegistry::stamp_batch`]), so a batch runs under one version of
//! every plugin from start to end, a switch happens between two batches,
//! and since batches leave in read order, versions never go backwards
//! within a file or partition. Nothing is drained: batches in flight finish
//! under the spec they were stamped with.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::candidate::{Accepted, Module, Refusal, Submission, Validator, sha256_hex};
use super::chain::StageStats;
use super::runtime::PluginRuntime;
use super::shadow::{ShadowReport, ShadowTrial};
use super::version::{ChainSpec, INTERFACE, LiveCounters, PluginVersion, SpecStage};
use crate::config::{AutoRollbackConfig, PluginConfig};

/// Earlier versions kept per plugin for rollback.
const KEPT_FOR_ROLLBACK: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum SwapError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("no plugin `{0}` in this pipeline")]
    UnknownPlugin(String),
    #[error("settings must be a JSON object, got {0}")]
    Settings(String),
    #[error("plugin `{0}` has no previous version to roll back to")]
    NoPrevious(String),
    #[error("plugin `{0}` has no shadow trial")]
    NoShadow(String),
    #[error("plugin `{0}` already has a shadow trial: promote or delete it first")]
    ShadowRunning(String),
    #[error("plugin `{name}`: cannot read {path}: {reason}")]
    Read {
        name: String,
        path: String,
        reason: String,
    },
}

/// What a promotion answers.
#[derive(Debug, Clone, Serialize)]
pub struct Promotion {
    pub plugin: String,
    pub version: u64,
    pub sha256: String,
    pub chain_version: u64,
    /// The first batch (counted from 0 since the start) that runs under it.
    pub from_batch: u64,
    pub from_cache: bool,
    pub compile_ms: f64,
}

/// What a reload changed, plugin by plugin.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReloadOutcome {
    pub promoted: Vec<Promotion>,
    pub removed: Vec<String>,
    pub unchanged: Vec<String>,
    /// The chain version the pipeline runs after the reload.
    pub chain_version: u64,
    pub from_batch: Option<u64>,
}

/// What was published last, and how many batches have been stamped.
struct Published {
    spec: Arc<ChainSpec>,
    batches: u64,
}

#[derive(Default)]
struct History {
    /// The last number given to a version of each plugin.
    numbers: HashMap<Arc<str>, u64>,
    /// Earlier versions, newest last.
    previous: HashMap<Arc<str>, Vec<Arc<PluginVersion>>>,
    /// Every version ever live, in the order they were made: the summary.
    ledger: Vec<(Arc<str>, u64, Arc<LiveCounters>)>,
    /// Versions swapped in and still inside their auto-rollback window.
    probation: Vec<(Arc<str>, u64)>,
}

pub struct PluginRegistry {
    validator: Validator,
    published: Mutex<Published>,
    /// Held for the whole of a change, validation included, so changes
    /// never interleave; the reader never takes it.
    history: Mutex<History>,
    auto_rollback: Option<AutoRollbackConfig>,
    /// Fast check for the reader: is any version on probation?
    on_probation: AtomicBool,
}

/// A plugin version as `GET /plugins` shows it.
#[derive(Debug, Serialize)]
pub struct PluginView {
    pub name: String,
    pub version: u64,
    pub sha256: String,
    pub interface: &'static str,
    pub loaded_at: String,
    pub settings: Value,
    pub limits: LimitsView,
    pub path: Option<PathBuf>,
    pub fixtures: Option<PathBuf>,
    /// Its live counters (all workers), as the run summary has them.
    pub counters: StageStats,
    /// The version a rollback would restore.
    pub previous_version: Option<u64>,
    pub shadow: Option<ShadowView>,
}

#[derive(Debug, Serialize)]
pub struct LimitsView {
    pub memory_mib: u64,
    pub timeout_ms: u64,
}

#[derive(Debug, Serialize)]
pub struct ShadowView {
    pub sha256: String,
    pub settings: Value,
    pub started_at: String,
    pub report: ShadowReport,
}

#[derive(Debug, Serialize)]
pub struct ChainView {
    pub chain_version: u64,
    pub batches_read: u64,
    pub plugins: Vec<PluginView>,
}

/// The settings of a plugin table as the JSON object `init` receives.
pub fn settings_json(plugin: &PluginConfig) -> Value {
    serde_json::to_value(&plugin.config).expect("a TOML table always converts to a JSON object")
}

fn read_module(name: &str, path: &Path) -> Result<Vec<u8>, SwapError> {
    std::fs::read(path).map_err(|e| SwapError::Read {
        name: name.to_owned(),
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

impl PluginRegistry {
    /// Loads version 1 of every plugin of the pipeline file; a plugin that
    /// fails validation stops the start.
    pub fn new(
        runtime: &PluginRuntime,
        plugins: &[PluginConfig],
        auto_rollback: Option<AutoRollbackConfig>,
    ) -> Result<Self, SwapError> {
        let validator = Validator::new(runtime.clone());
        let mut history = History::default();
        let mut stages = Vec::with_capacity(plugins.len());
        for config in plugins {
            let bytes = read_module(&config.name, &config.path)?;
            let accepted = validator.validate(&Submission {
                name: &config.name,
                module: Module::Bytes(&bytes),
                settings: &settings_json(config),
                limits: config.limits,
                fixtures: config.fixtures.as_deref(),
            })?;
            tracing::info!(plugin = %config.name, bytes = bytes.len(),
                compile_ms = accepted.compile_time.as_millis() as u64, "plugin loaded");
            let version = history.number(
                accepted,
                settings_json(config),
                Some(config.path.clone()),
                config.fixtures.clone(),
            );
            stages.push(SpecStage {
                plugin: Arc::new(version),
                shadow: None,
            });
        }
        Ok(PluginRegistry {
            validator,
            published: Mutex::new(Published {
                spec: Arc::new(ChainSpec { version: 1, stages }),
                batches: 0,
            }),
            history: Mutex::new(history),
            auto_rollback,
            on_probation: AtomicBool::new(false),
        })
    }

    /// The spec the next batch runs under; counts the batch.
    pub fn stamp_batch(&self) -> Arc<ChainSpec> {
        let mut published = self.published();
        published.batches += 1;
        published.spec.clone()
    }

    pub fn current(&self) -> Arc<ChainSpec> {
        self.published().spec.clone()
    }

    fn published(&self) -> MutexGuard<'_, Published> {
        self.published.lock().expect("published chain lock")
    }

    fn history(&self) -> MutexGuard<'_, History> {
        self.history.lock().expect("plugin history lock")
    }

    /// Publishes `stages` as the next spec; the answer is the chain version
    /// and the first batch that runs under it.
    fn publish(&self, stages: Vec<SpecStage>) -> (u64, u64) {
        let mut published = self.published();
        let version = published.spec.version + 1;
        published.spec = Arc::new(ChainSpec { version, stages });
        (version, published.batches)
    }

    /// The live spec's stages with `name`'s stage changed by `change`.
    fn with_stage(
        &self,
        name: &str,
        change: impl FnOnce(&SpecStage) -> Result<SpecStage, SwapError>,
    ) -> Result<Vec<SpecStage>, SwapError> {
        let spec = self.current();
        let index = spec
            .stages
            .iter()
            .position(|s| s.plugin.name().as_ref() == name)
            .ok_or_else(|| SwapError::UnknownPlugin(name.to_owned()))?;
        let mut stages: Vec<SpecStage> = spec.stages.iter().map(SpecStage::clone).collect();
        stages[index] = change(&stages[index])?;
        Ok(stages)
    }

    fn live(&self, name: &str) -> Result<Arc<PluginVersion>, SwapError> {
        self.current()
            .stages
            .iter()
            .find(|s| s.plugin.name().as_ref() == name)
            .map(|s| s.plugin.clone())
            .ok_or_else(|| SwapError::UnknownPlugin(name.to_owned()))
    }

    pub fn has_plugin(&self, name: &str) -> bool {
        self.live(name).is_ok()
    }

    /// A new module for `name`, with `settings` or else the live ones. The
    /// version keeps the live one's `path`, so its file stays watched (and
    /// a reload compares the file with it).
    pub fn swap_module(
        &self,
        name: &str,
        bytes: &[u8],
        settings: Option<Value>,
    ) -> Result<Promotion, SwapError> {
        let mut history = self.history();
        let live = self.live(name)?;
        let settings = settings.unwrap_or_else(|| live.settings.clone());
        let accepted = self.check(&live, Module::Bytes(bytes), &settings)?;
        let version = history.number(accepted, settings, live.path.clone(), live.fixtures.clone());
        Ok(self.promote(&mut history, version, true))
    }

    /// The live module of `name` with new settings.
    pub fn swap_settings(&self, name: &str, settings: Value) -> Result<Promotion, SwapError> {
        let mut history = self.history();
        let live = self.live(name)?;
        let accepted = self.check(&live, live.compiled(), &settings)?;
        let version = history.number(accepted, settings, live.path.clone(), live.fixtures.clone());
        Ok(self.promote(&mut history, version, true))
    }

    /// A watched file changed: promotes it unless it holds the live module.
    pub fn swap_file(&self, name: &str, bytes: &[u8]) -> Result<Option<Promotion>, SwapError> {
        if self.live(name)?.sha256 == sha256_hex(bytes) {
            return Ok(None);
        }
        self.swap_module(name, bytes, None).map(Some)
    }

    fn check(
        &self,
        live: &PluginVersion,
        module: Module<'_>,
        settings: &Value,
    ) -> Result<Accepted, SwapError> {
        if !settings.is_object() {
            return Err(SwapError::Settings(settings.to_string()));
        }
        let accepted = self.validator.validate(&Submission {
            name: live.name(),
            module,
            settings,
            limits: live.limits(),
            fixtures: live.fixtures.as_deref(),
        });
        if let Err(refusal) = &accepted {
            tracing::warn!(plugin = %live.name(), live_version = live.version(), %refusal,
                "swap refused; the live version keeps running");
        }
        Ok(accepted?)
    }

    /// Makes `version` live in place of the plugin of the same name.
    /// `keep_shadow`: a trial running beside the replaced version goes on
    /// beside the new one.
    fn promote(
        &self,
        history: &mut History,
        version: PluginVersion,
        keep_shadow: bool,
    ) -> Promotion {
        let (name, number) = (version.name().clone(), version.version());
        let new = Arc::new(version);
        let mut replaced = None;
        let stages = self
            .with_stage(&name, |stage| {
                replaced = Some(stage.plugin.clone());
                Ok(SpecStage {
                    plugin: new.clone(),
                    shadow: stage.shadow.clone().filter(|_| keep_shadow),
                })
            })
            .expect("the plugin is live: checked before validation");
        let (chain_version, from_batch) = self.publish(stages);
        if let Some(old) = replaced {
            history.keep_previous(old);
        }
        if self.auto_rollback.is_some() {
            history.probation.push((name.clone(), number));
            self.on_probation.store(true, Ordering::Relaxed);
        }
        tracing::info!(plugin = %name, version = number, sha256 = %new.sha256,
            chain_version, from_batch, "plugin version promoted");
        Promotion {
            plugin: name.to_string(),
            version: number,
            sha256: new.sha256.clone(),
            chain_version,
            from_batch,
            from_cache: new.plugin.compile_time.is_zero(),
            compile_ms: millis(new.plugin.compile_time),
        }
    }

    /// Restores the version `name` ran before the live one.
    pub fn rollback(&self, name: &str, why: &str) -> Result<Promotion, SwapError> {
        let mut history = self.history();
        self.rollback_locked(&mut history, name, why)
    }

    fn rollback_locked(
        &self,
        history: &mut History,
        name: &str,
        why: &str,
    ) -> Result<Promotion, SwapError> {
        let live = self.live(name)?;
        let previous = history
            .previous
            .get_mut(name)
            .and_then(Vec::pop)
            .ok_or_else(|| SwapError::NoPrevious(name.to_owned()))?;
        let stages = self.with_stage(name, |stage| {
            Ok(SpecStage {
                plugin: previous.clone(),
                shadow: stage.shadow.clone(),
            })
        })?;
        let (chain_version, from_batch) = self.publish(stages);
        history
            .probation
            .retain(|(n, v)| !(n.as_ref() == name && *v == live.version()));
        tracing::warn!(plugin = %name, from_version = live.version(),
            to_version = previous.version(), chain_version, from_batch, reason = why,
            "plugin rolled back");
        Ok(Promotion {
            plugin: name.to_owned(),
            version: previous.version(),
            sha256: previous.sha256.clone(),
            chain_version,
            from_batch,
            from_cache: true,
            compile_ms: 0.0,
        })
    }

    /// Called by the reader after each batch: rolls back a version on
    /// probation whose faults passed the limit. Never waits for a change
    /// under way (it checks again after the next batch).
    pub fn check_faults(&self) {
        let Some(limit) = self.auto_rollback else {
            return;
        };
        if !self.on_probation.load(Ordering::Relaxed) {
            return;
        }
        let Ok(mut history) = self.history.try_lock() else {
            return;
        };
        let spec = self.current();
        let mut due = Vec::new();
        history.probation.retain(|(name, number)| {
            let Some(stage) = spec
                .stages
                .iter()
                .find(|s| s.plugin.name() == name && s.plugin.version() == *number)
            else {
                return false;
            };
            let counts = stage.plugin.counters.stage_stats(name.clone(), *number);
            let allowed = limit.max_fault_rate * limit.window_records as f64;
            if counts.faults as f64 > allowed {
                due.push((
                    name.clone(),
                    format!(
                        "{} faults in its first {} records passed the limit of {} \
                         ({} of a {}-record window)",
                        counts.faults,
                        counts.records_in,
                        allowed.floor(),
                        limit.max_fault_rate,
                        limit.window_records
                    ),
                ));
                return false;
            }
            counts.records_in < limit.window_records
        });
        for (name, why) in due {
            if let Err(error) = self.rollback_locked(&mut history, &name, &why) {
                tracing::error!(plugin = %name, %error, "automatic rollback impossible");
            }
        }
        self.on_probation
            .store(!history.probation.is_empty(), Ordering::Relaxed);
    }

    /// Makes the chain what the pipeline file now says. Plugins whose
    /// module, settings, limits and fixtures already match keep their live
    /// version; the others are validated, all before anything changes.
    pub fn reload(&self, plugins: &[PluginConfig]) -> Result<ReloadOutcome, SwapError> {
        let mut history = self.history();
        let spec = self.current();
        let mut outcome = ReloadOutcome::default();
        let mut planned = Vec::with_capacity(plugins.len());
        for config in plugins {
            let bytes = read_module(&config.name, &config.path)?;
            let settings = settings_json(config);
            let live = spec
                .stages
                .iter()
                .find(|s| s.plugin.name().as_ref() == config.name);
            if let Some(stage) = live {
                let plugin = &stage.plugin;
                if plugin.sha256 == sha256_hex(&bytes)
                    && plugin.settings == settings
                    && plugin.limits().memory_mib == config.limits.memory_mib
                    && plugin.limits().timeout_ms == config.limits.timeout_ms
                    && plugin.fixtures == config.fixtures
                {
                    outcome.unchanged.push(config.name.clone());
                    planned.push(Planned::Keep(SpecStage::clone(stage)));
                    continue;
                }
            }
            let accepted = self
                .validator
                .validate(&Submission {
                    name: &config.name,
                    module: Module::Bytes(&bytes),
                    settings: &settings,
                    limits: config.limits,
                    fixtures: config.fixtures.as_deref(),
                })
                .inspect_err(|refusal| {
                    tracing::warn!(plugin = %config.name, %refusal,
                        "reload refused; the pipeline keeps running as it was");
                })?;
            planned.push(Planned::New(
                Box::new(accepted),
                settings,
                config,
                live.map(|s| s.shadow.clone()).unwrap_or_default(),
            ));
        }
        outcome.removed = spec
            .stages
            .iter()
            .map(|s| s.plugin.name().to_string())
            .filter(|name| !plugins.iter().any(|p| &p.name == name))
            .collect();
        let mut promoted = Vec::new();
        let stages = planned
            .into_iter()
            .map(|plan| match plan {
                Planned::Keep(stage) => stage,
                Planned::New(accepted, settings, config, shadow) => {
                    let version = history.number(
                        *accepted,
                        settings,
                        Some(config.path.clone()),
                        config.fixtures.clone(),
                    );
                    let stage = SpecStage {
                        plugin: Arc::new(version),
                        shadow,
                    };
                    promoted.push(stage.plugin.clone());
                    stage
                }
            })
            .collect();
        if promoted.is_empty() && outcome.removed.is_empty() && spec.stages.len() == plugins.len() {
            outcome.chain_version = spec.version;
            return Ok(outcome);
        }
        let (chain_version, from_batch) = self.publish(stages);
        for old in &spec.stages {
            if promoted.iter().any(|p| p.name() == old.plugin.name()) {
                history.keep_previous(old.plugin.clone());
            }
        }
        outcome.promoted = promoted
            .iter()
            .map(|version| Promotion {
                plugin: version.name().to_string(),
                version: version.version(),
                sha256: version.sha256.clone(),
                chain_version,
                from_batch,
                from_cache: version.plugin.compile_time.is_zero(),
                compile_ms: millis(version.plugin.compile_time),
            })
            .collect();
        outcome.chain_version = chain_version;
        outcome.from_batch = Some(from_batch);
        tracing::info!(
            chain_version,
            from_batch,
            promoted = outcome.promoted.len(),
            removed = outcome.removed.len(),
            "plugins reloaded"
        );
        Ok(outcome)
    }

    /// Starts a shadow trial of a candidate beside the live `name`: a new
    /// module (`bytes`), or the live one with other settings.
    pub fn shadow_start(
        &self,
        name: &str,
        bytes: Option<&[u8]>,
        settings: Option<Value>,
    ) -> Result<ShadowView, SwapError> {
        let mut history = self.history();
        let live = self.live(name)?;
        if self.shadow_of(name)?.is_some() {
            return Err(SwapError::ShadowRunning(name.to_owned()));
        }
        let settings = settings.unwrap_or_else(|| live.settings.clone());
        let module = match bytes {
            Some(bytes) => Module::Bytes(bytes),
            None => live.compiled(),
        };
        let accepted = self.check(&live, module, &settings)?;
        let candidate = history.unnumbered(accepted, settings, live.fixtures.clone());
        let trial = Arc::new(ShadowTrial::new(candidate));
        let stages = self.with_stage(name, |stage| {
            Ok(SpecStage {
                plugin: stage.plugin.clone(),
                shadow: Some(trial.clone()),
            })
        })?;
        let (chain_version, from_batch) = self.publish(stages);
        tracing::info!(plugin = %name, sha256 = %trial.candidate.sha256, chain_version,
            from_batch, "shadow trial started");
        Ok(shadow_view(&trial))
    }

    pub fn shadow_report(&self, name: &str) -> Result<ShadowView, SwapError> {
        self.shadow_of(name)?
            .map(|trial| shadow_view(&trial))
            .ok_or_else(|| SwapError::NoShadow(name.to_owned()))
    }

    /// Ends the trial; `promote` makes the candidate the live version.
    pub fn shadow_end(&self, name: &str, promote: bool) -> Result<ShadowEnded, SwapError> {
        let mut history = self.history();
        let trial = self
            .shadow_of(name)?
            .ok_or_else(|| SwapError::NoShadow(name.to_owned()))?;
        let report = trial.report();
        let promotion = if promote {
            let version = history.renumber(&trial.candidate);
            Some(self.promote(&mut history, version, false))
        } else {
            let stages = self.with_stage(name, |stage| {
                Ok(SpecStage {
                    plugin: stage.plugin.clone(),
                    shadow: None,
                })
            })?;
            self.publish(stages);
            tracing::info!(plugin = %name, "shadow trial ended");
            None
        };
        Ok(ShadowEnded { report, promotion })
    }

    fn shadow_of(&self, name: &str) -> Result<Option<Arc<ShadowTrial>>, SwapError> {
        self.current()
            .stages
            .iter()
            .find(|s| s.plugin.name().as_ref() == name)
            .map(|s| s.shadow.clone())
            .ok_or_else(|| SwapError::UnknownPlugin(name.to_owned()))
    }

    pub fn view(&self) -> ChainView {
        let (spec, batches) = {
            let published = self.published();
            (published.spec.clone(), published.batches)
        };
        let history = self.history.lock().ok();
        let plugins = spec
            .stages
            .iter()
            .map(|stage| {
                let plugin = &stage.plugin;
                PluginView {
                    name: plugin.name().to_string(),
                    version: plugin.version(),
                    sha256: plugin.sha256.clone(),
                    interface: INTERFACE,
                    loaded_at: plugin.loaded_at.clone(),
                    settings: plugin.settings.clone(),
                    limits: LimitsView {
                        memory_mib: plugin.limits().memory_mib,
                        timeout_ms: plugin.limits().timeout_ms,
                    },
                    path: plugin.path.clone(),
                    fixtures: plugin.fixtures.clone(),
                    counters: plugin
                        .counters
                        .stage_stats(plugin.name().clone(), plugin.version()),
                    previous_version: history.as_ref().and_then(|h| {
                        h.previous
                            .get(plugin.name())
                            .and_then(|p| p.last())
                            .map(|p| p.version())
                    }),
                    shadow: stage.shadow.as_deref().map(shadow_view),
                }
            })
            .collect();
        ChainView {
            chain_version: spec.version,
            batches_read: batches,
            plugins,
        }
    }

    /// Every version that was ever live, with its counters: the summary's
    /// plugin table (one row per plugin when nothing was swapped).
    pub fn stage_stats(&self) -> Vec<StageStats> {
        self.history()
            .ledger
            .iter()
            .map(|(name, version, counters)| counters.stage_stats(name.clone(), *version))
            .collect()
    }
}

pub struct ShadowEnded {
    pub report: ShadowReport,
    pub promotion: Option<Promotion>,
}

enum Planned<'a> {
    Keep(SpecStage),
    New(
        Box<Accepted>,
        Value,
        &'a PluginConfig,
        Option<Arc<ShadowTrial>>,
    ),
}

fn shadow_view(trial: &ShadowTrial) -> ShadowView {
    ShadowView {
        sha256: trial.candidate.sha256.clone(),
        settings: trial.candidate.settings.clone(),
        started_at: trial.started_at.clone(),
        report: trial.report(),
    }
}

impl SpecStage {
    fn clone(stage: &SpecStage) -> SpecStage {
        SpecStage {
            plugin: stage.plugin.clone(),
            shadow: stage.shadow.clone(),
        }
    }
}

impl History {
    /// Gives an accepted candidate the next version number of its plugin.
    fn number(
        &mut self,
        accepted: Accepted,
        settings: Value,
        path: Option<PathBuf>,
        fixtures: Option<PathBuf>,
    ) -> PluginVersion {
        let version = self.unnumbered(accepted, settings, fixtures);
        let version = PluginVersion { path, ..version };
        self.renumber(&version)
    }

    /// A version for a shadow trial: numbered only if it is promoted.
    fn unnumbered(
        &mut self,
        accepted: Accepted,
        settings: Value,
        fixtures: Option<PathBuf>,
    ) -> PluginVersion {
        let mut plugin = accepted.plugin;
        plugin.compile_time = accepted.compile_time;
        PluginVersion {
            plugin,
            sha256: accepted.sha256,
            loaded_at: chrono::Utc::now().to_rfc3339(),
            settings,
            path: None,
            fixtures,
            counters: Arc::default(),
        }
    }

    /// A copy of `version` with the next number and fresh counters, entered
    /// in the ledger.
    fn renumber(&mut self, version: &PluginVersion) -> PluginVersion {
        let number = self.numbers.entry(version.name().clone()).or_default();
        *number += 1;
        let mut plugin = version.plugin.clone();
        plugin.version = *number;
        let counters = Arc::<LiveCounters>::default();
        self.ledger
            .push((plugin.name.clone(), plugin.version, counters.clone()));
        PluginVersion {
            plugin,
            sha256: version.sha256.clone(),
            loaded_at: version.loaded_at.clone(),
            settings: version.settings.clone(),
            path: version.path.clone(),
            fixtures: version.fixtures.clone(),
            counters,
        }
    }

    fn keep_previous(&mut self, old: Arc<PluginVersion>) {
        let kept = self.previous.entry(old.name().clone()).or_default();
        kept.push(old);
        if kept.len() > KEPT_FOR_ROLLBACK {
            kept.remove(0);
        }
    }
}
