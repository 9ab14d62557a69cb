//! The `sluice` command line.

mod bench;
mod plugin;
mod plugin_new;
mod produce;
mod run;
mod test;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "sluice",
    version,
    about = "A stream processor for tweets whose filters are WebAssembly plugins"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a pipeline (without --config: the bundled demo pipeline).
    Run(run::RunArgs),
    /// Measure parse and pipeline throughput on your own data.
    Bench(bench::BenchArgs),
    /// Run a plugin on fixture cases and diff what comes out with what is expected.
    Test(test::TestArgs),
    /// Ask about a plugin file.
    Plugin(plugin::PluginArgs),
    /// Load a file of tweets (NDJSON or a search API envelope) into a Kafka topic.
    Produce(produce::ProduceArgs),
}

pub fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "sluice=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Test(args) => test::run(args),
        Command::Plugin(args) => plugin::run(args),
        Command::Produce(args) => produce::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
