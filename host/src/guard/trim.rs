//! The rewriting half of the guard, for the `drop_new_fields` and `fold`
//! policies: walks a document that does not fit, keeps each field that still
//! fits the limits (in key order, so the choice is the same on every run) and
//! takes out the rest.
//!
//! Fields the index already has cost nothing against its budget, so they
//! are always kept unless a per-document limit forbids them.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::limits::{Limits, leaf, object_depth};
use super::mapping::{FieldKind, MappingShape};

/// Removes from `document` what does not fit and returns it as
/// `(dotted path, value)` pairs. `reserved` mapping fields of the index's
/// budget are kept free (for the fold field).
pub(super) fn trim(
    document: &mut Map<String, Value>,
    limits: &Limits,
    index: &MappingShape,
    reserved: usize,
) -> Vec<(String, Value)> {
    let mut trim = Trim {
        limits,
        index,
        seen: HashMap::new(),
        index_fields: index.total_fields() + reserved,
        document_fields: 0,
        overflow: Vec::new(),
    };
    trim.object("", document);
    trim.overflow
}

struct Trim<'a> {
    limits: &'a Limits,
    index: &'a MappingShape,
    /// Paths this document has been granted so far.
    seen: HashMap<String, FieldKind>,
    index_fields: usize,
    document_fields: usize,
    overflow: Vec<(String, Value)>,
}

impl Trim<'_> {
    fn object(&mut self, prefix: &str, object: &mut Map<String, Value>) {
        let keys: Vec<String> = object.keys().cloned().collect();
        for key in keys {
            let value = object.get_mut(&key).expect("key listed above");
            if !self.key(prefix, &key, value) {
                let value = object.remove(&key).expect("key listed above");
                self.overflow.push((join(prefix, &key), value));
            }
        }
    }

    /// Whether the entry `key: value` under `prefix` stays (possibly trimmed).
    fn key(&mut self, prefix: &str, key: &str, value: &mut Value) -> bool {
        // A dotted key is a chain of objects ending in its last segment.
        let mut path = prefix.to_owned();
        let mut segments = key.split('.').peekable();
        while let Some(segment) = segments.next() {
            path = join(&path, segment);
            if segments.peek().is_some() && !self.grant(&path, FieldKind::Object) {
                return false;
            }
        }
        self.value(&path, value)
    }

    fn value(&mut self, path: &str, value: &mut Value) -> bool {
        match value {
            Value::Object(object) => {
                if !self.grant(path, FieldKind::Object) {
                    return false;
                }
                self.object(path, object);
                true
            }
            Value::Array(elements) => {
                // Elements share the path: the ones that do not fit go out
                // one by one, the array stays.
                let mut kept = Vec::with_capacity(elements.len());
                for mut element in elements.drain(..) {
                    if self.value(path, &mut element) {
                        kept.push(element);
                    } else {
                        self.overflow.push((path.to_owned(), element));
                    }
                }
                *elements = kept;
                true
            }
            scalar => match FieldKind::of_json(scalar) {
                Some(kind) => self.grant(path, kind),
                None => true,
            },
        }
    }

    /// Grants `path` to the document if every limit still holds with it.
    fn grant(&mut self, path: &str, kind: FieldKind) -> bool {
        if self.seen.contains_key(path) {
            return true;
        }
        let known = self.index.kind_of(path);
        let cost = known.unwrap_or(kind).mapping_fields();
        let fits = (kind != FieldKind::Object || object_depth(path) <= self.limits.depth)
            && self
                .limits
                .field_name_length
                .is_none_or(|limit| leaf(path).chars().count() <= limit)
            && self
                .limits
                .document_fields
                .is_none_or(|limit| self.document_fields + cost <= limit)
            && (known.is_some() || self.index_fields + cost <= self.limits.total_fields);
        if fits {
            self.document_fields += cost;
            if known.is_none() {
                self.index_fields += cost;
            }
            self.seen.insert(path.to_owned(), kind);
        }
        fits
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total_fields: usize) -> Limits {
        Limits {
            total_fields,
            depth: 20,
            field_name_length: None,
            document_fields: None,
        }
    }

    fn object(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn keeps_known_fields_and_what_fits_in_key_order() {
        let mut index = MappingShape::new();
        let mut parser = crate::json::Parser::default();
        index.add(crate::json::Json::root(
            &parser.parse(br#"{"id_str":"1"}"#).unwrap(),
        ));
        let mut document = object(r#"{"id_str":"2","b":"x","a":"y","c":1}"#);
        // id_str is known (2 fields); one more string (2) fits into 4.
        let overflow = trim(&mut document, &limits(4), &index, 0);
        assert_eq!(document, object(r#"{"id_str":"2","a":"y"}"#));
        let paths: Vec<&str> = overflow.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["b", "c"]);
    }

    #[test]
    fn an_object_that_does_not_fit_leaves_whole() {
        let mut document = object(r#"{"n":1,"user":{"name":"a","id":2}}"#);
        // n (1) + user (1) fit in 3; user.name (2) does not, user.id (1) does.
        let overflow = trim(&mut document, &limits(3), &MappingShape::new(), 0);
        assert_eq!(document, object(r#"{"n":1,"user":{"id":2}}"#));
        assert_eq!(overflow, vec![("user.name".to_owned(), "a".into())]);
    }

    #[test]
    fn reserved_fields_are_kept_free() {
        let mut document = object(r#"{"a":1,"b":2}"#);
        let overflow = trim(&mut document, &limits(3), &MappingShape::new(), 2);
        assert_eq!(document, object(r#"{"a":1}"#));
        assert_eq!(overflow.len(), 1);
    }
}
