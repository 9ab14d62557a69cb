//! The glue between the synchronous pipeline and the asynchronous requests.
//!
//! `write` encodes documents on the pipeline's thread and hands them to a
//! batcher task on the sink's own runtime. The batcher cuts requests by
//! bytes, count and linger time and sends each from a task of its own,
//! at most `max_in_flight` at a time; when all slots are taken the batcher
//! stops reading, its small queue fills, and `write` blocks: back-pressure
//! reaches the source. Each request task retries until every one of its
//! documents is acknowledged or dead-lettered, then reports that outcome,
//! which a later `write` or `flush` hands to the pipeline. `flush` sends the
//! open batch and waits until every slot is free again, so everything
//! written before it has been reported when it returns.

use std::sync::Arc;

use tokio::runtime::Runtime;
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::ElasticsearchError;
use super::config::{ElasticsearchConfig, RetryConfig};
use super::health::wait_for_cluster;
use super::request_builder::{Batch, Item, body};
use super::retry::{Backoff, Class, classify};
use super::service::{BulkReply, Service};
use super::template::{existing_mappings, put_template};
use crate::config::GuardConfig;
use crate::record::Document;
use crate::sink::{BulkEncoder, Delivery, Sink, SinkError};

enum Command {
    Items(Vec<Item>),
    Flush(oneshot::Sender<()>),
}

type Outcome = Result<Delivery, ElasticsearchError>;

pub struct ElasticsearchSink {
    runtime: Runtime,
    service: Arc<Service>,
    encoder: BulkEncoder,
    commands: mpsc::Sender<Command>,
    outcomes: mpsc::UnboundedReceiver<Outcome>,
}

