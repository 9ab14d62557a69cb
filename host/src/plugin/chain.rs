//! The plugin chain: each batch goes through every plugin in order.
//!
//! When a plugin faults on a batch (trap, timeout, memory cap, wrong number of
//! outcomes), the instance is replaced and the batch is bisected: each half
//! is retried on its own, and a half that faults is split again, so that only
//! the records that fault alone are dead-lettered, with the fault as their
//! reason. Isolating costs at most the plugin's batch budget
//! (`limits.batch_budget_ms`): the records still unsettled when it is spent
//! are dead-lettered with the fault too. An output that breaks the contract
//! (not UTF-8, not one JSON object) is a fault of its own record.
//!
//! Every faulted record counts against the plugin's circuit
//! [`breaker`](super::breaker), which decides whether the plugin sees the
//! next batch at all.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Outcome;
use super::breaker::{Breaker, Gate};
use super::instance::{PluginFault, PluginInstance};
use super::runtime::{LoadedPlugin, PluginError};
use crate::config::{PluginLimits, TripAction};
use crate::json::{Json, Parser};
use crate::record::{DeadLetter, Document, Stage};

/// What came out of the chain for one batch.
#[derive(Debug, Default)]
pub struct ChainOutput {
    pub documents: Vec<Document>,
    pub dropped: u64,
    /// Documents created by splits beyond the one each record stands for
    /// (a record split into 3 adds 2).
    pub split_added: u64,
    pub dead_letters: Vec<DeadLetter>,
}

/// Counters for one plugin, reported as is in the run summary.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StageStats {
    pub name: Arc<str>,
    /// Which version of the plugin (1, 2, ... per process; see hot swap).
    pub version: u64,
    pub records_in: u64,
    pub passed: u64,
    pub replaced: u64,
    pub dropped: u64,
    pub split: u64,
    pub rejected: u64,
    /// Records dead-lettered because the plugin faulted on them (or on a
    /// batch holding them, once the batch budget was spent).
    pub faults: u64,
    /// Wall time spent in this plugin, isolation retries included.
    pub busy_seconds: f64,
    /// Times the circuit breaker tripped.
    pub breaker_trips: u64,
    /// Records that skipped the plugin while its breaker was open (`bypass`).
    pub bypassed: u64,
    /// Records dead-lettered while its breaker was open (`dead_letter`).
    pub blocked: u64,
    /// Whether the breaker of some instance was open when the run ended.
    pub breaker_open: bool,
}

impl StageStats {
    /// Adds another instance's counters of the same plugin (one per worker).
    pub fn absorb(&mut self, other: &StageStats) {
        self.records_in += other.records_in;
        self.passed += other.passed;
        self.replaced += other.replaced;
        self.dropped += other.dropped;
        self.split += other.split;
        self.rejected += other.rejected;
        self.faults += other.faults;
        self.busy_seconds += other.busy_seconds;
        self.breaker_trips += other.breaker_trips;
        self.bypassed += other.bypassed;
        self.blocked += other.blocked;
        self.breaker_open |= other.breaker_open;
    }
}

pub struct Chain {
    stages: Vec<ChainStage>,
}

/// What runs a stage's filter: a sandboxed WASM instance or, for `sluice
/// bench pipeline` only, the same filter compiled into the host
/// ([`super::native`]).
pub(crate) trait Guest: Send {
    /// Exactly one outcome per record, or a fault.
    fn process(&mut self, batch: &[Vec<u8>]) -> Result<Vec<Outcome>, PluginFault>;
    /// Starts afresh after a fault: the old state may be corrupt.
    fn restart(&mut self) -> Result<(), PluginError>;
    /// The batch budget and breaker settings of this stage.
    fn limits(&self) -> PluginLimits {
        PluginLimits::default()
    }
}

impl Guest for PluginInstance {
    fn process(&mut self, batch: &[Vec<u8>]) -> Result<Vec<Outcome>, PluginFault> {
        PluginInstance::process(self, batch)
    }

