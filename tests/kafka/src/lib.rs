//! A real Kafka-protocol broker for Sluice's integration tests.
//!
//! Apache Kafka cannot be installed on the build machines, so tests run against
//! nisshi (the Kafka-compatible broker formerly called
//! [Tansu](https://github.com/tansu-io/tansu), same authors), launched as a child
//! process on a free loopback port (install it with `.ci/install-broker.sh`). Tansu
//! 0.6.0 is not used: its group coordinator never hands a dead member's partitions
//! to the survivors. Clients talk to it with the same bundled librdkafka that
//! Sluice uses.
//!
//! Everything here panics instead of returning errors: these are test fixtures, a
//! fixture that cannot do its job is a failed test, and each panic message names
//! the step that failed and where the broker's log is.

use std::{
    fmt::Display,
    fs::{self, OpenOptions},
    io::ErrorKind,
    net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Mutex,
    thread,
    time::{Duration, Instant},
};

use rdkafka::{
    ClientConfig, ClientContext, Message, Offset, TopicPartitionList,
    admin::{AdminClient, AdminOptions, NewTopic, TopicReplication},
    client::DefaultClientContext,
    consumer::{BaseConsumer, Consumer},
    error::{KafkaError, RDKafkaErrorCode},
    producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext},
};
use tempfile::TempDir;

/// How long a single broker operation (metadata, produce, offset fetch) may take.
/// Generous because the test machines are small and shared.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a freshly launched broker may take to accept connections and answer
/// a metadata request.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The environment variables `nisshi broker` reads an option from when its
/// argument is not given (its `--help` lists them).
const BROKER_ENV: [&str; 6] = [
    "CLUSTER_ID",
    "LISTENER_URL",
    "ADVERTISED_LISTENER_URL",
    "STORAGE_ENGINE",
    "SCHEMA_REGISTRY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
];

/// Where the broker keeps topics, records and committed offsets.
#[derive(Clone, Debug)]
pub enum Storage {
    /// In-process memory: fastest, and everything is lost when the broker stops.
    /// Its end offsets are wrong (see [`Broker::end_offsets`]).
    Memory,
    /// An SQLite file: topics, records and committed offsets survive
    /// [`Broker::restart`]. The file is created if missing; its name may only hold
    /// ASCII letters, digits, `.`, `-` and `_` because nisshi takes it from a URL.
    Sqlite(PathBuf),
}

/// A running nisshi broker, killed when dropped.
///
/// nisshi's stdout and stderr go to a log file in a temporary directory. If the
/// broker is dropped while the thread panics, that directory is kept and its
/// path printed so the log can be read after the failed test.
pub struct Broker {
    storage: Storage,
    port: u16,
    dir: Option<TempDir>,
    log_path: PathBuf,
    child: Option<Child>,
}

impl Broker {
    /// Launches nisshi on a free loopback port and waits until it answers a
    /// metadata request.
    ///
    /// # Panics
    ///
    /// If the `nisshi` binary is not on `PATH`, if it exits or does not answer
    /// within a minute.
    pub fn start(storage: Storage) -> Broker {
        let dir = tempfile::Builder::new()
            .prefix("sluice-nisshi-")
            .tempdir()
            .unwrap_or_else(|err| panic!("creating a temporary directory for nisshi: {err}"));
        let log_path = dir.path().join("nisshi.log");
        let mut broker = Broker {
            storage,
            port: free_port(),
            dir: Some(dir),
            log_path,
            child: None,
        };
        broker.launch();
        broker
    }

