//! The REST endpoints: routing by method and path, and one handler per endpoint. Handlers
//! are synchronous over the locked state; faults are decided here in one place, before a
//! request touches any data.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::bulk;
use crate::error::EsError;
use crate::faults::Faults;
use crate::mapping::{ObjectMapper, RootMapping};
use crate::search::Query;
use crate::settings::Settings;
use crate::state::{State, Template};

/// The cluster as the HTTP layer sees it.
#[derive(Debug)]
pub struct Cluster {
    pub state: Mutex<State>,
}

pub struct Request {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub has_content_type: bool,
    pub body: bytes::Bytes,
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    /// `None` for a bodyless reply (HEAD, 413) or a proxy's plain-text page.
    pub json: bool,
}

impl Reply {
    fn json(status: u16, body: &impl Serialize) -> Self {
        Self {
            status,
            body: serde_json::to_vec(body).expect("reply serializes"),
            json: true,
        }
    }

    fn error(status: u16, error: &EsError) -> Self {
        Self {
            status,
            body: error.to_response_body(status),
            json: true,
        }
    }

    fn empty(status: u16) -> Self {
        Self {
            status,
            body: Vec::new(),
            json: false,
        }
    }
}

/// What the fault injector decided for a request, before it is handled.
pub enum Verdict {
    Drop,
    Answer(Reply),
    Handle { delay: Duration },
}

fn status_of(error: &EsError) -> u16 {
    match error.kind.as_str() {
        "index_not_found_exception" | "resource_not_found_exception" => 404,
        "version_conflict_engine_exception" => 409,
        "es_rejected_execution_exception" => 429,
        _ => 400,
    }
}

fn param<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn wants_refresh(req: &Request) -> bool {
    matches!(param(req, "refresh"), Some("" | "true" | "wait_for"))
}

fn body_json(req: &Request) -> Result<Option<Value>, EsError> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(&req.body).map(Some).map_err(|e| {
        EsError::new(
            "x_content_parse_exception",
            format!("[{}:{}] {e}", e.line(), e.column()),
        )
    })
}

impl Cluster {
    pub fn new(state: State) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(state),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic in a handler must not take the whole test server down with it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn set_faults(&self, faults: Faults) {
        self.lock().set_faults(faults);
    }

    pub fn stats(&self) -> crate::faults::Stats {
        self.lock().stats.clone()
    }

    pub fn count_payload_too_large(&self) {
        let mut state = self.lock();
        state.stats.requests += 1;
        state.stats.payload_too_large += 1;
    }

    /// Refreshes every index with unrefreshed writes (the periodic refresh).
    pub fn refresh_all(&self) {
        for index in self.lock().indices.values_mut() {
            index.refresh();
        }
    }

    /// Rolls the request-level faults. Control endpoints (`/_test/...`) are never faulted.
    pub fn verdict(&self, req: &Request) -> Verdict {
        if req.path.starts_with("/_test/") {
            return Verdict::Handle {
                delay: Duration::ZERO,
            };
        }
        let mut state = self.lock();
        state.stats.requests += 1;
        let faults = state.faults.clone();
        if state.dice.roll(faults.drop_rate) {
            state.stats.faults.dropped += 1;
            return Verdict::Drop;
        }
        if state.dice.roll(faults.unavailable_rate) {
            state.stats.faults.unavailable += 1;
            return Verdict::Answer(unavailable(faults.unavailable_status));
        }
        if req.path.ends_with("/_bulk") && matches!(req.method.as_str(), "POST" | "PUT") {
            state.stats.bulk_requests += 1;
            if state.dice.roll(faults.bulk_reject_rate) {
                state.stats.faults.bulk_rejected += 1;
                let bytes = req.body.len();
                let error = EsError::new(
                    "es_rejected_execution_exception",
                    format!(
                        "rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes={bytes}, max_coordinating_and_primary_bytes=0]"
                    ),
                );
                return Verdict::Answer(Reply::error(429, &error));
            }
        }
        if faults.delay_ms > 0 {
            state.stats.faults.delayed += 1;
        }
        Verdict::Handle {
            delay: Duration::from_millis(faults.delay_ms),
        }
    }

