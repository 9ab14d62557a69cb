//! What the user writes in the pipeline config for this plugin, and its
//! checked, compiled form.

use serde::Deserialize;
use sluice_sdk::Config;
use sluice_sdk::simd_json;

use crate::patterns::Patterns;

/// The config table as written; every key is optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
    pub always_keep: Vec<String>,
    pub max_depth: Option<usize>,
    pub max_fields: Option<usize>,
    pub max_string_length: Option<usize>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allow: Vec::new(),
            deny: Vec::new(),
            // The Elasticsearch sink takes the document `_id` from it.
            always_keep: vec!["id_str".to_owned()],
            max_depth: None,
            max_fields: None,
            max_string_length: None,
        }
    }
}

impl Settings {
    /// Parses the config table. Unlike `Config::parse`, an error names the key
    /// at fault for a value of the wrong type too (`always_keep: "id_str"`),
    /// where the JSON parser alone reports only what it expected.
    pub fn parse(config: &Config) -> Result<Self, String> {
        let mut json = config.as_json().as_bytes().to_vec();
        let mut de = simd_json::Deserializer::from_slice(&mut json)
            .map_err(|e| format!("invalid plugin config: {e}"))?;
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let what = describe(e.inner());
            if e.path().iter().next().is_none() {
                format!("invalid plugin config: {what}")
            } else {
                format!("invalid plugin config: `{}`: {what}", e.path())
            }
        })
    }
}

/// The parser's error without its wrapping: serde's own messages
/// ("unknown field `max_depht`, expected one of ...") as they are, the
/// parser's type errors by name (`ExpectedArray`).
fn describe(error: &simd_json::Error) -> String {
    match error.error() {
        simd_json::ErrorType::Serde(message) => message.clone(),
        other => format!("{other:?}"),
    }
}

/// The settings with patterns compiled and limits checked.
#[derive(Debug)]
pub struct Rules {
    pub allow: Patterns,
    pub deny: Patterns,
    pub always_keep: Patterns,
    pub max_depth: Option<usize>,
    pub max_fields: Option<usize>,
    pub max_string_length: Option<usize>,
}

impl TryFrom<Settings> for Rules {
    type Error = String;

    fn try_from(settings: Settings) -> Result<Self, String> {
        Ok(Rules {
            allow: Patterns::parse("allow", &settings.allow)?,
            deny: Patterns::parse("deny", &settings.deny)?,
            always_keep: Patterns::parse("always_keep", &settings.always_keep)?,
            max_depth: at_least_one("max_depth", settings.max_depth)?,
            max_fields: at_least_one("max_fields", settings.max_fields)?,
            max_string_length: at_least_one("max_string_length", settings.max_string_length)?,
        })
    }
}

/// A limit of zero would empty every document; it is refused as a typo.
fn at_least_one(key: &str, limit: Option<usize>) -> Result<Option<usize>, String> {
    match limit {
        Some(0) => Err(format!("invalid `{key}`: must be at least 1")),
        limit => Ok(limit),
    }
}
