//! add-fields: sets constant fields on every document, like Logstash's
//! `add_field`. The settings name the fields and their JSON values:
//!
//! ```toml
//! config = { fields = { pipeline = "tweets-en", plugin_version = 3 }, overwrite = true }
//! ```
//!
//! A top-level field the document already has is replaced when `overwrite`
//! is true (the default) and left as it is otherwise. Documents that are
//! not JSON objects are rejected (the host hands plugins objects only, so
//! that takes a plugin before this one writing something else).

use serde::Deserialize;
use sluice_sdk::prelude::*;
use sluice_sdk::simd_json::OwnedValue;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    fields: std::collections::BTreeMap<String, OwnedValue>,
    #[serde(default = "overwrite_by_default")]
    overwrite: bool,
}

fn overwrite_by_default() -> bool {
    true
}

pub struct AddFields {
    fields: Vec<(String, OwnedValue)>,
    overwrite: bool,
}

impl Filter for AddFields {
    fn init(config: Config) -> Result<Self, String> {
        let settings: Settings = config.parse()?;
        if settings.fields.is_empty() {
            return Err("`fields` names no field to add".into());
        }
        if let Some(name) = settings.fields.keys().find(|name| name.is_empty()) {
            return Err(format!("`fields` has an empty field name {name:?}"));
        }
        Ok(AddFields {
            fields: settings.fields.into_iter().collect(),
            overwrite: settings.overwrite,
        })
    }

    fn filter<'doc>(&self, doc: &mut Value<'doc>) -> Verdict<'doc> {
        let Some(object) = doc.as_object_mut() else {
            return Verdict::Reject("add-fields: the document is not a JSON object".into());
        };
        let mut changed = false;
        for (name, value) in &self.fields {
            if !self.overwrite && object.contains_key(name.as_str()) {
                continue;
            }
            object.insert(name.clone().into(), Value::from(value.clone()));
            changed = true;
        }
        if changed {
            Verdict::Changed
        } else {
            Verdict::Unchanged
        }
    }
}

sluice_sdk::export_filter!(AddFields);

#[cfg(test)]
mod tests {
    use sluice_sdk::{Config, Filter, Outcome, process_batch};

    use super::AddFields;

    fn run(config: &str, record: &str) -> Outcome {
        let filter = AddFields::init(Config::from_json(config)).expect("valid settings");
        process_batch(&filter, vec![record.as_bytes().to_vec()]).remove(0)
    }

    #[test]
    fn adds_and_replaces_fields() {
        let out = run(
            r#"{"fields": {"plugin_version": 3, "tags": ["a"]}}"#,
            r#"{"id_str":"1","plugin_version":1}"#,
        );
        let Outcome::Replace(bytes) = out else {
            panic!("expected a replaced document, got {out:?}");
        };
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains(r#""plugin_version":3"#), "{text}");
        assert!(text.contains(r#""tags":["a"]"#), "{text}");
        assert_eq!(text.matches("plugin_version").count(), 1, "{text}");
    }

    #[test]
    fn keeps_existing_fields_without_overwrite() {
        let out = run(
            r#"{"fields": {"lang": "xx"}, "overwrite": false}"#,
            r#"{"id_str":"1","lang":"en"}"#,
        );
        assert_eq!(out, Outcome::Pass);
    }

    #[test]
    fn refuses_settings_without_fields() {
        assert!(AddFields::init(Config::from_json("{}")).is_err());
        let error = AddFields::init(Config::from_json(r#"{"fields": {}}"#))
            .err()
            .unwrap();
        assert!(error.contains("names no field"), "{error}");
    }
}
