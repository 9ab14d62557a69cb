//! Is the cluster there: `GET /` until it answers, within the retry budget,
//! so a pipeline started next to a cluster that is still booting waits for
//! it instead of failing.

use serde::Deserialize;

use super::ElasticsearchError;
use super::config::RetryConfig;
use super::retry::Backoff;
use super::service::Service;

#[derive(Deserialize)]
struct Info {
    version: Version,
}

#[derive(Deserialize)]
struct Version {
    number: String,
}

/// Waits until the cluster answers and returns its version.
pub async fn wait_for_cluster(
    service: &Service,
    retry: RetryConfig,
) -> Result<String, ElasticsearchError> {
    let mut backoff = Backoff::start(retry);
    loop {
        let last_error = match service.get("/").await {
            Ok(answer) if answer.status == 200 => {
                let info: Info = serde_json::from_slice(&answer.body).map_err(|e| {
                    ElasticsearchError::Setup(format!(
                        "`GET /` did not answer like Elasticsearch ({e}): {}",
                        answer.text()
                    ))
                })?;
                return Ok(info.version.number);
            }
            Ok(answer) if matches!(answer.status, 401 | 403) => {
                return Err(ElasticsearchError::Refused {
                    what: "GET /".into(),
                    status: answer.status,
                    body: answer.text(),
                });
            }
            Ok(answer) => format!("HTTP {}: {}", answer.status, answer.text()),
            Err(error) => error.to_string(),
        };
        match backoff.next_delay() {
            Some(delay) => {
                tracing::warn!(%last_error, ?delay, "Elasticsearch is not answering yet");
                tokio::time::sleep(delay).await;
            }
            None => {
                return Err(ElasticsearchError::Unreachable {
                    seconds: backoff.elapsed().as_secs_f64(),
                    last_error,
                });
            }
        }
    }
}
