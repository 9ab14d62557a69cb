//! `sluice bench`: the built-in benchmarks (see [`crate::bench`]), with a
//! progress bar on standard error and the table on standard output.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::bench::chart::{Bar, bar_chart};
use crate::bench::input::{Documents, Split};
use crate::bench::parse::{Decoder, ParseBench};
use crate::bench::pipeline::{ChainKind, PipelineBench, SinkKind};

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: BenchCommand,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Parse throughput of the JSON decoders on your own data.
    Parse(ParseArgs),
    /// Throughput of the real pipeline with no plugin, the identity plugin
    /// and the default chain, into the null sink and the `_bulk` writer.
    Pipeline(PipelineArgs),
}

#[derive(Debug, Args)]
struct ParseArgs {
    /// NDJSON (one document per line) or a `.json` file (its `statuses`, or
    /// the elements of a top-level array, or the one document it holds).
    file: PathBuf,
    /// Measured runs per decoder.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Each run repeats passes over the file until this many milliseconds
    /// have passed.
    #[arg(long, default_value_t = 500)]
    min_run_ms: u64,
    /// Parse the whole file as one document instead of record by record.
    #[arg(long)]
    whole_file: bool,
    /// Also draw the median MB/s of each decoder as an SVG bar chart here.
    #[arg(long)]
    chart: Option<PathBuf>,
    /// Also write the figures as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct PipelineArgs {
    /// Files or folders to read (default: the bundled tweets in `data`).
    #[arg(short, long, default_value = "data")]
    input: Vec<PathBuf>,
    /// The plugin chains to compare.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "none,identity,default,native"
    )]
    plugins: Vec<ChainKind>,
    /// The sinks to write into.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "null,bulk")]
    sink: Vec<SinkKind>,
    /// Measured runs per chain and sink.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Records per plugin call (default: the pipeline's).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Worker thread counts to compare (default: 1 and one per core).
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u32).range(1..))]
    workers: Vec<u32>,
    /// Where identity.wasm, flatten_retweets.wasm and prune_fields.wasm are.
    #[arg(long, default_value = "target/wasm32-wasip2/wasm")]
    plugin_dir: PathBuf,
    /// Where the bulk sink writes its body (the default times the encoder,
    /// not the disk).
    #[arg(long, default_value = "/dev/null")]
    bulk_output: PathBuf,
    /// Where dead letters go.
    #[arg(long, default_value = "/dev/null")]
    dead_letter: PathBuf,
    /// Also draw the median records/s of each chain and sink as an SVG bar
    /// chart here.
    #[arg(long)]
    chart: Option<PathBuf>,
    /// Also write the figures as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    match args.what {
        BenchCommand::Parse(args) => parse(args),
        BenchCommand::Pipeline(args) => pipeline(args),
    }?;
    Ok(ExitCode::SUCCESS)
}

fn parse(args: ParseArgs) -> anyhow::Result<()> {
    let split = if args.whole_file {
        Split::WholeFile
    } else {
        Split::Records
    };
    let input = Documents::load(&args.file, split, &Decoder::ALL)?;
    let bench = ParseBench {
        decoders: Decoder::ALL.to_vec(),
        runs: args.runs as usize,
        min_run_time: Duration::from_millis(args.min_run_ms),
    };
    let bar = progress_bar((bench.runs * bench.decoders.len()) as u64);
    let report = bench.run(&input, |decoder| {
        bar.set_message(decoder.name());
        bar.inc(1);
    });
    bar.finish_and_clear();
    print!("{report}");
    if let Some(path) = &args.chart {
        let bars: Vec<Bar> = report
            .results
            .iter()
            .map(|r| Bar {
                label: r.decoder.name().to_owned(),
                value: r.megabytes_per_second,
            })
            .collect();
        let title = format!("Parse throughput: {}", file_name(&args.file));
        write(path, bar_chart(&title, "MB/s", &bars))?;
    }
    if let Some(path) = &args.json {
        write(path, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(())
}

fn pipeline(args: PipelineArgs) -> anyhow::Result<()> {
    let bench = PipelineBench {
        inputs: args.input,
        chains: args.plugins,
        sinks: args.sink,
        runs: args.runs as usize,
        batch_size: args.batch_size,
        workers: worker_counts(&args.workers),
        plugin_dir: args.plugin_dir,
        bulk_output: args.bulk_output,
        dead_letter: args.dead_letter,
    };
    let runs = bench.runs * bench.chains.len() * bench.sinks.len() * bench.workers.len();
    let bar = progress_bar(runs as u64);
    let report = bench.run(|_| bar.inc(1));
    bar.finish_and_clear();
    let report = report?;
    print!("{report}");
    if let Some(path) = &args.chart {
        let bars: Vec<Bar> = report
            .rows
            .iter()
            .map(|row| Bar {
                label: row.variant.label(),
                value: row.records_per_second,
            })
            .collect();
        write(path, bar_chart("Pipeline throughput", "records/s", &bars))?;
    }
    if let Some(path) = &args.json {
        write(path, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(())
}

/// The `--workers` list, or 1 and one per core.
fn worker_counts(requested: &[u32]) -> Vec<usize> {
    if !requested.is_empty() {
        return requested.iter().map(|&n| n as usize).collect();
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut counts = vec![1, cores];
    counts.dedup();
    counts
}

/// A bar on standard error; indicatif hides it when that is not a terminal.
fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} runs {elapsed} {msg}")
            .expect("the template is valid"),
    );
    bar
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn write(path: &Path, text: String) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
