//! The steps of one YAML REST test, run against a server: `do` (with `catch`, `headers`,
//! `ignore`, `allowed_warnings`), `match`, `length`, `is_true`, `is_false`, `set`,
//! `gt`/`gte`/`lt`/`lte`, as `ESClientYamlSuiteTestCase`'s executable sections define them.
//! Values are compared as JSON; numbers by value; `/.../` strings are regular expressions
//! (in comments mode for `match`, as ES's runner compiles them, plain for `catch`), found
//! anywhere in the text; `$name` and `${name}` read what `set` stashed. A HEAD request's
//! response is `true` (200) or `false` (404), and a 404 to it is no error.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::api;
use crate::common::send;

/// What made a test fail, or a step it cannot run (then the test is skipped, and says why).
pub enum Stop {
    Failed(String),
    Unsupported(String),
}

/// One test's session: the server, the stash and the last response.
pub struct Session<'u> {
    url: &'u str,
    stash: HashMap<String, Value>,
    last: Value,
}

/// `catch` values and the statuses they stand for (`DoSection.CATCHES`).
fn caught_status(catch: &str) -> Option<u16> {
    Some(match catch {
        "bad_request" => 400,
        "unauthorized" => 401,
        "forbidden" => 403,
        "missing" => 404,
        "request_timeout" => 408,
        "conflict" => 409,
        "unavailable" => 503,
        _ => return None,
    })
}

fn regex_of(text: &str, comments: bool) -> Option<Result<regex::Regex, String>> {
    let inner = text.strip_prefix('/')?.strip_suffix('/')?;
    let flags = if comments { "(?x)" } else { "" };
    Some(
        regex::Regex::new(&format!("{flags}{inner}")).map_err(|e| format!("bad regex {text}: {e}")),
    )
}

/// The value at a dotted path (`items.0.index.status`; `\.` is a literal dot; `$body` or
/// the empty path is the whole response).
fn at<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    if path.is_empty() || path == "$body" {
        return Some(value);
    }
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                current.push('.');
                chars.next();
            }
            '.' => segments.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    segments.push(current);
    let mut node = value;
    for segment in segments {
        node = match node {
            Value::Object(map) => map.get(&segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

fn same(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.get(k).is_some_and(|expected| same(v, expected)))
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        _ => actual == expected,
    }
}

fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty() && s != "false",
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(_) => true,
    }
}

fn single_entry<'m>(step: &'m Value, kind: &str) -> Result<(&'m String, &'m Value), Stop> {
    step.as_object()
        .filter(|m| m.len() == 1)
        .and_then(|m| m.iter().next())
        .ok_or_else(|| Stop::Failed(format!("[{kind}] takes one path: {step}")))
}

impl<'u> Session<'u> {
    pub fn new(url: &'u str) -> Self {
        Self {
            url,
            stash: HashMap::new(),
            last: Value::Null,
        }
    }

