//! The admin HTTP API (opt-in: `[admin] listen` or `sluice run --admin`):
//! plugin management over JSON. Every route calls the control handle; this
//! module only maps HTTP to its calls and its errors to statuses, and
//! answers errors as `{"error": "..."}`.
//!
//! | route | does |
//! |---|---|
//! | `GET /plugins` | every pipeline's chain: versions, settings, live counters |
//! | `PUT /plugins/{name}` | body: a `.wasm` module; `?config=<JSON object>` settings (else the live ones) |
//! | `PUT /plugins/{name}/config` | body: the settings as a JSON object, for the live module |
//! | `POST /plugins/{name}/rollback` | the previous version |
//! | `POST /plugins/{name}/shadow` | body: a candidate module (or empty: the live one), `?config=` settings |
//! | `GET /plugins/{name}/shadow` | the trial's report |
//! | `POST /plugins/{name}/shadow/promote`, `DELETE /plugins/{name}/shadow` | end the trial |
//! | `POST /reload` | re-read the pipeline files, as SIGHUP does |
//!
//! With several pipelines, `/pipelines/{pipeline}/plugins/...` names the
//! pipeline; the short form works when only one pipeline has the plugin.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::Value;

use crate::control::{Control, ControlError};
use crate::plugin::registry::SwapError;

/// Python and JavaScript components weigh tens of MiB.
const MAX_MODULE_BYTES: usize = 256 << 20;

/// Serves the API on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, control: Arc<Control>) {
    if let Err(error) = axum::serve(listener, router(control)).await {
        tracing::error!(%error, "admin API stopped");
    }
}

pub fn router(control: Arc<Control>) -> Router {
    let plugin_routes = Router::new()
        .route("/", put(swap_module))
        .route("/config", put(swap_settings))
        .route("/rollback", post(rollback))
        .route(
            "/shadow",
            post(shadow_start).get(shadow_report).delete(shadow_delete),
        )
        .route("/shadow/promote", post(shadow_promote));
    Router::new()
        .route("/plugins", get(all_plugins))
        .route("/pipelines/{pipeline}/plugins", get(pipeline_plugins))
        .nest("/plugins/{name}", plugin_routes.clone())
        .nest("/pipelines/{pipeline}/plugins/{name}", plugin_routes)
        .route("/reload", post(reload))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such route".into()) })
        .layer(DefaultBodyLimit::max(MAX_MODULE_BYTES))
        .with_state(control)
}

struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: String) -> Self {
        ApiError { status, message }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}

impl From<ControlError> for ApiError {
    fn from(error: ControlError) -> Self {
        let status = match &error {
            ControlError::UnknownPipeline(_) | ControlError::UnknownPlugin(_) => {
                StatusCode::NOT_FOUND
            }
            ControlError::Ambiguous { .. } | ControlError::Reload { .. } => StatusCode::CONFLICT,
            ControlError::Swap { source, .. } => match source {
                SwapError::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
                SwapError::UnknownPlugin(_) | SwapError::NoShadow(_) => StatusCode::NOT_FOUND,
                SwapError::Settings(_) => StatusCode::BAD_REQUEST,
                SwapError::NoPrevious(_) | SwapError::ShadowRunning(_) => StatusCode::CONFLICT,
                SwapError::Read { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            },
        };
        ApiError::new(status, error.to_string())
    }
}

type Answer<T> = Result<Json<T>, ApiError>;
type Params = Path<HashMap<String, String>>;

/// Runs a control call off the async threads: validation compiles.
async fn blocking<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, ControlError> + Send + 'static,
) -> Answer<T> {
    match tokio::task::spawn_blocking(call).await {
        Ok(result) => result.map(Json).map_err(ApiError::from),
        Err(error) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the request failed: {error}"),
        )),
    }
}

/// The pipeline (long form only) and the plugin a route names.
fn target(params: &HashMap<String, String>) -> (Option<String>, String) {
    (
        params.get("pipeline").cloned(),
        params.get("name").cloned().unwrap_or_default(),
    )
}

/// A JSON object, from a body or from the `config` query parameter.
fn settings(text: &[u8], origin: &str) -> Result<Value, ApiError> {
    match serde_json::from_slice::<Value>(text) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(other) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("{origin} must be a JSON object, got {other}"),
        )),
        Err(error) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("{origin} is not JSON: {error}"),
        )),
    }
}

fn query_settings(query: &HashMap<String, String>) -> Result<Option<Value>, ApiError> {
    query
        .get("config")
        .map(|text| settings(text.as_bytes(), "the `config` parameter"))
        .transpose()
}

async fn all_plugins(State(control): State<Arc<Control>>) -> Answer<Value> {
    plugins(control, None).await
}

async fn pipeline_plugins(
    State(control): State<Arc<Control>>,
    Path(pipeline): Path<String>,
) -> Answer<Value> {
    plugins(control, Some(pipeline)).await
}

async fn plugins(control: Arc<Control>, pipeline: Option<String>) -> Answer<Value> {
    blocking(move || {
        let views = control.plugins(pipeline.as_deref())?;
        Ok(serde_json::json!({ "pipelines": views }))
    })
    .await
}

async fn swap_module(
    State(control): State<Arc<Control>>,
    Path(params): Params,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Answer<impl Serialize + use<>> {
    let (pipeline, name) = target(&params);
    let settings = query_settings(&query)?;
    if body.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "the body must be the plugin's .wasm module".into(),
        ));
    }
    blocking(move || control.swap_module(pipeline.as_deref(), &name, &body, settings)).await
}

async fn swap_settings(
    State(control): State<Arc<Control>>,
    Path(params): Params,
    body: Bytes,
) -> Answer<impl Serialize + use<>> {
    let (pipeline, name) = target(&params);
    let settings = settings(&body, "the body")?;
    blocking(move || control.swap_settings(pipeline.as_deref(), &name, settings)).await
}

async fn rollback(
    State(control): State<Arc<Control>>,
    Path(params): Params,
) -> Answer<impl Serialize + use<>> {
    let (pipeline, name) = target(&params);
    blocking(move || control.rollback(pipeline.as_deref(), &name)).await
}

async fn shadow_start(
    State(control): State<Arc<Control>>,
    Path(params): Params,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Answer<impl Serialize + use<>> {
    let (pipeline, name) = target(&params);
    let settings = query_settings(&query)?;
    blocking(move || {
        let module = (!body.is_empty()).then_some(&body[..]);
        control.shadow_start(pipeline.as_deref(), &name, module, settings)
    })
    .await
}

async fn shadow_report(
    State(control): State<Arc<Control>>,
    Path(params): Params,
) -> Answer<impl Serialize + use<>> {
    let (pipeline, name) = target(&params);
    blocking(move || control.shadow_report(pipeline.as_deref(), &name)).await
}

async fn shadow_promote(
    State(control): State<Arc<Control>>,
    Path(params): Params,
) -> Answer<Value> {
    shadow_end(control, params, true).await
}

async fn shadow_delete(State(control): State<Arc<Control>>, Path(params): Params) -> Answer<Value> {
    shadow_end(control, params, false).await
}

async fn shadow_end(
    control: Arc<Control>,
    params: HashMap<String, String>,
    promote: bool,
) -> Answer<Value> {
    let (pipeline, name) = target(&params);
    blocking(move || {
        let ended = control.shadow_end(pipeline.as_deref(), &name, promote)?;
        Ok(serde_json::json!({ "report": ended.report, "promoted": ended.promotion }))
    })
    .await
}

async fn reload(State(control): State<Arc<Control>>) -> Answer<impl Serialize + use<>> {
    blocking(move || control.reload()).await
}
