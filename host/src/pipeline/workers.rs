//! The parallel part of the pipeline: decode and the plugin chain, on worker
//! threads that each own their decoder and plugin instances.
//!
//! Batch `n` goes to worker `n % workers` and its result is taken back from
//! the same worker, so results come back in the order the batches were read
//! without a reorder buffer: order within a file or a Kafka partition is
//! kept, and so is everything the sequential stages after the workers decide
//! by arrival (the guard's index budgets, first-seen field kinds).
//!
//! Each batch carries the chain spec it was stamped with when it was read
//! ([`Job`]); a worker follows it ([`LiveChain`]), so a plugin swap takes
//! effect at a batch boundary without draining anything.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::{Scope, ScopedJoinHandle};
use std::time::Instant;

use super::live_chain::LiveChain;
use crate::decode::{Decoded, Decoder};
use crate::guard::MappingShape;
use crate::plugin::chain::{ChainOutput, StageStats};
use crate::plugin::version::ChainSpec;
use crate::plugin::{Chain, PluginError};
use crate::record::{DeadLetter, Document, RawRecord};

/// Batches queued per worker beyond the one it works on: enough to keep it
/// busy while the sequential stages handle another worker's result, few
/// enough that memory stays a small multiple of one batch.
const QUEUED_PER_WORKER: usize = 1;

/// One batch and the chain it runs under.
pub struct Job {
    pub records: Vec<RawRecord>,
    /// `None` for a fixed chain (the native benchmark build).
    pub spec: Option<Arc<ChainSpec>>,
}

/// The plugins a worker runs: the registry's published chain, or a chain
/// fixed at build time.
pub enum Filters {
    Live(LiveChain),
    Fixed(Chain),
}

impl Filters {
    fn run(
        &mut self,
        spec: Option<&ChainSpec>,
        documents: Vec<Document>,
    ) -> Result<ChainOutput, PluginError> {
        match (self, spec) {
            (Filters::Live(chain), Some(spec)) => chain.run(spec, documents),
            (Filters::Fixed(chain), _) => chain.run(documents),
            (Filters::Live(_), None) => unreachable!("a live chain's batches carry their spec"),
        }
    }
}

/// What the workers made of one batch.
pub struct Processed {
    pub documents: Vec<Document>,
    pub dead_letters: Vec<DeadLetter>,
    pub dropped: u64,
    pub split_added: u64,
    pub unwrapped: u64,
    /// Stream control messages by kind (`delete` included); a delete
    /// notice's delete document is among `documents`, after the tweets.
    pub notices: BTreeMap<&'static str, u64>,
    /// The fields of the batch as read that this worker has not reported
    /// before, for the run summary's "before" shape. Merged in batch order
    /// this equals a sequential census: a path a worker leaves out was in
    /// one of its earlier batches, which merges first.
    pub shape_before: MappingShape,
    pub decode_seconds: f64,
    pub plugin_seconds: f64,
}

/// One thread's share of the work.
pub struct Worker {
    decoder: Decoder,
    filters: Filters,
    /// Every path of the input this worker has reported.
    reported: MappingShape,
}

impl Worker {
    pub fn new(decoder: Decoder, filters: Filters) -> Self {
        Worker {
            decoder,
            filters,
            reported: MappingShape::forgetful(),
        }
    }

