//! Validation before promotion: a module and its settings become a version
//! only after they compiled (from the compile cache when the module was seen
//! before), proved to be a `sluice:filter@1` component with every export,
//! were instantiated under their limits, had `init` accept the settings,
//! and passed the plugin's fixtures when it declares some. What happens to
//! a version that passed is `registry`'s business.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::fixtures;
use super::instance::PluginInstance;
use super::runtime::{LoadedPlugin, PluginError, PluginRuntime};
use crate::config::PluginLimits;

/// Compiled modules kept for a later swap to the same bytes.
const CACHED_MODULES: usize = 16;

/// Why a candidate was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Plugin(#[from] PluginError),
    #[error("plugin `{name}`: its fixtures {dir} cannot be read: {reason}")]
    FixturesUnreadable {
        name: String,
        dir: String,
        reason: String,
    },
    #[error("plugin `{name}`: fails its fixtures ({dir}): {detail}")]
    FixturesFailed {
        name: String,
        dir: String,
        detail: String,
    },
}

/// What to validate.
pub struct Submission<'a> {
    pub name: &'a str,
    pub module: Module<'a>,
    /// A JSON object, as `init` receives it.
    pub settings: &'a serde_json::Value,
    pub limits: PluginLimits,
    pub fixtures: Option<&'a Path>,
}

/// The code of a candidate.
#[derive(Clone, Copy)]
pub enum Module<'a> {
    /// A module's bytes, compiled unless the cache has them.
    Bytes(&'a [u8]),
    /// The code of a version that already passed (new settings for it).
    Compiled(&'a LoadedPlugin, &'a str),
}

/// A submission that passed, not yet numbered.
pub struct Accepted {
    pub plugin: LoadedPlugin,
    pub sha256: String,
    /// Compile time; zero when the module came from the cache.
    pub compile_time: Duration,
    pub from_cache: bool,
    pub validation_time: Duration,
}

/// Validates candidates with the process's one engine, keeping what it
/// compiled.
pub struct Validator {
    runtime: PluginRuntime,
    compiled: Mutex<HashMap<String, LoadedPlugin>>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Validator {
    pub fn new(runtime: PluginRuntime) -> Self {
        Validator {
            runtime,
            compiled: Mutex::new(HashMap::new()),
        }
    }

    pub fn validate(&self, submission: &Submission<'_>) -> Result<Accepted, Refusal> {
        let started = Instant::now();
        let config_json = submission.settings.to_string();
        let (sha256, cached) = match submission.module {
            Module::Compiled(plugin, sha256) => (sha256.to_owned(), Some(plugin.clone())),
            Module::Bytes(bytes) => {
                let sha256 = sha256_hex(bytes);
                let cached = self
                    .compiled
                    .lock()
                    .expect("compile cache lock")
                    .get(&sha256)
                    .cloned();
                (sha256, cached)
            }
        };
        let from_cache = cached.is_some();
        let compiled = match (cached, submission.module) {
            (Some(compiled), _) => compiled,
            (None, Module::Compiled(..)) => unreachable!("compiled code is always at hand"),
            (None, Module::Bytes(bytes)) => {
                // Compiling checks the component and its exports; a module
                // that fails here never reaches the cache.
                let compiled = self.runtime.load_bytes(
                    submission.name,
                    bytes,
                    config_json.clone(),
                    submission.limits,
                )?;
                let mut cache = self.compiled.lock().expect("compile cache lock");
                if cache.len() >= CACHED_MODULES {
                    cache.clear();
                }
                cache.insert(sha256.clone(), compiled.clone());
                compiled
            }
        };
        let compile_time = if from_cache {
            Duration::ZERO
        } else {
            compiled.compile_time
        };
        let plugin = LoadedPlugin {
            name: submission.name.into(),
            config_json: config_json.into(),
            limits: submission.limits,
            ..compiled
        };
        // Instantiates under the limits and runs `init` with the settings.
        drop(PluginInstance::new(&plugin)?);
        if let Some(dir) = submission.fixtures {
            pass_fixtures(&plugin, dir)?;
        }
        Ok(Accepted {
            plugin,
            sha256,
            compile_time,
            from_cache,
            validation_time: started.elapsed(),
        })
    }
}

/// Every case must pass, on the candidate's own settings unless the case
/// brings its own (as `sluice test` runs them).
fn pass_fixtures(plugin: &LoadedPlugin, dir: &Path) -> Result<(), Refusal> {
    let name = plugin.name.to_string();
    let shown = dir.display().to_string();
    let cases = fixtures::load_cases(dir).map_err(|e| Refusal::FixturesUnreadable {
        name: name.clone(),
        dir: shown.clone(),
        reason: e.to_string(),
    })?;
    for case in &cases {
        let report = fixtures::run_case(plugin, case, &plugin.config_json)?;
        if let Some(failure) = report.failures.first() {
            let record = failure.record.as_deref().unwrap_or("the case");
            return Err(Refusal::FixturesFailed {
                name,
                dir: shown,
                detail: format!(
                    "case {}, {record}: {}",
                    report.name,
                    failure.lines.join("; ")
                ),
            });
        }
    }
    Ok(())
}
