//! The file trigger: watches the folders of the plugin files (a file
//! replaced by rename is a new file, so the folder is what stays watched)
//! and reports a plugin file once it has been quiet for the debounce time.
//! Which plugin a file belongs to, and what to do with it, is the control
//! handle's business; reading it whole is [`read_settled`]'s.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::time::Instant;

pub struct PluginWatcher {
    watcher: notify::RecommendedWatcher,
    dirs: HashSet<PathBuf>,
}

/// The canonical form of a plugin path, as watch events name it.
pub fn canonical(path: &Path) -> PathBuf {
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(file)) => {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            dir.canonicalize()
                .map_or_else(|_| path.to_owned(), |dir| dir.join(file))
        }
        _ => path.to_owned(),
    }
}

impl PluginWatcher {
    /// Starts watching nothing yet; changed paths go to the receiver.
    pub fn new() -> notify::Result<(Self, UnboundedReceiver<PathBuf>)> {
        let (sender, receiver): (UnboundedSender<PathBuf>, _) = unbounded_channel();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            let Ok(event) = event else { return };
            if matches!(event.kind, EventKind::Create(_) | EventKind::Modify(_)) {
                for path in event.paths {
                    // The receiver is gone only when the process stops.
                    let _ = sender.send(path);
                }
            }
        })?;
        let watcher = PluginWatcher {
            watcher,
            dirs: HashSet::new(),
        };
        Ok((watcher, receiver))
    }

    /// Watches the folder of every path given that is not watched yet.
    pub fn watch<'a>(&mut self, paths: impl IntoIterator<Item = &'a Path>) {
        for path in paths {
            let Some(dir) = canonical(path).parent().map(Path::to_owned) else {
                continue;
            };
            if self.dirs.contains(&dir) {
                continue;
            }
            match self.watcher.watch(&dir, RecursiveMode::NonRecursive) {
                Ok(()) => {
                    tracing::info!(dir = %dir.display(), "watching plugin files");
                    self.dirs.insert(dir);
                }
                Err(error) => {
                    tracing::warn!(dir = %dir.display(), %error, "cannot watch plugin files")
                }
            }
        }
    }
}

/// Calls `settled` with each path once no event has touched it for
/// `quiet`; ends when the watcher is dropped.
pub async fn debounce(
    mut events: UnboundedReceiver<PathBuf>,
    quiet: Duration,
    settled: impl Fn(PathBuf),
) {
    let mut due: HashMap<PathBuf, Instant> = HashMap::new();
    loop {
        let next = due.values().min().copied();
        tokio::select! {
            event = events.recv() => match event {
                Some(path) => {
                    due.insert(path, Instant::now() + quiet);
                }
                None => return,
            },
            () = sleep_until(next) => {
                let now = Instant::now();
                let ready: Vec<PathBuf> = due
                    .iter()
                    .filter(|(_, at)| **at <= now)
                    .map(|(path, _)| path.clone())
                    .collect();
                for path in ready {
                    due.remove(&path);
                    settled(path);
                }
            }
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The file's bytes if it did not change while it was read (same length
/// and modification time before and after, and as long as what was read);
/// `None` while it is still being written (a later event brings it back).
pub fn read_settled(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let stamp = |path: &Path| -> std::io::Result<(u64, SystemTime)> {
        let meta = std::fs::metadata(path)?;
        Ok((meta.len(), meta.modified()?))
    };
    let before = stamp(path)?;
    let bytes = std::fs::read(path)?;
    let after = stamp(path)?;
    Ok((before == after && after.0 == bytes.len() as u64).then_some(bytes))
}
