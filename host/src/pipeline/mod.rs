//! Wiring: builds the pieces a [`PipelineConfig`] describes and moves batches
//! through them. The pieces meet only at their traits; this module knows no
//! concrete source or sink. The plugins come from a [`PluginRegistry`]
//! that can change them while the pipeline runs: each batch is stamped
//! with the chain it runs under as it is read.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;

use self::live_chain::LiveChain;
use self::workers::{Filters, Job, Processed, Worker, WorkerPool};
use crate::config::PipelineConfig;
use crate::decode::Decoder;
use crate::guard::{Guard, MappingShape};
use crate::plugin::registry::PluginRegistry;
use crate::plugin::{PluginError, PluginRuntime, native};
use crate::record::DeadLetter;
use crate::report::Summary;
use crate::sink::{DeadLetterSink, Delivery, FanOut, Sink};
use crate::source::{self, Batch, Source};

mod live_chain;
mod workers;

pub struct Pipeline {
    workers: Vec<Worker>,
    outlet: Outlet,
}

/// The sequential part: reads batches, hands them to the workers, and takes
/// their results in read order through the guard and into the sinks.
struct Outlet {
    source: Box<dyn Source>,
    guard: Guard,
    sink: FanOut,
    dead_letters: DeadLetterSink,
    batch_size: usize,
    commit_interval: Duration,
    stop: Arc<AtomicBool>,
    /// `None` for a chain fixed at build time (the native benchmark build).
    registry: Option<Arc<PluginRegistry>>,
    before: MappingShape,
    after: MappingShape,
    /// Where dead letters go, for the summary.
    dead_letters_to: String,
}

impl Pipeline {
    /// Builds every piece up front, so a bad plugin or an unwritable output
    /// fails before the first record is read.
    pub fn build(config: &PipelineConfig, runtime: &PluginRuntime) -> anyhow::Result<Self> {
        let registry = Arc::new(PluginRegistry::new(
            runtime,
            &config.plugins,
            config.hot_swap.auto_rollback,
        )?);
        let spec = registry.current();
        Self::assemble(config, Some(registry), || {
            LiveChain::new(&spec).map(Filters::Live)
        })
    }

    /// The same pipeline with the plugins' native builds instead of their
    /// WASM components ([`crate::plugin::native`]): for benchmarks only.
    pub fn build_native(config: &PipelineConfig) -> anyhow::Result<Self> {
        Self::assemble(config, None, || {
            native::chain(&config.plugins).map(Filters::Fixed)
        })
    }

