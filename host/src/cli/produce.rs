//! `sluice produce`: loads a file of tweets into a Kafka topic, the way users
//! fill a topic for demos and benchmarks.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::{ClientConfig, ClientContext};

use crate::config::InputFormat;
use crate::librdkafka;
use crate::source::{Batch, FileSource, Source};

/// How long the last deliveries, or topic creation, may take.
const WAIT: Duration = Duration::from_secs(60);
/// How long to serve delivery reports before trying a full queue again.
const QUEUE_FULL_WAIT: Duration = Duration::from_millis(50);

#[derive(Debug, Args)]
pub struct ProduceArgs {
    /// NDJSON files, search API envelopes (`.json`), or folders of them.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Bootstrap brokers, `host:port[,host:port...]`.
    #[arg(long)]
    brokers: String,
    #[arg(long)]
    topic: String,
    /// Send the whole input this many times.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    repeat: u64,
    /// Create the topic with this many partitions first (an existing topic is
    /// used as it is).
    #[arg(long)]
    partitions: Option<i32>,
    /// A librdkafka producer setting, `KEY=VALUE` (repeatable).
    #[arg(long = "set", value_parser = parse_setting)]
    settings: Vec<(String, String)>,
}

fn parse_setting(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .ok_or_else(|| format!("`{text}` is not KEY=VALUE"))
}

pub fn run(args: ProduceArgs) -> anyhow::Result<ExitCode> {
    let mut client = ClientConfig::new();
    client
        .set("bootstrap.servers", &args.brokers)
        .set("message.timeout.ms", WAIT.as_millis().to_string())
        // Bigger batches: the broker's per-request cost dominates otherwise.
        .set("linger.ms", "20")
        .set("batch.num.messages", "10000")
        // Records have no key. librdkafka's sticky partitioner sends keyless
        // records to one partition for `sticky.partitioning.linger.ms`,
        // which put a whole small file into one partition; 0 picks a
        // partition per record, so every partition gets a share.
        .set("sticky.partitioning.linger.ms", "0");
    for (key, value) in &args.settings {
        client.set(key, value);
    }
    if let Some(partitions) = args.partitions {
        create_topic(&client, &args.topic, partitions)?;
    }

    // A first pass for the bar's length: reading is far faster than producing.
    let (records, bytes) = count(&args.inputs)?;
    let total = records * args.repeat;
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template(
            "{bar:40} {human_pos}/{human_len} records acknowledged, {per_sec}, eta {eta}",
        )
        .expect("the template is valid"),
    );
    let producer: BaseProducer<Deliveries> = client
        .create_with_context(Deliveries::new(bar.clone()))
        .context("creating the producer")?;

    let started = Instant::now();
    for _ in 0..args.repeat {
        let mut source = FileSource::open(&args.inputs, InputFormat::Auto)?;
        while let Batch::Records(batch) = source.next_batch(1024)? {
            for record in &batch {
                let message = BaseRecord::<[u8], [u8]>::to(&args.topic).payload(&record.bytes);
                librdkafka::send_waiting(&producer, message, QUEUE_FULL_WAIT)
                    .with_context(|| format!("producing to {}", args.topic))?;
            }
            producer.poll(Duration::ZERO);
        }
    }
    producer
        .flush(WAIT)
        .with_context(|| format!("waiting for the last deliveries to {}", args.topic))?;
    bar.finish_and_clear();
    let deliveries = producer.context();
    let failed = deliveries.failed.load(Ordering::Relaxed);
    if failed > 0 {
        let first = deliveries
            .first_error
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        bail!(
            "{failed} of {total} records were not delivered to {}: {}",
            args.topic,
            first.as_deref().unwrap_or("unknown error")
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    let megabytes = (bytes * args.repeat) as f64 / 1e6;
    println!(
        "produced {total} records ({megabytes:.1} MB) to {} in {seconds:.2} s: {:.0} records/s, {:.1} MB/s",
        args.topic,
        total as f64 / seconds,
        megabytes / seconds
    );
    Ok(ExitCode::SUCCESS)
}

fn create_topic(client: &ClientConfig, topic: &str, partitions: i32) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> =
        client.create().context("creating an admin client")?;
    let options = AdminOptions::new().operation_timeout(Some(WAIT));
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    let results = futures_executor::block_on(admin.create_topics([&new], &options))
        .with_context(|| format!("creating topic {topic}"))?;
    for result in results {
        match result {
            Ok(_) => eprintln!("created topic {topic} with {partitions} partitions"),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {
                eprintln!("topic {topic} exists: --partitions ignored")
            }
            Err((_, code)) => bail!("creating topic {topic}: {code}"),
        }
    }
    Ok(())
}

fn count(inputs: &[PathBuf]) -> anyhow::Result<(u64, u64)> {
    let mut source = FileSource::open(inputs, InputFormat::Auto)?;
    let (mut records, mut bytes) = (0, 0);
    while let Batch::Records(batch) = source.next_batch(4096)? {
        records += batch.len() as u64;
        bytes += batch.iter().map(|r| r.bytes.len() as u64).sum::<u64>();
    }
    Ok((records, bytes))
}

/// Counts acknowledgements (moving the bar) and failures.
struct Deliveries {
    bar: ProgressBar,
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl Deliveries {
    fn new(bar: ProgressBar) -> Self {
        Deliveries {
            bar,
            failed: AtomicU64::new(0),
            first_error: Mutex::new(None),
        }
    }
}

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => self.bar.inc(1),
            Err((error, _)) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                let mut first = self.first_error.lock().unwrap_or_else(|e| e.into_inner());
                first.get_or_insert_with(|| error.to_string());
            }
        }
    }
}
