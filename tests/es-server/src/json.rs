//! A JSON reader that remembers where each token starts.
//!
//! Elasticsearch prefixes document errors with the parser's token location
//! (`[1:325] failed to parse: ...`): Jackson's line and 1-based byte column of the token
//! that was current when the error was raised. serde_json does not expose token offsets,
//! so documents are read here into a small tree that keeps them. It also names a
//! `serde_json` value by Jackson's token name, as ES's parse errors do. It owns nothing
//! else: mapping and validation live in `mapping`.

use std::fmt;

/// Jackson's name for the token a value starts with (`START_OBJECT`, `VALUE_STRING`, ...).
pub fn token_name(v: &serde_json::Value) -> &'static str {
    use serde_json::Value as J;
    match v {
        J::Object(_) => "START_OBJECT",
        J::Array(_) => "START_ARRAY",
        J::String(_) => "VALUE_STRING",
        J::Number(_) => "VALUE_NUMBER",
        J::Bool(_) => "VALUE_BOOLEAN",
        J::Null => "VALUE_NULL",
    }
}

/// One JSON value and the byte offsets of its first and last byte in the source.
#[derive(Debug, Clone)]
pub struct Node {
    pub start: usize,
    pub end: usize,
    pub value: Value,
}

#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    /// An integer token that fits in `i64` (Jackson's INT/LONG).
    Int,
    /// A token with a fraction or exponent, or an integer too large for `i64`.
    Float,
    Str(String),
    Array(Vec<Node>),
    /// Members in document order; duplicate names are kept as Jackson reports them.
    Object(Vec<Member>),
}

#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub name_start: usize,
    pub value: Node,
}

/// Why a document is not JSON, at the byte where reading stopped.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.message, self.offset)
    }
}

/// Jackson's `line:column` for a byte offset: lines split on `\n`, columns count bytes from 1.
pub fn location(src: &[u8], offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src[..offset];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (line, offset - line_start + 1)
}

/// Reads one JSON value that must span the whole input (surrounding whitespace allowed).
pub fn parse(src: &[u8]) -> Result<Node, SyntaxError> {
    let mut reader = Reader {
        src,
        pos: 0,
        depth: 0,
    };
    reader.skip_ws();
    let node = reader.value()?;
    reader.skip_ws();
    if reader.pos < src.len() {
        return Err(reader.error("Unexpected trailing content"));
    }
    Ok(node)
}

struct Reader<'a> {
    src: &'a [u8],
    pos: usize,
    depth: usize,
}

/// Far deeper than any mapping can go; only guards the recursion.
const MAX_NESTING: usize = 1000;

