//! `POST /_bulk`: NDJSON parsing with `BulkRequestParser`'s errors, per-item execution and
//! the response, item by item, in Elasticsearch's shape.

use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use crate::error::EsError;
use crate::index::WriteOutcome;
use crate::json::token_name;
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
    /// The item's own `require_alias`, which wins over the request's.
    pub require_alias: Option<bool>,
    /// The first parameter the item carries that this server does not serve.
    pub unserved: Option<String>,
}

/// Parameters an action line may carry (`BulkRequestParser`); the others are refused.
/// Those in [`UNSERVED_PARAMS`] fail their item with a 400 that names them.
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

/// Item parameters ES reads and this server does not implement (versioning, routing,
/// ingest pipelines, dynamic templates, data streams).
const UNSERVED_PARAMS: &[&str] = &[
    "routing",
    "version",
    "version_type",
    "if_seq_no",
    "if_primary_term",
    "pipeline",
    "dynamic_templates",
    "require_data_stream",
];

/// ES's limit on `_id`, in UTF-8 bytes (`DocWriteRequest.validateDocIdLength`).
pub const MAX_ID_BYTES: usize = 512;

/// The validation error of an `_id` over [`MAX_ID_BYTES`], as `Validation Failed` lists it.
pub fn id_too_long(id: &str) -> Option<String> {
    (id.len() > MAX_ID_BYTES).then(|| {
        format!(
            "id [{id}] is too long, must be no longer than {MAX_ID_BYTES} bytes but was: {}",
            id.len()
        )
    })
}

/// `Validation Failed: 1: a;2: b;`, the reason of an `action_request_validation_exception`.
pub fn validation_failed(problems: &[String]) -> EsError {
    let listed: String = problems
        .iter()
        .enumerate()
        .map(|(n, p)| format!("{}: {p};", n + 1))
        .collect();
    EsError::new(
        "action_request_validation_exception",
        format!("Validation Failed: {listed}"),
    )
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
        let mut op_type = None;
        let mut require_alias = None;
        let mut unserved = None;
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
                "op_type" => op_type = text,
                "require_alias" => require_alias = text.map(|t| t == "true"),
                other if UNSERVED_PARAMS.contains(&other) && unserved.is_none() => {
                    unserved = Some(other.to_owned());
                }
                _ => {}
            }
        }
        if entries.next().is_some() {
            return Err(illegal(format!(
                "Malformed action/metadata line [{line_no}], expected END_OBJECT but found [FIELD_NAME]"
            )));
        }
        // `{"index": {"op_type": "create"}}` is a create (`IndexRequest.opType`).
        let action = match (action, op_type.as_deref()) {
            (Action::Index, Some("create")) => Action::Create,
            (Action::Index, None | Some("index")) => action,
            (Action::Index, Some(other)) => {
                return Err(illegal(format!(
                    "opType must be 'create' or 'index', found: [{other}]"
                )));
            }
            _ => action,
        };
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
            require_alias,
            unserved,
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
        let id = item.id.as_deref();
        if id.is_none_or(str::is_empty) && matches!(item.action, Action::Delete | Action::Update) {
            problems.push("id is missing".to_owned());
        }
        problems.extend(id.and_then(id_too_long));
    }
    if !problems.is_empty() {
        return Err(validation_failed(&problems));
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

/// `_shards` of a write: every copy of the shard is tried, only the primary exists here.
#[derive(Serialize)]
pub struct Shards {
    total: u32,
    successful: u32,
    failed: u32,
}

impl Shards {
    pub fn of_write(replicas: u32) -> Self {
        Self {
            total: 1 + replicas,
            successful: 1,
            failed: 0,
        }
    }
}

#[derive(Serialize)]
#[serde(untagged)]
enum ItemBody {
    Ok {
        _index: String,
        _id: String,
        _version: u64,
        result: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        forced_refresh: Option<bool>,
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

/// How a write request asked to be made visible to search (`?refresh`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    No,
    /// `true` or empty: refreshed now, and the answer says `forced_refresh: true`.
    Immediate,
    /// `wait_for`: answered once visible; here that is at once, without `forced_refresh`.
    WaitFor,
}

impl Refresh {
    pub fn from_param(value: Option<&str>) -> Self {
        match value {
            Some("" | "true") => Refresh::Immediate,
            Some("wait_for") => Refresh::WaitFor,
            _ => Refresh::No,
        }
    }

    pub fn forced(self) -> Option<bool> {
        (self == Refresh::Immediate).then_some(true)
    }
}

/// Executes the items in order and answers as ES does; `refresh` makes them searchable,
/// `require_alias` is the request's default for items that do not say.
pub fn execute(
    state: &mut State,
    items: Vec<BulkItem<'_>>,
    refresh: Refresh,
    require_alias: bool,
) -> BulkResponse {
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
            refusal(&item, &index_name, require_alias)
                .map_or_else(|| apply(state, &item, &index_name, &id), Err)
        };
        let body = match outcome {
            Ok(done) => {
                touched.push(index_name.clone());
                let replicas = state
                    .indices
                    .get(&index_name)
                    .map_or(0, |index| index.copies.replicas);
                ItemBody::Ok {
                    _index: index_name,
                    _id: id,
                    _version: done.version,
                    result: done.result.as_str(),
                    forced_refresh: refresh.forced(),
                    _shards: Shards::of_write(replicas),
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
    if refresh != Refresh::No {
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

/// What fails an item before it touches an index: an empty `_id`, `require_alias` on a
/// write (this server has no aliases), a parameter it does not serve.
fn refusal(item: &BulkItem<'_>, index_name: &str, require_alias: bool) -> Option<(u16, EsError)> {
    let writes = matches!(item.action, Action::Index | Action::Create);
    if writes && item.id.as_deref() == Some("") {
        return Some((
            400,
            illegal("if _id is specified it must not be empty".to_owned()),
        ));
    }
    if writes && item.require_alias.unwrap_or(require_alias) {
        let mut error = EsError::index_not_found(index_name, "index_expression");
        error.reason = format!(
            "no such index [{index_name}] and [require_alias] request flag is [true] and [{index_name}] is not an alias"
        );
        return Some((404, error));
    }
    item.unserved.as_ref().map(|param| {
        (
            400,
            illegal(format!(
                "es-test-server does not serve the bulk item parameter [{param}]"
            )),
        )
    })
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