    fn restart(&mut self) -> Result<(), PluginError> {
        *self = PluginInstance::new(&self.plugin().clone())?;
        Ok(())
    }

    fn limits(&self) -> PluginLimits {
        self.plugin().limits
    }
}

struct ChainStage {
    guest: Box<dyn Guest>,
    stats: StageStats,
    limits: PluginLimits,
    breaker: Breaker,
    /// Checks that replaced and split records are single JSON objects.
    parser: Parser,
}

/// How one record left a stage.
enum Settled {
    Decided(Outcome),
    /// The plugin faulted on this record alone.
    Faulted(PluginFault),
    /// The plugin faulted on a part of the batch holding this record, and
    /// the batch budget (in ms) ran out before the record was tried alone.
    Unsettled(PluginFault, u64),
    /// The breaker is open: the record skips the plugin.
    Bypassed,
    /// The breaker is open: the record is dead-lettered with this reason.
    Blocked(String),
}

/// The wall time a faulted batch may spend being isolated.
struct Budget {
    ms: u64,
    ends: Instant,
}

impl Budget {
    fn new(ms: u64) -> Self {
        Budget {
            ms,
            ends: Instant::now() + Duration::from_millis(ms),
        }
    }

    fn is_spent(&self) -> bool {
        Instant::now() >= self.ends
    }
}

impl Chain {
    /// Instantiates (and initialises) every plugin: a plugin whose `init`
    /// refuses its config stops the pipeline before the first record.
    pub fn new(plugins: &[LoadedPlugin]) -> Result<Self, PluginError> {
        let guests = plugins
            .iter()
            .map(|plugin| {
                let guest: Box<dyn Guest> = Box::new(PluginInstance::new(plugin)?);
                Ok((plugin.name.clone(), guest))
            })
            .collect::<Result<_, PluginError>>()?;
        let mut chain = Chain::of(guests);
        for (stage, plugin) in chain.stages.iter_mut().zip(plugins) {
            stage.stats.version = plugin.version;
        }
        Ok(chain)
    }

    /// A chain of guests already started, in order, with their names.
    pub(crate) fn of(guests: Vec<(Arc<str>, Box<dyn Guest>)>) -> Self {
        let stages = guests
            .into_iter()
            .map(|(name, guest)| {
                let limits = guest.limits();
                ChainStage {
                    guest,
                    stats: StageStats {
                        name,
                        version: 1,
                        ..StageStats::default()
                    },
                    limits,
                    breaker: Breaker::new(limits.breaker),
                    parser: Parser::default(),
                }
            })
            .collect();
        Chain { stages }
    }

    pub fn stats(&self) -> impl Iterator<Item = &StageStats> {
        self.stages.iter().map(|s| &s.stats)
    }

    /// Runs one batch through every plugin. Fails when a faulted plugin
    /// cannot be instantiated again, or when a breaker whose `on_trip` is
    /// `stop` trips.
    pub fn run(&mut self, documents: Vec<Document>) -> Result<ChainOutput, PluginError> {
        let mut output = ChainOutput::default();
        let mut current = documents;
        for stage in &mut self.stages {
            if current.is_empty() {
                break;
            }
            current = stage.run(current, &mut output)?;
        }
        output.documents = current;
        Ok(output)
    }
}