    pub fn handle(&self, req: &Request) -> Reply {
        if !req.body.is_empty() && !req.has_content_type {
            return Reply::json(
                406,
                &json!({"error": "Content-Type header [] is not supported", "status": 406}),
            );
        }
        let segments: Vec<String> = req
            .path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect();
        let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
        let method = req.method.as_str();
        let result = match (method, segs.as_slice()) {
            ("GET" | "HEAD", []) => Ok(info()),
            ("GET", ["_cluster", "health", ..]) => Ok(self.health()),
            ("GET", ["_test", "faults"]) => Ok(Reply::json(200, &self.lock().faults)),
            ("POST" | "PUT", ["_test", "faults"]) => self.put_faults(req),
            ("GET", ["_test", "stats"]) => Ok(Reply::json(200, &self.stats())),
            ("DELETE", ["_test", "stats"]) => {
                self.lock().stats = Default::default();
                Ok(Reply::json(200, &json!({"acknowledged": true})))
            }
            ("PUT" | "POST", ["_index_template", name]) => self.put_template(name, req),
            ("GET", ["_index_template", name]) => self.get_template(name),
            ("POST" | "PUT", ["_bulk"]) => self.bulk(None, req),
            ("POST" | "PUT", [index, "_bulk"]) => self.bulk(Some(index), req),
            ("POST" | "GET", ["_refresh"]) => self.refresh("_all"),
            ("POST" | "GET", [index, "_refresh"]) => self.refresh(index),
            ("POST" | "GET", ["_search"]) => self.search("_all", req),
            ("POST" | "GET", [index, "_search"]) => self.search(index, req),
            ("POST" | "GET", ["_count"]) => self.count("_all", req),
            ("POST" | "GET", [index, "_count"]) => self.count(index, req),
            ("GET", [index, "_mapping"]) => self.get_mapping(index),
            ("GET", [index, "_settings"]) => self.get_settings(index),
            ("PUT" | "POST", [index, "_doc", id]) => self.index_doc(
                index,
                Some(id),
                param(req, "op_type") == Some("create"),
                req,
            ),
            ("POST", [index, "_doc"]) => self.index_doc(index, None, false, req),
            ("PUT" | "POST", [index, "_create", id]) => self.index_doc(index, Some(id), true, req),
            ("GET" | "HEAD", [index, "_doc", id]) => self.get_doc(index, id, method == "HEAD"),
            ("DELETE", [index, "_doc", id]) => self.delete_doc(index, id, req),
            ("PUT", [index]) if !index.starts_with('_') => self.create_index(index, req),
            ("HEAD", [index]) if !index.starts_with('_') => Ok(self.index_exists(index)),
            ("GET", [index]) if !index.starts_with('_') => self.get_index(index),
            ("DELETE", [index]) if !index.starts_with('_') => self.delete_index(index),
            _ => {
                return Reply::json(
                    400,
                    &json!({
                        "error": format!("no handler found for uri [{}] and method [{method}]", req.path),
                        "status": 400
                    }),
                );
            }
        };
        let mut reply = result.unwrap_or_else(|e| Reply::error(status_of(&e), &e));
        if method == "HEAD" {
            reply.body.clear();
        }
        reply
    }

    fn health(&self) -> Reply {
        let shards = self.lock().indices.len();
        Reply::json(
            200,
            &json!({
                "cluster_name": "es-test-server",
                "status": "green",
                "timed_out": false,
                "number_of_nodes": 1,
                "number_of_data_nodes": 1,
                "active_primary_shards": shards,
                "active_shards": shards,
                "relocating_shards": 0,
                "initializing_shards": 0,
                "unassigned_shards": 0,
                "delayed_unassigned_shards": 0,
                "number_of_pending_tasks": 0,
                "number_of_in_flight_fetch": 0,
                "task_max_waiting_in_queue_millis": 0,
                "active_shards_percent_as_number": 100.0
            }),
        )
    }

    fn put_faults(&self, req: &Request) -> Result<Reply, EsError> {
        let faults: Faults = serde_json::from_slice(&req.body).map_err(|e| {
            EsError::new("illegal_argument_exception", format!("invalid faults: {e}"))
        })?;
        faults
            .validate()
            .map_err(|e| EsError::new("illegal_argument_exception", e))?;
        self.set_faults(faults.clone());
        tracing::info!(?faults, "faults set");
        Ok(Reply::json(200, &faults))
    }

