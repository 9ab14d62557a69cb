//! `sluice bench pipeline`: the real pipeline, built from a
//! [`PipelineConfig`] like `sluice run` builds it, run on the same input with
//! no plugin, with the identity plugin and with the default chain, into the
//! null sink and into the `_bulk` body writer. Comparing the rows prices each
//! piece: identity vs none is the cost of the plugin boundary plus the
//! guest's parse, the default chain vs identity is the filters' own work,
//! the default chain vs its native build is what WebAssembly costs, bulk vs
//! null is the encoder. Each runs with every requested worker
//! count; records per CPU-second is the rate per core.

use std::fmt;
use std::path::PathBuf;

use anyhow::Context;

use super::rss;
use super::stats::Spread;
use crate::config::{
    DEFAULT_PIPELINE, DeadLetterConfig, PipelineConfig, PluginConfig, SinkConfig, SourceConfig,
};
use crate::pipeline::Pipeline;
use crate::plugin::PluginRuntime;
use crate::report::{StageSeconds, Summary};

/// Which plugins run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainKind {
    /// No plugin: decode, guard and sink only.
    None,
    /// The identity plugin: every record crosses into the guest, is parsed
    /// there and passes unchanged.
    Identity,
    /// The chain of the bundled demo pipeline (flatten-retweets, prune-fields).
    Default,
    /// The default chain's filters compiled into the host instead of WASM:
    /// `default` over `native` is what WebAssembly costs.
    Native,
}

/// Where documents go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SinkKind {
    /// Counted and discarded.
    Null,
    /// Encoded as an Elasticsearch `_bulk` body and written out.
    Bulk,
}

#[derive(Debug, Clone)]
pub struct PipelineBench {
    pub inputs: Vec<PathBuf>,
    pub chains: Vec<ChainKind>,
    pub sinks: Vec<SinkKind>,
    pub runs: usize,
    pub batch_size: Option<usize>,
    /// Worker thread counts to compare (`[pipeline] workers`).
    pub workers: Vec<usize>,
    /// Where the `.wasm` files of the identity plugin and the default chain are.
    pub plugin_dir: PathBuf,
    /// Where the bulk sink writes (`/dev/null` times the encoder, not the disk).
    pub bulk_output: PathBuf,
    pub dead_letter: PathBuf,
}

/// One measured configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Variant {
    pub chain: ChainKind,
    pub sink: SinkKind,
    pub workers: usize,
}

/// One chain into one sink with some workers, over all runs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PipelineRow {
    #[serde(flatten)]
    pub variant: Variant,
    pub records_in: u64,
    pub written: u64,
    pub bytes_in: u64,
    pub records_per_second: Spread,
    pub megabytes_per_second: Spread,
    /// Records per second of CPU time (all threads): the rate per core.
    pub records_per_cpu_second: Spread,
    /// Stage seconds of the run with the median throughput.
    pub stages: StageSeconds,
    /// Busy seconds of each plugin in that run.
    pub plugins: Vec<(String, f64)>,
    /// Largest peak RSS of the runs, in KiB.
    pub peak_rss_kib: Option<u64>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PipelineReport {
    pub inputs: Vec<String>,
    pub runs: usize,
    pub batch_size: usize,
    /// Whether each row's peak RSS is its own (the kernel allowed resetting
    /// the peak) or the process's so far.
    pub peak_rss_per_row: bool,
    pub rows: Vec<PipelineRow>,
}

