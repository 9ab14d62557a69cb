//! The pipeline file: what the user writes, checked before anything runs.
//!
//! Every table denies unknown keys, so a misspelt key is refused with its
//! name and position instead of being ignored. Values that parse but make no
//! sense (a zero batch size, a missing plugin file) are refused by
//! [`PipelineConfig::validate`] with the dotted key that holds them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

mod error;
mod hot_swap;
pub use error::ConfigError;
pub use hot_swap::{AdminConfig, AutoRollbackConfig, HotSwapConfig};

/// The pipeline the demo runs when `sluice run` gets no `--config`.
pub const DEFAULT_PIPELINE: &str = include_str!("default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    pub source: SourceConfig,
    #[serde(default)]
    pub decode: DecodeConfig,
    #[serde(default)]
    pub plugins: Vec<PluginConfig>,
    pub sink: SinkConfig,
    /// Outputs beside `[sink]` (`[[outputs]]` tables): each gets every
    /// record too, and a record counts as delivered only when all have it.
    #[serde(default)]
    pub outputs: Vec<OutputConfig>,
    /// May be left out when `sluice run --dead-letter` gives it.
    #[serde(default)]
    pub dead_letter: DeadLetterConfig,
    #[serde(default)]
    pub guard: GuardConfig,
    #[serde(default)]
    pub pipeline: RunConfig,
    #[serde(default)]
    pub admin: AdminConfig,
    #[serde(default)]
    pub hot_swap: HotSwapConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SourceConfig {
    /// Files (or folders of `.json` / `.ndjson` files, read in name order).
    File {
        /// May be left out when `sluice run --input` gives it.
        #[serde(default)]
        paths: Vec<PathBuf>,
        #[serde(default)]
        format: InputFormat,
    },
    /// NDJSON on standard input.
    Stdin,
    /// A Kafka consumer group (at-least-once: see `source::kafka`).
    Kafka(Box<crate::source::KafkaConfig>),
    /// The complete files of an archive output, oldest hour first (what
    /// `sluice replay` reads).
    Archive { path: PathBuf },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputFormat {
    /// `.json` files hold one document (a `statuses` or `results` envelope,
    /// a v2 `data` page, an array, or one tweet) or NDJSON; anything else is
    /// NDJSON. Envelopes on NDJSON lines are opened too.
    #[default]
    Auto,
    Ndjson,
    /// Every file is one search envelope: `{"statuses": [...]}`,
    /// `{"results": [...]}` or a v2 `{"data": [...]}` page.
    Statuses,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecodeConfig {
    #[serde(default)]
    pub double_encoded: DoubleEncoded,
}

/// What to do with a line that is a JSON string holding a JSON object, a
/// common producer bug.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DoubleEncoded {
    #[default]
    Unwrap,
    DeadLetter,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginConfig {
    /// How the plugin is named in logs, dead letters and the summary.
    pub name: String,
    pub path: PathBuf,
    /// The plugin's own settings, handed to its `init` as a JSON object.
    #[serde(default)]
    pub config: toml::Table,
    #[serde(default)]
    pub limits: PluginLimits,
    /// A `sluice test` fixtures folder every new version must pass before
    /// it is promoted (hot swap).
    #[serde(default)]
    pub fixtures: Option<PathBuf>,
}

/// The sandbox of one plugin instance.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginLimits {
    /// Linear memory cap per instance; growing past it traps.
    #[serde(default = "PluginLimits::default_memory_mib")]
    pub memory_mib: u64,
    /// Wall-clock budget of one `process` call.
    #[serde(default = "PluginLimits::default_timeout_ms")]
    pub timeout_ms: u64,
    /// Wall-clock budget for isolating the poison records of one faulted
    /// batch (the batch is bisected; each faulting call can cost a
    /// timeout). Records still unsettled when it is spent are dead-lettered
    /// with the fault. Default: for a batch of `n` records, `2 * (1 +
    /// log2 n)` timeouts, twice what one endless loop takes to isolate
    /// (18 for 256 records: 36 s at the default timeout).
    #[serde(default)]
    pub batch_budget_ms: Option<u64>,
    /// What happens when the plugin keeps faulting.
    #[serde(default)]
    pub breaker: BreakerConfig,
    /// Lets the plugin read the host's clocks; otherwise they read zero.
    #[serde(default)]
    pub allow_clock: bool,
    /// Lets the plugin draw real random bytes; otherwise WASI's random
    /// sources are a fixed sequence (deterministic, not secret).
    #[serde(default)]
    pub allow_random: bool,
}

impl PluginLimits {
    fn default_memory_mib() -> u64 {
        256
    }
    fn default_timeout_ms() -> u64 {
        2_000
    }

    /// [`PluginLimits::batch_budget_ms`] for a batch of `records`, with its
    /// default applied.
    pub fn batch_budget_ms(&self, records: usize) -> u64 {
        let halvings = records.next_power_of_two().trailing_zeros() as u64;
        self.batch_budget_ms
            .unwrap_or(self.timeout_ms.saturating_mul(2 * (1 + halvings)))
    }
}

impl Default for PluginLimits {
    fn default() -> Self {
        PluginLimits {
            memory_mib: Self::default_memory_mib(),
            timeout_ms: Self::default_timeout_ms(),
            batch_budget_ms: None,
            breaker: BreakerConfig::default(),
            allow_clock: false,
            allow_random: false,
        }
    }
}

impl PluginLimits {
    /// The checks of the batch budget and the breaker; `key` is where the
    /// table sits (`plugins[0].limits`).
    fn validate(&self, key: &str) -> Result<(), ConfigError> {
        if self.batch_budget_ms == Some(0) {
            return Err(ConfigError::invalid(
                &format!("{key}.batch_budget_ms"),
                "must be at least 1",
            ));
        }
        let breaker = &self.breaker;
        if breaker.window == 0 {
            return Err(ConfigError::invalid(
                &format!("{key}.breaker.window"),
                "must be at least 1",
            ));
        }
        if !(breaker.fault_rate > 0.0 && breaker.fault_rate <= 1.0) {
            return Err(ConfigError::invalid(
                &format!("{key}.breaker.fault_rate"),
                format!("{} is not in (0, 1]", breaker.fault_rate),
            ));
        }
        Ok(())
    }
}

/// A plugin's circuit breaker (`limits.breaker`): when at least
/// `fault_rate` of the last `window` records the plugin saw faulted (trap,
/// timeout, memory cap, broken output), it trips and `on_trip` decides what
/// follows. Each worker's instance keeps its own breaker.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakerConfig {
    #[serde(default)]
    pub on_trip: TripAction,
    /// Records the fault rate is measured over.
    #[serde(default = "BreakerConfig::default_window")]
    pub window: usize,
    /// Fraction of the window that must fault to trip (0 < rate <= 1).
    #[serde(default = "BreakerConfig::default_fault_rate")]
    pub fault_rate: f64,
    /// How long a tripped breaker stays open before one record is let
    /// through as a probe: if it passes the breaker closes, if it faults it
    /// stays open for another interval. Not used by `stop`.
    #[serde(default = "BreakerConfig::default_probe_after_ms")]
    pub probe_after_ms: u64,
}

impl BreakerConfig {
    fn default_window() -> usize {
        100
    }
    fn default_fault_rate() -> f64 {
        0.5
    }
    fn default_probe_after_ms() -> u64 {
        30_000
    }
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            on_trip: TripAction::default(),
            window: Self::default_window(),
            fault_rate: Self::default_fault_rate(),
            probe_after_ms: Self::default_probe_after_ms(),
        }
    }
}

