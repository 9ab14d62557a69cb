//! Composable index templates (`PUT/GET/DELETE /_index_template/{name}`): what a body may
//! hold, the normalised shape `GET` answers with (`ComposableIndexTemplate.toXContent`), and
//! the priority rule that two templates with overlapping patterns may not share a priority.
//! Component templates, aliases and data streams are not served and are refused with 400.

use serde_json::{Map, Value, json};

use crate::error::EsError;
use crate::mapping::{ObjectMapper, RootMapping};
use crate::settings::Settings;
use crate::state::glob;

#[derive(Debug, Clone)]
pub struct Template {
    pub index_patterns: Vec<String>,
    pub priority: Option<i64>,
    pub version: Option<i64>,
    pub meta: Option<Value>,
    pub settings: Option<Settings>,
    pub mappings: Option<ObjectMapper>,
}

fn not_served(what: &str) -> EsError {
    EsError::new(
        "illegal_argument_exception",
        format!("es-test-server does not serve {what} in index templates"),
    )
}

impl Template {
    /// Reads a `PUT /_index_template/{name}` body.
    pub fn from_json(body: &Value) -> Result<Self, EsError> {
        let patterns: Vec<String> = match body.get("index_patterns") {
            Some(Value::String(p)) => vec![p.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        if patterns.is_empty() {
            return Err(EsError::new(
                "action_request_validation_exception",
                "Validation Failed: 1: index patterns are missing;",
            ));
        }
        if body
            .get("composed_of")
            .and_then(Value::as_array)
            .is_some_and(|c| !c.is_empty())
        {
            return Err(not_served("component templates ([composed_of])"));
        }
        if body.get("data_stream").is_some() {
            return Err(not_served("data streams ([data_stream])"));
        }
        let template = body.get("template");
        if template
            .and_then(|t| t.get("aliases"))
            .and_then(Value::as_object)
            .is_some_and(|a| !a.is_empty())
        {
            return Err(not_served("aliases ([template.aliases])"));
        }
        Ok(Self {
            index_patterns: patterns,
            priority: body.get("priority").and_then(Value::as_i64),
            version: body.get("version").and_then(Value::as_i64),
            meta: body.get("_meta").cloned(),
            settings: template
                .and_then(|t| t.get("settings"))
                .map(Settings::from_json)
                .transpose()?,
            mappings: template
                .and_then(|t| t.get("mappings"))
                .map(ObjectMapper::from_json)
                .transpose()?,
        })
    }

    pub fn matches(&self, index: &str) -> bool {
        self.index_patterns.iter().any(|p| glob(p, index))
    }

    pub fn priority_or_zero(&self) -> i64 {
        self.priority.unwrap_or(0)
    }

    /// `GET /_index_template/{name}`'s `index_template`: patterns as a list, settings nested
    /// under `index` with string values, mappings as `GET _mapping` shows them.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("index_patterns".into(), json!(self.index_patterns));
        let mut template = Map::new();
        if let Some(settings) = &self.settings {
            template.insert("settings".into(), settings.to_nested_json());
        }
        if let Some(mappings) = &self.mappings {
            template.insert(
                "mappings".into(),
                serde_json::to_value(RootMapping(mappings)).expect("mapping serializes"),
            );
        }
        if !template.is_empty() {
            out.insert("template".into(), Value::Object(template));
        }
        out.insert("composed_of".into(), json!([]));
        if let Some(priority) = self.priority {
            out.insert("priority".into(), json!(priority));
        }
        if let Some(version) = self.version {
            out.insert("version".into(), json!(version));
        }
        if let Some(meta) = &self.meta {
            out.insert("_meta".into(), meta.clone());
        }
        Value::Object(out)
    }
}

/// `MetadataIndexTemplateService`'s refusal of a template whose patterns overlap those of
/// templates with the same priority: then two templates could match one new index equally.
pub fn check_priority_overlap<'t>(
    name: &str,
    template: &Template,
    others: impl Iterator<Item = (&'t String, &'t Template)>,
) -> Result<(), EsError> {
    let overlapping: Vec<(&String, &Template)> = others
        .filter(|(other_name, other)| {
            other_name.as_str() != name
                && other.priority_or_zero() == template.priority_or_zero()
                && other.index_patterns.iter().any(|a| {
                    template
                        .index_patterns
                        .iter()
                        .any(|b| patterns_overlap(a, b))
                })
        })
        .collect();
    if overlapping.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = overlapping.iter().map(|(n, _)| n.as_str()).collect();
    let patterns: Vec<String> = overlapping
        .iter()
        .map(|(n, t)| format!("{n} => [{}]", t.index_patterns.join(", ")))
        .collect();
    Err(EsError::new(
        "illegal_argument_exception",
        format!(
            "index template [{name}] has index patterns [{}] matching patterns from existing templates [{}] with patterns ({}) that have the same priority [{}], multiple index templates may not match during index creation, please use a different priority",
            template.index_patterns.join(", "),
            names.join(","),
            patterns.join(","),
            template.priority_or_zero()
        ),
    ))
}

/// Whether some index name matches both `*`-patterns (ES intersects their automata).
fn patterns_overlap(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    // reachable[i][j]: some string takes a[..i] and b[..j] to the same point.
    let mut reachable = vec![vec![false; b.len() + 1]; a.len() + 1];
    reachable[0][0] = true;
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            if !reachable[i][j] {
                continue;
            }
            let star_a = a.get(i) == Some(&b'*');
            let star_b = b.get(j) == Some(&b'*');
            if star_a {
                // The star matches nothing more, or it swallows b's next token.
                reachable[i + 1][j] = true;
                if j < b.len() {
                    reachable[i][j + 1] = true;
                }
            }
            if star_b {
                reachable[i][j + 1] = true;
                if i < a.len() {
                    reachable[i + 1][j] = true;
                }
            }
            if !star_a && !star_b && i < a.len() && j < b.len() && a[i] == b[j] {
                reachable[i + 1][j + 1] = true;
            }
        }
    }
    reachable[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_overlap_when_one_name_can_match_both() {
        assert!(patterns_overlap("twitter-*", "twitter-2024*"));
        assert!(patterns_overlap("*", "logs"));
        assert!(patterns_overlap(
            "app-test-*-some-*",
            "app-test-*-some_other-*"
        ));
        assert!(!patterns_overlap("twitter-*", "logs-*"));
        assert!(!patterns_overlap("a", "b"));
        assert!(!patterns_overlap("a*b", "a*c"));
    }

    #[test]
    fn get_shows_the_normalised_shape() {
        let template = Template::from_json(&json!({
            "index_patterns": "test-*",
            "template": {"settings": {"number_of_shards": 1, "number_of_replicas": 0},
                         "mappings": {"properties": {"field": {"type": "keyword"}}}}
        }))
        .unwrap();
        assert_eq!(
            template.to_json(),
            json!({
                "index_patterns": ["test-*"],
                "template": {"settings": {"index": {"number_of_shards": "1", "number_of_replicas": "0"}},
                             "mappings": {"properties": {"field": {"type": "keyword"}}}},
                "composed_of": []
            })
        );
    }
}
