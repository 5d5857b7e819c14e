//! A YAML document as a tree of nodes that each know their line and column.
//!
//! Suites are parsed into this tree first and compiled from it (see `compile.rs`), so that every
//! problem, not just the first one serde meets, can be reported at its position.

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

pub use crate::suite::Pos;

/// One YAML node and where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Keys in file order; duplicates are kept so the compiler can report them.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// A short word for the node's type, for "expected a mapping, found a string" messages.
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The node as text if it is a scalar (numbers and booleans as YAML wrote them).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Converts to JSON, for literal values in assertions and variables.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => {
                J::Object(entries.iter().map(|(k, v)| (k.scalar_text().unwrap_or_default(), v.to_json())).collect())
            }
        }
    }
}

/// Why a file could not be read as YAML at all.
#[derive(Debug)]
pub struct ParseError {
    pub message: String,
    pub pos: Option<Pos>,
}

/// The largest suite file we read; anything bigger is surely not a hand-written suite.
pub const MAX_SUITE_BYTES: usize = 4 * 1024 * 1024;

/// Parses one YAML document. Budgets (depth, aliases, node count) come from serde-saphyr's
/// defaults, which stop alias bombs and deep nesting without a stack overflow.
pub fn parse(text: &str) -> Result<Node, ParseError> {
    if text.len() > MAX_SUITE_BYTES {
        return Err(ParseError {
            message: format!(
                "the file is {} bytes; suites larger than {} bytes are refused",
                text.len(),
                MAX_SUITE_BYTES
            ),
            pos: None,
        });
    }
    if text.trim().is_empty() {
        return Err(ParseError { message: "the file is empty".into(), pos: None });
    }
    // YAML 1.2 booleans only: `NO` (a country), `on`, `off`, `y` and `n` stay strings.
    let options = serde_saphyr::options! { strict_booleans: true };
    match serde_saphyr::from_str_with_options::<Node>(text, options) {
        Ok(node) => Ok(node),
        Err(err) => {
            let pos = err.location().filter(|l| l.line() > 0).map(|l| Pos::new(l.line() as u32, l.column() as u32));
            // The error's Display may carry its own excerpt; keep only the first line.
            let full = err.to_string();
            let first = full.lines().next().unwrap_or("invalid YAML").trim();
            let message = if first.to_ascii_lowercase().contains("duplicate") {
                // Say it in the suite's terms, not the parser's options.
                let key = first
                    .split_once("duplicate mapping key:")
                    .and_then(|(_, rest)| rest.split(',').next())
                    .map(str::trim);
                match key.filter(|k| !k.is_empty()) {
                    Some(key) => format!("the key `{key}` is given twice in the same mapping"),
                    None => "a key is given twice in the same mapping".to_string(),
                }
            } else {
                first.to_string()
            };
            Err(ParseError { message, pos })
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(d)?;
        let loc = spanned.referenced;
        Ok(Node { value: spanned.value, pos: Pos::new(loc.line() as u32, loc.column() as u32) })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v).map(Value::Int).or(Ok(Value::Float(v as f64)))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v).map(Value::Int).unwrap_or(Value::Float(v as f64)))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(i64::try_from(v).map(Value::Int).unwrap_or(Value::Float(v as f64)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(node) = seq.next_element::<Node>()? {
            items.push(node);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_know_their_positions() {
        let node = parse("name: demo\nchecks:\n  - name: a\n    request: GET /\n").expect("valid");
        let Value::Map(entries) = &node.value else { panic!("not a map: {node:?}") };
        assert_eq!(entries[0].0.pos, Pos::new(1, 1));
        assert_eq!(entries[0].1.pos, Pos::new(1, 7));
        let Value::Seq(checks) = &entries[1].1.value else { panic!("not a seq") };
        let Value::Map(check) = &checks[0].value else { panic!("not a map") };
        assert_eq!(check[1].1.as_str(), Some("GET /"));
        assert_eq!(check[1].1.pos, Pos::new(4, 14));
    }

    #[test]
    fn scalars_keep_their_types() {
        let node = parse("a: 200\nb: '200'\nc: true\nd: ~\ne: 1.5").expect("valid");
        let Value::Map(e) = node.value else { panic!() };
        assert_eq!(e[0].1.value, Value::Int(200));
        assert_eq!(e[1].1.value, Value::Str("200".into()));
        assert_eq!(e[2].1.value, Value::Bool(true));
        assert_eq!(e[3].1.value, Value::Null);
        assert_eq!(e[4].1.value, Value::Float(1.5));
    }

    #[test]
    fn only_true_and_false_are_booleans() {
        let node = parse("country: NO\nswitch: on\nn: 3\nok: true").expect("valid");
        let Value::Map(e) = node.value else { panic!() };
        assert_eq!(e[0].1.value, Value::Str("NO".into()));
        assert_eq!(e[1].1.value, Value::Str("on".into()));
        assert_eq!(e[2].0.value, Value::Str("n".into()));
        assert_eq!(e[3].1.value, Value::Bool(true));
    }

    #[test]
    fn duplicate_keys_are_named_in_the_suite_s_terms() {
        let e = parse("name: a\nname: b\n").unwrap_err();
        assert_eq!(e.message, "the key `name` is given twice in the same mapping");
        assert!(!e.message.contains("Policy"), "{}", e.message);
        assert_eq!(e.pos.map(|p| p.line), Some(2));
    }

    #[test]
    fn hostile_yaml_is_an_error_not_a_crash() {
        let bomb = "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n";
        assert!(parse(bomb).is_err());
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse(&deep).is_err());
        assert!(parse("a: [unclosed").is_err());
        // Binary garbage may or may not be a YAML scalar; either way it must not panic.
        let _ = parse("\u{0}\u{1}\u{2}binary\u{fffe}");
    }
}