/// What a tripped circuit breaker does with the records its plugin would
/// have seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TripAction {
    /// The run fails with an error naming the plugin; what was written
    /// before stays written.
    Stop,
    /// Records skip the plugin and go on unchanged (counted as bypassed).
    Bypass,
    /// Records are dead-lettered with the breaker as their reason.
    #[default]
    DeadLetter,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SinkConfig {
    /// One document per line.
    Ndjson { path: PathBuf },
    /// One document per line on standard output.
    Stdout,
    /// Counts documents and discards them (benchmarks, dry runs).
    Null,
    /// An Elasticsearch `_bulk` request body: action line, then document.
    BulkFile {
        path: PathBuf,
        #[serde(flatten)]
        target: IndexTarget,
    },
    /// Elasticsearch's `_bulk` API.
    Elasticsearch(Box<crate::sink::elasticsearch::ElasticsearchConfig>),
    /// Compressed NDJSON files in hour folders (see `sink::archive`).
    Archive(Box<crate::sink::ArchiveConfig>),
}

impl SinkConfig {
    /// Where documents go in Elasticsearch, for sinks that name an index.
    pub fn index_target(&self) -> Option<&IndexTarget> {
        match self {
            SinkConfig::BulkFile { target, .. } => Some(target),
            SinkConfig::Elasticsearch(config) => Some(&config.target),
            SinkConfig::Ndjson { .. }
            | SinkConfig::Stdout
            | SinkConfig::Null
            | SinkConfig::Archive(_) => None,
        }
    }
}

