//! A YAML document as a tree of nodes that each know their line and column.
//!
//! Suites are parsed into this tree first and compiled from it (see `compile.rs`), so that every
//! problem, not just the first one serde meets, can be reported at its position.

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

/// How deep collections may nest, how many nodes a file may have (counting each use of an
/// alias again, which stops alias bombs) and how many aliases: far beyond any suite, and
/// the same as the serde-saphyr defaults this reader replaced.
const MAX_DEPTH: usize = 64;
const MAX_NODES: usize = 250_000;
const MAX_ALIASES: usize = 50_000;

/// Parses one YAML document (YAML 1.2 core schema; only `true` and `false`, in any case, are
/// booleans). Anchors, aliases and merge keys (`<<`) work; a key given twice in a mapping,
/// a second document, a non-finite number and anything over the budgets above are errors.
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
    // The parser's own nesting limits (256 block, 255 flow) are above ours.
    let mut parser = granit_parser::Parser::new_from_str(text);
    let mut tree = Tree::default();
    let mut end = Pos::new(1, 1);
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| ParseError {
            message: e.info(),
            pos: Some(Pos::new(e.marker().line() as u32, e.marker().col() as u32 + 1)),
        })?;
        let at = Pos::new(span.start.line() as u32, span.start.col() as u32 + 1);
        end = at;
        if tree.event(event, at).map_err(|(message, pos)| ParseError { message, pos: Some(pos.unwrap_or(at)) })? {
            break;
        }
    }
    // A document of comments alone is null, found at its end, as serde-saphyr had it.
    Ok(tree.root.unwrap_or(Node { value: Value::Null, pos: end }))
}

/// The tree being built from the parser's events: open collections on a stack (no
/// recursion, so nesting cannot overflow ours), anchored nodes kept for their aliases.
///
/// The items of every open collection share one stack, `items`, innermost collection last
/// (a mapping's keys and values alternate); each collection moves its own out into a vector
/// of exactly its size when it closes. Vectors grown one push at a time would hold up to
/// twice their items, and at least four, for the life of the tree.
#[derive(Default)]
struct Tree {
    stack: Vec<Open>,
    items: Vec<Node>,
    anchors: Vec<Option<Node>>,
    root: Option<Node>,
    documents: usize,
    nodes: usize,
    aliases: usize,
}

/// A sequence or mapping whose end has not been seen yet.
struct Open {
    pos: Pos,
    anchor: usize,
    /// Where its items start in `Tree::items`.
    start: usize,
    map: bool,
    /// For a mapping: the key waiting for its value is a plain `<<` (which is not in `items`).
    merge_key: bool,
    /// The values of its merge keys (`<<`).
    merges: Vec<Node>,
    /// The scalar keys so far, once a mapping is large enough for a linear search to cost.
    seen: Option<std::collections::HashSet<(u8, String)>>,
}

impl Tree {
    /// Takes one event; `true` once the document is complete. An error is at the event's
    /// position unless it names another.
    fn event(&mut self, event: granit_parser::Event<'_>, at: Pos) -> Result<bool, (String, Option<Pos>)> {
        use granit_parser::Event;
        match event {
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err((
                        "the file holds more than one YAML document (a second `---`); a suite is one document".into(),
                        None,
                    ));
                }
            }
            Event::StreamEnd => return Ok(true),
            Event::Scalar(text, style, anchor, tag) => {
                let value = resolve(&text, style, tag.as_deref()).map_err(|e| (e, None))?;
                self.count(1).map_err(|e| (e, None))?;
                self.add(Node { value, pos: at }, anchor, style == granit_parser::ScalarStyle::Plain && text == "<<")?;
            }
            Event::SequenceStart(_, anchor, ref tag) | Event::MappingStart(_, anchor, ref tag) => {
                let map = matches!(event, Event::MappingStart(..));
                check_collection_tag(tag.as_deref(), map).map_err(|e| (e, None))?;
                if self.stack.len() >= MAX_DEPTH {
                    return Err((format!("collections nest more than {MAX_DEPTH} deep"), None));
                }
                self.count(1).map_err(|e| (e, None))?;
                self.stack.push(Open {
                    pos: at,
                    anchor,
                    start: self.items.len(),
                    map,
                    merge_key: false,
                    merges: Vec::new(),
                    seen: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(open) = self.stack.pop() else {
                    return Err(("a collection ends that never began".into(), None));
                };
                let anchor = open.anchor;
                let node = self.close(open).map_err(|e| (e, None))?;
                self.add(node, anchor, false)?;
            }
            Event::Alias(id) => {
                self.aliases += 1;
                if self.aliases > MAX_ALIASES {
                    return Err((format!("the file uses more than {MAX_ALIASES} aliases"), None));
                }
                let Some(Some(target)) = self.anchors.get(id) else {
                    return Err(("an alias refers to the collection it is inside of".into(), None));
                };
                let mut node = target.clone();
                self.count(node_count(&node)).map_err(|e| (e, None))?;
                node.pos = at;
                self.add(node, 0, false)?;
            }
            _ => {}
        }
        Ok(false)
    }