    /// Replaces `$name` and `${name}` with stashed values, everywhere in `value`.
    fn unstash(&self, value: &Value) -> Result<Value, Stop> {
        Ok(match value {
            Value::String(s) => {
                if let Some(name) = s.strip_prefix('$').filter(|n| self.stash.contains_key(*n)) {
                    return Ok(self.stash[name].clone());
                }
                let mut out = s.clone();
                for (name, stashed) in &self.stash {
                    let text = match stashed {
                        Value::String(t) => t.clone(),
                        other => other.to_string(),
                    };
                    out = out.replace(&format!("${{{name}}}"), &text);
                }
                Value::String(out)
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.unstash(v))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), self.unstash(v)?)))
                    .collect::<Result<Map<_, _>, Stop>>()?,
            ),
            other => other.clone(),
        })
    }

    pub async fn run(&mut self, step: &Value) -> Result<(), Stop> {
        let Some((kind, body)) = step.as_object().and_then(|m| m.iter().next()) else {
            return Err(Stop::Failed(format!("a step must be a map: {step}")));
        };
        match kind.as_str() {
            "do" => self.call(body).await,
            "match" => {
                let (path, expected) = single_entry(body, kind)?;
                let expected = self.unstash(expected)?;
                let actual = at(&self.last, path);
                let ok = match (&expected, actual) {
                    (Value::String(text), Some(actual)) if regex_of(text, true).is_some() => {
                        let re = regex_of(text, true)
                            .expect("checked")
                            .map_err(Stop::Failed)?;
                        let actual = match actual {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        re.is_match(&actual)
                    }
                    (expected, Some(actual)) => same(actual, expected),
                    (_, None) => false,
                };
                self.check(ok, || {
                    format!("match {path}: expected {expected}, got {}", show(actual))
                })
            }
            "length" => {
                let (path, expected) = single_entry(body, kind)?;
                let actual = at(&self.last, path);
                let len = match actual {
                    Some(Value::Array(a)) => Some(a.len()),
                    Some(Value::Object(o)) => Some(o.len()),
                    Some(Value::String(s)) => Some(s.chars().count()),
                    _ => None,
                };
                let ok = len.is_some_and(|n| Some(n as u64) == expected.as_u64());
                self.check(ok, || {
                    format!("length {path}: expected {expected}, got {}", show(actual))
                })
            }
            "is_true" | "is_false" => {
                let path = body.as_str().unwrap_or_default();
                let actual = at(&self.last, path);
                let ok = truthy(actual) == (kind == "is_true");
                self.check(ok, || format!("{kind} {path}: got {}", show(actual)))
            }
            "gt" | "gte" | "lt" | "lte" => {
                let (path, expected) = single_entry(body, kind)?;
                let actual = at(&self.last, path).and_then(Value::as_f64);
                let limit = self.unstash(expected)?.as_f64();
                let ok = match (actual, limit) {
                    (Some(a), Some(l)) => match kind.as_str() {
                        "gt" => a > l,
                        "gte" => a >= l,
                        "lt" => a < l,
                        _ => a <= l,
                    },
                    _ => false,
                };
                self.check(ok, || format!("{kind} {path} {expected}: got {actual:?}"))
            }
            "set" => {
                let (path, name) = single_entry(body, kind)?;
                let value = at(&self.last, path)
                    .cloned()
                    .ok_or_else(|| Stop::Failed(format!("set: nothing at {path}")))?;
                let name = name.as_str().unwrap_or_default().to_owned();
                self.stash.insert(name, value);
                Ok(())
            }
            "skip" | "requires" => Ok(()),
            other => Err(Stop::Unsupported(format!(
                "the runner has no [{other}] step"
            ))),
        }
    }

    fn check(&self, ok: bool, why: impl FnOnce() -> String) -> Result<(), Stop> {
        if ok { Ok(()) } else { Err(Stop::Failed(why())) }
    }

    async fn call(&mut self, section: &Value) -> Result<(), Stop> {
        let Some(section) = section.as_object() else {
            return Err(Stop::Failed("a do section must be a map".into()));
        };
        let mut catch = None;
        let mut content_type = None;
        let mut api_call = None;
        for (key, value) in section {
            match key.as_str() {
                "catch" => catch = value.as_str().map(str::to_owned),
                "headers" => {
                    for (name, value) in value.as_object().into_iter().flatten() {
                        if name.eq_ignore_ascii_case("content-type") {
                            content_type = value.as_str().map(str::to_owned);
                        } else {
                            return Err(Stop::Unsupported(format!(
                                "the runner sends no [{name}] header"
                            )));
                        }
                    }
                }
                // This server sends no deprecation warnings, so allowed ones never appear.
                "allowed_warnings" | "allowed_warnings_regex" => {}
                "warnings" | "warnings_regex" | "node_selector" => {
                    return Err(Stop::Unsupported(format!("the runner has no [{key}]")));
                }
                api => api_call = Some((api.to_owned(), self.unstash(value)?)),
            }
        }
        let (api, args) = api_call.ok_or_else(|| Stop::Failed("do without an API".into()))?;
        if !api::is_known(&api) {
            return Err(Stop::Unsupported(format!(
                "API [{api}] is not served by es-test-server"
            )));
        }
        let args = args.as_object().cloned().unwrap_or_default();
        let ignored: Vec<u64> = match args.get("ignore") {
            Some(Value::Array(v)) => v.iter().filter_map(Value::as_u64).collect(),
            Some(v) => v.as_u64().into_iter().collect(),
            None => Vec::new(),
        };
        let http = api::build(&api, &args, content_type.as_deref()).map_err(Stop::Failed)?;
        let response = send(
            self.url,
            http.method,
            &http.target,
            http.body.as_ref().map(|(t, b)| (t.as_str(), b.as_slice())),
        )
        .await
        .map_err(|e| Stop::Failed(format!("{api}: {e}")))?;
        let status = response.status;
        let text = String::from_utf8_lossy(&response.body).into_owned();
        self.last = if http.method == "HEAD" {
            Value::Bool(status == 200)
        } else if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text.clone()))
        };
        let failed = status >= 400
            && !ignored.contains(&u64::from(status))
            && !(http.method == "HEAD" && status == 404);
        match catch.as_deref() {
            None if failed => Err(Stop::Failed(format!(
                "{api} {} answered {status}: {text}",
                http.target
            ))),
            None => Ok(()),
            Some("param") => Err(Stop::Unsupported(
                "catch: param tests the client, not the server".into(),
            )),
            Some("request") => self.check(status >= 400, || {
                format!("{api}: expected an error, got {status}")
            }),
            Some(catch) => match (caught_status(catch), regex_of(catch, false)) {
                (Some(expected), _) => self.check(status == expected, || {
                    format!("{api}: expected {expected} ({catch}), got {status}: {text}")
                }),
                (None, Some(re)) => {
                    let re = re.map_err(Stop::Failed)?;
                    self.check(status >= 400 && re.is_match(&text), || {
                        format!("{api}: expected an error matching {catch}, got {status}: {text}")
                    })
                }
                (None, None) => Err(Stop::Unsupported(format!("catch [{catch}]"))),
            },
        }
    }
}

fn show(value: Option<&Value>) -> String {
    value.map_or_else(|| "nothing".to_owned(), Value::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_reach_into_objects_and_arrays() {
        let v = json!({"items": [{"index": {"status": 201}}], "a.b": 1});
        assert_eq!(at(&v, "items.0.index.status"), Some(&json!(201)));
        assert_eq!(at(&v, "a\\.b"), Some(&json!(1)));
        assert_eq!(at(&v, ""), Some(&v));
        assert_eq!(at(&v, "items.1"), None);
    }

    #[test]
    fn numbers_match_by_value_and_objects_exactly() {
        assert!(same(&json!(1), &json!(1.0)));
        assert!(!same(&json!({"a": 1, "b": 2}), &json!({"a": 1})));
        assert!(!same(&json!("1"), &json!(1)));
    }
}