/// One `[[outputs]]` table: a sink (its `type` and keys, as under `[sink]`)
/// and what it receives.
#[derive(Debug, Clone, Deserialize)]
pub struct OutputConfig {
    /// How the output is named in logs, errors and the summary (default:
    /// its `type`).
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub stage: OutputStage,
    /// `stage = "raw"` only: whether records that end as dead letters
    /// before reaching the outputs (decode, plugin, guard) are archived too.
    /// Yes by default: a replay through a fixed chain can then recover them.
    #[serde(default)]
    pub dead_letters: Option<bool>,
    #[serde(default)]
    pub on_failure: OnFailure,
    /// Serde cannot deny unknown keys through `flatten`, but the sink's own
    /// table does: a misspelt key is refused by the sink's type.
    #[serde(flatten)]
    pub sink: SinkConfig,
}

impl OutputConfig {
    /// The name given, or the sink's type.
    pub fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            match &self.sink {
                SinkConfig::Ndjson { .. } => "ndjson",
                SinkConfig::Stdout => "stdout",
                SinkConfig::Null => "null",
                SinkConfig::BulkFile { .. } => "bulk_file",
                SinkConfig::Elasticsearch(_) => "elasticsearch",
                SinkConfig::Archive(_) => "archive",
            }
            .to_owned()
        })
    }

    /// Records that reach the outputs ([`OutputStage::Raw`]) include dead
    /// letters.
    pub fn includes_dead_letters(&self) -> bool {
        self.dead_letters.unwrap_or(true)
    }
}

/// What an output receives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputStage {
    /// The documents that passed the chain and the guard, as `[sink]` gets them.
    #[default]
    Documents,
    /// The records as they entered Sluice, byte for byte, before decode.
    Raw,
}

/// What happens when an output fails for good (its retries are spent, its
/// disk is full).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// The pipeline stops with the reason and commits nothing the output
    /// lacks, so a restart delivers it again. The default, because the
    /// alternative commits offsets past records this output never got:
    /// once committed, the source will not hand them out again.
    #[default]
    Stop,
    /// The output is dropped, with an error in the log and in the summary;
    /// the others go on and commits no longer wait for it.
    Detach,
}

/// Where each document goes in Elasticsearch.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexTarget {
    /// A fixed name, or a pattern over the document's time such as
    /// `twitter-%{+YYYY.MM.dd}`.
    #[serde(default = "IndexTarget::default_index")]
    pub index: String,
    /// The field whose value becomes `_id`, so a redelivery overwrites.
    #[serde(default = "IndexTarget::default_id_field")]
    pub id_field: String,
    /// The field the index pattern reads the time from (Twitter's
    /// `Wed Aug 27 13:08:45 +0000 2008` or RFC 3339).
    #[serde(default = "IndexTarget::default_timestamp_field")]
    pub timestamp_field: String,
}

impl IndexTarget {
    fn default_index() -> String {
        "twitter-%{+YYYY.MM.dd}".into()
    }
    fn default_id_field() -> String {
        "id_str".into()
    }
    fn default_timestamp_field() -> String {
        "created_at".into()
    }
}

