//! Several outputs behind one [`Sink`]: `[sink]` and every `[[outputs]]`
//! table. The pipeline flushes its sink before every commit; here a flush
//! returns only when every output has flushed, so an offset is committed
//! only once every output holds every record before it.
//!
//! `[sink]` is the pipeline's own output: its deliveries are the run's
//! `written` and its refusals the run's dead letters, the balance
//! `in = written + dropped + dead_lettered` is over it. Every other output
//! is counted on its own line of the summary. Outputs are written one after
//! the other on the pipeline's thread, so a slow one holds back reading for
//! all (back-pressure, with memory bounded as for one sink).
//!
//! Outputs with `stage = "raw"` get the records as they were read: the
//! pipeline hands each batch to [`FanOut::hold_raw`] before decoding it,
//! and to [`FanOut::write_raw`] once its fate is known (so that dead letters
//! can be left out), in read order.

use std::collections::{HashSet, VecDeque};

use super::{Delivery, Sink, SinkError};
use crate::config::{OnFailure, OutputStage, PipelineConfig};
use crate::record::{DeadLetter, Document, Origin, RawRecord};

pub struct FanOut {
    /// `[sink]` first, then `[[outputs]]` in file order.
    outputs: Vec<Output>,
    /// Batches read but not yet finished, kept for the raw outputs.
    raw: VecDeque<Vec<RawRecord>>,
}

struct Output {
    sink: Box<dyn Sink>,
    stage: OutputStage,
    with_dead_letters: bool,
    on_failure: OnFailure,
    /// `[sink]`: its errors are the pipeline's own, passed on as they are.
    primary: bool,
    counts: OutputCounts,
}

/// What one output did over a run.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct OutputCounts {
    pub name: String,
    pub stage: OutputStage,
    /// Records or documents the output acknowledged.
    pub written: u64,
    /// Documents the output refused for good. For `[sink]` these are dead
    /// letters; for other outputs they are only counted (and logged), since
    /// the record left the pipeline through `[sink]`.
    pub refused: u64,
    /// Why the output was detached (`on_failure = "detach"`), if it was.
    pub detached: Option<String>,
}

impl FanOut {
    /// Opens `[sink]` and every `[[outputs]]` sink, so an unwritable one
    /// fails before the first record is read.
    pub fn from_config(config: &PipelineConfig) -> Result<Self, SinkError> {
        let primary = Output {
            sink: super::from_config(&config.sink, &config.guard)?,
            stage: OutputStage::Documents,
            with_dead_letters: false,
            on_failure: OnFailure::Stop,
            primary: true,
            counts: OutputCounts {
                name: "sink".into(),
                ..OutputCounts::default()
            },
        };
        let mut outputs = vec![primary];
        for output in &config.outputs {
            let name = output.name();
            let sink = super::from_config(&output.sink, &config.guard).map_err(|source| {
                SinkError::Output {
                    name: name.clone(),
                    source: Box::new(source),
                }
            })?;
            outputs.push(Output {
                sink,
                stage: output.stage,
                with_dead_letters: output.includes_dead_letters(),
                on_failure: output.on_failure,
                primary: false,
                counts: OutputCounts {
                    name,
                    stage: output.stage,
                    ..OutputCounts::default()
                },
            });
        }
        Ok(FanOut {
            outputs,
            raw: VecDeque::new(),
        })
    }

    /// What every output did so far, `[sink]` first.
    pub fn counts(&self) -> Vec<OutputCounts> {
        self.outputs.iter().map(|o| o.counts.clone()).collect()
    }

    /// Keeps a copy of a batch just read, if any output takes raw records.
    pub fn hold_raw(&mut self, records: &[RawRecord]) {
        if self.outputs.iter().any(|o| o.stage == OutputStage::Raw) {
            self.raw.push_back(records.to_vec());
        }
    }

    /// Writes the oldest held batch to the raw outputs; `dead_letters` are
    /// the batch's records refused before the outputs, left out by outputs
    /// that do not take dead letters.
    pub fn write_raw(&mut self, dead_letters: &[DeadLetter]) -> Result<(), SinkError> {
        let Some(batch) = self.raw.pop_front() else {
            return Ok(());
        };
        let key = |o: &Origin| (o.source.clone(), o.partition, o.offset);
        let refused: HashSet<_> = dead_letters.iter().map(|l| key(&l.origin)).collect();
        for output in self.live(OutputStage::Raw) {
            let records = batch
                .iter()
                .filter(|r| output.with_dead_letters || !refused.contains(&key(&r.origin)))
                .map(|r| Document::new(r.origin.clone(), r.bytes.clone()))
                .collect();
            output.deliver(|sink| sink.write(records))?;
        }
        Ok(())
    }

    /// The outputs of `stage` after `[sink]` that are still attached.
    fn live(&mut self, stage: OutputStage) -> impl Iterator<Item = &mut Output> {
        self.outputs[1..]
            .iter_mut()
            .filter(move |o| o.stage == stage && o.counts.detached.is_none())
    }

    fn primary(&mut self) -> &mut Output {
        &mut self.outputs[0]
    }
}

impl Sink for FanOut {
    fn write(&mut self, documents: Vec<Document>) -> Result<Delivery, SinkError> {
        for output in self.live(OutputStage::Documents) {
            // The guard's address is for `[sink]`'s index; another output
            // names its own.
            let copies = documents
                .iter()
                .map(|d| Document::new(d.origin.clone(), d.bytes.clone()))
                .collect();
            output.deliver(|sink| sink.write(copies))?;
        }
        self.primary().deliver(|sink| sink.write(documents))
    }

    fn flush(&mut self) -> Result<Delivery, SinkError> {
        for output in self.outputs[1..]
            .iter_mut()
            .filter(|o| o.counts.detached.is_none())
        {
            output.deliver(|sink| sink.flush())?;
        }
        self.primary().deliver(|sink| sink.flush())
    }

    fn index_mappings(&mut self) -> Result<Vec<(String, serde_json::Value)>, SinkError> {
        self.primary().sink.index_mappings()
    }
}

impl Output {
    /// Runs one call on the sink and books what it settled. A failure stops
    /// the pipeline, or detaches the output when its settings say so; what
    /// a detached output returns is an empty delivery.
    fn deliver(
        &mut self,
        call: impl FnOnce(&mut dyn Sink) -> Result<Delivery, SinkError>,
    ) -> Result<Delivery, SinkError> {
        match call(self.sink.as_mut()) {
            Ok(delivery) => {
                self.counts.written += delivery.written;
                self.counts.refused += delivery.dead_letters.len() as u64;
                if !self.primary {
                    for letter in &delivery.dead_letters {
                        tracing::warn!(output = %self.counts.name, source = %letter.origin.source,
                            offset = letter.origin.offset, reason = %letter.reason,
                            "output refused a document (it was delivered to [sink])");
                    }
                }
                Ok(delivery)
            }
            Err(error) if self.on_failure == OnFailure::Detach => {
                let reason = format!("{:#}", anyhow::Error::new(error));
                tracing::error!(output = %self.counts.name, %reason,
                    "OUTPUT DETACHED (on_failure = \"detach\"): it gets no more records and \
                     commits no longer wait for it; records from here on are missing from it");
                self.counts.detached = Some(reason);
                Ok(Delivery::default())
            }
            Err(error) if self.primary => Err(error),
            Err(error) => Err(SinkError::Output {
                name: self.counts.name.clone(),
                source: Box::new(error),
            }),
        }
    }
}
