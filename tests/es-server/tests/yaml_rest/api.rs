//! From a `do` step's API name and arguments to an HTTP request, as the REST API spec's
//! `rest-api-spec/api/*.json` files describe each API: its paths (the one whose parts are
//! all given and most numerous wins), which arguments are path parts, which go in the
//! query string, and the body. Only the APIs the test server claims are listed; a test that
//! calls another is skipped, since the server answers those with 400 by design.

use serde_json::Value;

/// One way to call an API: the method and a path with `{part}` placeholders.
type Route = (&'static str, &'static str);

const APIS: &[(&str, &[Route])] = &[
    ("info", &[("GET", "/")]),
    ("bulk", &[("POST", "/_bulk"), ("POST", "/{index}/_bulk")]),
    (
        "index",
        &[("POST", "/{index}/_doc"), ("PUT", "/{index}/_doc/{id}")],
    ),
    ("create", &[("PUT", "/{index}/_create/{id}")]),
    ("delete", &[("DELETE", "/{index}/_doc/{id}")]),
    ("get", &[("GET", "/{index}/_doc/{id}")]),
    ("exists", &[("HEAD", "/{index}/_doc/{id}")]),
    ("count", &[("POST", "/_count"), ("POST", "/{index}/_count")]),
    (
        "search",
        &[("POST", "/_search"), ("POST", "/{index}/_search")],
    ),
    ("indices.create", &[("PUT", "/{index}")]),
    ("indices.delete", &[("DELETE", "/{index}")]),
    ("indices.exists", &[("HEAD", "/{index}")]),
    ("indices.get", &[("GET", "/{index}")]),
    (
        "indices.get_mapping",
        &[("GET", "/_mapping"), ("GET", "/{index}/_mapping")],
    ),
    (
        "indices.get_settings",
        &[("GET", "/_settings"), ("GET", "/{index}/_settings")],
    ),
    (
        "indices.refresh",
        &[("POST", "/_refresh"), ("POST", "/{index}/_refresh")],
    ),
    (
        "indices.put_index_template",
        &[("PUT", "/_index_template/{name}")],
    ),
    (
        "indices.get_index_template",
        &[
            ("GET", "/_index_template"),
            ("GET", "/_index_template/{name}"),
        ],
    ),
    (
        "indices.delete_index_template",
        &[("DELETE", "/_index_template/{name}")],
    ),
    (
        "cluster.health",
        &[
            ("GET", "/_cluster/health"),
            ("GET", "/_cluster/health/{index}"),
        ],
    ),
];

/// Arguments the runner itself reads rather than sends.
const CLIENT_ARGUMENTS: &[&str] = &["body", "ignore"];

#[derive(Debug)]
pub struct HttpCall {
    pub method: &'static str,
    /// Path and query string, percent-encoded.
    pub target: String,
    pub body: Option<(String, Vec<u8>)>,
}

pub fn is_known(api: &str) -> bool {
    APIS.iter().any(|(name, _)| *name == api)
}

/// A parameter's text as the clients send it: lists joined by commas.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Percent-encodes all but RFC 3986's unreserved characters (and `,` and `*`, which index
/// expressions use and ES reads either way).
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~,*".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn placeholders(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

/// Builds the request, or says why it cannot.
pub fn build(
    api: &str,
    args: &serde_json::Map<String, Value>,
    content_type: Option<&str>,
) -> Result<HttpCall, String> {
    let routes = APIS
        .iter()
        .find(|(name, _)| *name == api)
        .map(|(_, routes)| *routes)
        .ok_or_else(|| format!("API [{api}] is not served by es-test-server"))?;
    // An empty list is no value: `index: []` means every index, as the clients send it.
    let given = |part: &str| args.get(part).is_some_and(|v| !text(v).is_empty());
    let (method, template) = routes
        .iter()
        .filter(|(_, path)| placeholders(path).iter().all(|p| given(p)))
        .max_by_key(|(_, path)| placeholders(path).len())
        .ok_or_else(|| format!("no path of [{api}] takes the arguments given"))?;
    let parts = placeholders(template);
    let mut path = String::new();
    for segment in template.split('/').filter(|s| !s.is_empty()) {
        path.push('/');
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(part) => path.push_str(&encode(&text(&args[part]))),
            None => path.push_str(segment),
        }
    }
    if path.is_empty() {
        path.push('/');
    }
    let query: Vec<String> = args
        .iter()
        .filter(|(k, v)| {
            !parts.contains(&k.as_str())
                && !CLIENT_ARGUMENTS.contains(&k.as_str())
                && *v != &Value::Array(Vec::new())
        })
        .map(|(k, v)| format!("{}={}", encode(k), encode(&text(v))))
        .collect();
    if !query.is_empty() {
        path.push('?');
        path.push_str(&query.join("&"));
    }
    let body = args.get("body").map(|body| {
        let ndjson = api == "bulk";
        let bytes = match body {
            Value::String(s) => {
                let mut s = s.clone();
                if ndjson && !s.ends_with('\n') {
                    s.push('\n');
                }
                s.into_bytes()
            }
            // A bulk body given as a list: one line per item, strings as they are.
            Value::Array(lines) if ndjson => lines
                .iter()
                .flat_map(|line| {
                    let mut l = match line {
                        Value::String(s) => s.clone().into_bytes(),
                        other => serde_json::to_vec(other).expect("JSON"),
                    };
                    l.push(b'\n');
                    l
                })
                .collect(),
            other => serde_json::to_vec(other).expect("JSON"),
        };
        let default_type = if ndjson {
            "application/x-ndjson"
        } else {
            "application/json"
        };
        (content_type.unwrap_or(default_type).to_owned(), bytes)
    });
    Ok(HttpCall {
        method,
        target: path,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(api: &str, args: Value) -> HttpCall {
        build(api, args.as_object().unwrap(), None).unwrap()
    }

    #[test]
    fn the_path_with_the_most_given_parts_wins() {
        let c = call(
            "index",
            json!({"index": "t", "id": 1, "refresh": true, "body": {}}),
        );
        assert_eq!(
            (c.method, c.target.as_str()),
            ("PUT", "/t/_doc/1?refresh=true")
        );
        let c = call("index", json!({"index": "t", "body": {}}));
        assert_eq!((c.method, c.target.as_str()), ("POST", "/t/_doc"));
        let c = call("indices.refresh", json!({"index": []}));
        assert_eq!(c.target, "/_refresh");
        let c = call("get", json!({"index": "t", "id": "中文"}));
        assert_eq!(c.target, "/t/_doc/%E4%B8%AD%E6%96%87");
    }
}