impl ChainStage {
    fn run(
        &mut self,
        documents: Vec<Document>,
        output: &mut ChainOutput,
    ) -> Result<Vec<Document>, PluginError> {
        let started = Instant::now();
        let (origins, records): (Vec<_>, Vec<_>) =
            documents.into_iter().map(|d| (d.origin, d.bytes)).unzip();
        self.stats.records_in += records.len() as u64;
        let results = self.settle(&records)?;
        self.stats.breaker_open = self.breaker.is_open();
        let mut next = Vec::with_capacity(records.len());
        for ((origin, bytes), result) in origins.into_iter().zip(records).zip(results) {
            let reason = match result {
                Settled::Decided(Outcome::Pass) => {
                    self.stats.passed += 1;
                    next.push(Document::new(origin, bytes));
                    continue;
                }
                Settled::Bypassed => {
                    self.stats.bypassed += 1;
                    next.push(Document::new(origin, bytes));
                    continue;
                }
                Settled::Decided(Outcome::Replace(replaced)) => {
                    self.stats.replaced += 1;
                    next.push(Document::new(origin.entered_as(bytes), replaced));
                    continue;
                }
                Settled::Decided(Outcome::Drop) => {
                    self.stats.dropped += 1;
                    output.dropped += 1;
                    continue;
                }
                Settled::Decided(Outcome::Split(parts)) => {
                    self.stats.split += 1;
                    match parts.len() {
                        0 => output.dropped += 1,
                        n => output.split_added += n as u64 - 1,
                    }
                    let origin = origin.entered_as(bytes);
                    next.extend(
                        parts
                            .into_iter()
                            .map(|part| Document::new(origin.clone(), part)),
                    );
                    continue;
                }
                Settled::Decided(Outcome::Reject(reason)) => {
                    self.stats.rejected += 1;
                    reason
                }
                Settled::Faulted(fault) => {
                    self.stats.faults += 1;
                    format!("plugin {fault}")
                }
                Settled::Unsettled(fault, budget_ms) => {
                    self.stats.faults += 1;
                    format!(
                        "plugin {fault} on a batch holding this record; not retried alone: \
                         the batch budget of {budget_ms} ms is spent"
                    )
                }
                Settled::Blocked(reason) => {
                    self.stats.blocked += 1;
                    reason
                }
            };
            output.dead_letters.push(DeadLetter {
                origin,
                stage: Stage::Plugin,
                plugin: Some(self.stats.name.clone()),
                plugin_version: u32::try_from(self.stats.version).ok(),
                reason,
                bytes,
            });
        }
        self.stats.busy_seconds += started.elapsed().as_secs_f64();
        Ok(next)
    }

    /// Decides every record of the batch: through the plugin while the
    /// breaker lets it, and then books the faults with the breaker.
    fn settle(&mut self, records: &[Vec<u8>]) -> Result<Vec<Settled>, PluginError> {
        let mut results = Vec::with_capacity(records.len());
        match self.breaker.gate(Instant::now()) {
            Gate::Closed => self.attempt(records, &mut results)?,
            Gate::Probe => {
                tracing::info!(plugin = %self.stats.name, "circuit breaker probing with one record");
                self.attempt(&records[..1], &mut results)?;
                if matches!(results[0], Settled::Decided(_)) {
                    self.breaker.close();
                    tracing::info!(plugin = %self.stats.name, "circuit breaker closed: the probe passed");
                    self.attempt(&records[1..], &mut results)?;
                } else {
                    self.breaker.reopen(Instant::now());
                    tracing::warn!(plugin = %self.stats.name, "circuit breaker stays open: the probe faulted");
                    self.pass_by(records.len() - 1, &mut results);
                }
            }
            Gate::Open => self.pass_by(records.len(), &mut results),
        }
        self.book(&results)?;
        Ok(results)
    }

    /// Runs `records` through the plugin, bisecting a batch that faults.
    fn attempt(
        &mut self,
        records: &[Vec<u8>],
        results: &mut Vec<Settled>,
    ) -> Result<(), PluginError> {
        if records.is_empty() {
            return Ok(());
        }
        match self.call(records) {
            Ok(decided) => results.extend(decided),
            Err(fault) => {
                tracing::warn!(plugin = %self.stats.name, %fault, records = records.len(),
                    "plugin faulted on a batch; bisecting it");
                self.guest.restart()?;
                let budget = Budget::new(self.limits.batch_budget_ms(records.len()));
                self.isolate(records, fault, &budget, results)?;
            }
        }
        Ok(())
    }