/// The `[guard]` table: the mapping limits the host keeps every document
/// within, counted as Elasticsearch counts them. The defaults are
/// Elasticsearch's own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardConfig {
    /// `index.mapping.total_fields.limit`: over the union of every field an
    /// index has received.
    #[serde(default = "GuardConfig::default_total_fields_limit")]
    pub total_fields_limit: usize,
    /// `index.mapping.depth.limit`.
    #[serde(default = "GuardConfig::default_depth_limit")]
    pub depth_limit: usize,
    /// `index.mapping.field_name_length.limit` (unlimited in Elasticsearch).
    #[serde(default)]
    pub field_name_length_limit: Option<usize>,
    /// Mapping fields one document may carry on its own.
    #[serde(default)]
    pub document_fields_limit: Option<usize>,
    #[serde(default)]
    pub policy: GuardPolicy,
    /// Where the `fold` policy puts the fields that do not fit.
    #[serde(default = "GuardConfig::default_fold_field")]
    pub fold_field: String,
}

impl GuardConfig {
    fn default_total_fields_limit() -> usize {
        1000
    }
    fn default_depth_limit() -> usize {
        20
    }
    fn default_fold_field() -> String {
        "sluice_overflow".into()
    }
}

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig {
            total_fields_limit: Self::default_total_fields_limit(),
            depth_limit: Self::default_depth_limit(),
            field_name_length_limit: None,
            document_fields_limit: None,
            policy: GuardPolicy::default(),
            fold_field: Self::default_fold_field(),
        }
    }
}

/// What the guard does with a document that does not fit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardPolicy {
    /// The whole document goes to the dead-letter sink, with the limit it broke.
    #[default]
    DeadLetter,
    /// The fields that do not fit are removed; the rest is written.
    DropNewFields,
    /// The fields that do not fit are moved, as one JSON string, into
    /// `fold_field`; the rest is written.
    Fold,
}

/// The `[dead_letter]` table: where refused records go. A file unless `type`
/// says otherwise, so a table with only `path` keeps meaning a file. One flat
/// table (not a tagged enum) because the type is optional; each key belongs to
/// one type, and `DeadLetterConfig::validate` (in `sink::dead_letter`, next to
/// the destinations) refuses a key given to the other.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterConfig {
    #[serde(rename = "type", default)]
    pub kind: DeadLetterKind,
    /// `file`: the file that gets one JSON line per dead letter.
    #[serde(default)]
    pub path: PathBuf,
    /// `kafka`: `host:port` of one or more brokers to bootstrap from.
    #[serde(default)]
    pub brokers: Vec<String>,
    /// `kafka`: the topic that gets one record per dead letter (it must
    /// exist unless the brokers create topics on first use).
    #[serde(default)]
    pub topic: String,
    /// `kafka`: passed to librdkafka's producer as they are
    /// (`message.timeout.ms`, `compression.type`, `security.protocol`, ...).
    #[serde(default)]
    pub settings: BTreeMap<String, toml::Value>,
}

impl DeadLetterConfig {
    /// Dead letters to the file at `path` (what `--dead-letter` asks for,
    /// whatever the pipeline file says).
    pub fn file(path: PathBuf) -> Self {
        DeadLetterConfig {
            kind: DeadLetterKind::File,
            path,
            brokers: Vec::new(),
            topic: String::new(),
            settings: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadLetterKind {
    #[default]
    File,
    Kafka,
}

/// Resolves the paths a sink's table names (`path`, `tls.ca_file`).
fn resolve_sink_paths(sink: &mut SinkConfig, resolve: &impl Fn(&mut PathBuf)) {
    match sink {
        SinkConfig::Ndjson { path } | SinkConfig::BulkFile { path, .. } => resolve(path),
        SinkConfig::Archive(config) => resolve(&mut config.path),
        SinkConfig::Elasticsearch(config) => {
            if let Some(path) = &mut config.tls.ca_file {
                resolve(path);
            }
        }
        SinkConfig::Stdout | SinkConfig::Null => {}
    }
}

/// The most worker threads a pipeline may ask for.
const MAX_WORKERS: usize = 256;

/// How the pipeline moves records: the `[pipeline]` table.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Records per plugin call. 256 amortises the host/guest crossing to
    /// well under 1% of the guest's work (BENCHMARKS.md).
    #[serde(default = "RunConfig::default_batch_size")]
    pub batch_size: usize,
    /// How often outputs are flushed and the source may commit past what was
    /// flushed (a stream's offsets); also done at the end of every run.
    #[serde(default = "RunConfig::default_commit_interval_ms")]
    pub commit_interval_ms: u64,
    /// Threads that decode, filter and check batches in parallel (each with
    /// its own plugin instances); batches still leave in the order they were
    /// read. 0 means one per core.
    #[serde(default)]
    pub workers: usize,
}

impl RunConfig {
    fn default_batch_size() -> usize {
        256
    }
    fn default_commit_interval_ms() -> u64 {
        1_000
    }
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            batch_size: Self::default_batch_size(),
            commit_interval_ms: Self::default_commit_interval_ms(),
            workers: 0,
        }
    }
}