    fn put_template(&self, name: &str, req: &Request) -> Result<Reply, EsError> {
        let body = body_json(req)?.unwrap_or(Value::Null);
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
        let template = body.get("template");
        let settings = match template.and_then(|t| t.get("settings")) {
            Some(s) => Settings::from_json(s)?,
            None => Settings::default(),
        };
        let mappings = match template.and_then(|t| t.get("mappings")) {
            Some(m) => ObjectMapper::from_json(m)?,
            None => ObjectMapper::default(),
        };
        let priority = body.get("priority").and_then(Value::as_i64).unwrap_or(0);
        self.lock().templates.insert(
            name.to_owned(),
            Template {
                index_patterns: patterns,
                priority,
                settings,
                mappings,
                source: body,
            },
        );
        Ok(Reply::json(200, &json!({"acknowledged": true})))
    }

    fn get_template(&self, name: &str) -> Result<Reply, EsError> {
        let state = self.lock();
        let template = state.templates.get(name).ok_or_else(|| {
            EsError::new(
                "resource_not_found_exception",
                format!("index template matching [{name}] not found"),
            )
        })?;
        Ok(Reply::json(
            200,
            &json!({"index_templates": [{"name": name, "index_template": template.source}]}),
        ))
    }

    fn create_index(&self, name: &str, req: &Request) -> Result<Reply, EsError> {
        let body = body_json(req)?.unwrap_or(Value::Null);
        let settings = body.get("settings").map(Settings::from_json).transpose()?;
        let mappings = body
            .get("mappings")
            .map(ObjectMapper::from_json)
            .transpose()?;
        self.lock().create_index(name, settings, mappings)?;
        tracing::info!(index = name, "index created");
        Ok(Reply::json(
            200,
            &json!({"acknowledged": true, "shards_acknowledged": true, "index": name}),
        ))
    }

    fn index_exists(&self, name: &str) -> Reply {
        let state = self.lock();
        match state.resolve(name) {
            Ok(names) if !names.is_empty() => Reply::empty(200),
            _ => Reply::empty(404),
        }
    }

    fn delete_index(&self, expression: &str) -> Result<Reply, EsError> {
        let mut state = self.lock();
        for name in state.resolve(expression)? {
            state.indices.remove(&name);
        }
        Ok(Reply::json(200, &json!({"acknowledged": true})))
    }

    fn get_index(&self, expression: &str) -> Result<Reply, EsError> {
        let state = self.lock();
        let mut out = serde_json::Map::new();
        for name in state.resolve(expression)? {
            let index = &state.indices[&name];
            out.insert(
                name.clone(),
                json!({
                    "aliases": {},
                    "mappings": serde_json::to_value(RootMapping(&index.mapping)).expect("mapping serializes"),
                    "settings": index.settings.to_nested_json(),
                }),
            );
        }
        Ok(Reply::json(200, &out))
    }

