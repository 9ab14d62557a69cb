//! The small part of the Query DSL that tests need to check what was indexed:
//! `match_all`, `term`, `terms`, `ids`, `match` and `bool` of those (`_id` included as a
//! field), evaluated against the refreshed view of each index. Scores are constant (1.0),
//! hits come in indexing order. Also which top-level keys a search or count body may hold:
//! ES's parsing errors for unknown keys, a 400 naming the key for known ones not served.

use serde_json::Value;

use crate::error::EsError;
use crate::json::token_name;
use crate::mapping::{FieldMapper, ObjectMapper};

#[derive(Debug, Clone)]
pub enum Query {
    MatchAll,
    Term {
        field: String,
        value: Value,
    },
    Terms {
        field: String,
        values: Vec<Value>,
    },
    Ids(Vec<String>),
    /// `match` with the default `OR` operator: any analysed token of the text.
    Match {
        field: String,
        text: Value,
    },
    Bool {
        must: Vec<Query>,
        should: Vec<Query>,
        must_not: Vec<Query>,
    },
}

fn parsing(reason: impl Into<String>) -> EsError {
    EsError::new("parsing_exception", reason)
}

impl Query {
    /// Reads the `query` object of a search or count body.
    pub fn from_json(value: &Value) -> Result<Query, EsError> {
        let Some(map) = value.as_object() else {
            return Err(parsing("query malformed, must start with start_object"));
        };
        let Some((kind, body)) = map.iter().next() else {
            return Err(parsing("query malformed, empty clause found"));
        };
        if map.len() > 1 {
            return Err(parsing(format!(
                "[{kind}] malformed query, expected [END_OBJECT] but found [FIELD_NAME]"
            )));
        }
        match kind.as_str() {
            "match_all" => Ok(Query::MatchAll),
            "term" => {
                let (field, spec) = single_field(kind, body)?;
                let value = match spec {
                    Value::Object(o) => o
                        .get("value")
                        .cloned()
                        .ok_or_else(|| parsing("[term] query does not support [value] missing"))?,
                    other => other.clone(),
                };
                Ok(Query::Term { field, value })
            }
            "terms" => {
                let (field, spec) = single_field(kind, body)?;
                let Value::Array(values) = spec else {
                    return Err(parsing(
                        "[terms] query does not support values that are not an array",
                    ));
                };
                Ok(Query::Terms {
                    field,
                    values: values.clone(),
                })
            }
            "match" => {
                let (field, spec) = single_field(kind, body)?;
                let text = match spec {
                    Value::Object(o) => o
                        .get("query")
                        .cloned()
                        .ok_or_else(|| parsing("[match] requires query value"))?,
                    other => other.clone(),
                };
                Ok(Query::Match { field, text })
            }
            "ids" => {
                let values = body
                    .get("values")
                    .and_then(Value::as_array)
                    .ok_or_else(|| parsing("[ids] query requires [values]"))?;
                Ok(Query::Ids(
                    values
                        .iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                        .collect(),
                ))
            }
            "bool" => {
                let clauses = |name: &str| -> Result<Vec<Query>, EsError> {
                    match body.get(name) {
                        None => Ok(Vec::new()),
                        Some(Value::Array(items)) => items.iter().map(Query::from_json).collect(),
                        Some(one) => Ok(vec![Query::from_json(one)?]),
                    }
                };
                let mut must = clauses("must")?;
                must.extend(clauses("filter")?);
                Ok(Query::Bool {
                    must,
                    should: clauses("should")?,
                    must_not: clauses("must_not")?,
                })
            }
            other => Err(parsing(format!("unknown query [{other}]"))),
        }
    }

    pub fn matches(&self, mapping: &ObjectMapper, id: &str, source: &Value) -> bool {
        match self {
            Query::MatchAll => true,
            Query::Ids(ids) => ids.iter().any(|i| i == id),
            Query::Term { field, value } if field == "_id" => as_text(value).as_deref() == Some(id),
            Query::Terms { field, values } if field == "_id" => {
                values.iter().any(|v| as_text(v).as_deref() == Some(id))
            }
            Query::Match { field, text } if field == "_id" => as_text(text).as_deref() == Some(id),
            Query::Term { field, value } => {
                term_matches(mapping, field, std::slice::from_ref(value), source)
            }
            Query::Terms { field, values } => term_matches(mapping, field, values, source),
            Query::Match { field, text } => match_matches(mapping, field, text, source),
            Query::Bool {
                must,
                should,
                must_not,
            } => {
                must.iter().all(|q| q.matches(mapping, id, source))
                    && (should.is_empty()
                        || !must.is_empty()
                        || should.iter().any(|q| q.matches(mapping, id, source)))
                    && !must_not.iter().any(|q| q.matches(mapping, id, source))
            }
        }
    }
}

