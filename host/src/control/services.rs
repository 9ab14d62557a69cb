//! The process's one tokio runtime and what runs on it beside the
//! pipelines: the signal handler, the admin HTTP server and the plugin
//! file watcher. Pipelines run on their own threads; these only reach
//! them through the control handle.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use super::{Control, signals};
use crate::plugin::watch::{PluginWatcher, debounce};

pub struct Services {
    runtime: Option<tokio::runtime::Runtime>,
}

/// What to start.
pub struct ServiceSettings {
    pub admin: Option<SocketAddr>,
    /// Quiet time before a changed plugin file is read.
    pub debounce: Duration,
    /// Printed when the first Ctrl-C or SIGTERM arrives.
    pub stop_message: &'static str,
}

impl Services {
    pub fn start(control: Arc<Control>, settings: ServiceSettings) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("sluice-control")
            .enable_all()
            .build()
            .context("starting the control runtime")?;
        let entered = runtime.enter();
        let signals = signals::listen(control.clone(), settings.stop_message)
            .context("installing the signal handler")?;
        runtime.spawn(signals);
        if let Some(address) = settings.admin {
            let listener = runtime
                .block_on(tokio::net::TcpListener::bind(address))
                .with_context(|| format!("admin API: cannot listen on {address}"))?;
            tracing::info!(%address, "admin API listening");
            runtime.spawn(crate::admin::serve(listener, control.clone()));
        }
        if control.watches_files() {
            let (watcher, events) = PluginWatcher::new().context("starting the file watcher")?;
            control.set_watcher(watcher);
            let on_change = control.clone();
            runtime.spawn(debounce(events, settings.debounce, move |path| {
                let control = on_change.clone();
                tokio::task::spawn_blocking(move || control.file_changed(&path));
            }));
        }
        drop(entered);
        Ok(Services {
            runtime: Some(runtime),
        })
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
