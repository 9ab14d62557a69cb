//! `sluice plugin ...`: what a plugin author asks about a plugin file, and
//! `sluice plugin new` (in [`super::plugin_new`]) to start one.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::plugin_new::{self, NewArgs};
use crate::plugin::fixtures;
use crate::plugin::inspect::{Inspection, inspect};

#[derive(Debug, Args)]
pub struct PluginArgs {
    #[command(subcommand)]
    command: PluginCommand,
}

#[derive(Debug, Subcommand)]
enum PluginCommand {
    /// Interface version, exports, imports, size, compile and instance cost.
    Inspect(InspectArgs),
    /// Write a new filter project: the filter, a setting, fixtures, a
    /// pipeline file and a build script.
    New(NewArgs),
}

#[derive(Debug, Args)]
struct InspectArgs {
    /// The plugin component (.wasm).
    plugin: PathBuf,
    /// The config (a JSON object) `init` gets when the instance is measured.
    #[arg(short, long)]
    config: Option<PathBuf>,
}

pub fn run(args: PluginArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        PluginCommand::Inspect(args) => run_inspect(args),
        PluginCommand::New(args) => plugin_new::run(args).map(|()| ExitCode::SUCCESS),
    }
}

fn run_inspect(args: InspectArgs) -> anyhow::Result<ExitCode> {
    let config = match &args.config {
        Some(path) => fixtures::config_json(path)?,
        None => "{}".to_owned(),
    };
    let inspection = inspect(&args.plugin, &config)?;
    println!("{}", args.plugin.display());
    print(&inspection);
    Ok(match inspection.refused {
        Some(_) => ExitCode::FAILURE,
        None => ExitCode::SUCCESS,
    })
}

fn print(inspection: &Inspection) {
    println!(
        "  interface: {}",
        inspection
            .interface
            .as_deref()
            .unwrap_or("none (imports no sluice:filter interface)")
    );
    println!("  size: {:.1} KB", inspection.size_bytes as f64 / 1000.0);
    println!(
        "  compile: {:.3} s cold (no cache)",
        inspection.cold_compile.as_secs_f64()
    );
    if let Some(cached) = inspection.cached_compile {
        println!(
            "  compile: {:.3} s from the host's compile cache",
            cached.as_secs_f64()
        );
    }
    if let Some(instance) = &inspection.instance {
        println!(
            "  instance: {:.1} ms to instantiate and init, {:.1} MiB linear memory after init",
            instance.instantiate.as_secs_f64() * 1000.0,
            instance.memory_bytes as f64 / (1024.0 * 1024.0)
        );
    }
    println!("  exports ({}):", inspection.exports.len());
    for item in &inspection.exports {
        println!("    {}: {}", item.name, item.kind);
    }
    println!("  imports ({}):", inspection.imports.len());
    for item in &inspection.imports {
        println!("    {}: {}", item.name, item.kind);
    }
    if let Some(reason) = &inspection.refused {
        println!("  refused by the host: {reason}");
    }
}