    fn count(&mut self, n: usize) -> Result<(), String> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(format!("the file has more than {MAX_NODES} values (aliases counted at each use)"));
        }
        Ok(())
    }

    /// Puts a finished node where it belongs: the root, the open sequence, or the open
    /// mapping's key or value. A key given twice is an error at that key.
    fn add(&mut self, node: Node, anchor: usize, merge_key: bool) -> Result<(), (String, Option<Pos>)> {
        if anchor != 0 {
            if self.anchors.len() <= anchor {
                self.anchors.resize(anchor + 1, None);
            }
            self.anchors[anchor] = Some(node.clone());
        }
        let Some(open) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        if !open.map {
            self.items.push(node);
            return Ok(());
        }
        if open.merge_key {
            open.merge_key = false;
            open.merges.push(node);
            return Ok(());
        }
        let given = self.items.len() - open.start;
        if given.is_multiple_of(2) {
            // A key: it waits in `items` for its value, unless it is a merge key.
            if merge_key {
                open.merge_key = true;
            } else {
                self.items.push(node);
            }
            return Ok(());
        }
        // A value: its key is the last item.
        let entries = &self.items[open.start..];
        let key = &entries[entries.len() - 1];
        let earlier = &entries[..entries.len() - 1];
        let repeated = match open.seen.as_mut().and_then(|seen| Some((seen, key_id(&key.value)?))) {
            Some((seen, id)) => !seen.insert(id),
            None => earlier.iter().step_by(2).any(|k| k.value == key.value),
        };
        if repeated {
            return Err((duplicate(key), Some(key.pos)));
        }
        self.items.push(node);
        // Past a few dozen keys (32, in 64 items), a set: a mapping of 100,000 keys must not
        // take minutes.
        if given + 1 == 64 && open.seen.is_none() {
            open.seen = Some(self.items[open.start..].iter().step_by(2).filter_map(|k| key_id(&k.value)).collect());
        }
        Ok(())
    }

    /// A collection that ends: its items moved out of the shared stack into a vector of
    /// their own, of exactly their number.
    fn close(&mut self, open: Open) -> Result<Node, String> {
        let mut items = self.items.drain(open.start..);
        if !open.map {
            return Ok(Node { value: Value::Seq(items.collect()), pos: open.pos });
        }
        // A key left without a value (which the parser does not make) is dropped.
        let mut entries = Vec::with_capacity(items.len() / 2);
        while let (Some(k), Some(v)) = (items.next(), items.next()) {
            entries.push((k, v));
        }
        drop(items);
        if !open.merges.is_empty() {
            entries = merge(entries, open.merges)?;
        }
        Ok(Node { value: Value::Map(entries), pos: open.pos })
    }
}

/// A mapping with its merge keys' entries put in where each `<<` stood; a key the mapping
/// gives itself, or an earlier merge gave, wins (YAML's merge key rule); `<<:` with nothing
/// merges nothing. Merged entries keep
/// the positions they were written at.
fn merge(explicit: Vec<(Node, Node)>, merges: Vec<Node>) -> Result<Vec<(Node, Node)>, String> {
    let mut merged: Vec<(Node, Node)> = Vec::new();
    for source in &merges {
        let maps: Vec<&Node> = match &source.value {
            Value::Map(_) => vec![source],
            Value::Null => Vec::new(),
            Value::Seq(items) if items.iter().all(|i| matches!(i.value, Value::Map(_))) => items.iter().collect(),
            _ => return Err("a merge key (`<<`) takes a mapping or a list of mappings".into()),
        };
        for m in maps {
            let Value::Map(entries) = &m.value else { continue };
            for (k, v) in entries {
                if !has_key(&explicit, k) && !has_key(&merged, k) {
                    merged.push((k.clone(), v.clone()));
                }
            }
        }
    }
    // After the mapping's own entries, as serde-saphyr had them.
    let mut out = explicit;
    out.reserve_exact(merged.len());
    out.extend(merged);
    Ok(out)
}