fn single_field<'v>(kind: &str, body: &'v Value) -> Result<(String, &'v Value), EsError> {
    match body.as_object() {
        Some(map) if map.len() == 1 => {
            let (k, v) = map.iter().next().expect("one entry");
            Ok((k.clone(), v))
        }
        _ => Err(parsing(format!(
            "[{kind}] query doesn't support multiple fields"
        ))),
    }
}

/// Finds the mapper for `field` and the source path its values come from (a multi-field
/// such as `text.keyword` reads the parent's values).
fn resolve<'m>(mapping: &'m ObjectMapper, field: &str) -> Option<(&'m FieldMapper, String)> {
    let mapper = mapping.field(field)?;
    let is_multi_field = field
        .rsplit_once('.')
        .and_then(|(parent, _)| mapping.field(parent))
        .is_some_and(|parent| parent.fields.values().any(|f| std::ptr::eq(f, mapper)));
    let source_path = if is_multi_field {
        field
            .rsplit_once('.')
            .map(|(p, _)| p)
            .unwrap_or(field)
            .to_owned()
    } else {
        field.to_owned()
    };
    Some((mapper, source_path))
}

fn is_text(mapper: &FieldMapper) -> bool {
    matches!(mapper.ty.as_str(), "text" | "match_only_text")
}

/// Approximates the standard analyzer: lower-cased alphanumeric tokens.
fn tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|token| !token.is_empty())
        .map(str::to_lowercase)
}

fn match_matches(mapping: &ObjectMapper, field: &str, text: &Value, source: &Value) -> bool {
    let Some((mapper, path)) = resolve(mapping, field) else {
        return false;
    };
    let segments: Vec<&str> = path.split('.').collect();
    let mut values = Vec::new();
    collect(source, &segments, &mut values);
    if !is_text(mapper) {
        return values.iter().any(|v| indexed_equals(mapper, v, text));
    }
    let Some(text) = as_text(text) else {
        return false;
    };
    let wanted: Vec<String> = tokens(&text).collect();
    values
        .iter()
        .filter_map(|v| as_text(v))
        .any(|doc| tokens(&doc).any(|token| wanted.contains(&token)))
}

fn term_matches(mapping: &ObjectMapper, field: &str, wanted: &[Value], source: &Value) -> bool {
    let Some((mapper, path)) = resolve(mapping, field) else {
        return false;
    };
    let segments: Vec<&str> = path.split('.').collect();
    let mut values = Vec::new();
    collect(source, &segments, &mut values);
    values
        .iter()
        .any(|v| wanted.iter().any(|w| indexed_equals(mapper, v, w)))
}

/// Values at `path`, following both nested objects and dotted keys, flattening arrays.
fn collect<'v>(value: &'v Value, path: &[&str], out: &mut Vec<&'v Value>) {
    if path.is_empty() {
        match value {
            Value::Array(items) => items.iter().for_each(|i| collect(i, path, out)),
            Value::Null => {}
            other => out.push(other),
        }
        return;
    }
    match value {
        Value::Array(items) => items.iter().for_each(|i| collect(i, path, out)),
        Value::Object(map) => {
            for (key, child) in map {
                let key_parts: Vec<&str> = key.split('.').collect();
                if path.len() >= key_parts.len() && path[..key_parts.len()] == key_parts[..] {
                    collect(child, &path[key_parts.len()..], out);
                }
            }
        }
        _ => {}
    }
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Does the doc value, as the field indexes it, equal the (unanalyzed) term?
fn indexed_equals(mapper: &FieldMapper, doc: &Value, term: &Value) -> bool {
    match mapper.ty.as_str() {
        "keyword" | "constant_keyword" | "wildcard" => {
            let ignore_above = mapper
                .param("ignore_above")
                .and_then(Value::as_u64)
                .unwrap_or(u64::MAX);
            match (as_text(doc), as_text(term)) {
                (Some(d), Some(t)) => d.chars().count() as u64 <= ignore_above && d == t,
                _ => false,
            }
        }
        "long" | "integer" | "short" | "byte" | "unsigned_long" => {
            match (as_number(doc), as_number(term)) {
                (Some(d), Some(t)) => d.trunc() == t,
                _ => false,
            }
        }
        "float" | "half_float" => match (as_number(doc), as_number(term)) {
            (Some(d), Some(t)) => (d as f32) == (t as f32),
            _ => false,
        },
        "double" | "scaled_float" => as_number(doc).is_some_and(|d| as_number(term) == Some(d)),
        "boolean" => {
            let truth = |v: &Value| match v {
                Value::Bool(b) => Some(*b),
                Value::String(s) if s == "true" => Some(true),
                Value::String(s) if s == "false" || s.is_empty() => Some(false),
                _ => None,
            };
            truth(doc).is_some_and(|d| truth(term) == Some(d))
        }
        "text" | "match_only_text" => {
            let Some(term) = as_text(term) else {
                return false;
            };
            as_text(doc).is_some_and(|d| tokens(&d).any(|token| token == term))
        }
        _ => as_text(doc).is_some_and(|d| as_text(term) == Some(d)),
    }
}

