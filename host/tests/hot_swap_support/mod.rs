//! What the hot-swap tests share: a `sluice run` process with its admin API
//! and stdin, a small HTTP client for that API, the two builds of
//! add-fields, and the output read back.
#![allow(dead_code)] // each test binary uses a different subset

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{plugin, repo_root};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `condition` every 20 ms until it holds, failing after `limit`.
pub fn wait_for(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "{what}: not after {limit:?}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// add-fields as `make plugins` built it.
pub fn add_fields_a() -> Vec<u8> {
    std::fs::read(plugin("add-fields")).unwrap()
}

/// A second build of add-fields: the same code with a custom section
/// appended (a component may carry custom sections anywhere), so its bytes
/// and sha256 differ and it behaves the same.
pub fn add_fields_b() -> Vec<u8> {
    add_fields_build("b")
}

/// add-fields with `tag` in a custom section: a build of its own.
pub fn add_fields_build(tag: &str) -> Vec<u8> {
    let mut bytes = add_fields_a();
    let name = b"sluice-test-build";
    let payload = tag.as_bytes();
    bytes.push(0); // custom section id
    bytes.push((1 + name.len() + payload.len()) as u8);
    bytes.push(name.len() as u8);
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(payload);
    bytes
}

/// Replaces `path` atomically (write beside it, then rename), as a deploy
/// tool does.
pub fn replace_file(path: &Path, bytes: &[u8]) {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, bytes).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

/// The bundled tweets, each with a `seq` field in front so every record
/// of a long stream is unique; `seq` is the record's position in the stream.
pub struct Stream {
    templates: Vec<Vec<u8>>,
}

impl Stream {
    pub fn new() -> Self {
        let text =
            std::fs::read_to_string(repo_root().join("data/rtweet-fixtures.ndjson")).unwrap();
        Stream {
            templates: text.lines().map(|l| l.as_bytes().to_vec()).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.templates.len()
    }

    pub fn template(&self, seq: u64) -> &[u8] {
        &self.templates[seq as usize % self.templates.len()]
    }

    /// The tweet behind record `seq`, parsed.
    pub fn tweet(&self, seq: u64) -> Value {
        serde_json::from_slice(self.template(seq)).unwrap()
    }

    pub fn record(&self, seq: u64) -> Vec<u8> {
        let template = self.template(seq);
        let mut record = format!("{{\"seq\":{seq},").into_bytes();
        record.extend_from_slice(&template[1..]);
        record.push(b'\n');
        record
    }
}

/// A running `sluice run --stdin` with its admin API.
pub struct Sluice {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub port: u16,
    pub dir: PathBuf,
    pub config: PathBuf,
}

impl Sluice {
    /// Starts `sluice run` on the pipeline file `config` in `dir`; with
    /// `stdin`, records come from the test.
    pub fn start(dir: &Path, config: &Path, stdin: bool) -> Sluice {
        Self::start_with(dir, config, stdin, Stdio::null())
    }

    /// The same, with the process's standard output going to `stdout`.
    pub fn start_with(dir: &Path, config: &Path, stdin: bool, stdout: Stdio) -> Sluice {
        let port = free_port();
        let log = std::fs::File::create(dir.join("sluice.log")).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_sluice"));
        command
            .args(["run", "--config"])
            .arg(config)
            .args(["--admin", &format!("127.0.0.1:{port}")])
            .arg("--summary-json")
            .arg(dir.join("summary.json"))
            .env("RUST_LOG", "sluice=info")
            .stdout(stdout)
            .stderr(log);
        if stdin {
            command.arg("--stdin").stdin(Stdio::piped());
        } else {
            command.stdin(Stdio::null());
        }
        let mut child = command.spawn().unwrap();
        let stdin = child.stdin.take();
        let sluice = Sluice {
            child,
            stdin,
            port,
            dir: dir.to_owned(),
            config: config.to_owned(),
        };
        wait_for("the admin API", Duration::from_secs(60), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        sluice
    }

    /// One HTTP request to the admin API: status and JSON body.
    pub fn request(&self, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let text = String::from_utf8_lossy(&answer);
        let status: u16 = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP answer: {text}"));
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        // Bodies are small JSON documents; axum sends them with a length.
        assert!(!head.to_ascii_lowercase().contains("chunked"), "{head}");
        let json = serde_json::from_str(body).unwrap_or(Value::Null);
        (status, json)
    }

    /// The live entry of `plugin` in `GET /plugins` (single pipeline).
    pub fn plugin(&self, plugin: &str) -> Value {
        let (status, view) = self.request("GET", "/plugins", b"");
        assert_eq!(status, 200, "{view}");
        let pipelines = view["pipelines"].as_object().unwrap();
        let chain = pipelines.values().next().unwrap();
        chain["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == plugin)
            .unwrap_or_else(|| panic!("no {plugin} in {view}"))
            .clone()
    }

    pub fn version(&self, plugin: &str) -> u64 {
        self.plugin(plugin)["version"].as_u64().unwrap()
    }

    pub fn records_in(&self, plugin: &str) -> u64 {
        self.plugin(plugin)["counters"]["records_in"]
            .as_u64()
            .unwrap()
    }

    /// Waits until `plugin` runs `version` and that version has seen records.
    pub fn wait_live(&self, plugin: &str, version: u64) {
        wait_for(
            &format!("{plugin} version {version} live and running"),
            Duration::from_secs(60),
            || {
                let view = self.plugin(plugin);
                view["version"] == version && view["counters"]["records_in"].as_u64() > Some(0)
            },
        );
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name}");
    }

    /// Closes stdin (the input ends) and waits for the run to finish.
    pub fn finish(mut self) -> (ExitStatus, Value) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(120);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "sluice still running");
            thread::sleep(Duration::from_millis(20));
        };
        let summary = std::fs::read(self.dir.join("summary.json"))
            .map(|bytes| serde_json::from_slice(&bytes).unwrap())
            .unwrap_or(Value::Null);
        (status, summary)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sluice.log")).unwrap_or_default()
    }
}

