//! Shared by the archive output tests: an archive's files as the stock
//! `zstd` and `gzip` tools read them, and `sluice replay` into the test
//! Elasticsearch server.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::plugin_table;

/// Every file under `root`, relative to it, sorted.
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path.strip_prefix(root).unwrap().to_owned());
            }
        }
    }
    files.sort();
    files
}

/// A temporary name: a file being written, or one a killed writer left.
pub fn is_temporary(file: &Path) -> bool {
    let name = file.file_name().unwrap().to_string_lossy();
    name.starts_with('.') && name.ends_with(".tmp")
}

/// A complete file decompressed by the stock command-line tool, split into
/// lines; fails unless the file ends with a whole line.
pub fn decompressed_lines(file: &Path) -> Vec<Vec<u8>> {
    let tool = match file.extension().and_then(|e| e.to_str()) {
        Some("zst") => "zstd",
        Some("gz") => "gzip",
        other => panic!("not an archive file: {other:?}"),
    };
    let output = Command::new(tool)
        .args(["-d", "-c"])
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("running {tool} (apt-get install {tool}): {e}"));
    assert!(
        output.status.success(),
        "{tool} -d {}: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = output.stdout;
    assert!(text.ends_with(b"\n"), "{} ends mid-line", file.display());
    text[..text.len() - 1]
        .split(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// `sluice replay ARCHIVE` through another chain than the tests archive
/// with (flatten-retweets only, no pruning) into `index` on the server at
/// `url`; the summary goes to `dir/replay.json`.
pub fn replay(dir: &Path, archive: &Path, url: &str, index: &str) -> Output {
    let toml = format!(
        "[source]\ntype = \"stdin\"\n{}\n[sink]\ntype = \"elasticsearch\"\nnodes = [\"{url}\"]\nindex = \"{index}\"\n[dead_letter]\npath = \"replay-dead.ndjson\"\n",
        plugin_table("flatten-retweets", r#"{ mode = "embed" }"#, "{}"),
    );
    let config = dir.join("replay.toml");
    std::fs::write(&config, toml).unwrap();
    replay_with(archive, &config, &dir.join("replay.json"))
}

/// `sluice replay ARCHIVE --config CONFIG --summary-json SUMMARY`.
pub fn replay_with(archive: &Path, config: &Path, summary: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("replay")
        .arg(archive)
        .arg("--config")
        .arg(config)
        .arg("--summary-json")
        .arg(summary)
        .output()
        .unwrap()
}
