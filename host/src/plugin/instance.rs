//! One sandboxed instance of one plugin: its own store, memory cap, deadline
//! and WASI context. An instance that faulted is never reused (its state may
//! be corrupt); the chain replaces it.
//!
//! The memory cap is the instance's, not one linear memory's: a component
//! made of several core modules has several memories, and [`MemoryCap`]
//! books every growth of any of them against one total. A growth it refuses
//! is recorded, so that the fault is classified from the refusal itself
//! rather than from an error message.

use std::time::Duration;

use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Store, Trap};
use wasmtime_wasi::{
    Deterministic, HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView,
    WasiView,
};

use super::Outcome;
use super::bindings::Filter;
use super::runtime::{EPOCH_TICK, LoadedPlugin, PluginError};
use crate::config::PluginLimits;

/// Table elements one instance may hold (8 bytes each): far more than the
/// largest interpreter component needs, far less than the host's memory.
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

/// What the store of a plugin instance holds besides the guest.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    memory: MemoryCap,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// The store's limiter: one byte budget for all the instance's linear
/// memories together.
struct MemoryCap {
    limit_bytes: usize,
    /// Bytes of every memory of the instance, as granted so far.
    committed: usize,
    /// The growth granted last, taken back if wasmtime then fails it.
    last_grant: usize,
    /// Set when a growth was refused because of the cap.
    refused: bool,
}

/// The error a refused growth traps with (the flag on [`MemoryCap`] is what
/// classifies the fault).
#[derive(Debug, thiserror::Error)]
#[error("memory cap of {limit_bytes} bytes reached: {committed} in use, {asked} more asked")]
struct CapReached {
    limit_bytes: usize,
    committed: usize,
    asked: usize,
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let asked = desired.saturating_sub(current);
        if self.committed.saturating_add(asked) > self.limit_bytes {
            self.refused = true;
            return Err(CapReached {
                limit_bytes: self.limit_bytes,
                committed: self.committed,
                asked,
            }
            .into());
        }
        self.committed += asked;
        self.last_grant = asked;
        Ok(true)
    }

    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.committed -= std::mem::take(&mut self.last_grant);
        Ok(())
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// A clock that always reads zero: what a plugin without `allow_clock` sees.
struct StoppedClock;

impl HostWallClock for StoppedClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for StoppedClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// The WASI a plugin gets: standard error only (for its author's debugging
/// output); no files, sockets, name lookups, environment or arguments; the
/// clocks and random sources only when its limits allow them.
fn wasi_context(limits: &PluginLimits) -> WasiCtx {
    let mut wasi = WasiCtxBuilder::new();
    wasi.inherit_stderr()
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false);
    if !limits.allow_clock {
        wasi.wall_clock(StoppedClock).monotonic_clock(StoppedClock);
    }
    if !limits.allow_random {
        // Bytes with no pattern a guest could mistake for a broken source;
        // not secret, by design.
        let fixed = || Deterministic::new((0..=255u8).rev().collect());
        wasi.secure_random(fixed())
            .insecure_random(fixed())
            .insecure_random_seed(0);
    }
    wasi.build()
}

/// Why a `process` call produced no usable outcomes.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PluginFault {
    #[error("timed out after {0} ms")]
    Timeout(u64),
    #[error("exceeded its memory limit of {0} MiB")]
    OutOfMemory(u64),
    #[error("overflowed its stack")]
    StackOverflow,
    #[error("trapped: {0}")]
    Trap(String),
    #[error("returned {returned} outcomes for {expected} records")]
    WrongOutcomeCount { returned: usize, expected: usize },
    /// Output that is not what the world promises (UTF-8, one JSON object).
    #[error("returned an invalid record: {0}")]
    InvalidOutput(String),
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
        let limits = plugin.limits;
        let state = HostState {
            wasi: wasi_context(&limits),
            table: ResourceTable::new(),
            memory: MemoryCap {
                limit_bytes: (limits.memory_mib as usize).saturating_mul(1024 * 1024),
                committed: 0,
                last_grant: 0,
                refused: false,
            },
        };
        let mut store = Store::new(&plugin.engine, state);
        store.limiter(|state| &mut state.memory);
        store.epoch_deadline_trap();
        store.set_epoch_deadline(deadline_ticks(limits.timeout_ms));
        let filter = plugin.pre.instantiate(&mut store).map_err(failed)?;
        store.set_epoch_deadline(deadline_ticks(limits.timeout_ms));
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
            .map_err(|error| self.classify(&error))?;
        if outcomes.len() != batch.len() {
            return Err(PluginFault::WrongOutcomeCount {
                returned: outcomes.len(),
                expected: batch.len(),
            });
        }
        Ok(outcomes)
    }

    fn classify(&self, error: &wasmtime::Error) -> PluginFault {
        let limits = self.plugin.limits;
        if self.store.data().memory.refused {
            return PluginFault::OutOfMemory(limits.memory_mib);
        }
        match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => PluginFault::Timeout(limits.timeout_ms),
            Some(Trap::StackOverflow) => PluginFault::StackOverflow,
            _ => PluginFault::Trap(format!("{error:#}")),
        }
    }
}