impl PipelineBench {
    /// Every configuration, checked before the first run so that a missing
    /// plugin or input fails at once.
    fn configs(&self) -> anyhow::Result<Vec<(Variant, PipelineConfig)>> {
        // The demo pipeline supplies the default chain's settings and the
        // bulk sink's index target; its paths are replaced below.
        let demo: PipelineConfig =
            toml::from_str(DEFAULT_PIPELINE).context("parsing the bundled demo pipeline")?;
        let target = match &demo.sink {
            SinkConfig::BulkFile { target, .. } => target.clone(),
            _ => anyhow::bail!("the bundled demo pipeline has no bulk sink to take the index from"),
        };
        let mut configs = Vec::new();
        let variants = self.chains.iter().flat_map(|&chain| {
            self.sinks.iter().flat_map(move |&sink| {
                self.workers.iter().map(move |&workers| Variant {
                    chain,
                    sink,
                    workers,
                })
            })
        });
        for variant in variants {
            let Variant {
                chain,
                sink,
                workers,
            } = variant;
            {
                let mut config = demo.clone();
                config.source = SourceConfig::File {
                    paths: self.inputs.clone(),
                    format: Default::default(),
                };
                config.plugins = self.plugins(chain, &demo.plugins);
                config.sink = match sink {
                    SinkKind::Null => SinkConfig::Null,
                    SinkKind::Bulk => SinkConfig::BulkFile {
                        path: self.bulk_output.clone(),
                        target: target.clone(),
                    },
                };
                config.dead_letter = DeadLetterConfig::file(self.dead_letter.clone());
                if let Some(size) = self.batch_size {
                    config.pipeline.batch_size = size;
                }
                config.pipeline.workers = workers;
                config.validate()?;
                configs.push((variant, config));
            }
        }
        Ok(configs)
    }

    fn plugins(&self, chain: ChainKind, demo: &[PluginConfig]) -> Vec<PluginConfig> {
        let in_dir = |path: &PathBuf| match path.file_name() {
            Some(name) => self.plugin_dir.join(name),
            None => path.clone(),
        };
        match chain {
            ChainKind::None => Vec::new(),
            ChainKind::Identity => vec![PluginConfig {
                name: "identity".into(),
                path: self.plugin_dir.join("identity.wasm"),
                config: Default::default(),
                limits: Default::default(),
                fixtures: None,
            }],
            ChainKind::Default | ChainKind::Native => demo
                .iter()
                .map(|plugin| PluginConfig {
                    path: in_dir(&plugin.path),
                    ..plugin.clone()
                })
                .collect(),
        }
    }

    /// Runs every configuration `runs` times, interleaved like the parse
    /// benchmark. `progress` is called after each run.
    pub fn run(&self, mut progress: impl FnMut(Variant)) -> anyhow::Result<PipelineReport> {
        let configs = self.configs()?;
        let runtime = PluginRuntime::new()?;
        let mut summaries: Vec<Vec<(Summary, Option<u64>)>> = vec![Vec::new(); configs.len()];
        let mut peak_rss_per_row = true;
        for _ in 0..self.runs {
            for ((variant, config), runs) in configs.iter().zip(&mut summaries) {
                peak_rss_per_row &= rss::reset_peak();
                let pipeline = match variant.chain {
                    ChainKind::Native => Pipeline::build_native(config),
                    _ => Pipeline::build(config, &runtime),
                };
                let summary = pipeline
                    .and_then(Pipeline::run)
                    .with_context(|| format!("pipeline {}", variant.label()))?;
                if !summary.is_balanced() {
                    anyhow::bail!("records went missing in pipeline {}", variant.label());
                }
                runs.push((summary, rss::peak_kib()));
                progress(*variant);
            }
        }
        let rows = configs
            .iter()
            .zip(summaries)
            .filter_map(|((variant, _), runs)| row(*variant, runs))
            .collect();
        Ok(PipelineReport {
            inputs: self
                .inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            runs: self.runs,
            batch_size: configs.first().map_or(0, |(_, c)| c.pipeline.batch_size),
            peak_rss_per_row,
            rows,
        })
    }
}

fn row(variant: Variant, mut runs: Vec<(Summary, Option<u64>)>) -> Option<PipelineRow> {
    let spread =
        |of: fn(&Summary) -> f64| Spread::of(&runs.iter().map(|(s, _)| of(s)).collect::<Vec<_>>());
    let records_per_second = spread(|s| s.records_per_second)?;
    let megabytes_per_second = spread(|s| s.megabytes_per_second)?;
    let records_per_cpu_second = spread(|s| s.records_in as f64 / s.cpu_seconds.max(1e-9))?;
    let peak_rss_kib = runs.iter().filter_map(|(_, peak)| *peak).max();
    runs.sort_by(|a, b| a.0.records_per_second.total_cmp(&b.0.records_per_second));
    let (median, _) = runs.swap_remove(runs.len() / 2);
    Some(PipelineRow {
        variant,
        records_in: median.records_in,
        written: median.written,
        bytes_in: median.bytes_in,
        records_per_second,
        megabytes_per_second,
        records_per_cpu_second,
        stages: median.stages,
        plugins: median
            .plugins
            .iter()
            .map(|p| (p.name.to_string(), p.busy_seconds))
            .collect(),
        peak_rss_kib,
    })
}

