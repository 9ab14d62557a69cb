//! The plugin chain: each batch goes through every plugin in order.
//!
//! When a plugin faults on a batch (trap, timeout, memory cap, wrong number of
//! outcomes), the instance is replaced and the batch is retried record by
//! record, so only the poison record is dead-lettered, with the fault as its
//! reason; the rest of the batch goes on as if nothing happened.

use std::sync::Arc;
use std::time::Instant;

use super::Outcome;
use super::instance::{PluginFault, PluginInstance};
use super::runtime::{LoadedPlugin, PluginError};
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
    pub faults: u64,
    /// Wall time spent in this plugin, isolation retries included.
    pub busy_seconds: f64,
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
}

impl Guest for PluginInstance {
    fn process(&mut self, batch: &[Vec<u8>]) -> Result<Vec<Outcome>, PluginFault> {
        PluginInstance::process(self, batch)
    }

    fn restart(&mut self) -> Result<(), PluginError> {
        *self = PluginInstance::new(&self.plugin().clone())?;
        Ok(())
    }
}

struct ChainStage {
    guest: Box<dyn Guest>,
    stats: StageStats,
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
            .map(|(name, guest)| ChainStage {
                guest,
                stats: StageStats {
                    name,
                    version: 1,
                    ..StageStats::default()
                },
            })
            .collect();
        Chain { stages }
    }

    pub fn stats(&self) -> impl Iterator<Item = &StageStats> {
        self.stages.iter().map(|s| &s.stats)
    }

    /// Runs one batch through every plugin. Fails only when a faulted plugin
    /// cannot be instantiated again.
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
        let results = match self.guest.process(&records) {
            Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
            Err(fault) => {
                tracing::warn!(plugin = %self.stats.name, %fault, records = records.len(),
                    "plugin faulted on a batch; retrying record by record");
                self.isolate(&records)?
            }
        };
        let mut next = Vec::with_capacity(records.len());
        for ((origin, bytes), result) in origins.into_iter().zip(records).zip(results) {
            let reason = match result {
                Ok(Outcome::Pass) => {
                    self.stats.passed += 1;
                    next.push(Document::new(origin, bytes));
                    continue;
                }
                Ok(Outcome::Replace(replaced)) => {
                    self.stats.replaced += 1;
                    next.push(Document::new(origin.entered_as(bytes), replaced));
                    continue;
                }
                Ok(Outcome::Drop) => {
                    self.stats.dropped += 1;
                    output.dropped += 1;
                    continue;
                }
                Ok(Outcome::Split(parts)) => {
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
                Ok(Outcome::Reject(reason)) => {
                    self.stats.rejected += 1;
                    reason
                }
                Err(fault) => {
                    self.stats.faults += 1;
                    format!("plugin {fault}")
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

    /// Retries a faulted batch one record at a time on a fresh instance, so
    /// that only the records that fault on their own are dead-lettered.
    fn isolate(
        &mut self,
        records: &[Vec<u8>],
    ) -> Result<Vec<Result<Outcome, PluginFault>>, PluginError> {
        self.guest.restart()?;
        let mut results = Vec::with_capacity(records.len());
        for record in records {
            match self.guest.process(std::slice::from_ref(record)) {
                Ok(mut one) => results.push(Ok(one.pop().expect("one outcome for one record"))),
                Err(fault) => {
                    tracing::warn!(plugin = %self.stats.name, %fault, "poison record dead-lettered");
                    self.guest.restart()?;
                    results.push(Err(fault));
                }
            }
        }
        Ok(results)
    }
}
