//! An Elasticsearch-compatible test server: a faithful-as-documented stand-in for the parts
//! of Elasticsearch 8.x's REST API that Sluice's sink uses, with in-memory state, the real
//! mapping limits and error shapes, and injectable faults. It is not Elasticsearch.
//!
//! From async tests:
//!
//! ```no_run
//! # async fn demo() -> Result<(), es_test_server::Error> {
//! use es_test_server::{EsTestServer, Faults, Options};
//! let mut server = EsTestServer::start(Options::default()).await?;
//! let url = server.url();
//! server.set_faults(Faults { item_reject_rate: 0.1, seed: 7, ..Faults::default() })?;
//! server.stop().await; // connections drop, data stays
//! server.restart().await?; // same port, same data
//! # Ok(()) }
//! ```
//!
//! From synchronous tests (a CLI run as a child process, say), [`BlockingEsTestServer`]
//! owns its own runtime.
//!
//! Modules, in the order a request meets them: `http` (listener, body limit, dropped
//! connections), `api` (routes and handlers, fault verdicts), `bulk` (NDJSON), `index`
//! (documents and refresh), `mapping` (dynamic mapping and limits, over `json`'s positioned
//! tree), `search` (query DSL subset), `settings`, `template` (index templates), `state`,
//! `error` (ES error shapes), `faults` (seeded dice and counters).

mod api;
mod bulk;
mod error;
mod faults;
mod http;
mod index;
mod json;
mod mapping;
mod search;
mod settings;
mod state;
mod template;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpSocket;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use crate::faults::{FaultStats, Faults, Stats};

use crate::api::Cluster;
use crate::settings::Settings;
use crate::state::State;

/// Elasticsearch's default `http.max_content_length`.
pub const DEFAULT_MAX_CONTENT_LENGTH: usize = 100 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Options {
    pub host: IpAddr,
    /// 0 picks a free port; [`EsTestServer::restart`] reuses whichever port was bound.
    pub port: u16,
    /// Requests with larger bodies get 413 (`http.max_content_length`).
    pub max_content_length: usize,
    /// `index.mapping.total_fields.limit` for new indices unless a template or the
    /// create-index request sets it.
    pub total_fields_limit: Option<i64>,
    /// Periodic refresh (`index.refresh_interval`, 1s in ES); `None` leaves visibility to
    /// explicit `_refresh` and `?refresh`.
    pub refresh_interval: Option<Duration>,
    pub faults: Faults,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            max_content_length: DEFAULT_MAX_CONTENT_LENGTH,
            total_fields_limit: None,
            refresh_interval: Some(Duration::from_secs(1)),
            faults: Faults::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("invalid faults: {0}")]
    InvalidFaults(String),
    #[error("cannot start the server's runtime: {0}")]
    Runtime(std::io::Error),
}

struct Running {
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// A running (or stopped) test server; its indices live as long as this value.
pub struct EsTestServer {
    cluster: Arc<Cluster>,
    addr: SocketAddr,
    options: Options,
    running: Option<Running>,
}

impl EsTestServer {
    pub async fn start(options: Options) -> Result<Self, Error> {
        options.faults.validate().map_err(Error::InvalidFaults)?;
        let mut defaults = Settings::default();
        if let Some(limit) = options.total_fields_limit {
            defaults.set("index.mapping.total_fields.limit", limit.to_string());
        }
        let cluster = Cluster::new(State::new(options.faults.clone(), defaults));
        let mut server = Self {
            cluster,
            addr: SocketAddr::new(options.host, options.port),
            options,
            running: None,
        };
        server.listen().await?;
        Ok(server)
    }

    async fn listen(&mut self) -> Result<(), Error> {
        let bind_error = |source| Error::Bind {
            addr: self.addr,
            source,
        };
        let socket = match self.addr {
            SocketAddr::V4(_) => TcpSocket::new_v4(),
            SocketAddr::V6(_) => TcpSocket::new_v6(),
        }
        .map_err(bind_error)?;
        // A restart must win the port back even with connections in TIME_WAIT.
        socket.set_reuseaddr(true).map_err(bind_error)?;
        socket.bind(self.addr).map_err(bind_error)?;
        let listener = socket.listen(1024).map_err(bind_error)?;
        self.addr = listener.local_addr().map_err(bind_error)?;
        let (shutdown, watch) = watch::channel(false);
        let task = tokio::spawn(http::serve(
            listener,
            self.cluster.clone(),
            self.options.max_content_length,
            self.options.refresh_interval,
            watch,
        ));
        tracing::info!(addr = %self.addr, "es-test-server listening");
        self.running = Some(Running { shutdown, task });
        Ok(())
    }

    /// `http://host:port`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Replaces the faults and re-seeds the dice.
    pub fn set_faults(&self, faults: Faults) -> Result<(), Error> {
        faults.validate().map_err(Error::InvalidFaults)?;
        self.cluster.set_faults(faults);
        Ok(())
    }

    pub fn stats(&self) -> Stats {
        self.cluster.stats()
    }

    /// Closes the listener and drops every open connection; indices and mappings stay.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = running.shutdown.send(true);
            let _ = running.task.await;
            tracing::info!(addr = %self.addr, "es-test-server stopped");
        }
    }

    /// Listens again on the same address, with the same data.
    pub async fn restart(&mut self) -> Result<(), Error> {
        self.stop().await;
        self.listen().await
    }
}

impl Drop for EsTestServer {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = running.shutdown.send(true);
            running.task.abort();
        }
    }
}

/// [`EsTestServer`] for synchronous code: it runs on a runtime of its own, so a plain
/// `#[test]` can start it, point a CLI child process at [`url`](Self::url), and stop it.
/// Do not create or drop it inside an async runtime.
pub struct BlockingEsTestServer {
    server: Option<EsTestServer>,
    runtime: tokio::runtime::Runtime,
}

impl BlockingEsTestServer {
    pub fn start(options: Options) -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("es-test-server")
            .build()
            .map_err(Error::Runtime)?;
        let server = runtime.block_on(EsTestServer::start(options))?;
        Ok(Self {
            server: Some(server),
            runtime,
        })
    }

    fn server(&self) -> &EsTestServer {
        self.server.as_ref().expect("present until drop")
    }

    pub fn url(&self) -> String {
        self.server().url()
    }

    pub fn addr(&self) -> SocketAddr {
        self.server().addr()
    }

    pub fn set_faults(&self, faults: Faults) -> Result<(), Error> {
        self.server().set_faults(faults)
    }

    pub fn stats(&self) -> Stats {
        self.server().stats()
    }

    pub fn stop(&mut self) {
        let server = self.server.as_mut().expect("present until drop");
        self.runtime.block_on(server.stop());
    }

    pub fn restart(&mut self) -> Result<(), Error> {
        let server = self.server.as_mut().expect("present until drop");
        self.runtime.block_on(server.restart())
    }
}

impl Drop for BlockingEsTestServer {
    fn drop(&mut self) {
        if let Some(mut server) = self.server.take() {
            self.runtime.block_on(server.stop());
        }
    }
}