    fn process(&mut self, job: Job) -> Result<Processed, PluginError> {
        let Job {
            records: batch,
            spec,
        } = job;
        let started = Instant::now();
        let mut shape_before = MappingShape::new();
        let mut dead_letters = Vec::new();
        let mut documents = Vec::with_capacity(batch.len());
        let mut unwrapped = 0;
        let mut notices = BTreeMap::new();
        let mut deletes = Vec::new();
        for raw in batch {
            let reported = &self.reported;
            match self
                .decoder
                .decode(raw, |value| shape_before.add_unknown(value, reported))
            {
                Decoded::Document(document) => documents.push(document),
                Decoded::Unwrapped(document) => {
                    unwrapped += 1;
                    documents.push(document);
                }
                Decoded::DeadLetter(letter) => dead_letters.push(letter),
                Decoded::Notice { kind, delete } => {
                    *notices.entry(kind).or_default() += 1;
                    deletes.extend(delete);
                }
            }
        }
        self.reported.merge(&shape_before);
        let decoded = Instant::now();
        let mut output = self.filters.run(spec.as_deref(), documents)?;
        dead_letters.extend(output.dead_letters);
        // Deletes skip the plugins and follow the batch's tweets, so a tweet
        // deleted in the batch that brought it ends up deleted.
        output.documents.append(&mut deletes);
        Ok(Processed {
            documents: output.documents,
            dead_letters,
            dropped: output.dropped,
            split_added: output.split_added,
            unwrapped,
            notices,
            shape_before,
            decode_seconds: decoded.duration_since(started).as_secs_f64(),
            plugin_seconds: decoded.elapsed().as_secs_f64(),
        })
    }
}

/// Worker threads inside a [`std::thread::scope`], fed round-robin.
pub struct WorkerPool<'scope> {
    jobs: Vec<SyncSender<Job>>,
    results: Vec<Receiver<Result<Processed, PluginError>>>,
    threads: Vec<ScopedJoinHandle<'scope, Filters>>,
    sent: u64,
    received: u64,
}

impl<'scope> WorkerPool<'scope> {
    pub fn spawn<'env>(scope: &'scope Scope<'scope, 'env>, workers: Vec<Worker>) -> Self {
        let mut pool = WorkerPool {
            jobs: Vec::new(),
            results: Vec::new(),
            threads: Vec::new(),
            sent: 0,
            received: 0,
        };
        for (index, mut worker) in workers.into_iter().enumerate() {
            let (job_tx, job_rx) = sync_channel::<Job>(QUEUED_PER_WORKER);
            let (result_tx, result_rx) = sync_channel(QUEUED_PER_WORKER + 1);
            let thread = std::thread::Builder::new()
                .name(format!("sluice-worker-{index}"))
                .spawn_scoped(scope, move || {
                    // Ends when the pool hangs up (end of input, or the run
                    // failed and the pool was dropped).
                    for batch in job_rx {
                        if result_tx.send(worker.process(batch)).is_err() {
                            break;
                        }
                    }
                    worker.filters
                })
                .expect("spawning a worker thread");
            pool.jobs.push(job_tx);
            pool.results.push(result_rx);
            pool.threads.push(thread);
        }
        pool
    }

    /// Batches handed to workers whose results have not been taken yet.
    pub fn in_flight(&self) -> usize {
        (self.sent - self.received) as usize
    }

    /// How many batches may be in flight before the pool is full.
    pub fn capacity(&self) -> usize {
        self.jobs.len() * (QUEUED_PER_WORKER + 1)
    }

    pub fn submit(&mut self, batch: Job) {
        let worker = (self.sent % self.jobs.len() as u64) as usize;
        self.jobs[worker]
            .send(batch)
            .expect("a worker lives as long as its pool");
        self.sent += 1;
    }

    /// The result of the oldest batch in flight, waiting for it.
    pub fn next_result(&mut self) -> Result<Processed, PluginError> {
        debug_assert!(self.in_flight() > 0);
        let worker = (self.received % self.results.len() as u64) as usize;
        self.received += 1;
        self.results[worker]
            .recv()
            .expect("a worker answers every batch it takes")
    }

    /// Stops the workers (after the batches in flight) and sums the plugin
    /// counters of fixed chains, plugin by plugin (a live chain's are in
    /// the registry).
    pub fn finish(self) -> Vec<StageStats> {
        drop(self.jobs);
        drop(self.results);
        let mut totals: Vec<StageStats> = Vec::new();
        for thread in self.threads {
            let Filters::Fixed(chain) = thread.join().expect("a worker thread panicked") else {
                continue;
            };
            if totals.is_empty() {
                totals = chain.stats().cloned().collect();
            } else {
                for (total, stats) in totals.iter_mut().zip(chain.stats()) {
                    total.absorb(stats);
                }
            }
        }
        totals
    }
}
