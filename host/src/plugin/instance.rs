//! One sandboxed instance of one plugin: its own store, memory cap and
//! deadline. An instance that faulted is never reused (its state may be
//! corrupt); the chain replaces it.

use wasmtime::component::ResourceTable;
use wasmtime::{Store, StoreLimits, StoreLimitsBuilder, Trap};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::Outcome;
use super::bindings::Filter;
use super::runtime::{EPOCH_TICK, LoadedPlugin, PluginError};

/// What the store of a plugin instance holds besides the guest.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Why a `process` call produced no usable outcomes.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PluginFault {
    #[error("timed out after {0} ms")]
    Timeout(u64),
    #[error("exceeded its memory limit of {0} MiB")]
    OutOfMemory(u64),
    #[error("trapped: {0}")]
    Trap(String),
    #[error("returned {returned} outcomes for {expected} records")]
    WrongOutcomeCount { returned: usize, expected: usize },
}

pub struct PluginInstance {
    plugin: LoadedPlugin,
    store: Store<HostState>,
    filter: Filter,
}

impl PluginInstance {
    /// Instantiates the plugin and runs its `init` with its config.
    pub fn new(plugin: &LoadedPlugin) -> Result<Self, PluginError> {
        let failed = |e: wasmtime::Error| PluginError::InitFailed {
            name: plugin.name.to_string(),
            reason: format!("{e:#}"),
        };
        let limits = StoreLimitsBuilder::new()
            .memory_size(plugin.limits.memory_mib as usize * 1024 * 1024)
            .trap_on_grow_failure(true)
            .build();
        let state = HostState {
            // Standard error only, for the author's debugging output: no
            // files, sockets, environment or arguments.
            wasi: WasiCtxBuilder::new().inherit_stderr().build(),
            table: ResourceTable::new(),
            limits,
        };
        let mut store = Store::new(&plugin.engine, state);
        store.limiter(|state| &mut state.limits);
        store.epoch_deadline_trap();
        store.set_epoch_deadline(deadline_ticks(plugin.limits.timeout_ms));
        let filter = plugin.pre.instantiate(&mut store).map_err(failed)?;
        store.set_epoch_deadline(deadline_ticks(plugin.limits.timeout_ms));
        filter
            .call_init(&mut store, &plugin.config_json)
            .map_err(failed)?
            .map_err(|reason| PluginError::InitRefused {
                name: plugin.name.to_string(),
                reason,
            })?;
        Ok(PluginInstance {
            plugin: plugin.clone(),
            store,
            filter,
        })
    }

    pub fn plugin(&self) -> &LoadedPlugin {
        &self.plugin
    }

    /// Runs one batch: exactly one outcome per record, or a fault.
    pub fn process(&mut self, batch: &[Vec<u8>]) -> Result<Vec<Outcome>, PluginFault> {
        let limits = self.plugin.limits;
        self.store
            .set_epoch_deadline(deadline_ticks(limits.timeout_ms));
        let outcomes = self
            .filter
            .call_process(&mut self.store, batch)
            .map_err(|error| classify(&error, limits.timeout_ms, limits.memory_mib))?;
        if outcomes.len() != batch.len() {
            return Err(PluginFault::WrongOutcomeCount {
                returned: outcomes.len(),
                expected: batch.len(),
            });
        }
        Ok(outcomes)
    }
}

fn deadline_ticks(timeout_ms: u64) -> u64 {
    timeout_ms.div_ceil(EPOCH_TICK.as_millis() as u64).max(1)
}

fn classify(error: &wasmtime::Error, timeout_ms: u64, memory_mib: u64) -> PluginFault {
    if error.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
        return PluginFault::Timeout(timeout_ms);
    }
    let message = format!("{error:#}");
    if message.contains("forcing trap when growing memory") {
        return PluginFault::OutOfMemory(memory_mib);
    }
    PluginFault::Trap(message)
}
