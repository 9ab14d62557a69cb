//! The one place that configures wasmtime: the engine, its deadline clock, and
//! what a plugin may import (WASI with no files, no network, no environment).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, EngineWeak};

use super::bindings::FilterPre;
use super::instance::HostState;
use crate::config::{PluginConfig, PluginLimits};

/// How often the deadline clock ticks. A plugin call overruns its timeout by
/// at most one tick.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Stack one plugin call may use (wasmtime's default, stated): unbounded
/// recursion traps here, far inside the worker thread's own 2 MiB stack.
const MAX_WASM_STACK: usize = 512 * 1024;

/// The package every filter's interface lives in, and the version this host
/// implements.
pub(crate) const PACKAGE: &str = "sluice:filter";
const VERSION: &str = "1.0.0";

/// The functions the `filter` world exports.
const EXPORTS: [&str; 2] = ["init", "process"];

#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("plugin `{name}`: cannot read {path}")]
    Read {
        name: String,
        path: String,
        source: std::io::Error,
    },
    #[error("plugin `{name}`: not a valid sluice:filter@1 component: {reason}")]
    Invalid { name: String, reason: String },
    #[error(
        "plugin `{name}`: not a valid sluice:filter@1 component: missing export {} \
         ({PACKAGE}@{VERSION} exports `init` and `process`)",
        missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
    )]
    MissingExports { name: String, missing: Vec<String> },
    #[error(
        "plugin `{name}`: not a valid sluice:filter@1 component: built for {found}; \
         this host runs {PACKAGE}@{VERSION}"
    )]
    WrongInterface { name: String, found: String },
    #[error(
        "plugin `{name}`: circuit breaker tripped ({faults} of its last {window} records \
         faulted; last fault: {last_fault}) and its `on_trip` is `stop`"
    )]
    Tripped {
        name: String,
        faults: usize,
        window: usize,
        last_fault: String,
    },
    #[error("plugin `{name}`: init refused its config: {reason}")]
    InitRefused { name: String, reason: String },
    #[error("plugin `{name}`: init failed: {reason}")]
    InitFailed { name: String, reason: String },
    #[error("cannot configure the WebAssembly engine: {0}")]
    Engine(String),
}

/// The engine shared by every plugin, and the clock that enforces deadlines.
#[derive(Clone)]
pub struct PluginRuntime {
    engine: Engine,
    linker: Arc<Linker<HostState>>,
}

/// A compiled plugin, ready to be instantiated any number of times.
#[derive(Clone)]
pub struct LoadedPlugin {
    pub name: Arc<str>,
    /// 1 when loaded; hot swap numbers later versions of the same plugin.
    pub version: u64,
    pub(crate) engine: Engine,
    pub(crate) pre: FilterPre<HostState>,
    /// The plugin's config as the JSON object its `init` receives.
    pub(crate) config_json: Arc<str>,
    pub(crate) limits: PluginLimits,
    pub compile_time: Duration,
    pub size_bytes: usize,
}

impl PluginRuntime {
    pub fn new() -> Result<Self, PluginError> {
        let mut config = wasmtime::Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.max_wasm_stack(MAX_WASM_STACK);
        // `perf` sees guest code as anonymous JIT addresses; with
        // SLUICE_WASM_PERFMAP=1 wasmtime writes /tmp/perf-PID.map so that
        // `perf report` names the plugins' functions.
        if std::env::var_os("SLUICE_WASM_PERFMAP").is_some_and(|v| v == "1") {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        // Python and JavaScript components take tens of seconds to compile;
        // the on-disk cache makes every later start of the same plugin cheap.
        match wasmtime::Cache::new(wasmtime::CacheConfig::new()) {
            Ok(cache) => {
                config.cache(Some(cache));
            }
            Err(error) => tracing::warn!(%error, "compiled-plugin cache unavailable"),
        }
        let engine = Engine::new(&config).map_err(|e| PluginError::Engine(format!("{e:#}")))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| PluginError::Engine(format!("{e:#}")))?;
        spawn_epoch_clock(engine.weak());
        Ok(PluginRuntime {
            engine,
            linker: Arc::new(linker),
        })
    }

