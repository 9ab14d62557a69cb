//! `POST /_bulk`: NDJSON parsing with `BulkRequestParser`'s errors, per-item execution and
//! the response, item by item, in Elasticsearch's shape.

use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use crate::error::EsError;
use crate::index::WriteOutcome;
use crate::state::{State, validate_index_name};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Index,
    Create,
    Delete,
    Update,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Index => "index",
            Action::Create => "create",
            Action::Delete => "delete",
            Action::Update => "update",
        }
    }
}

#[derive(Debug)]
pub struct BulkItem<'b> {
    pub action: Action,
    pub index: Option<String>,
    pub id: Option<String>,
    pub source: Option<&'b [u8]>,
}

/// Parameters an action line may carry (`BulkRequestParser`); the others are refused.
const KNOWN_PARAMS: &[&str] = &[
    "_index",
    "_id",
    "routing",
    "version",
    "version_type",
    "if_seq_no",
    "if_primary_term",
    "retry_on_conflict",
    "pipeline",
    "op_type",
    "require_alias",
    "require_data_stream",
    "list_executed_pipelines",
    "dynamic_templates",
    "_source",
];

fn token_name(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "START_OBJECT",
        Value::Array(_) => "START_ARRAY",
        Value::String(_) => "VALUE_STRING",
        Value::Number(_) => "VALUE_NUMBER",
        Value::Bool(_) => "VALUE_BOOLEAN",
        Value::Null => "VALUE_NULL",
    }
}

fn illegal(reason: String) -> EsError {
    EsError::new("illegal_argument_exception", reason)
}

/// Splits a bulk body into items, or the error that fails the whole request (400).
pub fn parse<'b>(
    body: &'b [u8],
    default_index: Option<&str>,
) -> Result<Vec<BulkItem<'b>>, EsError> {
    if !body.is_empty() && !body.ends_with(b"\n") {
        return Err(illegal(
            "The bulk request must be terminated by a newline [\\n]".to_owned(),
        ));
    }
    let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    let mut items = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line_no = i + 1;
        let line = trim(lines[i]);
        i += 1;
        if line.is_empty() {
            continue;
        }
        let action_line: Value = serde_json::from_slice(line).map_err(|e| {
            EsError::new(
                "x_content_parse_exception",
                format!("[1:{}] {}", e.column(), serde_message(&e)),
            )
        })?;
        let Value::Object(map) = &action_line else {
            return Err(illegal(format!(
                "Malformed action/metadata line [{line_no}], expected START_OBJECT but found [{}]",
                token_name(&action_line)
            )));
        };
        let mut entries = map.iter();
        let Some((name, meta)) = entries.next() else {
            return Err(illegal(format!(
                "Malformed action/metadata line [{line_no}], expected FIELD_NAME but found [END_OBJECT]"
            )));
        };
        let action = match name.as_str() {
            "index" => Action::Index,
            "create" => Action::Create,
            "delete" => Action::Delete,
            "update" => Action::Update,
            other => {
                return Err(illegal(format!(
                    "Malformed action/metadata line [{line_no}], expected field [create], [delete], [index] or [update] but found [{other}]"
                )));
            }
        };
        let Value::Object(meta) = meta else {
            return Err(illegal(format!(
                "Malformed action/metadata line [{line_no}], expected START_OBJECT but found [{}]",
                token_name(meta)
            )));
        };
        let mut index = default_index.map(str::to_owned);
        let mut id = None;
        for (key, value) in meta {
            if !KNOWN_PARAMS.contains(&key.as_str()) {
                return Err(illegal(format!(
                    "Action/metadata line [{line_no}] contains an unknown parameter [{key}]"
                )));
            }
            let text = match value {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                Value::Null => None,
                Value::Object(_) if key == "dynamic_templates" || key == "_source" => None,
                other => {
                    return Err(illegal(format!(
                        "Malformed action/metadata line [{line_no}], expected a simple value for field [{key}] but found [{}]",
                        token_name(other)
                    )));
                }
            };
            match key.as_str() {
                "_index" => index = text,
                "_id" => id = text,
                _ => {}
            }
        }
        if entries.next().is_some() {
            return Err(illegal(format!(
                "Malformed action/metadata line [{line_no}], expected END_OBJECT but found [FIELD_NAME]"
            )));
        }
        let source = if action == Action::Delete {
            None
        } else {
            // ES stops at an action without a source line rather than failing.
            let Some(source) = lines.get(i).filter(|_| i < lines.len() - 1) else {
                break;
            };
            i += 1;
            Some(trim(source))
        };
        items.push(BulkItem {
            action,
            index,
            id,
            source,
        });
    }
    let mut problems = Vec::new();
    if items.is_empty() {
        problems.push("no requests added".to_owned());
    }
    for item in &items {
        if item.index.is_none() {
            problems.push("index is missing".to_owned());
        }
        if item.id.is_none() && matches!(item.action, Action::Delete | Action::Update) {
            problems.push("id is missing".to_owned());
        }
    }
    if !problems.is_empty() {
        let listed: String = problems
            .iter()
            .enumerate()
            .map(|(n, p)| format!("{}: {p};", n + 1))
            .collect();
        return Err(EsError::new(
            "action_request_validation_exception",
            format!("Validation Failed: {listed}"),
        ));
    }
    Ok(items)
}

fn trim(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    &line[start..]
}

/// serde_json's message without its trailing ` at line L column C`.
fn serde_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

#[derive(Serialize)]
struct Shards {
    total: u32,
    successful: u32,
    failed: u32,
}

const SHARDS: Shards = Shards {
    total: 2,
    successful: 1,
    failed: 0,
};

