//! One version of one plugin as the registry knows it: the compiled module
//! with its settings, where it came from, and the counters the workers add
//! to while it is live. What a chain of them looks like when published to
//! the workers is [`ChainSpec`].

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::chain::StageStats;
use super::runtime::LoadedPlugin;
use super::shadow::ShadowTrial;
use crate::config::PluginLimits;

/// The interface every plugin component implements (`guest-sdk/wit`).
pub const INTERFACE: &str = "sluice:filter@1";

/// A plugin version that passed validation and may run.
pub struct PluginVersion {
    /// The compiled module with this version's settings, limits and number.
    pub plugin: LoadedPlugin,
    /// Hex sha256 of the module's bytes.
    pub sha256: String,
    /// RFC 3339, when this version was validated.
    pub loaded_at: String,
    /// The settings as the JSON object `init` received.
    pub settings: serde_json::Value,
    /// The file it was read from, watched when `[hot_swap] watch` is on;
    /// `None` for a module uploaded through the admin API.
    pub path: Option<PathBuf>,
    /// A `sluice test` fixtures folder every later version must pass too.
    pub fixtures: Option<PathBuf>,
    pub counters: Arc<LiveCounters>,
}

impl PluginVersion {
    pub fn name(&self) -> &Arc<str> {
        &self.plugin.name
    }

    pub fn version(&self) -> u64 {
        self.plugin.version
    }

    pub fn limits(&self) -> PluginLimits {
        self.plugin.limits
    }

    /// This version's code, for a candidate that changes only settings.
    pub fn compiled(&self) -> super::candidate::Module<'_> {
        super::candidate::Module::Compiled(&self.plugin, &self.sha256)
    }
}

/// What the workers run: the plugins in order, and a version number that
/// grows with every change. Each batch is stamped with the spec that was
/// current when it was read and runs under it from start to end.
pub struct ChainSpec {
    pub version: u64,
    pub stages: Vec<SpecStage>,
}

pub struct SpecStage {
    pub plugin: Arc<PluginVersion>,
    /// A candidate that runs beside the live version on the same batches,
    /// its output compared and discarded.
    pub shadow: Option<Arc<ShadowTrial>>,
}

/// A plugin version's counters, added to by every worker after each batch
/// and readable at any time.
#[derive(Default)]
pub struct LiveCounters {
    records_in: AtomicU64,
    passed: AtomicU64,
    replaced: AtomicU64,
    dropped: AtomicU64,
    split: AtomicU64,
    rejected: AtomicU64,
    faults: AtomicU64,
    busy_nanos: AtomicU64,
    breaker_trips: AtomicU64,
    bypassed: AtomicU64,
    blocked: AtomicU64,
    /// Instances whose breaker is open now.
    breakers_open: AtomicU64,
}

impl LiveCounters {
    /// Adds what one instance counted since its `earlier` reading.
    pub fn add_since(&self, now: &StageStats, earlier: &StageStats) {
        let add = |counter: &AtomicU64, now: u64, earlier: u64| {
            counter.fetch_add(now - earlier, Ordering::Relaxed);
        };
        add(&self.records_in, now.records_in, earlier.records_in);
        add(&self.passed, now.passed, earlier.passed);
        add(&self.replaced, now.replaced, earlier.replaced);
        add(&self.dropped, now.dropped, earlier.dropped);
        add(&self.split, now.split, earlier.split);
        add(&self.rejected, now.rejected, earlier.rejected);
        add(&self.faults, now.faults, earlier.faults);
        let nanos = ((now.busy_seconds - earlier.busy_seconds).max(0.0) * 1e9) as u64;
        self.busy_nanos.fetch_add(nanos, Ordering::Relaxed);
        add(
            &self.breaker_trips,
            now.breaker_trips,
            earlier.breaker_trips,
        );
        add(&self.bypassed, now.bypassed, earlier.bypassed);
        add(&self.blocked, now.blocked, earlier.blocked);
        match (earlier.breaker_open, now.breaker_open) {
            (false, true) => {
                self.breakers_open.fetch_add(1, Ordering::Relaxed);
            }
            (true, false) => {
                self.breakers_open.fetch_sub(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }

    /// A reading, as the run summary's entry for this version.
    pub fn stage_stats(&self, name: Arc<str>, version: u64) -> StageStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        StageStats {
            name,
            version,
            records_in: read(&self.records_in),
            passed: read(&self.passed),
            replaced: read(&self.replaced),
            dropped: read(&self.dropped),
            split: read(&self.split),
            rejected: read(&self.rejected),
            faults: read(&self.faults),
            busy_seconds: read(&self.busy_nanos) as f64 / 1e9,
            breaker_trips: read(&self.breaker_trips),
            bypassed: read(&self.bypassed),
            blocked: read(&self.blocked),
            breaker_open: read(&self.breakers_open) > 0,
        }
    }
}