/// The pipelines' batch size: a stdin source hands on a batch once it is
/// full (or the input ends), so the tests feed whole batches.
pub const BATCH: u64 = 64;

/// Writes records `from..to` of `stream` to `stdin`, `pause` after each
/// `chunk` records.
pub fn feed(
    stdin: &mut ChildStdin,
    stream: &Stream,
    from: u64,
    to: u64,
    chunk: u64,
    pause: Duration,
) {
    let mut buffer = Vec::new();
    for seq in from..to {
        buffer.extend_from_slice(&stream.record(seq));
        if (seq + 1 - from).is_multiple_of(chunk) || seq + 1 == to {
            stdin.write_all(&buffer).unwrap();
            buffer.clear();
            if !pause.is_zero() {
                thread::sleep(pause);
            }
        }
    }
    stdin.flush().unwrap();
}

/// The `[source]` table of a pipeline that reads standard input.
pub const STDIN: &str = "[source]\ntype = \"stdin\"\n";

/// A pipeline file: `source` into `out.ndjson`.
pub fn pipeline_file(dir: &Path, source: &str, plugins: &str, extra: &str) -> PathBuf {
    let text = format!(
        r#"{source}
{plugins}
[sink]
type = "ndjson"
path = "out.ndjson"

[dead_letter]
path = "dead.ndjson"

# Raw tweets (no flattening) pass the default 1000 mapping fields.
[guard]
total_fields_limit = 100000

[pipeline]
batch_size = 64
workers = 2
commit_interval_ms = 100

{extra}
"#
    );
    let path = dir.join("pipeline.toml");
    replace_file(&path, text.as_bytes());
    path
}

/// stdin through the shipped add-fields, setting `plugin_version = 1`.
pub fn add_fields_pipeline(dir: &Path) -> PathBuf {
    let table = add_fields_table(&plugin("add-fields"), "{ plugin_version = 1 }", "");
    pipeline_file(dir, STDIN, &table, "")
}

/// An add-fields plugin table.
pub fn add_fields_table(path: &Path, fields: &str, extra: &str) -> String {
    format!(
        "[[plugins]]\nname = \"add-fields\"\npath = \"{}\"\nconfig = {{ fields = {fields} }}\n{extra}\n",
        path.display()
    )
}

pub fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A pipeline whose add-fields plugin is read from the watched
/// `live_wasm` and sets `plugin_version = n`.
pub fn watched_pipeline(dir: &Path, source: &str, live_wasm: &Path, n: u64) -> PathBuf {
    pipeline_file(
        dir,
        source,
        &add_fields_table(live_wasm, &format!("{{ plugin_version = {n} }}"), ""),
        "[hot_swap]\nwatch = true\ndebounce_ms = 100\n",
    )
}

/// Swaps add-fields through the three triggers in turn, settings changes
/// (`{"plugin_version": N}`) and module swaps between two builds.
pub struct SwapRig {
    live_wasm: PathBuf,
    builds: [Vec<u8>; 2],
    /// The build live now, and the build in the watched file.
    module: usize,
    file_module: usize,
    setting: u64,
    /// The plugin_version each version set, version 1 first.
    pub settings_used: Vec<u64>,
}

impl SwapRig {
    pub fn new(live_wasm: PathBuf) -> Self {
        SwapRig {
            live_wasm,
            builds: [add_fields_a(), add_fields_b()],
            module: 0,
            file_module: 0,
            setting: 1,
            settings_used: vec![1],
        }
    }

    /// Swap `swap` (from 1) makes registry version `swap + 1`; returns once
    /// that version is live and has run on records.
    pub fn swap(&mut self, sluice: &Sluice, swap: u64, write_pipeline: &dyn Fn(u64) -> PathBuf) {
        match swap % 3 {
            // The admin API: alternately a new module with new settings,
            // and new settings for the live module.
            0 => {
                self.setting += 1;
                let settings = format!(r#"{{"fields":{{"plugin_version":{}}}}}"#, self.setting);
                let (status, answer) = if swap.is_multiple_of(2) {
                    self.module = 1 - self.module;
                    let path = format!("/plugins/add-fields?config={}", percent_encoded(&settings));
                    sluice.request("PUT", &path, &self.builds[self.module])
                } else {
                    sluice.request("PUT", "/plugins/add-fields/config", settings.as_bytes())
                };
                assert_eq!(status, 200, "{answer}");
                assert_eq!(answer["version"], swap + 1, "{answer}");
            }
            // SIGHUP after the pipeline file got new settings; the reload
            // makes the plugin what the file says, module included.
            1 => {
                self.setting += 1;
                write_pipeline(self.setting);
                sluice.signal("HUP");
                self.module = self.file_module;
            }
            // The watched plugin file replaced by the other build.
            _ => {
                self.file_module = 1 - self.module;
                self.module = self.file_module;
                replace_file(&self.live_wasm, &self.builds[self.module]);
            }
        }
        self.settings_used.push(self.setting);
        sluice.wait_live("add-fields", swap + 1);
        let live = sluice.plugin("add-fields");
        assert_eq!(
            live["settings"]["fields"]["plugin_version"], self.setting,
            "{live}"
        );
        assert_eq!(live["previous_version"], swap, "{live}");
    }
}

/// Every byte as `%XX`: safe in a query string.
pub fn percent_encoded(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}