impl PipelineConfig {
    /// Parses a pipeline file and validates it. Relative paths in the file are
    /// resolved against `base_dir`.
    pub fn from_toml(text: &str, base_dir: &Path) -> Result<Self, ConfigError> {
        Self::from_toml_with(text, base_dir, |_| {})
    }

    /// [`PipelineConfig::from_toml`] with `overrides` (the command line's)
    /// applied before validation, so that an override can stand in for a
    /// key the file leaves out. Paths the overrides set are taken as given.
    pub fn from_toml_with(
        text: &str,
        base_dir: &Path,
        overrides: impl FnOnce(&mut PipelineConfig),
    ) -> Result<Self, ConfigError> {
        let mut config: PipelineConfig = toml::from_str(text).map_err(ConfigError::Parse)?;
        config.resolve_paths(base_dir);
        overrides(&mut config);
        config.validate()?;
        Ok(config)
    }

    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        Self::load_with(path, |_| {})
    }

    /// [`PipelineConfig::load`] with overrides applied before validation
    /// ([`PipelineConfig::from_toml_with`]).
    pub fn load_with(
        path: &Path,
        overrides: impl FnOnce(&mut PipelineConfig),
    ) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_toml_with(&text, base, overrides)
    }

    fn resolve_paths(&mut self, base: &Path) {
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        if let SourceConfig::File { paths, .. } = &mut self.source {
            paths.iter_mut().for_each(resolve);
        }
        if let SourceConfig::Archive { path } = &mut self.source {
            resolve(path);
        }
        self.plugins.iter_mut().for_each(|p| resolve(&mut p.path));
        self.plugins
            .iter_mut()
            .filter_map(|p| p.fixtures.as_mut())
            .for_each(&resolve);
        resolve_sink_paths(&mut self.sink, &resolve);
        for output in &mut self.outputs {
            resolve_sink_paths(&mut output.sink, &resolve);
        }
        // An empty path is left empty so validation can tell it was not given.
        if !self.dead_letter.path.as_os_str().is_empty() {
            resolve(&mut self.dead_letter.path);
        }
    }

    /// Checks what serde cannot: values that parse but cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.pipeline.batch_size == 0 {
            return Err(ConfigError::invalid(
                "pipeline.batch_size",
                "must be at least 1",
            ));
        }
        // Each worker holds its own instance of every plugin (Python and
        // JavaScript ones take 10+ MiB each): a typo of a few zeros should
        // not start thousands of them.
        if self.pipeline.workers > MAX_WORKERS {
            return Err(ConfigError::invalid(
                "pipeline.workers",
                format!("must be at most {MAX_WORKERS} (0 means one per core)"),
            ));
        }
        if let SourceConfig::File { paths, .. } = &self.source {
            if paths.is_empty() {
                return Err(ConfigError::invalid("source.paths", "lists no file"));
            }
            if let Some(missing) = paths.iter().find(|p| !p.exists()) {
                return Err(ConfigError::invalid(
                    "source.paths",
                    format!("{} does not exist", missing.display()),
                ));
            }
        }
        if let SourceConfig::Kafka(kafka) = &self.source {
            kafka.validate()?;
        }
        if let SourceConfig::Archive { path } = &self.source
            && !path.is_dir()
        {
            return Err(ConfigError::invalid(
                "source.path",
                format!("{} is not a folder", path.display()),
            ));
        }
        for (i, plugin) in self.plugins.iter().enumerate() {
            let key = |field: &str| format!("plugins[{i}].{field}");
            if !plugin.path.is_file() {
                return Err(ConfigError::invalid(
                    &key("path"),
                    format!(
                        "{} is not a file (build the plugins first: `make plugins`)",
                        plugin.path.display()
                    ),
                ));
            }
            if plugin.limits.memory_mib == 0 {
                return Err(ConfigError::invalid(
                    &key("limits.memory_mib"),
                    "must be at least 1",
                ));
            }
            if plugin.limits.timeout_ms == 0 {
                return Err(ConfigError::invalid(
                    &key("limits.timeout_ms"),
                    "must be at least 1",
                ));
            }
            plugin.limits.validate(&key("limits"))?;
            if let Some(fixtures) = plugin.fixtures.as_ref().filter(|f| !f.is_dir()) {
                return Err(ConfigError::invalid(
                    &key("fixtures"),
                    format!("{} is not a folder of fixture cases", fixtures.display()),
                ));
            }
            if self.plugins[..i].iter().any(|p| p.name == plugin.name) {
                return Err(ConfigError::invalid(
                    &key("name"),
                    format!("`{}` names two plugins", plugin.name),
                ));
            }
        }
        if let Some(target) = self.sink.index_target() {
            crate::sink::IndexPattern::parse(&target.index)
                .map_err(|e| ConfigError::invalid("sink.index", e))?;
        }
        if let SinkConfig::Elasticsearch(config) = &self.sink {
            config.validate()?;
        }
        if let SinkConfig::Archive(config) = &self.sink {
            config.validate("sink")?;
        }
        self.validate_outputs()?;
        self.dead_letter.validate()?;
        self.hot_swap.validate()?;
        self.validate_guard()
    }

    fn validate_outputs(&self) -> Result<(), ConfigError> {
        let mut names = vec!["sink".to_owned()];
        for (i, output) in self.outputs.iter().enumerate() {
            let key = format!("outputs[{i}]");
            let name = output.name();
            if names.contains(&name) {
                return Err(ConfigError::invalid(
                    &format!("{key}.name"),
                    format!(
                        "`{name}` names two outputs (`sink` is `[sink]`): give each its own `name`"
                    ),
                ));
            }
            names.push(name);
            if output.dead_letters.is_some() && output.stage != OutputStage::Raw {
                return Err(ConfigError::invalid(
                    &format!("{key}.dead_letters"),
                    "only applies to `stage = \"raw\"` (documents never include dead letters)",
                ));
            }
            if output.stage == OutputStage::Raw
                && !matches!(
                    output.sink,
                    SinkConfig::Archive(_) | SinkConfig::Ndjson { .. } | SinkConfig::Null
                )
            {
                return Err(ConfigError::invalid(
                    &format!("{key}.stage"),
                    "`raw` records may not be JSON: only `archive`, `ndjson` and `null` outputs take them",
                ));
            }
            if let Some(target) = output.sink.index_target() {
                crate::sink::IndexPattern::parse(&target.index)
                    .map_err(|e| ConfigError::invalid(&format!("{key}.index"), e))?;
            }
            match &output.sink {
                // Its checks name keys under `sink.`: the same keys sit
                // under this output here.
                SinkConfig::Elasticsearch(config) => config
                    .validate()
                    .map_err(|error| error.moved_under("sink", &key))?,
                SinkConfig::Archive(config) => config.validate(&key)?,
                SinkConfig::Ndjson { .. }
                | SinkConfig::Stdout
                | SinkConfig::Null
                | SinkConfig::BulkFile { .. } => {}
            }
        }
        Ok(())
    }

    fn validate_guard(&self) -> Result<(), ConfigError> {
        let guard = &self.guard;
        if guard.total_fields_limit == 0 {
            return Err(ConfigError::invalid(
                "guard.total_fields_limit",
                "must be at least 1",
            ));
        }
        if guard.depth_limit < 2 {
            return Err(ConfigError::invalid(
                "guard.depth_limit",
                "must be at least 2 (the root and one level of objects)",
            ));
        }
        let fold = &guard.fold_field;
        if fold.is_empty() || fold.contains('.') || fold.starts_with('_') {
            return Err(ConfigError::invalid(
                "guard.fold_field",
                format!(
                    "`{fold}` must be a plain top-level name: not empty, no dots, not starting with `_`"
                ),
            ));
        }
        Ok(())
    }
}
