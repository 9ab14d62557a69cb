//! What the Kafka pieces (the source's consumer, the dead-letter topic's
//! producer, `sluice produce`) share about librdkafka: the `settings` tables
//! passed through to it, checked up front and applied over each piece's own
//! defaults, and a producer's back-pressure.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::ToBytes;
use rdkafka::producer::{BaseProducer, BaseRecord, ProducerContext};

use crate::config::ConfigError;

/// Refuses a setting the component sets itself (`owned`: the key and what to
/// do instead) and a value librdkafka could not take (tables, arrays).
/// `table` is the dotted name of the settings table, for the error.
pub fn validate(
    table: &str,
    settings: &BTreeMap<String, toml::Value>,
    owned: &[(&str, &str)],
) -> Result<(), ConfigError> {
    for (key, value) in settings {
        let dotted = format!("{table}.{key}");
        if let Some((_, instead)) = owned.iter().find(|(owned, _)| owned == key) {
            return Err(ConfigError::invalid(
                &dotted,
                format!("is set by sluice: {instead}"),
            ));
        }
        if text(value).is_none() {
            return Err(ConfigError::invalid(
                &dotted,
                "must be a string, number or boolean",
            ));
        }
    }
    Ok(())
}

/// `defaults` first, so the user's settings win over them.
pub fn client_config(
    defaults: &[(&str, &str)],
    settings: &BTreeMap<String, toml::Value>,
) -> ClientConfig {
    let mut client = ClientConfig::new();
    for (key, value) in defaults {
        client.set(*key, *value);
    }
    for (key, value) in settings {
        if let Some(text) = text(value) {
            client.set(key, text);
        }
    }
    client
}

fn text(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(text) => Some(text.clone()),
        toml::Value::Integer(number) => Some(number.to_string()),
        toml::Value::Float(number) => Some(number.to_string()),
        toml::Value::Boolean(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// Queues `record`. While librdkafka's queue is full (the producer's
/// back-pressure) it serves delivery reports for up to `wait` and tries
/// again, so nothing is dropped; any other refusal is returned.
pub fn send_waiting<'a, C, K, P>(
    producer: &BaseProducer<C>,
    mut record: BaseRecord<'a, K, P, C::DeliveryOpaque>,
    wait: Duration,
) -> Result<(), KafkaError>
where
    C: ProducerContext,
    K: ToBytes + ?Sized,
    P: ToBytes + ?Sized,
{
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), returned)) => {
                producer.poll(wait);
                record = returned;
            }
            Err((error, _)) => return Err(error),
        }
    }
}