impl ElasticsearchSink {
    /// Connects (waiting for the cluster within the retry budget) and, if
    /// configured, puts the index template with the guard's limits.
    pub fn connect(
        config: &ElasticsearchConfig,
        guard: &GuardConfig,
    ) -> Result<Self, ElasticsearchError> {
        let encoder = BulkEncoder::new(&config.target)
            .map_err(|e| ElasticsearchError::Setup(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("sluice-elasticsearch")
            .enable_all()
            .build()
            .map_err(|e| ElasticsearchError::Setup(format!("starting the runtime: {e}")))?;
        let service = Arc::new(Service::new(config)?);
        runtime.block_on(async {
            let version = wait_for_cluster(&service, config.retry).await?;
            tracing::info!(%version, nodes = ?config.nodes, "Elasticsearch is there");
            if let Some(template) = &config.index_template {
                put_template(&service, template, &encoder.index_wildcard(), guard).await?;
                tracing::info!(template = %template.name, "index template put");
            }
            Ok::<_, ElasticsearchError>(())
        })?;
        let (commands, receiver) = mpsc::channel(2);
        let (reporter, outcomes) = mpsc::unbounded_channel();
        let batcher = Batcher {
            service: service.clone(),
            retry: config.retry,
            slots: Arc::new(Semaphore::new(config.max_in_flight)),
            max_in_flight: config.max_in_flight as u32,
            outcomes: reporter,
        };
        runtime.spawn(batcher.run(receiver, Batch::new(config.batch)));
        Ok(ElasticsearchSink {
            runtime,
            service,
            encoder,
            commands,
            outcomes,
        })
    }

    /// Everything reported since the last call.
    fn collect(&mut self, mut delivery: Delivery) -> Result<Delivery, SinkError> {
        while let Ok(outcome) = self.outcomes.try_recv() {
            let settled = outcome?;
            delivery.written += settled.written;
            delivery.dead_letters.extend(settled.dead_letters);
        }
        Ok(delivery)
    }

    fn send(&self, command: Command) -> Result<(), SinkError> {
        self.commands
            .blocking_send(command)
            .map_err(|_| ElasticsearchError::Stopped.into())
    }
}

impl Sink for ElasticsearchSink {
    fn write(&mut self, documents: Vec<Document>) -> Result<Delivery, SinkError> {
        let mut delivery = Delivery::default();
        let mut items = Vec::with_capacity(documents.len());
        for document in documents {
            match Item::encode(&self.encoder, document) {
                Ok(item) => items.push(item),
                Err(dead_letter) => delivery.dead_letters.push(dead_letter),
            }
        }
        if !items.is_empty() {
            self.send(Command::Items(items))?;
        }
        self.collect(delivery)
    }

    fn flush(&mut self) -> Result<Delivery, SinkError> {
        let (done, settled) = oneshot::channel();
        self.send(Command::Flush(done))?;
        settled
            .blocking_recv()
            .map_err(|_| SinkError::from(ElasticsearchError::Stopped))?;
        self.collect(Delivery::default())
    }

    fn index_mappings(&mut self) -> Result<Vec<(String, serde_json::Value)>, SinkError> {
        let pattern = self.encoder.index_wildcard();
        Ok(self
            .runtime
            .block_on(existing_mappings(&self.service, &pattern))?)
    }
}

struct Batcher {
    service: Arc<Service>,
    retry: RetryConfig,
    slots: Arc<Semaphore>,
    max_in_flight: u32,
    outcomes: mpsc::UnboundedSender<Outcome>,
}

impl Batcher {
    async fn run(self, mut commands: mpsc::Receiver<Command>, mut batch: Batch) {
        loop {
            let command = match batch.deadline() {
                Some(deadline) => tokio::select! {
                    command = commands.recv() => command,
                    () = tokio::time::sleep_until(deadline.into()) => {
                        self.dispatch(&mut batch).await;
                        continue;
                    }
                },
                None => commands.recv().await,
            };
            match command {
                // The sink is gone; what it did not flush, it did not count.
                None => return,
                Some(Command::Items(items)) => {
                    for item in items {
                        if batch.has_no_room_for(&item) {
                            self.dispatch(&mut batch).await;
                        }
                        batch.push(item);
                        if batch.is_full() {
                            self.dispatch(&mut batch).await;
                        }
                    }
                }
                Some(Command::Flush(done)) => {
                    self.dispatch(&mut batch).await;
                    let all = self
                        .slots
                        .acquire_many(self.max_in_flight)
                        .await
                        .expect("the semaphore is never closed");
                    drop(all);
                    let _ = done.send(());
                }
            }
        }
    }

    /// Sends the batch from a task of its own once a slot is free.
    async fn dispatch(&self, batch: &mut Batch) {
        let items = batch.take();
        if items.is_empty() {
            return;
        }
        let slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let service = self.service.clone();
        let outcomes = self.outcomes.clone();
        let retry = self.retry;
        tokio::spawn(async move {
            let outcome = deliver(&service, retry, items).await;
            // Reported before the slot is released: a flush that waits for
            // every slot finds every outcome already sent.
            let _ = outcomes.send(outcome);
            drop(slot);
        });
    }
}

/// What Elasticsearch answers to a request over `http.max_content_length`.
const PAYLOAD_TOO_LARGE: u16 = 413;

/// Sends `items` until each is acknowledged or dead-lettered, retrying what
/// may succeed later; fails when the retry budget runs out first.
async fn deliver(service: &Service, retry: RetryConfig, items: Vec<Item>) -> Outcome {
    let mut backoff = Backoff::start(retry);
    let mut delivery = Delivery::default();
    let mut pending = items;
    loop {
        let last_error = match service.bulk(body(&pending)).await {
            Ok(BulkReply::AllDone) => {
                delivery.written += pending.len() as u64;
                return Ok(delivery);
            }
            Ok(BulkReply::Items(results)) => {
                if results.len() != pending.len() {
                    return Err(ElasticsearchError::Protocol(format!(
                        "_bulk answered {} items for {} actions",
                        results.len(),
                        pending.len()
                    )));
                }
                let mut again = Vec::new();
                let mut last_error = String::new();
                for (item, result) in pending.into_iter().zip(results) {
                    let error = result
                        .error
                        .as_ref()
                        .map(|e| e.describe())
                        .unwrap_or_default();
                    match item.classify(result.status) {
                        Class::Done => delivery.written += 1,
                        Class::Retry => {
                            last_error = format!("item {}: {error}", result.status);
                            again.push(item);
                        }
                        Class::Permanent => delivery.dead_letters.push(item.dead_letter(format!(
                            "elasticsearch rejected the document, status {}, {error}",
                            result.status
                        ))),
                    }
                }
                if again.is_empty() {
                    return Ok(delivery);
                }
                pending = again;
                last_error
            }
            Ok(BulkReply::Refused(answer)) if classify(answer.status) == Class::Retry => {
                format!("HTTP {}: {}", answer.status, answer.text())
            }
            Ok(BulkReply::Refused(answer)) if answer.status == PAYLOAD_TOO_LARGE => {
                return split_too_large(service, retry, pending, delivery).await;
            }
            Ok(BulkReply::Refused(answer)) => {
                return Err(ElasticsearchError::Refused {
                    what: format!("POST _bulk with {} documents", pending.len()),
                    status: answer.status,
                    body: answer.text(),
                });
            }
            Err(error) => error.to_string(),
        };
        let Some(delay) = backoff.next_delay() else {
            return Err(ElasticsearchError::RetriesExhausted {
                documents: pending.len(),
                attempts: backoff.failures(),
                seconds: backoff.elapsed().as_secs_f64(),
                last_error,
            });
        };
        tracing::debug!(documents = pending.len(), ?delay, %last_error, "retrying _bulk");
        tokio::time::sleep(delay).await;
    }
}

/// A request over the cluster's `http.max_content_length` is sent again in
/// halves until each fits. A document that does not fit even alone is
/// dead-lettered: no retry can make it smaller, and failing the run would
/// fail every rerun on it too.
async fn split_too_large(
    service: &Service,
    retry: RetryConfig,
    mut items: Vec<Item>,
    mut delivery: Delivery,
) -> Outcome {
    if items.len() == 1 {
        let item = &items[0];
        delivery.dead_letters.push(item.dead_letter(format!(
            "elasticsearch refused the document as too large (HTTP 413): its {} bytes alone \
             exceed the cluster's http.max_content_length",
            item.lines.len()
        )));
        return Ok(delivery);
    }
    let second = items.split_off(items.len() / 2);
    for half in [items, second] {
        let settled = Box::pin(deliver(service, retry, half)).await?;
        delivery.written += settled.written;
        delivery.dead_letters.extend(settled.dead_letters);
    }
    Ok(delivery)
}