    fn get_mapping(&self, expression: &str) -> Result<Reply, EsError> {
        #[derive(Serialize)]
        struct Mappings<'a> {
            mappings: RootMapping<'a>,
        }
        let state = self.lock();
        let names = state.resolve(expression)?;
        let out: std::collections::BTreeMap<&str, Mappings<'_>> = names
            .iter()
            .map(|name| {
                (
                    name.as_str(),
                    Mappings {
                        mappings: RootMapping(&state.indices[name].mapping),
                    },
                )
            })
            .collect();
        Ok(Reply::json(200, &out))
    }

    fn get_settings(&self, expression: &str) -> Result<Reply, EsError> {
        let state = self.lock();
        let mut out = serde_json::Map::new();
        for name in state.resolve(expression)? {
            out.insert(
                name.clone(),
                json!({"settings": state.indices[&name].settings.to_nested_json()}),
            );
        }
        Ok(Reply::json(200, &out))
    }

    fn bulk(&self, default_index: Option<&str>, req: &Request) -> Result<Reply, EsError> {
        let items = bulk::parse(&req.body, default_index)?;
        let mut state = self.lock();
        let response = bulk::execute(&mut state, items, wants_refresh(req));
        Ok(Reply::json(200, &response))
    }

    fn refresh(&self, expression: &str) -> Result<Reply, EsError> {
        let mut state = self.lock();
        let names = state.resolve(expression)?;
        for name in &names {
            if let Some(index) = state.indices.get_mut(name) {
                index.refresh();
            }
        }
        Ok(Reply::json(
            200,
            &json!({"_shards": {"total": names.len() * 2, "successful": names.len(), "failed": 0}}),
        ))
    }

    fn index_doc(
        &self,
        index_name: &str,
        id: Option<&str>,
        create_only: bool,
        req: &Request,
    ) -> Result<Reply, EsError> {
        let mut state = self.lock();
        if !state.indices.contains_key(index_name) {
            state.create_index(index_name, None, None)?;
        }
        let id = match id {
            Some(id) => id.to_owned(),
            None => state.generate_id(),
        };
        let index = state.indices.get_mut(index_name).expect("created above");
        let done = index.write(&id, &req.body, create_only)?;
        if wants_refresh(req) {
            index.refresh();
        }
        Ok(Reply::json(
            done.result.status(),
            &json!({
                "_index": index_name,
                "_id": id,
                "_version": done.version,
                "result": done.result.as_str(),
                "_shards": {"total": 2, "successful": 1, "failed": 0},
                "_seq_no": done.seq_no,
                "_primary_term": 1
            }),
        ))
    }

    fn get_doc(&self, index_name: &str, id: &str, head: bool) -> Result<Reply, EsError> {
        let state = self.lock();
        let Some(index) = state.indices.get(index_name) else {
            return Err(EsError::index_not_found(index_name, "index_expression"));
        };
        match index.docs.get(id) {
            Some(_) if head => Ok(Reply::empty(200)),
            Some(doc) => Ok(Reply::json(
                200,
                &FoundDoc {
                    _index: index_name,
                    _id: id,
                    _version: doc.version,
                    _seq_no: doc.seq_no,
                    _primary_term: 1,
                    found: true,
                    _source: &doc.source,
                },
            )),
            None => Ok(Reply::json(
                404,
                &json!({"_index": index_name, "_id": id, "found": false}),
            )),
        }
    }

    fn delete_doc(&self, index_name: &str, id: &str, req: &Request) -> Result<Reply, EsError> {
        let mut state = self.lock();
        let Some(index) = state.indices.get_mut(index_name) else {
            return Err(EsError::index_not_found(index_name, "index_expression"));
        };
        let done = index.delete(id);
        if wants_refresh(req) {
            index.refresh();
        }
        Ok(Reply::json(
            done.result.status(),
            &json!({
                "_index": index_name,
                "_id": id,
                "_version": done.version,
                "result": done.result.as_str(),
                "_shards": {"total": 2, "successful": 1, "failed": 0},
                "_seq_no": done.seq_no,
                "_primary_term": 1
            }),
        ))
    }

    /// The documents a search or count selects, in indexing order, across the named indices.
    fn select(&self, expression: &str, req: &Request) -> Result<(usize, Vec<Selected>), EsError> {
        let body = body_json(req)?;
        let query = match body.as_ref().and_then(|b| b.get("query")) {
            Some(q) => Query::from_json(q)?,
            None => Query::MatchAll,
        };
        let state = self.lock();
        let names = state.resolve(expression)?;
        let mut hits = Vec::new();
        for name in &names {
            let index = &state.indices[name];
            for (id, source) in index.searchable.values() {
                let matched = match &query {
                    Query::MatchAll => true,
                    Query::Ids(ids) => ids.iter().any(|i| i == id),
                    q => {
                        let value: Value =
                            serde_json::from_str(source.get()).expect("stored sources are JSON");
                        q.matches(&index.mapping, id, &value)
                    }
                };
                if matched {
                    hits.push((name.clone(), id.clone(), source.clone()));
                }
            }
        }
        Ok((names.len(), hits))
    }

    fn count(&self, expression: &str, req: &Request) -> Result<Reply, EsError> {
        let (shards, hits) = self.select(expression, req)?;
        Ok(Reply::json(
            200,
            &json!({
                "count": hits.len(),
                "_shards": {"total": shards, "successful": shards, "skipped": 0, "failed": 0}
            }),
        ))
    }

    fn search(&self, expression: &str, req: &Request) -> Result<Reply, EsError> {
        let body = body_json(req)?;
        let number = |name: &str, default: usize| -> Result<usize, EsError> {
            let from_body = body
                .as_ref()
                .and_then(|b| b.get(name))
                .and_then(Value::as_u64);
            let from_query = param(req, name).map(|v| {
                v.parse::<usize>().map_err(|_| {
                    EsError::new(
                        "illegal_argument_exception",
                        format!("Failed to parse int parameter [{name}] with value [{v}]"),
                    )
                })
            });
            match (from_body, from_query) {
                (Some(v), _) => Ok(v as usize),
                (None, Some(v)) => v,
                (None, None) => Ok(default),
            }
        };
        let size = number("size", 10)?;
        let from = number("from", 0)?;
        if from + size > 10_000 {
            return Err(EsError::new(
                "illegal_argument_exception",
                format!(
                    "Result window is too large, from + size must be less than or equal to: [10000] but was [{}]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting.",
                    from + size
                ),
            ));
        }
        let (shards, hits) = self.select(expression, req)?;
        let total = hits.len();
        let page: Vec<Hit<'_>> = hits
            .iter()
            .skip(from)
            .take(size)
            .map(|(index, id, source)| Hit {
                _index: index,
                _id: id,
                _score: 1.0,
                _source: source,
            })
            .collect();
        Ok(Reply::json(
            200,
            &SearchResponse {
                took: 0,
                timed_out: false,
                _shards: json!({"total": shards, "successful": shards, "skipped": 0, "failed": 0}),
                hits: Hits {
                    total: json!({"value": total.min(10_000), "relation": if total > 10_000 { "gte" } else { "eq" }}),
                    max_score: (total > 0).then_some(1.0),
                    hits: page,
                },
            },
        ))
    }
}