/// A scalar key as something to hash (`1` and `"1"` stay apart); `None` for a collection.
fn key_id(v: &Value) -> Option<(u8, String)> {
    Some(match v {
        Value::Null => (0, String::new()),
        Value::Bool(b) => (1, b.to_string()),
        Value::Int(i) => (2, i.to_string()),
        Value::Float(f) => (3, f.to_bits().to_string()),
        Value::Str(s) => (4, s.clone()),
        Value::Seq(_) | Value::Map(_) => return None,
    })
}

fn has_key(entries: &[(Node, Node)], key: &Node) -> bool {
    entries.iter().any(|(k, _)| k.value == key.value)
}

fn duplicate(key: &Node) -> String {
    match key.scalar_text() {
        Some(k) if !k.is_empty() => format!("the key `{k}` is given twice in the same mapping"),
        _ => "a key is given twice in the same mapping".to_string(),
    }
}

fn node_count(node: &Node) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        Value::Map(entries) => 1 + entries.iter().map(|(k, v)| node_count(k) + node_count(v)).sum::<usize>(),
        _ => 1,
    }
}

const CORE: &str = "tag:yaml.org,2002:";

/// A tag on a sequence or mapping: another core type's (`!!str`, `!!seq` on a mapping, …)
/// is an error, any other tag is ignored, as serde-saphyr had it.
fn check_collection_tag(tag: Option<&granit_parser::Tag>, map: bool) -> Result<(), String> {
    let what = if map { "a mapping" } else { "a list" };
    match tag.filter(|t| t.handle() == CORE).map(|t| t.suffix()) {
        Some("map") if map => Ok(()),
        Some("seq") if !map => Ok(()),
        Some(s @ ("str" | "int" | "float" | "bool" | "null" | "binary" | "map" | "seq")) => {
            Err(format!("the tag `!!{s}` cannot be put on {what}"))
        }
        _ => Ok(()),
    }
}

/// A scalar's value: quoted and block scalars are strings; a plain one is null, a
/// boolean, an integer or a float when it reads as one (YAML 1.2 core schema), else a string.
/// Core schema tags (`!!str`, `!!int`, …) decide for themselves; other tags are ignored.
fn resolve(text: &str, style: granit_parser::ScalarStyle, tag: Option<&granit_parser::Tag>) -> Result<Value, String> {
    let core = tag.filter(|t| t.handle() == CORE).map(|t| t.suffix());
    let non_specific = tag.is_some_and(|t| format!("{}{}", t.handle(), t.suffix()) == "!");
    let t = text.trim_matches([' ', '\t', '\r', '\n']);
    match core {
        Some("str") => return Ok(Value::Str(text.to_string())),
        Some("binary") => return binary(text),
        Some("null") => return Ok(Value::Null),
        Some("bool") => {
            return bool_of(t).map(Value::Bool).ok_or_else(|| format!("`{t}` is not a boolean (`true` or `false`)"));
        }
        Some("int") => return int_of(t).ok_or_else(|| format!("`{t}` is not an integer")),
        Some("float") => return float_of(t).ok_or_else(|| format!("`{t}` is not a number")).and_then(finite),
        Some(other @ ("map" | "seq")) => return Err(format!("the tag `!!{other}` cannot be put on a single value")),
        _ => {}
    }
    if style != granit_parser::ScalarStyle::Plain || non_specific {
        return Ok(Value::Str(text.to_string()));
    }
    if text.is_empty() || text == "~" || text.eq_ignore_ascii_case("null") {
        return Ok(Value::Null);
    }
    if let Some(b) = bool_of(t) {
        return Ok(Value::Bool(b));
    }
    if let Some(v) = int_of(t) {
        return Ok(v);
    }
    match float_of(t) {
        Some(v) => finite(v),
        None => Ok(Value::Str(text.to_string())),
    }
}

