//! `sluice test`: runs a plugin on its fixture cases (plugin::fixtures) and
//! says, record by record, what came out wrong.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::config::PluginLimits;
use crate::plugin::PluginRuntime;
use crate::plugin::fixtures::{self, CaseReport};

#[derive(Debug, Args)]
pub struct TestArgs {
    /// The plugin component (.wasm).
    plugin: PathBuf,
    /// A case folder (input.ndjson, expected.ndjson, optional config.json)
    /// or a folder of them.
    fixtures: PathBuf,
    /// The plugin config (a JSON object) for cases without a config.json.
    #[arg(short, long)]
    config: Option<PathBuf>,
}

pub fn run(args: TestArgs) -> anyhow::Result<ExitCode> {
    let cases = fixtures::load_cases(&args.fixtures)?;
    let default_config = match &args.config {
        Some(path) => fixtures::config_json(path)?,
        None => "{}".to_owned(),
    };
    let runtime = PluginRuntime::new()?;
    let name = args
        .plugin
        .file_stem()
        .map_or_else(|| "plugin".into(), |stem| stem.to_string_lossy());
    let plugin = runtime.load_file(
        &name,
        &args.plugin,
        default_config.clone(),
        PluginLimits::default(),
    )?;
    println!(
        "{} ({} KB, loaded in {:.2} s): {} cases",
        args.plugin.display(),
        plugin.size_bytes / 1000,
        plugin.compile_time.as_secs_f64(),
        cases.len()
    );

    let mut passed = 0;
    let mut failed = 0;
    for case in &cases {
        let report = fixtures::run_case(&plugin, case, &default_config)
            .with_context(|| format!("case {}", case.name))?;
        print_report(&report);
        if report.passed() {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_report(report: &CaseReport) {
    let records = match report.records {
        1 => "1 record".to_owned(),
        n => format!("{n} records"),
    };
    if report.passed() {
        println!("ok   {} ({records})", report.name);
        return;
    }
    println!("FAIL {} ({records})", report.name);
    for failure in &report.failures {
        let indent = match &failure.record {
            Some(record) => {
                println!("  {record}:");
                "    "
            }
            None => "  ",
        };
        for line in &failure.lines {
            println!("{indent}{line}");
        }
    }
}
