//! One worker's instances of the published chain ([`ChainSpec`]).
//!
//! Every batch arrives with the spec it was stamped with. When that spec is
//! newer than the one the worker's instances were made for, the worker
//! makes instances for the versions it does not have yet, keeps the ones it
//! has, and drops the rest, before the batch runs: a switch is a batch
//! boundary, and a record meets exactly one version of each plugin. After
//! each stage the worker adds what its instance counted to the version's
//! live counters, and when a stage has a shadow trial, runs the candidate
//! on the same input and hands both outputs to the trial.

use std::sync::Arc;
use std::time::Instant;

use crate::plugin::chain::{ChainOutput, StageStats};
use crate::plugin::shadow::{ShadowRun, ShadowTrial};
use crate::plugin::version::{ChainSpec, PluginVersion};
use crate::plugin::{Chain, PluginError};
use crate::record::Document;

pub struct LiveChain {
    version: u64,
    stages: Vec<LiveStage>,
}

/// One plugin version's instance in this worker. Each runs as a chain of
/// one, so the chain's fault isolation applies to every version alike.
struct LiveStage {
    plugin: Arc<PluginVersion>,
    chain: Chain,
    /// The instance's counters when they were last added to the version's.
    reported: StageStats,
    shadow: Option<ShadowStage>,
}

struct ShadowStage {
    trial: Arc<ShadowTrial>,
    chain: Chain,
    reported: StageStats,
}

/// The counters of a chain of one.
fn stats(chain: &Chain) -> StageStats {
    chain.stats().next().cloned().unwrap_or_default()
}

impl LiveChain {
    /// Instances for `spec`; fails when a plugin cannot be instantiated.
    pub fn new(spec: &ChainSpec) -> Result<Self, PluginError> {
        let mut chain = LiveChain {
            version: 0,
            stages: Vec::new(),
        };
        chain.follow(spec)?;
        Ok(chain)
    }

    /// Brings the instances up to `spec`.
    fn follow(&mut self, spec: &ChainSpec) -> Result<(), PluginError> {
        if spec.version == self.version {
            return Ok(());
        }
        let mut old = std::mem::take(&mut self.stages);
        for stage in &spec.stages {
            let kept = old
                .iter()
                .position(|s| Arc::ptr_eq(&s.plugin, &stage.plugin))
                .map(|i| old.swap_remove(i));
            let mut live = match kept {
                Some(live) => live,
                None => {
                    let chain = Chain::new(std::slice::from_ref(&stage.plugin.plugin))?;
                    LiveStage {
                        reported: stats(&chain),
                        plugin: stage.plugin.clone(),
                        chain,
                        shadow: None,
                    }
                }
            };
            live.shadow = match (&stage.shadow, live.shadow.take()) {
                (Some(trial), Some(running)) if Arc::ptr_eq(trial, &running.trial) => Some(running),
                (Some(trial), _) => ShadowStage::start(trial),
                (None, _) => None,
            };
            self.stages.push(live);
        }
        self.version = spec.version;
        Ok(())
    }

    /// Runs one batch under `spec`.
    pub fn run(
        &mut self,
        spec: &ChainSpec,
        documents: Vec<Document>,
    ) -> Result<ChainOutput, PluginError> {
        self.follow(spec)?;
        let mut output = ChainOutput::default();
        let mut current = documents;
        for stage in &mut self.stages {
            if current.is_empty() {
                break;
            }
            let stage_output = stage.run(current)?;
            output.dropped += stage_output.dropped;
            output.split_added += stage_output.split_added;
            output.dead_letters.extend(stage_output.dead_letters);
            current = stage_output.documents;
        }
        output.documents = current;
        Ok(output)
    }
}

impl LiveStage {
    fn run(&mut self, documents: Vec<Document>) -> Result<ChainOutput, PluginError> {
        let shadow_input = self.shadow.as_ref().map(|_| documents.clone());
        let started = Instant::now();
        let output = self.chain.run(documents)?;
        let live_seconds = started.elapsed().as_secs_f64();
        let now = stats(&self.chain);
        self.plugin.counters.add_since(&now, &self.reported);
        self.reported = now;
        if let (Some(shadow), Some(input)) = (&mut self.shadow, shadow_input)
            && let Err(error) = shadow.run(input, &output, live_seconds)
        {
            shadow.trial.failed(error.to_string());
            self.shadow = None;
        }
        Ok(output)
    }
}

impl ShadowStage {
    fn start(trial: &Arc<ShadowTrial>) -> Option<Self> {
        match Chain::new(std::slice::from_ref(&trial.candidate.plugin)) {
            Ok(chain) => Some(ShadowStage {
                trial: trial.clone(),
                reported: stats(&chain),
                chain,
            }),
            Err(error) => {
                trial.failed(error.to_string());
                None
            }
        }
    }

    /// The candidate on the live stage's input; its output goes no further.
    fn run(
        &mut self,
        input: Vec<Document>,
        live: &ChainOutput,
        live_seconds: f64,
    ) -> Result<(), PluginError> {
        let started = Instant::now();
        let shadow = self.chain.run(input.clone())?;
        let shadow_seconds = started.elapsed().as_secs_f64();
        let now = stats(&self.chain);
        self.trial.compare(ShadowRun {
            input: &input,
            live,
            shadow: &shadow,
            live_seconds,
            shadow_seconds,
            shadow_faults: now.faults - self.reported.faults,
        });
        self.reported = now;
        Ok(())
    }
}