impl PipelineReport {
    /// `row`'s median records/s over the same sink's and workers' without
    /// plugins.
    pub fn ratio_to_no_plugin(&self, row: &PipelineRow) -> Option<f64> {
        let base = self.rows.iter().find(|r| {
            r.variant
                == Variant {
                    chain: ChainKind::None,
                    ..row.variant
                }
        })?;
        Some(row.records_per_second.median / base.records_per_second.median)
    }

    /// For a `default` row with a `native` twin: WASM's records/s and
    /// plugin-stage speed as fractions of the native build's.
    pub fn wasm_over_native(&self, row: &PipelineRow) -> Option<(f64, f64)> {
        if row.variant.chain != ChainKind::Default {
            return None;
        }
        let native = self.rows.iter().find(|r| {
            r.variant
                == Variant {
                    chain: ChainKind::Native,
                    ..row.variant
                }
        })?;
        Some((
            row.records_per_second.median / native.records_per_second.median,
            native.stages.plugins / row.stages.plugins.max(1e-9),
        ))
    }
}

fn name<T: clap::ValueEnum>(value: &T) -> String {
    value
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_owned())
}

impl Variant {
    pub fn label(&self) -> String {
        let workers = match self.workers {
            1 => "1 worker".to_owned(),
            n => format!("{n} workers"),
        };
        format!("{} -> {}, {workers}", name(&self.chain), name(&self.sink))
    }
}

impl fmt::Display for PipelineReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} runs, batch size {} (median, min-max; stage seconds of the median run)",
            self.inputs.join(", "),
            self.runs,
            self.batch_size
        )?;
        writeln!(
            f,
            "{:<32} {:>8} {:>10} {:>17} {:>7} {:>10} {:>8} {:>6} {:>7} {:>7} {:>6} {:>6} {:>10}",
            "chain -> sink, workers",
            "records",
            "records/s",
            "min-max",
            "MB/s",
            "rec/CPU-s",
            "vs none",
            "read",
            "decode",
            "plugins",
            "guard",
            "sink",
            "peak RSS"
        )?;
        for row in &self.rows {
            let rps = row.records_per_second;
            let ratio = self
                .ratio_to_no_plugin(row)
                .map_or_else(|| "-".to_owned(), |r| format!("{r:.2}x"));
            let rss = row.peak_rss_kib.map_or_else(
                || "-".to_owned(),
                |k| format!("{:.1} MiB", k as f64 / 1024.0),
            );
            let s = &row.stages;
            writeln!(
                f,
                "{:<32} {:>8} {:>10.0} {:>17} {:>7.1} {:>10.0} {:>8} {:>6.3} {:>7.3} {:>7.3} {:>6.3} {:>6.3} {:>10}",
                row.variant.label(),
                row.records_in,
                rps.median,
                format!("{:.0}-{:.0}", rps.min, rps.max),
                row.megabytes_per_second.median,
                row.records_per_cpu_second.median,
                ratio,
                s.read,
                s.decode,
                s.plugins,
                s.guard,
                s.sink,
                rss
            )?;
            for (plugin, busy) in &row.plugins {
                writeln!(f, "{:<32}   plugin {plugin}: {busy:.3} s busy", "")?;
            }
        }
        for row in &self.rows {
            if let Some((records, plugins)) = self.wasm_over_native(row) {
                writeln!(
                    f,
                    "WASM / native, {}: {records:.2}x the records/s, plugin stage {plugins:.2}x the speed",
                    row.variant.label()
                )?;
            }
        }
        if !self.peak_rss_per_row {
            writeln!(
                f,
                "(peak RSS is the process's so far: the kernel refused to reset it)"
            )?;
        }
        Ok(())
    }
}
