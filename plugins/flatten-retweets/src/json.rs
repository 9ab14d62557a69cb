//! Reading the record: the plugin reads the parser's tape (a [`View`]) when
//! the SDK offers it, and the parsed document when it is called with one.
//! Both are read through [`Json`], so there is one flattening.

use sluice_sdk::prelude::*;
use sluice_sdk::simd_json::ValueType;
use sluice_sdk::simd_json::cow::Cow;

/// A JSON value of the record, read without copying: strings come out
/// borrowing the record's bytes.
pub trait Json<'doc>: Copy {
    /// The field `key`, if this is an object that has it.
    fn field(self, key: &str) -> Option<Self>;
    fn is_object(self) -> bool;
    fn string(self) -> Option<Cow<'doc, str>>;
    fn int(self) -> Option<i64>;
    fn boolean(self) -> Option<bool>;
    /// The elements, if this is an array; none otherwise.
    fn elements(self) -> impl Iterator<Item = Self>;
    /// The keys, if this is an object; none otherwise.
    fn keys(self) -> Vec<Cow<'doc, str>>;
    fn json_type(self) -> ValueType;
}

impl<'doc> Json<'doc> for &Value<'doc> {
    fn field(self, key: &str) -> Option<Self> {
        self.as_object()?.get(key)
    }

    fn is_object(self) -> bool {
        matches!(self, Value::Object(_))
    }

    fn string(self) -> Option<Cow<'doc, str>> {
        match self {
            Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }

    fn int(self) -> Option<i64> {
        self.as_i64()
    }

    fn boolean(self) -> Option<bool> {
        self.as_bool()
    }

    fn elements(self) -> impl Iterator<Item = Self> {
        self.as_array().into_iter().flatten()
    }

    fn keys(self) -> Vec<Cow<'doc, str>> {
        self.as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn json_type(self) -> ValueType {
        self.value_type()
    }
}

impl<'doc> Json<'doc> for View<'_, 'doc> {
    fn field(self, key: &str) -> Option<Self> {
        self.get(key)
    }

    fn is_object(self) -> bool {
        View::is_object(&self)
    }

    fn string(self) -> Option<Cow<'doc, str>> {
        self.into_string().map(Cow::from)
    }

    fn int(self) -> Option<i64> {
        self.as_i64()
    }

    fn boolean(self) -> Option<bool> {
        self.as_bool()
    }

    fn elements(self) -> impl Iterator<Item = Self> {
        self.as_array().map(|a| a.iter()).into_iter().flatten()
    }

    fn keys(self) -> Vec<Cow<'doc, str>> {
        self.as_object()
            .map(|o| o.keys().map(Cow::from).collect())
            .unwrap_or_default()
    }

    fn json_type(self) -> ValueType {
        self.value_type()
    }
}

/// The object under `key`, if there is one (`null` counts as none).
pub fn object<'doc, J: Json<'doc>>(obj: J, key: &str) -> Option<J> {
    obj.field(key).filter(|v| v.is_object())
}

/// The string under `key`; it shares the record's bytes.
pub fn string<'doc>(obj: impl Json<'doc>, key: &str) -> Option<Cow<'doc, str>> {
    obj.field(key).and_then(Json::string)
}