#[derive(Serialize)]
#[serde(untagged)]
enum ItemBody {
    Ok {
        _index: String,
        _id: String,
        _version: u64,
        result: &'static str,
        _shards: Shards,
        _seq_no: u64,
        _primary_term: u64,
        status: u16,
    },
    Failed {
        _index: String,
        _id: Option<String>,
        status: u16,
        error: EsError,
    },
}

#[derive(Serialize)]
pub struct BulkResponse {
    took: u64,
    errors: bool,
    items: Vec<std::collections::BTreeMap<&'static str, ItemBody>>,
}

/// The 429 an item gets when the write pool is saturated.
fn item_rejection(source_len: usize) -> EsError {
    EsError::new(
        "es_rejected_execution_exception",
        format!(
            "rejected execution of primary operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, primary_operation_bytes={source_len}, max_coordinating_and_primary_bytes=0]"
        ),
    )
}

/// Executes the items in order and answers as ES does; `refresh` makes them searchable.
pub fn execute(state: &mut State, items: Vec<BulkItem<'_>>, refresh: bool) -> BulkResponse {
    let started = Instant::now();
    let mut response_items = Vec::with_capacity(items.len());
    let mut errors = false;
    let mut touched = Vec::new();
    for item in items {
        let index_name = item.index.clone().expect("validated by parse");
        let id = match (&item.id, item.action) {
            (Some(id), _) => id.clone(),
            (None, _) => state.generate_id(),
        };
        let reject = state.dice.roll(state.faults.item_reject_rate);
        let outcome = if reject {
            state.stats.faults.items_rejected += 1;
            Err((429, item_rejection(item.source.map_or(0, <[u8]>::len))))
        } else {
            apply(state, &item, &index_name, &id)
        };
        let body = match outcome {
            Ok(done) => {
                touched.push(index_name.clone());
                ItemBody::Ok {
                    _index: index_name,
                    _id: id,
                    _version: done.version,
                    result: done.result.as_str(),
                    _shards: SHARDS,
                    _seq_no: done.seq_no,
                    _primary_term: 1,
                    status: done.result.status(),
                }
            }
            Err((status, error)) => {
                errors = true;
                ItemBody::Failed {
                    _index: index_name,
                    _id: Some(id),
                    status,
                    error,
                }
            }
        };
        let status = match &body {
            ItemBody::Ok { status, .. } | ItemBody::Failed { status, .. } => *status,
        };
        *state.stats.bulk_items.entry(status).or_default() += 1;
        response_items.push(std::collections::BTreeMap::from([(
            item.action.name(),
            body,
        )]));
    }
    if refresh {
        for name in touched {
            if let Some(index) = state.indices.get_mut(&name) {
                index.refresh();
            }
        }
    }
    BulkResponse {
        took: started.elapsed().as_millis() as u64,
        errors,
        items: response_items,
    }
}

fn apply(
    state: &mut State,
    item: &BulkItem<'_>,
    index_name: &str,
    id: &str,
) -> Result<WriteOutcome, (u16, EsError)> {
    match item.action {
        Action::Delete => match state.indices.get_mut(index_name) {
            Some(index) => Ok(index.delete(id)),
            None => Err((
                404,
                EsError::index_not_found(index_name, "index_expression"),
            )),
        },
        Action::Update => Err((
            400,
            EsError::new(
                "illegal_argument_exception",
                "es-test-server does not implement the bulk [update] action",
            ),
        )),
        Action::Index | Action::Create => {
            validate_index_name(index_name).map_err(|e| (400, e))?;
            if !state.indices.contains_key(index_name) {
                state
                    .create_index(index_name, None, None)
                    .map_err(|e| (400, e))?;
            }
            let index = state.indices.get_mut(index_name).expect("created above");
            let source = item.source.expect("index and create carry a source");
            index
                .write(id, source, item.action == Action::Create)
                .map_err(|e| {
                    let status = if e.kind == "version_conflict_engine_exception" {
                        409
                    } else {
                        400
                    };
                    (status, e)
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_action_lines_fail_the_whole_request() {
        let reason = |body: &str| parse(body.as_bytes(), Some("i")).unwrap_err().reason;
        assert_eq!(
            reason("{\"upsert\":{}}\n{}\n"),
            "Malformed action/metadata line [1], expected field [create], [delete], [index] or [update] but found [upsert]"
        );
        assert_eq!(
            reason("{\"index\":{}}\n{}\n[1]\n"),
            "Malformed action/metadata line [3], expected START_OBJECT but found [START_ARRAY]"
        );
        assert_eq!(
            reason("{\"index\":{\"_idx\":\"x\"}}\n{}\n"),
            "Action/metadata line [1] contains an unknown parameter [_idx]"
        );
        assert_eq!(
            reason("{\"index\":{}}\n{}"),
            "The bulk request must be terminated by a newline [\\n]"
        );
        assert_eq!(reason(""), "Validation Failed: 1: no requests added;");
        let err = parse(b"{\"index\":{}}\n{}\n", None).unwrap_err();
        assert_eq!(err.kind, "action_request_validation_exception");
        assert_eq!(err.reason, "Validation Failed: 1: index is missing;");
        let err = parse(b"{\"index\" {}}\n", None).unwrap_err();
        assert_eq!(err.kind, "x_content_parse_exception");
    }

    #[test]
    fn deletes_take_no_source_line() {
        let items = parse(
            b"{\"delete\":{\"_id\":\"1\"}}\n{\"index\":{\"_id\":\"2\"}}\n{\"a\":1}\n",
            Some("i"),
        )
        .unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].action, Action::Delete);
        assert_eq!(items[1].source, Some(&b"{\"a\":1}"[..]));
    }
}
