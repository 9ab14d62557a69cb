//! The indices' mappings at start: an index template that gives every new
//! index the guard's limits, and the mappings the existing indices already
//! have, which the guard's budgets start from.

use serde_json::json;

use super::ElasticsearchError;
use super::config::TemplateConfig;
use super::service::Service;
use crate::config::GuardConfig;

/// Creates or replaces the template for `index_pattern` (an index
/// expression such as `twitter-*`).
pub async fn put_template(
    service: &Service,
    template: &TemplateConfig,
    index_pattern: &str,
    guard: &GuardConfig,
) -> Result<(), ElasticsearchError> {
    let mut settings = json!({
        "index.mapping.total_fields.limit": guard.total_fields_limit,
        "index.mapping.depth.limit": guard.depth_limit,
    });
    if let Some(limit) = guard.field_name_length_limit {
        settings["index.mapping.field_name_length.limit"] = limit.into();
    }
    let body = json!({
        "index_patterns": [index_pattern],
        "priority": template.priority,
        "template": { "settings": settings },
        "_meta": { "created_by": "sluice", "why": "the limits sluice's guard keeps documents within" },
    });
    let what = format!("PUT _index_template/{}", template.name);
    let answer = service
        .put_json(&format!("/_index_template/{}", template.name), &body)
        .await
        .map_err(|e| ElasticsearchError::Setup(format!("{what}: {e}")))?;
    if answer.status != 200 {
        return Err(ElasticsearchError::Refused {
            what,
            status: answer.status,
            body: answer.text(),
        });
    }
    Ok(())
}

/// `(index, mappings)` for every existing index `index_pattern` names.
pub async fn existing_mappings(
    service: &Service,
    index_pattern: &str,
) -> Result<Vec<(String, serde_json::Value)>, ElasticsearchError> {
    let what = format!("GET {index_pattern}/_mapping");
    let answer = service
        .get(&format!(
            "/{index_pattern}/_mapping?allow_no_indices=true&ignore_unavailable=true"
        ))
        .await
        .map_err(|e| ElasticsearchError::Setup(format!("{what}: {e}")))?;
    match answer.status {
        200 => {}
        // A fixed index name that does not exist yet holds nothing.
        404 => return Ok(Vec::new()),
        status => {
            return Err(ElasticsearchError::Refused {
                what,
                status,
                body: answer.text(),
            });
        }
    }
    let indices: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&answer.body)
        .map_err(|e| {
            ElasticsearchError::Setup(format!("{what} answered something else than mappings: {e}"))
        })?;
    Ok(indices
        .into_iter()
        .map(|(index, body)| (index, body["mappings"].clone()))
        .collect())
}
