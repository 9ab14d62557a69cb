//! `sluice replay ARCHIVE_DIR --config pipeline.toml`: an archive output's
//! files through a pipeline in place of its source, so a new chain (a fixed
//! filter, a new version) is applied to the past. With a deterministic
//! `_id`, documents replayed into an index overwrite those already there.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::config::{PipelineConfig, SinkConfig, SourceConfig};
use crate::pipeline::Pipeline;
use crate::plugin::PluginRuntime;

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The archive's root folder (an archive output's `path`).
    archive: PathBuf,
    /// The pipeline file: its chain, guard and outputs are used, its source
    /// is replaced by the archive.
    #[arg(short, long)]
    config: PathBuf,
    /// Also write the summary as JSON to this file.
    #[arg(long)]
    summary_json: Option<PathBuf>,
}

pub fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let mut config = PipelineConfig::load(&args.config)?;
    config.source = SourceConfig::Archive {
        path: args.archive.clone(),
    };
    config
        .validate()
        .context("the archive to replay (`source.path` is ARCHIVE_DIR)")?;
    refuse_writing_into(&args.archive, &config)?;

    let runtime = PluginRuntime::new()?;
    let pipeline = Pipeline::build(&config, &runtime)?;
    let summary = pipeline.run()?;
    println!("{summary}");
    if let Some(path) = &args.summary_json {
        let json = serde_json::to_vec_pretty(&summary)?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    if !summary.is_balanced() {
        anyhow::bail!("records went missing: the counts do not balance");
    }
    Ok(ExitCode::SUCCESS)
}

/// An archive output writing into the archive being read would archive the
/// replay over the original.
fn refuse_writing_into(archive: &Path, config: &PipelineConfig) -> anyhow::Result<()> {
    let same = |path: &Path| {
        let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_owned());
        canonical(path) == canonical(archive)
    };
    let sinks = std::iter::once(("sink".to_owned(), &config.sink)).chain(
        config
            .outputs
            .iter()
            .enumerate()
            .map(|(i, output)| (format!("outputs[{i}]"), &output.sink)),
    );
    for (key, sink) in sinks {
        if let SinkConfig::Archive(output) = sink
            && same(&output.path)
        {
            anyhow::bail!(
                "`{key}.path` is the archive being replayed ({}): archive the replay into \
                 another folder",
                archive.display()
            );
        }
    }
    Ok(())
}