/// A selected document: index name, id, source.
type Selected = (String, String, Arc<RawValue>);

/// `_source` goes out as the bytes that came in, as ES returns it.
#[derive(Serialize)]
struct FoundDoc<'a> {
    _index: &'a str,
    _id: &'a str,
    _version: u64,
    _seq_no: u64,
    _primary_term: u64,
    found: bool,
    _source: &'a RawValue,
}

#[derive(Serialize)]
struct Hit<'a> {
    _index: &'a str,
    _id: &'a str,
    _score: f64,
    _source: &'a RawValue,
}

#[derive(Serialize)]
struct Hits<'a> {
    total: Value,
    max_score: Option<f64>,
    hits: Vec<Hit<'a>>,
}

#[derive(Serialize)]
struct SearchResponse<'a> {
    took: u64,
    timed_out: bool,
    _shards: Value,
    hits: Hits<'a>,
}

fn info() -> Reply {
    Reply::json(
        200,
        &json!({
            "name": "es-test-server",
            "cluster_name": "es-test-server",
            "cluster_uuid": "es-test-server-cluster-uuid",
            "version": {
                "number": "8.15.0",
                "build_flavor": "default",
                "build_type": "tar",
                "build_hash": "1a77947f34deddb41af25e6f0ddb8e830159c179",
                "build_date": "2024-08-05T10:05:34.233336849Z",
                "build_snapshot": false,
                "lucene_version": "9.11.1",
                "minimum_wire_compatibility_version": "7.17.0",
                "minimum_index_compatibility_version": "7.0.0"
            },
            "tagline": "You Know, for Search"
        }),
    )
}

/// What a client sees when the cluster (or a proxy in front of it) is unavailable.
fn unavailable(status: u16) -> Reply {
    match status {
        503 => Reply::error(
            503,
            &EsError::new(
                "cluster_block_exception",
                "blocked by: [SERVICE_UNAVAILABLE/2/no master];",
            ),
        ),
        _ => Reply {
            status,
            body: if status == 502 {
                b"Bad Gateway".to_vec()
            } else {
                b"Gateway Timeout".to_vec()
            },
            json: false,
        },
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_decoded() {
        assert_eq!(percent_decode("twitter-%2A%2Cother"), "twitter-*,other");
    }

    #[test]
    fn write_results_have_es_statuses() {
        use crate::index::WriteResult;
        assert_eq!(WriteResult::Created.status(), 201);
        assert_eq!(WriteResult::NotFound.status(), 404);
    }
}
