//! The REST endpoints: routing by method and path, and one handler per endpoint. Handlers
//! are synchronous over the locked state; faults are decided here in one place, before a
//! request touches any data.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::bulk::{self, Refresh, Shards};
use crate::error::EsError;
use crate::faults::Faults;
use crate::mapping::{ObjectMapper, RootMapping};
use crate::search::{self, Query};
use crate::settings::Settings;
use crate::state::{IndicesOptions, State, glob};
use crate::template::{self, Template};

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
        "index_not_found_exception"
        | "resource_not_found_exception"
        | "index_template_missing_exception" => 404,
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

fn refresh_param(req: &Request) -> Refresh {
    Refresh::from_param(param(req, "refresh"))
}

/// A boolean request parameter: present without a value, or `true`.
fn flag(req: &Request, name: &str) -> bool {
    matches!(param(req, name), Some("" | "true"))
}

fn indices_options(req: &Request) -> IndicesOptions {
    let defaults = IndicesOptions::default();
    IndicesOptions {
        ignore_unavailable: param(req, "ignore_unavailable")
            .map_or(defaults.ignore_unavailable, |v| v != "false"),
        allow_no_indices: param(req, "allow_no_indices")
            .map_or(defaults.allow_no_indices, |v| v != "false"),
    }
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

    /// Refreshes every index with unrefreshed writes (the periodic refresh), except those
    /// whose `index.refresh_interval` is `-1`.
    pub fn refresh_all(&self) {
        for index in self.lock().indices.values_mut() {
            if index.settings.periodic_refresh() {
                index.refresh();
            }
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
            ("GET", ["_cluster", "health"]) => self.health("_all", req),
            ("GET", ["_cluster", "health", index]) => self.health(index, req),
            ("GET", ["_test", "faults"]) => Ok(Reply::json(200, &self.lock().faults)),
            ("POST" | "PUT", ["_test", "faults"]) => self.put_faults(req),
            ("GET", ["_test", "stats"]) => Ok(Reply::json(200, &self.stats())),
            ("DELETE", ["_test", "stats"]) => {
                self.lock().stats = Default::default();
                Ok(Reply::json(200, &json!({"acknowledged": true})))
            }
            ("PUT" | "POST", ["_index_template", name]) => self.put_template(name, req),
            ("GET", ["_index_template"]) => self.get_templates("*"),
            ("GET", ["_index_template", name]) => self.get_templates(name),
            ("DELETE", ["_index_template", name]) => self.delete_templates(name),
            ("POST" | "PUT", ["_bulk"]) => self.bulk(None, req),
            ("POST" | "PUT", [index, "_bulk"]) => self.bulk(Some(index), req),
            ("POST" | "GET", ["_refresh"]) => self.refresh("_all", req),
            ("POST" | "GET", [index, "_refresh"]) => self.refresh(index, req),
            ("POST" | "GET", ["_search"]) => self.search("_all", req),
            ("POST" | "GET", [index, "_search"]) => self.search(index, req),
            ("POST" | "GET", ["_count"]) => self.count("_all", req),
            ("POST" | "GET", [index, "_count"]) => self.count(index, req),
            ("GET", ["_mapping"]) => self.get_mapping("_all", req),
            ("GET", [index, "_mapping"]) => self.get_mapping(index, req),
            ("GET", ["_settings"]) => self.get_settings("_all", req),
            ("GET", [index, "_settings"]) => self.get_settings(index, req),
            ("PUT" | "POST", [index, "_doc", id]) => self.index_doc(
                index,
                Some(id),
                param(req, "op_type") == Some("create"),
                req,
            ),
            ("POST", [index, "_doc"]) => {
                self.index_doc(index, None, param(req, "op_type") == Some("create"), req)
            }
            ("PUT" | "POST", [index, "_create", id]) => self.index_doc(index, Some(id), true, req),
            ("GET" | "HEAD", [index, "_doc", id]) => self.get_doc(index, id, method == "HEAD", req),
            ("DELETE", [index, "_doc", id]) => self.delete_doc(index, id, req),
            ("PUT", [index]) if !index.starts_with('_') => self.create_index(index, req),
            ("HEAD", [index]) if !index.starts_with('_') => Ok(self.index_exists(index)),
            ("GET", [index]) if !index.starts_with('_') => self.get_index(index, req),
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

    /// One node: primaries are active, replicas stay unassigned, so an index with replicas
    /// makes the cluster yellow, as a single-node Elasticsearch is. `wait_for_status` that
    /// the cluster does not reach is answered at once with 408 and `timed_out: true` (ES waits
    /// `timeout` first; nothing here could change the answer meanwhile).
    fn health(&self, expression: &str, req: &Request) -> Result<Reply, EsError> {
        let state = self.lock();
        let names = state.resolve(expression)?;
        let (mut primaries, mut unassigned) = (0u32, 0u32);
        for name in &names {
            let copies = state.indices[name].copies;
            primaries += copies.shards;
            unassigned += copies.shards * copies.replicas;
        }
        let status = if unassigned > 0 { "yellow" } else { "green" };
        let rank = |s: &str| match s {
            "green" => Ok(0),
            "yellow" => Ok(1),
            "red" => Ok(2),
            other => Err(EsError::new(
                "illegal_argument_exception",
                format!("unknown cluster health status [{other}]"),
            )),
        };
        let timed_out = match param(req, "wait_for_status") {
            Some(wanted) => rank(status)? > rank(wanted)?,
            None => false,
        };
        let percent = if primaries + unassigned == 0 {
            100.0
        } else {
            f64::from(primaries) * 100.0 / f64::from(primaries + unassigned)
        };
        Ok(Reply::json(
            if timed_out { 408 } else { 200 },
            &json!({
                "cluster_name": "es-test-server",
                "status": status,
                "timed_out": timed_out,
                "number_of_nodes": 1,
                "number_of_data_nodes": 1,
                "active_primary_shards": primaries,
                "active_shards": primaries,
                "relocating_shards": 0,
                "initializing_shards": 0,
                "unassigned_shards": unassigned,
                "delayed_unassigned_shards": 0,
                "number_of_pending_tasks": 0,
                "number_of_in_flight_fetch": 0,
                "task_max_waiting_in_queue_millis": 0,
                "active_shards_percent_as_number": percent
            }),
        ))
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
        let template = Template::from_json(&body)?;
        let mut state = self.lock();
        if flag(req, "create") && state.templates.contains_key(name) {
            return Err(EsError::new(
                "illegal_argument_exception",
                format!("index template [{name}] already exists"),
            ));
        }
        template::check_priority_overlap(name, &template, state.templates.iter())?;
        state.templates.insert(name.to_owned(), template);
        Ok(Reply::json(200, &json!({"acknowledged": true})))
    }

    fn get_templates(&self, expression: &str) -> Result<Reply, EsError> {
        let state = self.lock();
        let templates: Vec<Value> = matching_templates(&state, expression)?
            .iter()
            .map(|name| json!({"name": name, "index_template": state.templates[name].to_json()}))
            .collect();
        Ok(Reply::json(200, &json!({"index_templates": templates})))
    }

    fn delete_templates(&self, expression: &str) -> Result<Reply, EsError> {
        let mut state = self.lock();
        let names = matching_templates(&state, expression).map_err(|_| {
            EsError::new(
                "index_template_missing_exception",
                format!("index_template [{expression}] missing"),
            )
        })?;
        for name in names {
            state.templates.remove(&name);
        }
        Ok(Reply::json(200, &json!({"acknowledged": true})))
    }

    fn create_index(&self, name: &str, req: &Request) -> Result<Reply, EsError> {
        let body = body_json(req)?.unwrap_or(Value::Null);
        if body
            .get("aliases")
            .and_then(Value::as_object)
            .is_some_and(|a| !a.is_empty())
        {
            return Err(EsError::new(
                "illegal_argument_exception",
                "es-test-server does not serve aliases: [aliases] in a create index request",
            ));
        }
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

    fn get_index(&self, expression: &str, req: &Request) -> Result<Reply, EsError> {
        let state = self.lock();
        let mut out = serde_json::Map::new();
        for name in state.resolve_with(expression, indices_options(req))? {
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

    fn get_mapping(&self, expression: &str, req: &Request) -> Result<Reply, EsError> {
        #[derive(Serialize)]
        struct Mappings<'a> {
            mappings: RootMapping<'a>,
        }
        let state = self.lock();
        let names = state.resolve_with(expression, indices_options(req))?;
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

    fn get_settings(&self, expression: &str, req: &Request) -> Result<Reply, EsError> {
        let state = self.lock();
        let mut out = serde_json::Map::new();
        for name in state.resolve_with(expression, indices_options(req))? {
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
        let response = bulk::execute(
            &mut state,
            items,
            refresh_param(req),
            flag(req, "require_alias"),
        );
        Ok(Reply::json(200, &response))
    }

    fn refresh(&self, expression: &str, req: &Request) -> Result<Reply, EsError> {
        let mut state = self.lock();
        let names = state.resolve_with(expression, indices_options(req))?;
        let (mut total, mut successful) = (0, 0);
        for name in &names {
            let index = state.indices.get_mut(name).expect("resolved");
            index.refresh();
            total += index.copies.total();
            successful += index.copies.shards;
        }
        Ok(Reply::json(
            200,
            &json!({"_shards": {"total": total, "successful": successful, "failed": 0}}),
        ))
    }

    fn index_doc(
        &self,
        index_name: &str,
        id: Option<&str>,
        create_only: bool,
        req: &Request,
    ) -> Result<Reply, EsError> {
        if let Some(problem) = id.and_then(bulk::id_too_long) {
            return Err(bulk::validation_failed(&[problem]));
        }
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
        let refresh = refresh_param(req);
        if refresh != Refresh::No {
            index.refresh();
        }
        Ok(Reply::json(
            done.result.status(),
            &WriteResponse::new(index, &id, &done, refresh),
        ))
    }

    /// Real-time by default (the live document); `realtime=false` reads the last refresh,
    /// and `refresh=true` refreshes first.
    fn get_doc(
        &self,
        index_name: &str,
        id: &str,
        head: bool,
        req: &Request,
    ) -> Result<Reply, EsError> {
        let mut state = self.lock();
        let Some(index) = state.indices.get_mut(index_name) else {
            return Err(EsError::index_not_found(index_name, "index_expression"));
        };
        if flag(req, "refresh") {
            index.refresh();
        }
        let doc = if param(req, "realtime") == Some("false") {
            index.refreshed(id)
        } else {
            index.docs.get(id)
        };
        match doc {
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
        if let Some(problem) = bulk::id_too_long(id) {
            return Err(bulk::validation_failed(&[problem]));
        }
        let mut state = self.lock();
        let Some(index) = state.indices.get_mut(index_name) else {
            return Err(EsError::index_not_found(index_name, "index_expression"));
        };
        let done = index.delete(id);
        let refresh = refresh_param(req);
        if refresh != Refresh::No {
            index.refresh();
        }
        Ok(Reply::json(
            done.result.status(),
            &WriteResponse::new(index, id, &done, refresh),
        ))
    }

    /// The documents a search or count selects, in indexing order, across the named indices.
    fn select(
        &self,
        expression: &str,
        body: Option<&Value>,
        req: &Request,
    ) -> Result<(u32, Vec<Selected>), EsError> {
        let query = match body.and_then(|b| b.get("query")) {
            Some(q) => Query::from_json(q)?,
            None => Query::MatchAll,
        };
        let state = self.lock();
        let names = state.resolve_with(expression, indices_options(req))?;
        let mut hits = Vec::new();
        let mut shards = 0;
        for name in &names {
            let index = &state.indices[name];
            shards += index.copies.shards;
            for (id, doc) in index.searchable.values() {
                let source = &doc.source;
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
        Ok((shards, hits))
    }

    fn count(&self, expression: &str, req: &Request) -> Result<Reply, EsError> {
        let body = body_json(req)?;
        if let Some(body) = &body {
            search::check_count_body(body)?;
        }
        let (shards, hits) = self.select(expression, body.as_ref(), req)?;
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
        if let Some(body) = &body {
            search::check_search_body(body)?;
        }
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
        let (shards, hits) = self.select(expression, body.as_ref(), req)?;
        let total = hits.len();
        let track = match body.as_ref().and_then(|b| b.get("track_total_hits")) {
            Some(Value::Bool(false)) => None,
            Some(Value::Bool(true)) => Some(usize::MAX),
            Some(Value::Number(n)) => Some(n.as_u64().unwrap_or(0) as usize),
            _ if flag(req, "rest_total_hits_as_int") => Some(usize::MAX),
            _ => Some(10_000),
        };
        let total = match track {
            None => None,
            Some(_) if flag(req, "rest_total_hits_as_int") => Some(json!(total)),
            Some(up_to) => Some(
                json!({"value": total.min(up_to), "relation": if total > up_to { "gte" } else { "eq" }}),
            ),
        };
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
                    total,
                    max_score: (!hits.is_empty()).then_some(1.0),
                    hits: page,
                },
            },
        ))
    }
}

/// Templates by name, `*` patterns or a comma list; a name that matches none is 404.
fn matching_templates(state: &State, expression: &str) -> Result<Vec<String>, EsError> {
    let names: Vec<String> = state
        .templates
        .keys()
        .filter(|name| expression.split(',').any(|p| glob(p, name)))
        .cloned()
        .collect();
    if names.is_empty() && !expression.split(',').all(|p| p.contains('*')) {
        return Err(EsError::new(
            "resource_not_found_exception",
            format!("index template matching [{expression}] not found"),
        ));
    }
    Ok(names)
}

/// A selected document: index name, id, source.
type Selected = (String, String, Arc<RawValue>);

/// The answer to a single-document write, in `DocWriteResponse.innerToXContent`'s order.
#[derive(Serialize)]
struct WriteResponse<'a> {
    _index: &'a str,
    _id: &'a str,
    _version: u64,
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    forced_refresh: Option<bool>,
    _shards: Shards,
    _seq_no: u64,
    _primary_term: u64,
}

impl<'a> WriteResponse<'a> {
    fn new(
        index: &'a crate::index::Index,
        id: &'a str,
        done: &crate::index::WriteOutcome,
        refresh: Refresh,
    ) -> Self {
        Self {
            _index: &index.name,
            _id: id,
            _version: done.version,
            result: done.result.as_str(),
            forced_refresh: refresh.forced(),
            _shards: Shards::of_write(index.copies.replicas),
            _seq_no: done.seq_no,
            _primary_term: 1,
        }
    }
}

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
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<Value>,
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