/// Top-level search body keys this server reads.
const SERVED_SEARCH_KEYS: &[&str] = &["query", "from", "size", "track_total_hits", "timeout"];

/// Top-level search body keys ES reads and this server does not: refused with a 400 that
/// names them, rather than a search that silently ignores them.
const UNSERVED_SEARCH_KEYS: &[&str] = &[
    "aggs",
    "aggregations",
    "sort",
    "_source",
    "highlight",
    "post_filter",
    "search_after",
    "pit",
    "collapse",
    "rescore",
    "suggest",
    "knn",
    "script_fields",
    "stored_fields",
    "docvalue_fields",
    "fields",
    "explain",
    "version",
    "seq_no_primary_term",
    "min_score",
    "indices_boost",
    "runtime_mappings",
    "slice",
    "profile",
    "terminate_after",
    "stats",
    "track_scores",
    "ext",
    "retriever",
    "rank",
    "sub_searches",
];

/// `SearchSourceBuilder.parseXContent`'s refusal of keys it does not know.
pub fn check_search_body(body: &Value) -> Result<(), EsError> {
    let Some(map) = body.as_object() else {
        return Err(parsing(format!(
            "Unexpected token {} in the search body",
            token_name(body)
        )));
    };
    for (key, value) in map {
        if SERVED_SEARCH_KEYS.contains(&key.as_str()) {
            continue;
        }
        if UNSERVED_SEARCH_KEYS.contains(&key.as_str()) {
            return Err(EsError::new(
                "illegal_argument_exception",
                format!("es-test-server does not serve [{key}] in a search body"),
            ));
        }
        return Err(parsing(format!(
            "Unknown key for a {} in [{key}].",
            token_name(value)
        )));
    }
    Ok(())
}

/// `RestActions.getQueryContent`: a count body holds `query` and nothing else.
pub fn check_count_body(body: &Value) -> Result<(), EsError> {
    match body.as_object() {
        Some(map) => match map.keys().find(|k| k.as_str() != "query") {
            Some(key) => Err(parsing(format!("request does not support [{key}]"))),
            None => Ok(()),
        },
        None => Err(parsing("request body must be an object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::parse_document;
    use crate::settings::Limits;

    fn mapped(doc: &str) -> ObjectMapper {
        let mut root = ObjectMapper::default();
        let limits = Limits::default();
        parse_document(doc.as_bytes(), "1", &root, &limits)
            .unwrap()
            .commit(&mut root, &limits)
            .unwrap();
        root
    }

    #[test]
    fn term_reads_keyword_multi_fields_and_numbers() {
        let doc = r#"{"user": {"screen_name": "Alice", "followers": 12}, "tags": ["a", "b"], "ok": true}"#;
        let mapping = mapped(doc);
        let source: Value = serde_json::from_str(doc).unwrap();
        let q = |json: Value| {
            Query::from_json(&json)
                .unwrap()
                .matches(&mapping, "1", &source)
        };
        assert!(q(
            serde_json::json!({"term": {"user.screen_name.keyword": "Alice"}})
        ));
        assert!(!q(
            serde_json::json!({"term": {"user.screen_name.keyword": "alice"}})
        ));
        assert!(q(
            serde_json::json!({"term": {"user.screen_name": "alice"}})
        ));
        assert!(q(
            serde_json::json!({"term": {"user.followers": {"value": 12}}})
        ));
        assert!(q(serde_json::json!({"term": {"tags.keyword": "b"}})));
        assert!(q(serde_json::json!({"term": {"ok": true}})));
        assert!(!q(serde_json::json!({"term": {"missing": 1}})));
    }
}