    /// The `bootstrap.servers` value for clients: `127.0.0.1:PORT`.
    pub fn bootstrap_servers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The broker's log file (appended to across restarts).
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// A client configuration pointing at this broker, for producers and admin clients.
    pub fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", self.bootstrap_servers())
            .set(
                "message.timeout.ms",
                OPERATION_TIMEOUT.as_millis().to_string(),
            );
        config
    }

    /// A consumer configuration for `group` tuned for tests: short session timeout
    /// and heartbeats so group joins and rebalances take seconds, reading from the
    /// earliest offset, and no automatic commits so a test decides what is committed.
    pub fn consumer_config(&self, group: &str) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", self.bootstrap_servers())
            .set("group.id", group)
            .set("session.timeout.ms", "6000")
            .set("heartbeat.interval.ms", "500")
            .set("auto.offset.reset", "earliest")
            .set("enable.auto.commit", "false");
        config
    }

    /// Creates `name` with `partitions` partitions. nisshi does not create topics on
    /// first use, so every test topic has to be created this way.
    ///
    /// # Panics
    ///
    /// If the broker rejects the topic (for example because it already exists).
    pub fn create_topic(&self, name: &str, partitions: i32) {
        let admin: AdminClient<DefaultClientContext> = self
            .client_config()
            .create()
            .unwrap_or_else(|err| self.fail(format!("creating an admin client: {err}")));
        let options = AdminOptions::new().operation_timeout(Some(OPERATION_TIMEOUT));
        let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
        let results = futures_executor::block_on(admin.create_topics([&topic], &options))
            .unwrap_or_else(|err| self.fail(format!("creating topic {name}: {err}")));
        for result in results {
            if let Err((topic, code)) = result {
                self.fail(format!("creating topic {topic}: {code}"));
            }
        }
    }

    /// The number of partitions of `topic`, from a metadata request.
    ///
    /// # Panics
    ///
    /// If the topic does not exist.
    pub fn partition_count(&self, topic: &str) -> i32 {
        let client = self.plain_consumer();
        let metadata = client
            .fetch_metadata(Some(topic), OPERATION_TIMEOUT)
            .unwrap_or_else(|err| self.fail(format!("metadata for topic {topic}: {err}")));
        let Some(found) = metadata.topics().iter().find(|t| t.name() == topic) else {
            self.fail(format!("metadata has no topic {topic}"));
        };
        if let Some(err) = found.error() {
            self.fail(format!(
                "metadata for topic {topic}: {}",
                RDKafkaErrorCode::from(err)
            ));
        }
        i32::try_from(found.partitions().len()).expect("partition count fits in i32")
    }

    /// Produces `records` as values without keys, record `i` to partition
    /// `i % partition_count`, so each partition's count is known exactly. Waits until
    /// every record is acknowledged and returns each record's `(partition, offset)`.
    ///
    /// # Panics
    ///
    /// If the topic does not exist or any record is not acknowledged.
    pub fn produce(&self, topic: &str, records: &[Vec<u8>]) -> Vec<(i32, i64)> {
        let partitions = self.partition_count(topic);
        self.send(
            topic,
            records
                .iter()
                .zip((0..partitions).cycle())
                .map(|(value, partition)| {
                    BaseRecord::with_opaque_to(topic, 0)
                        .payload(value.as_slice())
                        .partition(partition)
                }),
        )
    }

    /// Produces `(key, value)` records and lets librdkafka's default partitioner
    /// place them by key, as a real producer keying tweets by id would. Waits until
    /// every record is acknowledged and returns each record's `(partition, offset)`.
    ///
    /// # Panics
    ///
    /// If any record is not acknowledged.
    pub fn produce_keyed(&self, topic: &str, records: &[(Vec<u8>, Vec<u8>)]) -> Vec<(i32, i64)> {
        self.send(
            topic,
            records.iter().map(|(key, value)| {
                BaseRecord::with_opaque_to(topic, 0)
                    .key(key.as_slice())
                    .payload(value.as_slice())
            }),
        )
    }

    /// The offsets `group` has committed for `topic`, in partition order, so
    /// they compare directly with [`Broker::end_offsets`]. Partitions without
    /// a committed offset are left out.
    pub fn committed_offsets(&self, group: &str, topic: &str) -> Vec<(i32, i64)> {
        let consumer: BaseConsumer = self
            .consumer_config(group)
            .create()
            .unwrap_or_else(|err| self.fail(format!("creating a consumer for {group}: {err}")));
        let mut wanted = TopicPartitionList::new();
        for partition in 0..self.partition_count(topic) {
            wanted.add_partition(topic, partition);
        }
        let committed = consumer
            .committed_offsets(wanted, OPERATION_TIMEOUT)
            .unwrap_or_else(|err| {
                self.fail(format!("committed offsets of {group} on {topic}: {err}"))
            });
        let mut offsets: Vec<(i32, i64)> = committed
            .elements()
            .iter()
            .filter_map(|element| match element.offset() {
                Offset::Offset(offset) => Some((element.partition(), offset)),
                _ => None,
            })
            .collect();
        offsets.sort_unstable();
        offsets
    }

    /// The end offset (high watermark) of each partition of `topic`, in
    /// partition order: the offset the
    /// next record will get, so a fully consumed group has committed exactly these.
    ///
    /// # Panics
    ///
    /// On [`Storage::Memory`]: the memory engine (Tansu 0.6.0's, unchanged in
    /// nisshi 0.7.0-pre.2) answers a ListOffsets (latest) request with the
    /// newest record batch's base offset + 1 instead of the log end, so the
    /// answer would be wrong whenever a batch holds more than one record (the
    /// `memory_engine_misreports_end_offsets` test pins this).
    pub fn end_offsets(&self, topic: &str) -> Vec<(i32, i64)> {
        assert!(
            matches!(self.storage, Storage::Sqlite(_)),
            "end_offsets needs Storage::Sqlite: nisshi's memory engine reports the \
             newest batch's base offset + 1 as the end of a partition"
        );
        let client = self.plain_consumer();
        (0..self.partition_count(topic))
            .map(|partition| {
                let (_, high) = client
                    .fetch_watermarks(topic, partition, OPERATION_TIMEOUT)
                    .unwrap_or_else(|err| {
                        self.fail(format!("watermarks of {topic}/{partition}: {err}"))
                    });
                (partition, high)
            })
            .collect()
    }

    /// Kills the broker, as a crash would. Idempotent.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Already exited is fine: the goal is that it is not running.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the broker if it is running and starts it again on the same port with
    /// the same storage, so clients configured with [`Broker::bootstrap_servers`]
    /// reconnect by themselves.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    fn launch(&mut self) {
        let dir = self
            .dir
            .as_ref()
            .expect("temporary directory lives as long as the broker");
        let (workdir, storage_url) = match &self.storage {
            Storage::Memory => (dir.path().to_path_buf(), "memory://nisshi/".to_owned()),
            Storage::Sqlite(path) => sqlite_location(path),
        };
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .unwrap_or_else(|err| panic!("opening {}: {err}", self.log_path.display()));
        let stderr = log
            .try_clone()
            .unwrap_or_else(|err| panic!("duplicating {}: {err}", self.log_path.display()));
        let listener = format!("tcp://127.0.0.1:{}", self.port);
        let mut command = Command::new("nisshi");
        for name in BROKER_ENV {
            command.env_remove(name);
        }
        let child = command
            .arg("broker")
            .args(["--listener-url", &listener])
            .args(["--advertised-listener-url", &listener])
            .args(["--storage-engine", &storage_url])
            // nisshi reads a `.env` from its working directory, takes every
            // option from an environment variable of the same name when the
            // argument is missing, and logs at the RUST_LOG level: pin all of
            // them so the caller's environment cannot leak in.
            .current_dir(workdir)
            .env(
                "RUST_LOG",
                std::env::var("NISSHI_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|err| match err.kind() {
                ErrorKind::NotFound => panic!(
                    "the `nisshi` broker is not on PATH: run .ci/install-broker.sh \
                     (it installs a pinned version with cargo install)"
                ),
                _ => panic!("launching nisshi: {err}"),
            });
        self.child = Some(child);
        self.wait_until_ready();
    }

    fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        while TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_err() {
            self.fail_if_exited();
            if Instant::now() > deadline {
                self.fail(format!(
                    "no connection to {address} after {START_TIMEOUT:?}"
                ));
            }
            thread::sleep(Duration::from_millis(50));
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        if let Err(err) = self.plain_consumer().fetch_metadata(None, remaining) {
            self.fail_if_exited();
            self.fail(format!("no answer to a metadata request: {err}"));
        }
        // A broker that lost the race for its port exits; whoever holds the port
        // may still have answered above.
        self.fail_if_exited();
    }

    fn fail_if_exited(&mut self) {
        let status = self
            .child
            .as_mut()
            .and_then(|child| child.try_wait().ok().flatten());
        if let Some(status) = status {
            self.child = None;
            self.fail(format!("nisshi exited during startup ({status})"));
        }
    }

    fn plain_consumer(&self) -> BaseConsumer {
        self.client_config()
            .create()
            .unwrap_or_else(|err| self.fail(format!("creating a metadata client: {err}")))
    }

    fn send<'a>(
        &self,
        topic: &str,
        records: impl Iterator<Item = BaseRecord<'a, [u8], [u8], usize>>,
    ) -> Vec<(i32, i64)> {
        let producer: BaseProducer<DeliveryLog> = self
            .client_config()
            .create_with_context(DeliveryLog::default())
            .unwrap_or_else(|err| self.fail(format!("creating a producer: {err}")));
        let mut sent = 0;
        for (index, record) in records.enumerate() {
            let mut record = record.delivery_opaque(index);
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        // Serving delivery reports frees queue space.
                        producer.poll(Duration::from_millis(100));
                        record = back;
                    }
                    Err((err, _)) => {
                        self.fail(format!("producing record {index} to {topic}: {err}"))
                    }
                }
            }
            sent += 1;
        }
        if let Err(err) = producer.flush(OPERATION_TIMEOUT) {
            self.fail(format!("waiting for {sent} deliveries to {topic}: {err}"));
        }
        let mut deliveries =
            std::mem::take(&mut *producer.context().0.lock().expect("not poisoned"));
        deliveries.sort_unstable_by_key(|(index, _)| *index);
        if deliveries.len() != sent {
            self.fail(format!(
                "{sent} records sent to {topic}, {} delivery reports",
                deliveries.len()
            ));
        }
        deliveries
            .into_iter()
            .map(|(index, outcome)| {
                outcome.unwrap_or_else(|err| self.fail(format!("record {index} to {topic}: {err}")))
            })
            .collect()
    }

    /// Panics with `what` and the end of the broker's log.
    fn fail(&self, what: impl Display) -> ! {
        let log = fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        panic!(
            "{what}\n--- last lines of nisshi log {} ---\n{tail}",
            self.log_path.display()
        );
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
        if thread::panicking()
            && let Some(dir) = self.dir.take()
        {
            eprintln!(
                "nisshi log kept at {}",
                dir.keep().join("nisshi.log").display()
            );
        }
    }
}