fn finite(v: Value) -> Result<Value, String> {
    match v {
        Value::Float(f) if !f.is_finite() => {
            Err("an infinite or not-a-number value (`.inf`, `.nan`, `1e999`) cannot be used; quote it if it is text"
                .into())
        }
        v => Ok(v),
    }
}

/// `!!binary`: base64 of UTF-8 text (nothing in a suite takes bytes).
fn binary(text: &str) -> Result<Value, String> {
    use base64::Engine;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| format!("the `!!binary` value is not base64: {e}"))?;
    String::from_utf8(bytes).map(Value::Str).map_err(|_| "the `!!binary` value is not UTF-8 text once decoded".into())
}

fn bool_of(t: &str) -> Option<bool> {
    if t.eq_ignore_ascii_case("true") {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// An integer: decimal without a leading zero (`012` is not one), `0x`, `0o` or `0b`, with
/// an optional sign and single `_` between digits. Beyond 64 bits it is a float.
fn int_of(t: &str) -> Option<Value> {
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, digits) = match rest.get(..2) {
        Some("0x" | "0X") => (16, &rest[2..]),
        Some("0o" | "0O") => (8, &rest[2..]),
        Some("0b" | "0B") => (2, &rest[2..]),
        _ => (10, rest),
    };
    if radix == 10 && digits.starts_with('0') && digits != "0" {
        return None;
    }
    let magnitude = digits_of(digits, radix)?;
    let value = if neg { -(magnitude as i128) } else { magnitude as i128 };
    Some(i64::try_from(value).map_or(Value::Float(value as f64), Value::Int))
}

/// Digits in a radix, with single underscores between them; `None` past `u64`'s range
/// doubled (a float then) or on anything else.
fn digits_of(digits: &str, radix: u32) -> Option<u128> {
    let bytes = digits.as_bytes();
    let mut value: u128 = 0;
    let mut saw = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            let ok = i > 0 && bytes[i - 1] != b'_' && bytes.get(i + 1).is_some_and(|n| *n != b'_');
            if !ok {
                return None;
            }
            continue;
        }
        let d = (b as char).to_digit(radix)?;
        value = value.checked_mul(u128::from(radix))?.checked_add(u128::from(d))?;
        saw = true;
    }
    (saw && value <= u128::from(u64::MAX)).then_some(value)
}

/// A float (`1.5`, `-2e3`, `.5`, `.inf`, `.nan`); the caller refuses the non-finite ones,
/// as nothing in a suite wants them and they cannot go into JSON.
fn float_of(t: &str) -> Option<Value> {
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if unsigned.eq_ignore_ascii_case(".inf") || unsigned.eq_ignore_ascii_case(".nan") {
        return Some(Value::Float(f64::NAN));
    }
    // Most plain scalars are words: no copy, no parse for them. (Rust also reads `inf` and
    // `nan`, which YAML keeps as strings.)
    if !unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.') || unsigned.contains(['i', 'n', 'I', 'N']) {
        return None;
    }
    t.parse::<f64>().ok().map(Value::Float)
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
    fn a_key_given_twice_in_a_large_mapping_is_found() {
        // Past 32 keys the reader looks keys up in a set; `1` and `"1"` are different keys.
        let mut text: String = (0..5_000).map(|i| format!("k{i}: v\n")).collect();
        text.push_str("1: int\n'1': str\n");
        assert!(parse(&text).is_ok());
        text.push_str("k4999: again\n");
        let e = parse(&text).unwrap_err();
        assert_eq!(e.message, "the key `k4999` is given twice in the same mapping");
        assert_eq!(e.pos.map(|p| p.line), Some(5_003));
    }

    #[test]
    fn merge_keys_fill_in_what_the_mapping_does_not_give() {
        let node = parse("d: &d {a: 1, b: 2}\nm:\n  b: 3\n  <<: *d\n").expect("valid");
        let Value::Map(e) = &node.value else { panic!() };
        let m = e[1].1.to_json();
        assert_eq!(m, serde_json::json!({ "a": 1, "b": 3 }));
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