impl Reader<'_> {
    fn error(&self, message: &str) -> SyntaxError {
        let message = match self.src.get(self.pos) {
            Some(&b) => format!("{message}: unexpected character ('{}')", b as char),
            None => format!("{message}: unexpected end-of-input"),
        };
        SyntaxError {
            offset: self.pos,
            message,
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.src.get(self.pos) {
            self.pos += 1;
        }
    }

    fn value(&mut self) -> Result<Node, SyntaxError> {
        let start = self.pos;
        let value = match self.src.get(self.pos) {
            Some(b'{') => return self.object(),
            Some(b'[') => return self.array(),
            Some(b'"') => Value::Str(self.string()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => return Err(self.error("Unexpected character")),
        };
        Ok(Node {
            start,
            end: self.pos - 1,
            value,
        })
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, SyntaxError> {
        if self.src[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("Unrecognized token"))
        }
    }

    fn number(&mut self) -> Result<Value, SyntaxError> {
        let start = self.pos;
        let mut integral = true;
        while let Some(&b) = self.src.get(self.pos) {
            match b {
                b'0'..=b'9' | b'-' | b'+' => {}
                b'.' | b'e' | b'E' => integral = false,
                _ => break,
            }
            self.pos += 1;
        }
        let text = std::str::from_utf8(&self.src[start..self.pos]).expect("ASCII digits");
        if integral && text.parse::<i64>().is_ok() {
            return Ok(Value::Int);
        }
        text.parse::<f64>()
            .map(|_| Value::Float)
            .map_err(|_| SyntaxError {
                offset: start,
                message: format!("Invalid numeric value: [{text}]"),
            })
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        let start = self.pos;
        self.pos += 1;
        let mut escaped = false;
        loop {
            match self.src.get(self.pos) {
                None => return Err(self.error("Unexpected end-of-input in a string")),
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    self.pos += 2;
                }
                Some(&b) if b < 0x20 => return Err(self.error("Illegal unquoted character")),
                Some(_) => self.pos += 1,
            }
        }
        self.pos += 1;
        let raw = &self.src[start..self.pos];
        if !escaped {
            return std::str::from_utf8(&raw[1..raw.len() - 1])
                .map(str::to_owned)
                .map_err(|_| SyntaxError {
                    offset: start,
                    message: "Invalid UTF-8 in a string".to_owned(),
                });
        }
        serde_json::from_slice::<String>(raw).map_err(|e| SyntaxError {
            offset: start,
            message: format!("Invalid string: {e}"),
        })
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.error("Nesting too deep"));
        }
        Ok(())
    }

    fn array(&mut self) -> Result<Node, SyntaxError> {
        let start = self.pos;
        self.enter()?;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.src.get(self.pos) == Some(&b']') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                items.push(self.value()?);
                self.skip_ws();
                match self.src.get(self.pos) {
                    Some(b',') => self.pos += 1,
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.error("Unexpected character in an array")),
                }
            }
        }
        self.depth -= 1;
        Ok(Node {
            start,
            end: self.pos - 1,
            value: Value::Array(items),
        })
    }

    fn object(&mut self) -> Result<Node, SyntaxError> {
        let start = self.pos;
        self.enter()?;
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_ws();
        if self.src.get(self.pos) == Some(&b'}') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                if self.src.get(self.pos) != Some(&b'"') {
                    return Err(self.error(
                        "Unexpected character, was expecting double-quote to start field name",
                    ));
                }
                let name_start = self.pos;
                let name = self.string()?;
                self.skip_ws();
                if self.src.get(self.pos) != Some(&b':') {
                    return Err(self.error("Unexpected character, was expecting a colon to separate field name and value"));
                }
                self.pos += 1;
                self.skip_ws();
                let value = self.value()?;
                members.push(Member {
                    name,
                    name_start,
                    value,
                });
                self.skip_ws();
                match self.src.get(self.pos) {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => {
                        return Err(self.error(
                            "Unexpected character, was expecting comma to separate Object entries",
                        ));
                    }
                }
            }
        }
        self.depth -= 1;
        Ok(Node {
            start,
            end: self.pos - 1,
            value: Value::Object(members),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_offsets_give_jackson_columns() {
        // ES reports `[1:21]` for the value of this exact source (DynamicMappingIT).
        let src = br#"{"address.location":"41.12,-71.34"}"#;
        let node = parse(src).unwrap();
        let Value::Object(members) = node.value else {
            panic!("object expected")
        };
        assert_eq!(location(src, members[0].value.start), (1, 21));
    }

    #[test]
    fn lines_restart_columns() {
        let src = b"{\n  \"a\": 1\n}";
        let node = parse(src).unwrap();
        let Value::Object(members) = node.value else {
            panic!("object expected")
        };
        assert_eq!(location(src, members[0].value.start), (2, 8));
        assert_eq!(location(src, node.end), (3, 1));
    }

    #[test]
    fn integers_and_floats_stay_apart() {
        let node = parse(b"[1, 1.0, 1e3, 99999999999999999999]").unwrap();
        let Value::Array(items) = node.value else {
            panic!("array expected")
        };
        assert!(matches!(items[0].value, Value::Int));
        assert!(matches!(items[1].value, Value::Float));
        assert!(matches!(items[2].value, Value::Float));
        assert!(matches!(items[3].value, Value::Float));
    }

    #[test]
    fn broken_json_is_refused_where_it_breaks() {
        let err = parse(br#"{"a": }"#).unwrap_err();
        assert_eq!(err.offset, 6);
        assert!(parse(br#"{"a": 1} x"#).is_err());
    }
}
