//! `sluice bench parse`: parse throughput of each decoder on the same
//! documents, in MB/s and documents/s, with the median and spread of
//! repeated runs and each decoder's ratio to serde_json.

use std::fmt;
use std::hint::black_box;
use std::time::{Duration, Instant};

use super::input::Documents;
use super::stats::Spread;

/// A JSON decoder the benchmark compares. Each parses one document as the
/// pipeline would: the simd-json ones on a fresh copy of the bytes, because
/// they parse in place and the pipeline keeps the original for the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decoder {
    SimdJsonBorrowed,
    SimdJsonOwned,
    SimdJsonTape,
    SerdeJson,
    SonicRs,
}

impl Decoder {
    pub const ALL: [Decoder; 5] = [
        Decoder::SimdJsonBorrowed,
        Decoder::SimdJsonOwned,
        Decoder::SimdJsonTape,
        Decoder::SerdeJson,
        Decoder::SonicRs,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Decoder::SimdJsonBorrowed => "simd-json borrowed",
            Decoder::SimdJsonOwned => "simd-json owned",
            Decoder::SimdJsonTape => "simd-json tape",
            Decoder::SerdeJson => "serde_json Value",
            Decoder::SonicRs => "sonic-rs Value",
        }
    }

    /// Parses one document into the decoder's value and drops it.
    pub fn parse(self, document: &[u8]) -> Result<(), String> {
        let text = |e: &dyn fmt::Display| e.to_string();
        match self {
            Decoder::SimdJsonBorrowed => {
                let mut copy = document.to_vec();
                black_box(simd_json::to_borrowed_value(&mut copy).map_err(|e| text(&e))?);
            }
            Decoder::SimdJsonOwned => {
                let mut copy = document.to_vec();
                black_box(simd_json::to_owned_value(&mut copy).map_err(|e| text(&e))?);
            }
            Decoder::SimdJsonTape => {
                let mut copy = document.to_vec();
                black_box(simd_json::to_tape(&mut copy).map_err(|e| text(&e))?);
            }
            Decoder::SerdeJson => {
                black_box(
                    serde_json::from_slice::<serde_json::Value>(document).map_err(|e| text(&e))?,
                );
            }
            Decoder::SonicRs => {
                black_box(sonic_rs::from_slice::<sonic_rs::Value>(document).map_err(|e| text(&e))?);
            }
        }
        Ok(())
    }

    /// One pass over every document. They all parsed when they were loaded.
    fn parse_all(self, documents: &[Vec<u8>]) {
        for document in documents {
            let parsed = self.parse(black_box(document));
            debug_assert!(parsed.is_ok(), "{}: {parsed:?}", self.name());
        }
    }
}

/// What to measure.
#[derive(Debug, Clone)]
pub struct ParseBench {
    pub decoders: Vec<Decoder>,
    pub runs: usize,
    /// Each run repeats whole passes over the documents until at least this
    /// long has passed, so that a small file still gives a stable figure.
    pub min_run_time: Duration,
}

/// One decoder's figures over all runs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DecoderResult {
    pub decoder: Decoder,
    pub megabytes_per_second: Spread,
    pub documents_per_second: Spread,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ParseReport {
    pub path: String,
    pub documents: usize,
    pub bytes: u64,
    pub skipped: usize,
    pub runs: usize,
    pub results: Vec<DecoderResult>,
}

impl ParseBench {
    /// Runs every decoder `runs` times. The runs are interleaved (each round
    /// runs every decoder once) so that a change in the machine's load or
    /// clock touches all decoders alike. `progress` is called after each
    /// measured run.
    pub fn run(&self, input: &Documents, mut progress: impl FnMut(Decoder)) -> ParseReport {
        for decoder in &self.decoders {
            decoder.parse_all(&input.documents);
        }
        let mut seconds_per_pass = vec![Vec::with_capacity(self.runs); self.decoders.len()];
        for _ in 0..self.runs {
            for (decoder, samples) in self.decoders.iter().zip(&mut seconds_per_pass) {
                samples.push(self.measure(*decoder, &input.documents));
                progress(*decoder);
            }
        }
        let bytes = input.bytes as f64;
        let documents = input.documents.len() as f64;
        let results = self
            .decoders
            .iter()
            .zip(&seconds_per_pass)
            .filter_map(|(decoder, samples)| {
                let rate = |amount: f64| samples.iter().map(|s| amount / s).collect::<Vec<_>>();
                Some(DecoderResult {
                    decoder: *decoder,
                    megabytes_per_second: Spread::of(&rate(bytes / 1e6))?,
                    documents_per_second: Spread::of(&rate(documents))?,
                })
            })
            .collect();
        ParseReport {
            path: input.path.display().to_string(),
            documents: input.documents.len(),
            bytes: input.bytes,
            skipped: input.skipped,
            runs: self.runs,
            results,
        }
    }

    /// Seconds per pass over all documents, averaged over one run.
    fn measure(&self, decoder: Decoder, documents: &[Vec<u8>]) -> f64 {
        let started = Instant::now();
        let mut passes = 0u32;
        loop {
            decoder.parse_all(documents);
            passes += 1;
            let elapsed = started.elapsed();
            if elapsed >= self.min_run_time {
                return elapsed.as_secs_f64() / f64::from(passes);
            }
        }
    }
}

impl ParseReport {
    /// `decoder`'s median throughput over serde_json's, if both ran.
    pub fn ratio_to_serde_json(&self, decoder: Decoder) -> Option<f64> {
        let median = |d: Decoder| {
            self.results
                .iter()
                .find(|r| r.decoder == d)
                .map(|r| r.megabytes_per_second.median)
        };
        Some(median(decoder)? / median(Decoder::SerdeJson)?)
    }
}

impl fmt::Display for ParseReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} documents, {} bytes, {} runs (median, min-max)",
            self.path, self.documents, self.bytes, self.runs
        )?;
        if self.skipped > 0 {
            writeln!(
                f,
                "({} record(s) left out: not every decoder parses them)",
                self.skipped
            )?;
        }
        writeln!(
            f,
            "{:<20} {:>9} {:>19} {:>11} {:>23} {:>13}",
            "decoder", "MB/s", "MB/s min-max", "docs/s", "docs/s min-max", "vs serde_json"
        )?;
        for result in &self.results {
            let mb = result.megabytes_per_second;
            let docs = result.documents_per_second;
            let ratio = self
                .ratio_to_serde_json(result.decoder)
                .map_or_else(|| "-".to_owned(), |r| format!("{r:.2}x"));
            writeln!(
                f,
                "{:<20} {:>9.1} {:>19} {:>11.0} {:>23} {:>13}",
                result.decoder.name(),
                mb.median,
                format!("{:.1}-{:.1}", mb.min, mb.max),
                docs.median,
                format!("{:.0}-{:.0}", docs.min, docs.max),
                ratio
            )?;
        }
        Ok(())
    }
}
