//! Index settings: the mapping limits this server enforces, read from `PUT /{index}` or an
//! index template in either flat (`"index.mapping.total_fields.limit": 2000`) or nested
//! (`{"index": {"mapping": {"total_fields": {"limit": "2000"}}}}`) form.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::EsError;

/// The `index.mapping.*` limits, with Elasticsearch 8's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub total_fields: i64,
    pub depth: i64,
    pub nested_fields: i64,
    pub nested_objects: i64,
    pub field_name_length: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            total_fields: 1000,
            depth: 20,
            nested_fields: 50,
            nested_objects: 10_000,
            field_name_length: i64::MAX,
        }
    }
}

const TOTAL_FIELDS: &str = "index.mapping.total_fields.limit";
const DEPTH: &str = "index.mapping.depth.limit";
const NESTED_FIELDS: &str = "index.mapping.nested_fields.limit";
const NESTED_OBJECTS: &str = "index.mapping.nested_objects.limit";
const FIELD_NAME_LENGTH: &str = "index.mapping.field_name_length.limit";

const SHARDS: &str = "index.number_of_shards";
const REPLICAS: &str = "index.number_of_replicas";
const REFRESH_INTERVAL: &str = "index.refresh_interval";

/// How many copies of an index there are. This server keeps one copy of the data; the counts
/// shape `_shards` in responses and the cluster health (one node: replicas stay unassigned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copies {
    pub shards: u32,
    pub replicas: u32,
}

impl Copies {
    /// Shard copies ES would try to reach for a write or a refresh: primaries and replicas.
    pub fn total(self) -> u32 {
        self.shards * (1 + self.replicas)
    }
}

/// Settings as Elasticsearch keeps them: flat keys with an `index.` prefix, string values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings(pub BTreeMap<String, String>);

impl Settings {
    /// Reads a `settings` object (flat, nested or mixed); keys without `index.` get it, as ES does.
    pub fn from_json(value: &Value) -> Result<Self, EsError> {
        let mut flat = BTreeMap::new();
        flatten("", value, &mut flat)?;
        let normalized = flat
            .into_iter()
            .map(|(k, v)| {
                let key = if k.starts_with("index.") {
                    k
                } else {
                    format!("index.{k}")
                };
                (key, v)
            })
            .collect();
        let settings = Settings(normalized);
        settings.limits()?;
        settings.copies()?;
        Ok(settings)
    }

    /// `index.number_of_shards` and `index.number_of_replicas`, 1 and 1 unless set (ES 8's
    /// defaults), checked against the ranges ES accepts.
    pub fn copies(&self) -> Result<Copies, EsError> {
        let read = |key: &str, min: i64, max: i64| -> Result<u32, EsError> {
            let Some(raw) = self.0.get(key) else {
                return Ok(1);
            };
            let value = raw.parse::<i64>().map_err(|_| {
                EsError::new(
                    "illegal_argument_exception",
                    format!("Failed to parse value [{raw}] for setting [{key}]"),
                )
            })?;
            if value < min || value > max {
                let bound = if value < min {
                    format!("must be >= {min}")
                } else {
                    format!("must be <= {max}")
                };
                return Err(EsError::new(
                    "illegal_argument_exception",
                    format!("Failed to parse value [{raw}] for setting [{key}] {bound}"),
                ));
            }
            Ok(value as u32)
        };
        Ok(Copies {
            shards: read(SHARDS, 1, 1024)?,
            replicas: read(REPLICAS, 0, i64::from(i32::MAX))?,
        })
    }

    /// `index.refresh_interval: -1` turns the periodic refresh off for the index.
    pub fn periodic_refresh(&self) -> bool {
        self.0.get(REFRESH_INTERVAL).map(String::as_str) != Some("-1")
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// `other`'s keys win, as a request's settings win over a template's.
    pub fn merged_over(&self, base: &Settings) -> Settings {
        let mut merged = base.0.clone();
        merged.extend(self.0.iter().map(|(k, v)| (k.clone(), v.clone())));
        Settings(merged)
    }

    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.0.insert(key.to_owned(), value.into());
    }

    pub fn limits(&self) -> Result<Limits, EsError> {
        let mut limits = Limits::default();
        for (key, slot) in [
            (TOTAL_FIELDS, &mut limits.total_fields),
            (DEPTH, &mut limits.depth),
            (NESTED_FIELDS, &mut limits.nested_fields),
            (NESTED_OBJECTS, &mut limits.nested_objects),
            (FIELD_NAME_LENGTH, &mut limits.field_name_length),
        ] {
            if let Some(raw) = self.0.get(key) {
                let value = raw.parse::<i64>().map_err(|_| {
                    EsError::new(
                        "illegal_argument_exception",
                        format!("Failed to parse value [{raw}] for setting [{key}]"),
                    )
                })?;
                let min = if key == DEPTH { 1 } else { 0 };
                if value < min {
                    return Err(EsError::new(
                        "illegal_argument_exception",
                        format!(
                            "Failed to parse value [{raw}] for setting [{key}] must be >= {min}"
                        ),
                    ));
                }
                *slot = value;
            }
        }
        Ok(limits)
    }

    /// Nested JSON as `GET /{index}/_settings` shows it.
    pub fn to_nested_json(&self) -> Value {
        let mut root = serde_json::Map::new();
        for (key, value) in &self.0 {
            let mut node = &mut root;
            let mut parts = key.split('.').peekable();
            while let Some(part) = parts.next() {
                if parts.peek().is_none() {
                    node.insert(part.to_owned(), Value::String(value.clone()));
                } else {
                    let child = node
                        .entry(part.to_owned())
                        .or_insert_with(|| Value::Object(serde_json::Map::new()));
                    if !child.is_object() {
                        *child = Value::Object(serde_json::Map::new());
                    }
                    node = child.as_object_mut().expect("object just ensured");
                }
            }
        }
        Value::Object(root)
    }
}

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>) -> Result<(), EsError> {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out)?;
            }
        }
        Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        Value::Number(n) => {
            out.insert(prefix.to_owned(), n.to_string());
        }
        Value::Bool(b) => {
            out.insert(prefix.to_owned(), b.to_string());
        }
        Value::Null => {}
        Value::Array(items) => {
            let joined: Vec<String> = items
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            out.insert(prefix.to_owned(), joined.join(","));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_and_nested_forms_read_the_same() {
        let flat = Settings::from_json(&serde_json::json!({
            "index.mapping.total_fields.limit": 2000,
            "mapping.depth.limit": "5"
        }))
        .unwrap();
        let nested = Settings::from_json(&serde_json::json!({
            "index": {"mapping": {"total_fields": {"limit": "2000"}, "depth": {"limit": 5}}}
        }))
        .unwrap();
        assert_eq!(flat, nested);
        let limits = flat.limits().unwrap();
        assert_eq!(limits.total_fields, 2000);
        assert_eq!(limits.depth, 5);
        assert_eq!(limits.nested_fields, 50);
    }

    #[test]
    fn a_limit_that_is_not_a_number_is_refused() {
        let err =
            Settings::from_json(&serde_json::json!({"index.mapping.total_fields.limit": "many"}))
                .unwrap_err();
        assert_eq!(
            err.reason,
            "Failed to parse value [many] for setting [index.mapping.total_fields.limit]"
        );
    }
}