    /// Everything but the plugins; `filters` starts one worker's chain.
    fn assemble(
        config: &PipelineConfig,
        registry: Option<Arc<PluginRegistry>>,
        filters: impl Fn() -> Result<Filters, PluginError>,
    ) -> anyhow::Result<Self> {
        let double_encoded = config.decode.double_encoded;
        let workers = (0..worker_count(config.pipeline.workers))
            .map(|_| Ok(Worker::new(Decoder::new(double_encoded), filters()?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut sink = FanOut::from_config(config).context("opening the sink")?;
        // The guard's budgets start from what the sink's indices already
        // hold: documents indexed before this process started count too.
        let mut guard = Guard::new(&config.guard, config.sink.index_target())?;
        for (index, mappings) in sink
            .index_mappings()
            .context("reading the mappings of the sink's indices")?
        {
            guard.seed(&index, &mappings);
        }
        let outlet = Outlet {
            source: source::from_config(&config.source).context("opening the source")?,
            guard,
            sink,
            dead_letters: DeadLetterSink::from_config(&config.dead_letter)
                .context("opening the dead-letter sink")?,
            batch_size: config.pipeline.batch_size,
            commit_interval: Duration::from_millis(config.pipeline.commit_interval_ms),
            stop: Arc::new(AtomicBool::new(false)),
            registry,
            before: MappingShape::new(),
            after: MappingShape::new(),
            dead_letters_to: DeadLetterSink::describe(&config.dead_letter),
        };
        Ok(Pipeline { workers, outlet })
    }

    /// A flag that, once set, ends the run at the next batch boundary (after
    /// the batches in flight are written and flushed).
    pub fn stop_handle(&self) -> Arc<AtomicBool> {
        self.outlet.stop.clone()
    }

    /// The plugins this pipeline runs, to change them while it runs;
    /// `None` for the native benchmark build.
    pub fn registry(&self) -> Option<Arc<PluginRegistry>> {
        self.outlet.registry.clone()
    }

    pub fn run(self) -> anyhow::Result<Summary> {
        let started = Instant::now();
        let cpu_started = process_cpu_seconds();
        let Pipeline {
            workers,
            mut outlet,
        } = self;
        let mut summary = Summary::default();
        let (outcome, plugins) = std::thread::scope(|scope| {
            let mut pool = WorkerPool::spawn(scope, workers);
            let outcome = outlet.drive(&mut pool, &mut summary);
            (outcome, pool.finish())
        });
        outcome?;
        summary.consumer_lag = outlet.source.lag();
        summary.before = (&outlet.before).into();
        summary.after = (&outlet.after).into();
        summary.guard = outlet.guard.stats();
        summary.dead_letters_to = outlet.dead_letters_to.clone();
        summary.plugins = match &outlet.registry {
            Some(registry) => registry.stage_stats(),
            None => plugins,
        };
        summary.outputs = outlet.sink.counts();
        let elapsed = started.elapsed().as_secs_f64();
        summary.elapsed_seconds = elapsed;
        summary.cpu_seconds = process_cpu_seconds() - cpu_started;
        summary.records_per_second = summary.records_in as f64 / elapsed.max(1e-9);
        summary.megabytes_per_second = summary.bytes_in as f64 / 1e6 / elapsed.max(1e-9);
        Ok(summary)
    }
}

impl Outlet {
    /// Keeps the workers busy until the input ends or a stop is asked for.
    /// Reading pauses while a commit is due, because a commit may only cover
    /// records that have left the pipeline: the batches in flight are
    /// finished first.
    fn drive(&mut self, pool: &mut WorkerPool<'_>, summary: &mut Summary) -> anyhow::Result<()> {
        let mut last_commit = Instant::now();
        let mut input_ended = false;
        loop {
            let commit_due = last_commit.elapsed() >= self.commit_interval;
            let stopping = self.stop.load(Ordering::Relaxed);
            if !(input_ended || commit_due || stopping) {
                input_ended = self.read(pool, summary)?;
            }
            if pool.in_flight() > 0 {
                let processed = pool.next_result()?;
                self.finish(processed, summary)?;
                continue;
            }
            if commit_due {
                self.commit(summary)?;
                last_commit = Instant::now();
            }
            if stopping && !input_ended {
                summary.interrupted = true;
                break;
            }
            if input_ended {
                break;
            }
        }
        self.commit(summary)
    }

    /// Reads batches until the pool is full or the source has nothing right
    /// now; `true` once the input has ended.
    fn read(&mut self, pool: &mut WorkerPool<'_>, summary: &mut Summary) -> anyhow::Result<bool> {
        while pool.in_flight() < pool.capacity() {
            let clock = Instant::now();
            let batch = self.source.next_batch(self.batch_size)?;
            summary.stages.read += clock.elapsed().as_secs_f64();
            match batch {
                Batch::Records(records) => {
                    summary.records_in += records.len() as u64;
                    summary.bytes_in += records.iter().map(|r| r.bytes.len() as u64).sum::<u64>();
                    self.sink.hold_raw(&records);
                    let spec = self.registry.as_ref().map(|r| r.stamp_batch());
                    pool.submit(Job { records, spec });
                }
                Batch::Idle => return Ok(false),
                Batch::End => return Ok(true),
            }
        }
        Ok(false)
    }

    /// Takes one batch's worker result through the guard and into the sinks.
    fn finish(&mut self, processed: Processed, summary: &mut Summary) -> anyhow::Result<()> {
        summary.unwrapped += processed.unwrapped;
        summary.dropped += processed.dropped;
        summary.split_added += processed.split_added;
        summary.count_notices(&processed.notices);
        summary.stages.decode += processed.decode_seconds;
        summary.stages.plugins += processed.plugin_seconds;
        self.before.merge(&processed.shape_before);
        if let Some(registry) = &self.registry {
            registry.check_faults();
        }

        let mut clock = StageClock::start();
        let mut documents = processed.documents;
        let mut dead_letters = processed.dead_letters;
        let revoked = self.source.revoked();
        if !revoked.is_empty() {
            let before = documents.len() + dead_letters.len();
            documents.retain(|document| !source::is_revoked(&revoked, &document.origin));
            dead_letters.retain(|letter| !source::is_revoked(&revoked, &letter.origin));
            summary.handed_back += (before - documents.len() - dead_letters.len()) as u64;
        }
        let mut checked = Vec::with_capacity(documents.len());
        for document in documents {
            if document.is_delete() {
                // A delete carries no fields for the guard to measure.
                checked.push(document);
                continue;
            }
            match self.guard.check(document, |value| self.after.add(value)) {
                Ok(document) => checked.push(document),
                Err(letter) => dead_letters.push(letter),
            }
        }
        summary.stages.guard += clock.lap();

        self.sink.write_raw(&dead_letters)?;
        let delivery = self.sink.write(checked)?;
        self.settle(delivery, dead_letters, summary)?;
        summary.stages.sink += clock.lap();
        Ok(())
    }

    /// Settles and flushes every output, then lets the source commit past
    /// what they hold.
    fn commit(&mut self, summary: &mut Summary) -> anyhow::Result<()> {
        let delivery = self.sink.flush()?;
        self.settle(delivery, Vec::new(), summary)?;
        self.dead_letters.flush()?;
        self.source.commit()?;
        Ok(())
    }

    /// Books what the sink settled and writes every dead letter of the batch.
    fn settle(
        &mut self,
        delivery: Delivery,
        mut dead_letters: Vec<DeadLetter>,
        summary: &mut Summary,
    ) -> anyhow::Result<()> {
        summary.written += delivery.written;
        dead_letters.extend(delivery.dead_letters);
        self.dead_letters.write(&dead_letters)?;
        summary.count_dead_letters(&dead_letters);
        Ok(())
    }
}

/// `0` (the default) means one worker per core.
fn worker_count(configured: usize) -> usize {
    match configured {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    }
}

/// CPU time of the whole process (every thread), user and system.
fn process_cpu_seconds() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole `rusage` into the pointer it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Wall time between consecutive stages of one batch.
struct StageClock(Instant);

impl StageClock {
    fn start() -> Self {
        StageClock(Instant::now())
    }

    /// Seconds since the last lap (or the start).
    fn lap(&mut self) -> f64 {
        let now = Instant::now();
        let seconds = now.duration_since(self.0).as_secs_f64();
        self.0 = now;
        seconds
    }
}