/// Where one record landed, `(partition, offset)`, or why it did not.
type Delivery = Result<(i32, i64), String>;

/// Collects `(record index, delivery)` as librdkafka reports deliveries, in
/// whatever order they arrive.
#[derive(Default)]
struct DeliveryLog(Mutex<Vec<(usize, Delivery)>>);

impl ClientContext for DeliveryLog {}

impl ProducerContext for DeliveryLog {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, index: usize) {
        let outcome = match result {
            Ok(message) => Ok((message.partition(), message.offset())),
            Err((err, _)) => Err(err.to_string()),
        };
        self.0.lock().expect("not poisoned").push((index, outcome));
    }
}

/// nisshi opens `sqlite://NAME` relative to its working directory, so it runs in
/// the database's directory and gets only the file name.
fn sqlite_location(path: &Path) -> (PathBuf, String) {
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .filter(|name| {
            name.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        })
        .unwrap_or_else(|| {
            panic!(
                "sqlite file {} needs a name of ASCII letters, digits, '.', '-' or '_'",
                path.display()
            )
        });
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    (dir, format!("sqlite://{name}"))
}

/// A loopback port nobody listens on right now. Another process could take it
/// before nisshi binds it; nisshi then exits and startup fails with its log.
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap_or_else(|err| panic!("binding a free loopback port: {err}"));
    listener
        .local_addr()
        .unwrap_or_else(|err| panic!("reading the bound port: {err}"))
        .port()
}
