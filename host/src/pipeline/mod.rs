//! Wiring: builds the pieces a [`PipelineConfig`] describes and moves batches
//! through them. The pieces meet only at their traits; this module knows no
//! concrete source or sink.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::config::PipelineConfig;
use crate::decode::{Decoded, Decoder};
use crate::guard::{Guard, MappingShape};
use crate::plugin::{Chain, PluginRuntime};
use crate::record::{DeadLetter, Document};
use crate::report::Summary;
use crate::sink::{self, DeadLetterSink, Delivery, Sink};
use crate::source::{self, Batch, Source};

pub struct Pipeline {
    source: Box<dyn Source>,
    decoder: Decoder,
    chain: Chain,
    guard: Guard,
    sink: Box<dyn Sink>,
    dead_letters: DeadLetterSink,
    batch_size: usize,
    commit_interval: Duration,
    stop: Arc<AtomicBool>,
}

impl Pipeline {
    /// Builds every piece up front, so a bad plugin or an unwritable output
    /// fails before the first record is read.
    pub fn build(config: &PipelineConfig, runtime: &PluginRuntime) -> anyhow::Result<Self> {
        let plugins = config
            .plugins
            .iter()
            .map(|plugin| runtime.load(plugin))
            .collect::<Result<Vec<_>, _>>()?;
        for plugin in &plugins {
            tracing::info!(plugin = %plugin.name, bytes = plugin.size_bytes,
                compile_ms = plugin.compile_time.as_millis() as u64, "plugin loaded");
        }
        let mut sink =
            sink::from_config(&config.sink, &config.guard).context("opening the sink")?;
        // The guard's budgets start from what the sink's indices already
        // hold: documents indexed before this process started count too.
        let mut guard = Guard::new(&config.guard, config.sink.index_target())?;
        for (index, mappings) in sink
            .index_mappings()
            .context("reading the mappings of the sink's indices")?
        {
            guard.seed(&index, &mappings);
        }
        Ok(Pipeline {
            source: source::from_config(&config.source).context("opening the source")?,
            decoder: Decoder::new(config.decode.double_encoded),
            chain: Chain::new(&plugins)?,
            guard,
            sink,
            dead_letters: DeadLetterSink::from_config(&config.dead_letter)
                .context("opening the dead-letter sink")?,
            batch_size: config.pipeline.batch_size,
            commit_interval: Duration::from_millis(config.pipeline.commit_interval_ms),
            stop: Arc::new(AtomicBool::new(false)),
        })
    }

    /// A flag that, once set, ends the run at the next batch boundary (after
    /// the batch in flight is written and flushed).
    pub fn stop_handle(&self) -> Arc<AtomicBool> {
        self.stop.clone()
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

    pub fn run(mut self) -> anyhow::Result<Summary> {
        let started = Instant::now();
        let mut summary = Summary::default();
        let mut before = MappingShape::new();
        let mut after = MappingShape::new();
        let mut last_commit = Instant::now();
        loop {
            if last_commit.elapsed() >= self.commit_interval {
                self.commit(&mut summary)?;
                last_commit = Instant::now();
            }
            if self.stop.load(Ordering::Relaxed) {
                summary.interrupted = true;
                break;
            }
            let mut clock = StageClock::start();
            let batch = match self.source.next_batch(self.batch_size)? {
                Batch::Records(records) => records,
                Batch::Idle => continue,
                Batch::End => break,
            };
            summary.records_in += batch.len() as u64;
            summary.bytes_in += batch.iter().map(|r| r.bytes.len() as u64).sum::<u64>();

            summary.stages.read += clock.lap();

            let mut dead_letters: Vec<DeadLetter> = Vec::new();
            let mut documents: Vec<Document> = Vec::with_capacity(batch.len());
            for raw in batch {
                match self.decoder.decode(raw, |value| before.add(value)) {
                    Decoded::Document(document) => documents.push(document),
                    Decoded::Unwrapped(document) => {
                        summary.unwrapped += 1;
                        documents.push(document);
                    }
                    Decoded::DeadLetter(letter) => dead_letters.push(letter),
                }
            }

            summary.stages.decode += clock.lap();

            let output = self.chain.run(documents)?;
            summary.dropped += output.dropped;
            summary.split_added += output.split_added;
            dead_letters.extend(output.dead_letters);

            summary.stages.plugins += clock.lap();

            let mut checked = Vec::with_capacity(output.documents.len());
            for document in output.documents {
                match self.guard.check(document, |value| after.add(value)) {
                    Ok(document) => checked.push(document),
                    Err(letter) => dead_letters.push(letter),
                }
            }

            summary.stages.guard += clock.lap();

            let delivery = self.sink.write(checked)?;
            self.settle(delivery, dead_letters, &mut summary)?;
            summary.stages.sink += clock.lap();
        }
        self.commit(&mut summary)?;

        summary.before = (&before).into();
        summary.after = (&after).into();
        summary.guard = self.guard.stats();
        summary.plugins = self.chain.stats().cloned().collect();
        let elapsed = started.elapsed().as_secs_f64();
        summary.elapsed_seconds = elapsed;
        summary.records_per_second = summary.records_in as f64 / elapsed.max(1e-9);
        summary.megabytes_per_second = summary.bytes_in as f64 / 1e6 / elapsed.max(1e-9);
        Ok(summary)
    }
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
