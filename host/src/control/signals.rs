//! The process's one signal handler: SIGINT and SIGTERM stop every
//! pipeline at its next batch boundary (a second one aborts), SIGHUP
//! reloads the pipeline files. Each calls the control handle.

use std::sync::Arc;

use tokio::signal::unix::{SignalKind, signal};

use super::Control;

/// Registers the handlers now (so a signal that comes before the returned
/// future first runs is not lost) and returns the loop that serves them.
/// Must be called inside the tokio runtime.
pub fn listen(
    control: Arc<Control>,
    stop_message: &'static str,
) -> std::io::Result<impl Future<Output = ()>> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    Ok(async move {
        let mut stopping = false;
        loop {
            tokio::select! {
                _ = interrupt.recv() => stop(&control, &mut stopping, stop_message),
                _ = terminate.recv() => stop(&control, &mut stopping, stop_message),
                _ = hangup.recv() => {
                    let control = control.clone();
                    tokio::task::spawn_blocking(move || match control.reload() {
                        Ok(done) => tracing::info!(pipelines = done.len(), "SIGHUP: pipeline files reloaded"),
                        Err(error) => tracing::error!(%error, "SIGHUP: reload refused"),
                    });
                }
            }
        }
    })
}

fn stop(control: &Control, stopping: &mut bool, message: &str) {
    if std::mem::replace(stopping, true) {
        std::process::exit(130);
    }
    control.stop();
    eprintln!("{message}");
}