fn deadline_ticks(timeout_ms: u64) -> u64 {
    timeout_ms.div_ceil(EPOCH_TICK.as_millis() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use wasmtime::component::{Component, Linker};
    use wasmtime::{Engine, Instance, Module, StoreLimitsBuilder};

    use super::*;
    use crate::plugin::bindings::FilterPre;

    const MIB: usize = 1024 * 1024;

    /// A core module with two linear memories of 40 MiB each (640 pages):
    /// the memory section holds two entries with only a minimum.
    const TWO_MEMORIES_OF_40_MIB: &[u8] = &[
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
        0x05, 0x07, 0x02, // memory section: 7 bytes, 2 memories
        0x00, 0x80, 0x05, // min 640 pages
        0x00, 0x80, 0x05, // min 640 pages
    ];

    fn cap(mib: usize) -> MemoryCap {
        MemoryCap {
            limit_bytes: mib * MIB,
            committed: 0,
            last_grant: 0,
            refused: false,
        }
    }

    #[test]
    fn the_memory_cap_counts_every_memory_of_an_instance() {
        let engine = Engine::default();
        let module = Module::new(&engine, TWO_MEMORIES_OF_40_MIB).unwrap();

        // wasmtime's own limits are per memory: 80 MiB in all gets past 64.
        let mut per_memory = Store::new(
            &engine,
            StoreLimitsBuilder::new().memory_size(64 * MIB).build(),
        );
        per_memory.limiter(|limits| limits);
        assert!(Instance::new(&mut per_memory, &module, &[]).is_ok());

        let mut capped = Store::new(&engine, cap(64));
        capped.limiter(|cap| cap);
        let error = Instance::new(&mut capped, &module, &[]).unwrap_err();
        assert!(capped.data().refused, "{error:#}");
        assert_eq!(capped.data().committed, 40 * MIB, "the first memory fits");

        let mut roomy = Store::new(&engine, cap(100));
        roomy.limiter(|cap| cap);
        assert!(Instance::new(&mut roomy, &module, &[]).is_ok());
        assert_eq!(
            (roomy.data().committed, roomy.data().refused),
            (80 * MIB, false)
        );
    }

    /// How the deadline is enforced, for the measurement below.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Deadline {
        None,
        Epoch,
        Fuel,
    }

    /// What the host does before each call: a fresh deadline.
    fn refill(way: Deadline, store: &mut Store<HostState>) {
        match way {
            Deadline::Epoch => store.set_epoch_deadline(1_000_000),
            Deadline::Fuel => store.set_fuel(u64::MAX).unwrap(),
            Deadline::None => {}
        }
    }

    /// Records per second through flatten-retweets with each way of
    /// enforcing a deadline, interleaved batch by batch so that the
    /// machine's noise hits all three alike.
    #[test]
    #[ignore = "measurement: make plugins; cargo test --release -p sluice --lib deadline_cost -- --ignored --nocapture"]
    fn deadline_cost() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let wasm =
            std::fs::read(root.join("target/wasm32-wasip2/wasm/flatten_retweets.wasm")).unwrap();
        let text = std::fs::read_to_string(root.join("data/rtweet-fixtures.ndjson")).unwrap();
        let records: Vec<Vec<u8>> = text.lines().map(|l| l.as_bytes().to_vec()).collect();
        let batches: Vec<&[Vec<u8>]> = records.chunks(256).collect();

        let ways = [Deadline::None, Deadline::Epoch, Deadline::Fuel];
        // The fastest of the rounds for each batch and way: what the code
        // costs, without the time other processes took the core.
        let mut fastest = vec![[f64::MAX; 3]; batches.len()];
        let filters: Vec<_> = ways
            .iter()
            .map(|&way| {
                let mut config = wasmtime::Config::new();
                config.wasm_component_model(true);
                config.epoch_interruption(way == Deadline::Epoch);
                config.consume_fuel(way == Deadline::Fuel);
                let engine = Engine::new(&config).unwrap();
                let mut linker = Linker::new(&engine);
                wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
                let component = Component::new(&engine, &wasm).unwrap();
                let pre = FilterPre::new(linker.instantiate_pre(&component).unwrap()).unwrap();
                let state = HostState {
                    wasi: wasi_context(&PluginLimits::default()),
                    table: ResourceTable::new(),
                    memory: cap(256),
                };
                let mut store = Store::new(&engine, state);
                store.limiter(|state| &mut state.memory);
                refill(way, &mut store);
                let filter = pre.instantiate(&mut store).unwrap();
                filter.call_init(&mut store, "{}").unwrap().unwrap();
                (way, store, filter)
            })
            .collect();
        let mut filters = filters;
        let rounds = 10;
        for _ in 0..rounds {
            for (batch, fastest) in batches.iter().zip(&mut fastest) {
                for (slot, (way, store, filter)) in filters.iter_mut().enumerate() {
                    refill(*way, store);
                    let started = Instant::now();
                    let outcomes = filter.call_process(&mut *store, batch).unwrap();
                    fastest[slot] = fastest[slot].min(started.elapsed().as_secs_f64());
                    assert_eq!(outcomes.len(), batch.len());
                }
            }
        }
        let rate = |slot: usize| {
            records.len() as f64 / fastest.iter().map(|batch| batch[slot]).sum::<f64>()
        };
        println!(
            "records/s: none {:.0}, epoch {:.0} ({:.3}x), fuel {:.0} ({:.3}x)",
            rate(0),
            rate(1),
            rate(1) / rate(0),
            rate(2),
            rate(2) / rate(0)
        );
    }
}
