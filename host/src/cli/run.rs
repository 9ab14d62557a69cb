//! `sluice run`: one pipeline from a file (or the bundled demo), flags for the
//! common overrides, a summary at the end and on Ctrl-C. Several `--config`
//! files run as separate pipelines in one process, each on its own thread,
//! all sharing one plugin engine. Signals, the admin API and the plugin
//! file watcher reach the pipelines through one control handle.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use crate::config::{
    ConfigError, DEFAULT_PIPELINE, DeadLetterConfig, DeadLetterKind, PipelineConfig, SinkConfig,
    SourceConfig,
};
use crate::control::services::{ServiceSettings, Services};
use crate::control::{Control, PipelineControl};
use crate::pipeline::Pipeline;
use crate::plugin::PluginRuntime;
use crate::report::Summary;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The pipeline file (TOML). Repeat it to run several pipelines in one
    /// process, each named after its file's stem. Without it, the bundled
    /// demo pipeline runs from the repository root.
    #[arg(short, long)]
    config: Vec<PathBuf>,
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
    /// Records per plugin call (for every pipeline).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Also write the summary as JSON to this file (with several pipelines:
    /// one object keyed by pipeline name).
    #[arg(long)]
    summary_json: Option<PathBuf>,
    /// Serve the admin HTTP API (plugin management) on this address, e.g.
    /// 127.0.0.1:9600; overrides `[admin] listen`.
    #[arg(long)]
    admin: Option<SocketAddr>,
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    if args.config.len() > 1 {
        run_several(args)
    } else {
        run_one(args)
    }
}

fn run_one(args: RunArgs) -> anyhow::Result<ExitCode> {
    let overrides = |config: &mut PipelineConfig| apply_overrides(config, &args);
    let here = std::env::current_dir()?;
    let config = match args.config.first() {
        Some(path) => PipelineConfig::load_with(path, overrides)?,
        None => PipelineConfig::from_toml_with(DEFAULT_PIPELINE, &here, overrides).context(
            "the bundled demo pipeline runs from the repository root, after `make plugins`",
        )?,
    };

    let runtime = PluginRuntime::new()?;
    let pipeline = Pipeline::build(&config, &runtime)?;
    let file = args.config.first();
    let name = file.map_or_else(|| "default".to_owned(), |path| pipeline_name(path));
    let control = Control::new(vec![control_of(name, file, &pipeline, &config)?]);
    let _services = Services::start(
        Arc::new(control),
        ServiceSettings {
            admin: args.admin.or(config.admin.listen),
            debounce: Duration::from_millis(config.hot_swap.debounce_ms),
            stop_message: "stopping after the batch in flight (Ctrl-C again to abort)",
        },
    )?;

    let summary = pipeline.run()?;
    print_report(&summary.to_string(), &config);
    if let Some(path) = &args.summary_json {
        write_json(path, &summary)?;
    }
    if !summary.is_balanced() {
        anyhow::bail!("records went missing: the counts do not balance");
    }
    Ok(ExitCode::SUCCESS)
}

/// One of several pipelines: its file, the name its summary goes under, and
/// its validated config.
struct Named {
    name: String,
    path: PathBuf,
    config: PipelineConfig,
}

