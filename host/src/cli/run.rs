//! `sluice run`: one pipeline from a file (or the bundled demo), flags for the
//! common overrides, a summary at the end and on Ctrl-C.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use anyhow::Context;
use clap::Args;

use crate::config::{DEFAULT_PIPELINE, DeadLetterConfig, PipelineConfig, SinkConfig, SourceConfig};
use crate::pipeline::Pipeline;
use crate::plugin::PluginRuntime;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The pipeline file (TOML). Without it, the bundled demo pipeline runs
    /// from the repository root.
    #[arg(short, long)]
    config: Option<PathBuf>,
    /// Read these files or folders instead of the config's source.
    #[arg(short, long)]
    input: Vec<PathBuf>,
    /// Read NDJSON from standard input instead of the config's source.
    #[arg(long, conflicts_with = "input")]
    stdin: bool,
    /// Write documents here instead of the config's sink path.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Write dead letters here instead of the config's path.
    #[arg(long)]
    dead_letter: Option<PathBuf>,
    /// Records per plugin call.
    #[arg(long)]
    batch_size: Option<usize>,
    /// Also write the summary as JSON to this file.
    #[arg(long)]
    summary_json: Option<PathBuf>,
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let mut config = match &args.config {
        Some(path) => PipelineConfig::load(path)?,
        None => PipelineConfig::from_toml(DEFAULT_PIPELINE, &std::env::current_dir()?).context(
            "the bundled demo pipeline runs from the repository root, after `make plugins`",
        )?,
    };
    apply_overrides(&mut config, &args);
    config.validate()?;

    let runtime = PluginRuntime::new()?;
    let pipeline = Pipeline::build(&config, &runtime)?;
    let stop = pipeline.stop_handle();
    ctrlc::set_handler(move || {
        if stop.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("stopping after the batch in flight (Ctrl-C again to abort)");
    })
    .context("installing the Ctrl-C handler")?;

    let summary = pipeline.run()?;
    let report = summary.to_string();
    if matches!(config.sink, SinkConfig::Stdout) {
        eprintln!("{report}");
    } else {
        println!("{report}");
    }
    if let Some(path) = &args.summary_json {
        let json = serde_json::to_vec_pretty(&summary)?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    if !summary.is_balanced() {
        anyhow::bail!("records went missing: the counts do not balance");
    }
    Ok(ExitCode::SUCCESS)
}

fn apply_overrides(config: &mut PipelineConfig, args: &RunArgs) {
    if args.stdin {
        config.source = SourceConfig::Stdin;
    } else if !args.input.is_empty() {
        let format = match &config.source {
            SourceConfig::File { format, .. } => *format,
            SourceConfig::Stdin | SourceConfig::Kafka(_) => Default::default(),
        };
        config.source = SourceConfig::File {
            paths: args.input.clone(),
            format,
        };
    }
    if let Some(output) = &args.output {
        match &mut config.sink {
            SinkConfig::Ndjson { path } | SinkConfig::BulkFile { path, .. } => {
                *path = output.clone()
            }
            SinkConfig::Stdout | SinkConfig::Null | SinkConfig::Elasticsearch(_) => {
                config.sink = SinkConfig::Ndjson {
                    path: output.clone(),
                }
            }
        }
    }
    if let Some(path) = &args.dead_letter {
        config.dead_letter = DeadLetterConfig::file(path.clone());
    }
    if let Some(size) = args.batch_size {
        config.pipeline.batch_size = size;
    }
}
