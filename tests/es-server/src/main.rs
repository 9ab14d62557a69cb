//! `es-test-server`: the Elasticsearch-compatible test server as a process.

use std::net::IpAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use es_test_server::{DEFAULT_MAX_CONTENT_LENGTH, EsTestServer, Faults, Options};

/// An in-memory, Elasticsearch 8.x-compatible server for tests (not Elasticsearch).
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    #[arg(long, default_value_t = 9200)]
    port: u16,
    /// http.max_content_length in bytes; larger requests get 413.
    #[arg(long, default_value_t = DEFAULT_MAX_CONTENT_LENGTH)]
    max_content_length: usize,
    /// index.mapping.total_fields.limit for new indices (ES default 1000).
    #[arg(long)]
    total_fields_limit: Option<i64>,
    /// Periodic refresh in milliseconds; 0 disables it (explicit _refresh only).
    #[arg(long, default_value_t = 1000)]
    refresh_interval_ms: u64,
    #[arg(long, default_value_t = 0)]
    fault_seed: u64,
    /// Share of whole _bulk requests answered 429.
    #[arg(long, default_value_t = 0.0)]
    fault_bulk_reject_rate: f64,
    /// Share of bulk items answered 429 inside a 200 response.
    #[arg(long, default_value_t = 0.0)]
    fault_item_reject_rate: f64,
    /// Share of requests answered with --fault-unavailable-status.
    #[arg(long, default_value_t = 0.0)]
    fault_unavailable_rate: f64,
    #[arg(long, default_value_t = 503)]
    fault_unavailable_status: u16,
    #[arg(long, default_value_t = 0)]
    fault_delay_ms: u64,
    /// Share of requests whose connection is closed before the request is applied.
    #[arg(long, default_value_t = 0.0)]
    fault_drop_rate: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let options = Options {
        host: cli.host,
        port: cli.port,
        max_content_length: cli.max_content_length,
        total_fields_limit: cli.total_fields_limit,
        refresh_interval: (cli.refresh_interval_ms > 0)
            .then(|| Duration::from_millis(cli.refresh_interval_ms)),
        faults: Faults {
            seed: cli.fault_seed,
            bulk_reject_rate: cli.fault_bulk_reject_rate,
            item_reject_rate: cli.fault_item_reject_rate,
            unavailable_rate: cli.fault_unavailable_rate,
            unavailable_status: cli.fault_unavailable_status,
            delay_ms: cli.fault_delay_ms,
            drop_rate: cli.fault_drop_rate,
        },
    };
    let mut server = EsTestServer::start(options)
        .await
        .context("starting es-test-server")?;
    println!("{}", server.url());
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    server.stop().await;
    Ok(())
}
