//! The `settings` tables passed through to librdkafka (a Kafka source's
//! consumer, a Kafka dead-letter topic's producer): checked up front, then
//! applied over the component's own defaults.

use std::collections::BTreeMap;

use rdkafka::ClientConfig;

use super::ConfigError;

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