    /// Compiles and links a plugin described in the pipeline config.
    pub fn load(&self, plugin: &PluginConfig) -> Result<LoadedPlugin, PluginError> {
        let config_json = serde_json::to_string(&plugin.config)
            .expect("a TOML table always converts to a JSON object");
        self.load_file(&plugin.name, &plugin.path, config_json, plugin.limits)
    }

    pub fn load_file(
        &self,
        name: &str,
        path: &Path,
        config_json: String,
        limits: PluginLimits,
    ) -> Result<LoadedPlugin, PluginError> {
        let bytes = std::fs::read(path).map_err(|source| PluginError::Read {
            name: name.to_owned(),
            path: path.display().to_string(),
            source,
        })?;
        self.load_bytes(name, &bytes, config_json, limits)
    }

    pub fn load_bytes(
        &self,
        name: &str,
        bytes: &[u8],
        config_json: String,
        limits: PluginLimits,
    ) -> Result<LoadedPlugin, PluginError> {
        let invalid = |e: wasmtime::Error| PluginError::Invalid {
            name: name.to_owned(),
            reason: format!("{e:#}"),
        };
        let started = Instant::now();
        let component = Component::new(&self.engine, bytes).map_err(invalid)?;
        let compile_time = started.elapsed();
        check_interface(name, &self.engine, &component)?;
        let instance_pre = self.linker.instantiate_pre(&component).map_err(invalid)?;
        let pre = FilterPre::new(instance_pre).map_err(invalid)?;
        Ok(LoadedPlugin {
            name: name.into(),
            version: 1,
            engine: self.engine.clone(),
            pre,
            config_json: config_json.into(),
            limits,
            compile_time,
            size_bytes: bytes.len(),
        })
    }
}

/// Refuses a component built for another version of the interface or
/// missing one of its exports, naming what is wrong (wasmtime's own linking
/// error says only that an export is absent or mistyped).
fn check_interface(name: &str, engine: &Engine, component: &Component) -> Result<(), PluginError> {
    let ty = component.component_type();
    if let Some(found) = ty
        .imports(engine)
        .chain(ty.exports(engine))
        .filter_map(|(item, _)| interface_version(item))
        .find(|found| *found != format!("{PACKAGE}@{VERSION}"))
    {
        return Err(PluginError::WrongInterface {
            name: name.to_owned(),
            found,
        });
    }
    let exported: Vec<&str> = ty.exports(engine).map(|(item, _)| item).collect();
    let missing: Vec<String> = EXPORTS
        .iter()
        .filter(|export| !exported.contains(export))
        .map(|export| export.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(PluginError::MissingExports {
            name: name.to_owned(),
            missing,
        });
    }
    Ok(())
}

/// `sluice:filter/types@1.0.0` -> `sluice:filter@1.0.0`.
pub(crate) fn interface_version(item: &str) -> Option<String> {
    let rest = item.strip_prefix(PACKAGE)?.strip_prefix('/')?;
    let (_, version) = rest.split_once('@')?;
    Some(format!("{PACKAGE}@{version}"))
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until the engine is gone.
fn spawn_epoch_clock(engine: EngineWeak) {
    std::thread::Builder::new()
        .name("sluice-epoch".into())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawning the plugin deadline clock");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_comes_from_the_filter_package_only() {
        assert_eq!(
            interface_version("sluice:filter/types@1.0.0").as_deref(),
            Some("sluice:filter@1.0.0")
        );
        assert_eq!(interface_version("wasi:cli/environment@0.2.6"), None);
        assert_eq!(interface_version("sluice:filterx/types@1.0.0"), None);
    }
}