/// Every file is loaded and validated, then every pipeline built, before
/// the first record is read: a bad file fails the start, not a run half
/// done. A pipeline that fails or does not balance later does not stop the
/// others; the process exits non-zero once all of them have reported.
fn run_several(args: RunArgs) -> anyhow::Result<ExitCode> {
    refuse_overrides(&args)?;
    let mut named = Vec::with_capacity(args.config.len());
    for path in &args.config {
        let mut config = PipelineConfig::load(path).map_err(|error| in_file(error, path))?;
        if let Some(size) = args.batch_size {
            config.pipeline.batch_size = size;
            config.validate().map_err(|error| in_file(error, path))?;
        }
        named.push(Named {
            name: pipeline_name(path),
            path: path.clone(),
            config,
        });
    }
    check_no_shared_ends(&named)?;

    // One engine for all: one deadline clock, one compiled-plugin cache.
    let runtime = PluginRuntime::new()?;
    let pipelines = named
        .iter()
        .map(|pipeline| {
            Pipeline::build(&pipeline.config, &runtime).with_context(|| {
                format!("pipeline `{}` ({})", pipeline.name, pipeline.path.display())
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let controls = named
        .iter()
        .zip(&pipelines)
        .map(|(named, pipeline)| {
            control_of(
                named.name.clone(),
                Some(&named.path),
                pipeline,
                &named.config,
            )
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let _services = Services::start(
        Arc::new(Control::new(controls)),
        ServiceSettings {
            admin: admin_address(&args, &named)?,
            debounce: Duration::from_millis(
                named
                    .iter()
                    .map(|n| n.config.hot_swap.debounce_ms)
                    .min()
                    .unwrap_or(250),
            ),
            stop_message: "stopping every pipeline after its batch in flight (Ctrl-C again to abort)",
        },
    )?;

    let mut outcomes: Vec<Option<anyhow::Result<Summary>>> = named.iter().map(|_| None).collect();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let (done, finished) = std::sync::mpsc::channel();
        for (index, (pipeline, named)) in pipelines.into_iter().zip(&named).enumerate() {
            let done = done.clone();
            std::thread::Builder::new()
                .name(format!("pipeline-{}", named.name))
                .spawn_scoped(scope, move || {
                    // A panic (a bug) fails this pipeline only; the others
                    // still drain, commit and report.
                    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| pipeline.run()))
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("panicked (see above)")));
                    // The receiver is dropped only after it has heard from
                    // every sender.
                    let _ = done.send((index, outcome));
                })
                .with_context(|| format!("starting pipeline `{}`", named.name))?;
        }
        drop(done);
        // Reported as each finishes: a file pipeline's summary should not
        // wait for a stream pipeline that runs until Ctrl-C.
        for (index, outcome) in finished {
            report_one(&named[index], &outcome);
            outcomes[index] = Some(outcome);
        }
        Ok(())
    })?;
    let outcomes: Vec<anyhow::Result<Summary>> = outcomes
        .into_iter()
        .map(|outcome| outcome.expect("every pipeline thread sends its outcome"))
        .collect();

    let failed: Vec<&str> = named
        .iter()
        .zip(&outcomes)
        .filter(|(_, outcome)| !matches!(outcome, Ok(summary) if summary.is_balanced()))
        .map(|(pipeline, _)| pipeline.name.as_str())
        .collect();
    if let Some(path) = &args.summary_json {
        let by_name: BTreeMap<&str, Reported> = named
            .iter()
            .zip(&outcomes)
            .map(|(pipeline, outcome)| {
                let reported = match outcome {
                    Ok(summary) => Reported::Ran(summary),
                    Err(error) => Reported::Failed {
                        error: format!("{error:#}"),
                    },
                };
                (pipeline.name.as_str(), reported)
            })
            .collect();
        write_json(path, &by_name)?;
    }
    if !failed.is_empty() {
        anyhow::bail!(
            "{} of {} pipelines failed or did not balance: {}",
            failed.len(),
            named.len(),
            failed.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One pipeline's entry in `--summary-json`: its summary, or why it has none.
#[derive(Serialize)]
#[serde(untagged)]
enum Reported<'a> {
    Ran(&'a Summary),
    Failed { error: String },
}

/// The overrides replace one pipeline's source or outputs; with several
/// pipelines they would send all of them to the same place.
fn refuse_overrides(args: &RunArgs) -> anyhow::Result<()> {
    let given: Vec<&str> = [
        (!args.input.is_empty(), "--input"),
        (args.stdin, "--stdin"),
        (args.output.is_some(), "--output"),
        (args.dead_letter.is_some(), "--dead-letter"),
    ]
    .into_iter()
    .filter_map(|(given, flag)| given.then_some(flag))
    .collect();
    if !given.is_empty() {
        anyhow::bail!(
            "{} cannot be used with several --config files: each pipeline reads and writes \
             what its own file says",
            given.join(", ")
        );
    }
    Ok(())
}

/// The file's stem: `pipelines/tweets-en.toml` runs as `tweets-en`.
fn pipeline_name(path: &Path) -> String {
    path.file_stem()
        .unwrap_or(path.as_os_str())
        .to_string_lossy()
        .into_owned()
}

/// A load error names its key; with several files it must name the file too
/// (a read error already does).
fn in_file(error: ConfigError, path: &Path) -> anyhow::Error {
    match error {
        ConfigError::Read { .. } => error.into(),
        _ => anyhow::Error::new(error).context(format!("pipeline file {}", path.display())),
    }
}

/// Refuses what separate pipelines cannot share: a name (summaries are keyed
/// by it), standard input or output, or an output file (two writers would
/// interleave or clobber each other's lines).
fn check_no_shared_ends(named: &[Named]) -> anyhow::Result<()> {
    let mut names: BTreeMap<&str, &Path> = BTreeMap::new();
    let mut ends: BTreeMap<String, (&Path, &str)> = BTreeMap::new();
    for pipeline in named {
        let path = pipeline.path.as_path();
        if let Some(other) = names.insert(&pipeline.name, path) {
            anyhow::bail!(
                "{} and {} would both run as pipeline `{}` (a pipeline is named after its \
                 file's stem): rename one",
                other.display(),
                path.display(),
                pipeline.name
            );
        }
        let config = &pipeline.config;
        let mut claims = Vec::new();
        if matches!(config.source, SourceConfig::Stdin) {
            claims.push(("standard input".to_owned(), "source.type"));
        }
        match &config.sink {
            SinkConfig::Stdout => claims.push(("standard output".to_owned(), "sink.type")),
            SinkConfig::Ndjson { path } | SinkConfig::BulkFile { path, .. } => {
                claims.push((path.display().to_string(), "sink.path"))
            }
            SinkConfig::Archive(archive) => {
                claims.push((archive.path.display().to_string(), "sink.path"))
            }
            SinkConfig::Null | SinkConfig::Elasticsearch(_) => {}
        }
        if config.dead_letter.kind == DeadLetterKind::File {
            claims.push((
                config.dead_letter.path.display().to_string(),
                "dead_letter.path",
            ));
        }
        for (end, key) in claims {
            if let Some((other, other_key)) = ends.get(&end) {
                anyhow::bail!(
                    "{} (`{other_key}`) and {} (`{key}`) both use {end}: each pipeline needs \
                     its own",
                    other.display(),
                    path.display()
                );
            }
            ends.insert(end, (path, key));
        }
    }
    Ok(())
}

/// What the control handle needs of one built pipeline.
fn control_of(
    name: String,
    file: Option<&PathBuf>,
    pipeline: &Pipeline,
    config: &PipelineConfig,
) -> anyhow::Result<PipelineControl> {
    let registry = pipeline
        .registry()
        .expect("a pipeline built from WASM plugins has a registry");
    PipelineControl::new(
        name,
        file.cloned(),
        pipeline.stop_handle(),
        registry,
        config.hot_swap.watch,
    )
}

/// One process has one admin server: `--admin`, or the one address the
/// pipeline files agree on.
fn admin_address(args: &RunArgs, named: &[Named]) -> anyhow::Result<Option<SocketAddr>> {
    if args.admin.is_some() {
        return Ok(args.admin);
    }
    let mut chosen: Option<(SocketAddr, &Path)> = None;
    for pipeline in named {
        let Some(address) = pipeline.config.admin.listen else {
            continue;
        };
        match chosen {
            Some((other, path)) if other != address => anyhow::bail!(
                "{} (`admin.listen = {other}`) and {} (`admin.listen = {address}`) disagree: \
                 one process has one admin server",
                path.display(),
                pipeline.path.display()
            ),
            _ => chosen = Some((address, &pipeline.path)),
        }
    }
    Ok(chosen.map(|(address, _)| address))
}

fn report_one(pipeline: &Named, outcome: &anyhow::Result<Summary>) {
    match outcome {
        Ok(summary) => {
            let report = format!(
                "pipeline {} ({})\n{summary}\n",
                pipeline.name,
                pipeline.path.display()
            );
            print_report(&report, &pipeline.config);
            if !summary.is_balanced() {
                eprintln!(
                    "error: pipeline {}: records went missing: the counts do not balance",
                    pipeline.name
                );
            }
        }
        Err(error) => eprintln!("error: pipeline {} failed: {error:#}", pipeline.name),
    }
}

/// The report goes to standard output unless the documents do.
fn print_report(report: &str, config: &PipelineConfig) {
    if matches!(config.sink, SinkConfig::Stdout) {
        eprintln!("{report}");
    } else {
        println!("{report}");
    }
}

fn write_json(path: &Path, value: &impl Serialize) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(value)?;
    std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))
}

fn apply_overrides(config: &mut PipelineConfig, args: &RunArgs) {
    if args.stdin {
        config.source = SourceConfig::Stdin;
    } else if !args.input.is_empty() {
        let format = match &config.source {
            SourceConfig::File { format, .. } => *format,
            SourceConfig::Stdin | SourceConfig::Kafka(_) | SourceConfig::Archive { .. } => {
                Default::default()
            }
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
            SinkConfig::Stdout
            | SinkConfig::Null
            | SinkConfig::Elasticsearch(_)
            | SinkConfig::Archive(_) => {
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