    /// `records` faulted together with `fault` (the instance is already
    /// fresh): tries each half on its own, splitting again a half that
    /// faults, until single records are left or the budget is spent.
    fn isolate(
        &mut self,
        records: &[Vec<u8>],
        fault: PluginFault,
        budget: &Budget,
        results: &mut Vec<Settled>,
    ) -> Result<(), PluginError> {
        if let [_] = records {
            tracing::warn!(plugin = %self.stats.name, %fault, "poison record dead-lettered");
            results.push(Settled::Faulted(fault));
            return Ok(());
        }
        let (left, right) = records.split_at(records.len() / 2);
        for half in [left, right] {
            if budget.is_spent() {
                tracing::warn!(plugin = %self.stats.name, %fault, records = half.len(),
                    "batch budget spent; dead-lettering the records not isolated");
                results.extend(
                    half.iter()
                        .map(|_| Settled::Unsettled(fault.clone(), budget.ms)),
                );
                continue;
            }
            match self.call(half) {
                Ok(decided) => results.extend(decided),
                Err(fault) => {
                    self.guest.restart()?;
                    self.isolate(half, fault, budget, results)?;
                }
            }
        }
        Ok(())
    }

    /// One plugin call; a batch-wide fault is an `Err`, a contract-breaking
    /// record output a [`Settled::Faulted`] of that record alone.
    fn call(&mut self, records: &[Vec<u8>]) -> Result<Vec<Settled>, PluginFault> {
        let outcomes = self.guest.process(records)?;
        Ok(outcomes
            .into_iter()
            .map(|outcome| match self.check_output(&outcome) {
                Ok(()) => Settled::Decided(outcome),
                Err(fault) => Settled::Faulted(fault),
            })
            .collect())
    }

    /// What the world promises of a record a plugin hands on: UTF-8, one
    /// JSON object (simd-json checks both).
    fn check_output(&mut self, outcome: &Outcome) -> Result<(), PluginFault> {
        let parts = match outcome {
            Outcome::Replace(bytes) => std::slice::from_ref(bytes),
            Outcome::Split(parts) => parts.as_slice(),
            Outcome::Pass | Outcome::Drop | Outcome::Reject(_) => return Ok(()),
        };
        for part in parts {
            match self.parser.parse(part) {
                Ok(tape) if Json::root(&tape).is_object() => {}
                Ok(_) => {
                    return Err(PluginFault::InvalidOutput("not a JSON object".into()));
                }
                Err(error) => {
                    return Err(PluginFault::InvalidOutput(format!(
                        "not valid UTF-8 JSON: {error}"
                    )));
                }
            }
        }
        Ok(())
    }

    /// What the open breaker does with `count` records.
    fn pass_by(&mut self, count: usize, results: &mut Vec<Settled>) {
        let action = self.breaker.action();
        results.extend((0..count).map(|_| match action {
            TripAction::Bypass => Settled::Bypassed,
            TripAction::DeadLetter | TripAction::Stop => Settled::Blocked(format!(
                "plugin circuit breaker open: {}",
                self.breaker.why()
            )),
        }));
    }

    /// Books the records the plugin saw with the breaker; trips it (and for
    /// `stop`, fails the run) when too many of them faulted.
    fn book(&mut self, results: &[Settled]) -> Result<(), PluginError> {
        let mut tripped = false;
        for result in results {
            let fault = match result {
                Settled::Decided(_) => None,
                Settled::Faulted(fault) | Settled::Unsettled(fault, _) => Some(fault),
                Settled::Bypassed | Settled::Blocked(_) => continue,
            };
            tripped |= self.breaker.record(fault, Instant::now());
        }
        if !tripped {
            return Ok(());
        }
        self.stats.breaker_trips += 1;
        self.stats.breaker_open = true;
        tracing::error!(plugin = %self.stats.name, action = ?self.breaker.action(),
            "circuit breaker tripped: {}", self.breaker.why());
        match self.breaker.action() {
            TripAction::Stop => Err(PluginError::Tripped {
                name: self.stats.name.to_string(),
                faults: self.breaker.faults(),
                window: self.breaker.window(),
                last_fault: self.breaker.last_fault().to_owned(),
            }),
            TripAction::Bypass | TripAction::DeadLetter => Ok(()),
        }
    }
}
