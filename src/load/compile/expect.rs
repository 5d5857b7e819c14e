//! `expect:`: assertions on the status, headers, body, JSON, HTML, time, digest and
//! certificate of a response, and the comparisons (`predicate`) they are made of.

use super::Compiler;
use crate::load::yaml::{Node, Value};
use crate::suite::*;
use serde_json::Value as Json;
use serde_json_path::JsonPath;
use std::sync::Arc;

const EXPECT_KEYS: &[&str] =
    &["status", "header", "headers", "body", "json", "html", "time", "sha256", "certificate", "url"];
const OPERATORS: &[&str] = &[
    "equals",
    "not_equals",
    "lt",
    "lte",
    "gt",
    "gte",
    "contains",
    "not_contains",
    "matches",
    "not_matches",
    "exists",
    "absent",
    "type",
    "length",
    "one_of",
    "each",
];

impl Compiler<'_> {
    pub(super) fn expect(&mut self, node: &Node) -> Vec<Assertion> {
        let mut out = Vec::new();
        if !self.nonempty(
            node,
            "`expect`",
            "e.g. `expect: { status: 200 }`, or leave `expect` out to require a 2xx status",
        ) {
            return out;
        }
        let Some(f) = self.fields(node, "`expect`", EXPECT_KEYS) else { return out };
        for (key, _, v) in &f.entries {
            let pos = v.pos;
            match *key {
                "status" => out.extend(self.status(v).map(|s| Assertion { pos, kind: AssertKind::Status(s) })),
                "header" | "headers" => out.extend(self.expect_headers(v)),
                "body" => out.extend(self.predicate(v, false).map(|p| Assertion { pos, kind: AssertKind::Body(p) })),
                "json" => out.extend(self.expect_json(v)),
                "html" => out.extend(self.expect_html(v)),
                "time" => out.extend(self.expect_time(v)),
                "sha256" => out.extend(self.sha256_source(v).map(|s| Assertion { pos, kind: AssertKind::Sha256(s) })),
                "certificate" => out.extend(self.expect_certificate(v)),
                "url" => out.extend(self.predicate(v, false).map(|p| Assertion { pos, kind: AssertKind::Url(p) })),
                _ => {}
            }
        }
        out
    }

    /// `header: { name: comparison, … }`; names are matched in lower case.
    fn expect_headers(&mut self, v: &Node) -> Vec<Assertion> {
        let mut out = Vec::new();
        if !self.nonempty(v, "`header`", "e.g. `header: { content-type: { contains: json } }`") {
            return out;
        }
        let Some(hf) = self.fields(v, "`header`", &[]) else { return out };
        for (name, _, hv) in hf.entries {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                self.err(hv.pos, format!("`{name}` is not a valid header name"));
                continue;
            }
            if let Some(pred) = self.predicate(hv, false) {
                out.push(Assertion { pos: hv.pos, kind: AssertKind::Header { name: name.to_ascii_lowercase(), pred } });
            }
        }
        out
    }

    /// `json: { $.path: comparison, … }`.
    fn expect_json(&mut self, v: &Node) -> Vec<Assertion> {
        let mut out = Vec::new();
        if !self.nonempty(v, "`json`", "e.g. `json: { $.status: ok }`") {
            return out;
        }
        let Some(jf) = self.fields(v, "`json`", &[]) else { return out };
        for (_, k, jv) in jf.entries {
            let Some(path) = self.load_time_string(k, "a JSONPath") else { continue };
            let path = path.as_str();
            let Some(query) = self.json_path(path, k) else { continue };
            if let Some(pred) = self.predicate(jv, false) {
                let pred = if query.singular { pred } else { self.list_predicate(pred, path, jv) };
                out.push(Assertion { pos: k.pos, kind: AssertKind::Json { query, pred } });
            }
        }
        out
    }

    /// `html: { css selector: assertion, … }`.
    fn expect_html(&mut self, v: &Node) -> Vec<Assertion> {
        let mut out = Vec::new();
        if !self.nonempty(v, "`html`", "e.g. `html: { h1: Welcome }`") {
            return out;
        }
        let Some(hf) = self.fields(v, "`html`", &[]) else { return out };
        for (_, k, hv) in hf.entries {
            let Some(sel) = self.load_time_string(k, "a CSS selector") else { continue };
            if !self.css(&sel, k) {
                continue;
            }
            out.extend(self.html_assertions(&sel, hv));
        }
        out
    }

    /// `time: 2s` (at most), or a comparison in which numbers are durations.
    fn expect_time(&mut self, v: &Node) -> Option<Assertion> {
        let pred = match &v.value {
            Value::Map(_) => self.predicate(v, true),
            _ => self.duration(v, "`time`").map(|d| Predicate { ops: vec![Op::Lte(d.as_secs_f64() * 1000.0)] }),
        };
        pred.map(|pred| Assertion { pos: v.pos, kind: AssertKind::Time(pred) })
    }

    /// `sha256:` a digest, or `{ file: path }` to compare with a local file.
    fn sha256_source(&mut self, v: &Node) -> Option<Sha256Source> {
        match &v.value {
            Value::Str(_) => self.sha256_digest(v),
            Value::Map(m) if m.is_empty() => {
                self.err_help(v.pos, "`sha256: {}` asserts nothing", "write 64 hex digits, or `{ file: path }`");
                None
            }
            _ => self
                .fields(v, "`sha256`", &["file"])
                .and_then(|sf| sf.get("file"))
                .and_then(|n| self.file_ref(n, "file"))
                .map(Sha256Source::File),
        }
    }

    /// A written digest: interpolation works as in any string (`${{ env.EXPECTED_SHA }}`), but
    /// the digest must be known at load time to be checked here.
    fn sha256_digest(&mut self, v: &Node) -> Option<Sha256Source> {
        match self.template(v, "`sha256`").map(|t| t.as_static()) {
            Some(Some(s)) => {
                let hex = s.trim().to_ascii_lowercase();
                if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    Some(Sha256Source::Hex(hex))
                } else {
                    self.err(v.pos, "`sha256` is 64 hex digits, or `{ file: path }` to compare with a local file");
                    None
                }
            }
            Some(None) => {
                self.err(
                    v.pos,
                    "`sha256` cannot use a captured value: write the digest, a variable, or `{ file: path }`",
                );
                None
            }
            None => None,
        }
    }

    /// `certificate: { days_left: comparison }`.
    fn expect_certificate(&mut self, v: &Node) -> Option<Assertion> {
        let cf = self.fields(v, "`certificate`", &["days_left"])?;
        if !cf.has("days_left") {
            self.err_help(v.pos, "`certificate` asserts nothing", "e.g. `certificate: { days_left: { gte: 14 } }`");
        }
        let d = cf.get("days_left")?;
        let pred = self.predicate(d, false)?;
        Some(Assertion { pos: d.pos, kind: AssertKind::CertDays(pred) })
    }

    fn html_assertions(&mut self, selector: &str, node: &Node) -> Vec<Assertion> {
        let mut out = Vec::new();
        let push = |out: &mut Vec<Assertion>, pos, target, pred| {
            out.push(Assertion { pos, kind: AssertKind::Html { selector: selector.to_string(), target, pred } })
        };
        if !matches!(node.value, Value::Map(_)) {
            if let Some(pred) = self.predicate(node, false) {
                push(&mut out, node.pos, HtmlTarget::Text, pred);
            }
            return out;
        }
        if !self.nonempty(node, "an `html` assertion", "e.g. `{ text: Welcome }`, `{ count: 3 }` or `{ exists: true }`")
        {
            return out;
        }
        let Some(f) = self.fields(node, "an `html` assertion", &["text", "attr", "count", "exists"]) else {
            return out;
        };
        for (key, _, v) in f.entries {
            match key {
                "text" => {
                    if let Some(p) = self.predicate(v, false) {
                        push(&mut out, v.pos, HtmlTarget::Text, p);
                    }
                }
                "count" => {
                    if let Some(p) = self.predicate(v, false) {
                        push(&mut out, v.pos, HtmlTarget::Count, p);
                    }
                }
                "exists" => {
                    if let Some(b) = self.bool(v, "`exists`") {
                        let op = if b { Op::Gte(1.0) } else { Op::Equals(JsonTemplate::Value(Json::from(0))) };
                        push(&mut out, v.pos, HtmlTarget::Count, Predicate { ops: vec![op] });
                    }
                }
                "attr" => {
                    if !self.nonempty(v, "`attr`", "e.g. `attr: { href: /login }`") {
                        continue;
                    }
                    let Some(af) = self.fields(v, "`attr`", &[]) else { continue };
                    for (name, _, av) in af.entries {
                        if let Some(p) = self.predicate(av, false) {
                            push(&mut out, av.pos, HtmlTarget::Attr(name.to_string()), p);
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// A JSONPath, and whether it is singular, decided here once (never by the match count).
    pub(super) fn json_path(&mut self, path: &str, at: &Node) -> Option<JsonQuery> {
        if let Some(p) = self.json_paths.get(path) {
            return Some(JsonQuery { path: p.clone(), source: path.to_string(), singular: is_singular(path) });
        }
        match JsonPath::parse(path) {
            Ok(p) => {
                let p = Arc::new(p);
                self.json_paths.insert(path.to_string(), p.clone());
                Some(JsonQuery { path: p, source: path.to_string(), singular: is_singular(path) })
            }
            Err(e) => {
                self.err_help(
                    at.pos,
                    format!("`{path}` is not a valid JSONPath: {e}"),
                    "JSONPath starts with `$`, e.g. `$.items[0].id` (RFC 9535)",
                );
                None
            }
        }
    }

    pub(super) fn css(&mut self, selector: &str, at: &Node) -> bool {
        match scraper::Selector::parse(selector) {
            Ok(_) => true,
            Err(e) => {
                self.err(at.pos, format!("`{selector}` is not a valid CSS selector: {e}"));
                false
            }
        }
    }

    pub(super) fn regex(&mut self, node: &Node) -> Option<regex::Regex> {
        let Some(s) = node.scalar_text() else {
            self.err(node.pos, format!("a regular expression is a string, found {}", node.kind()));
            return None;
        };
        regex::RegexBuilder::new(&s)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| {
                let first = e.to_string().lines().last().unwrap_or("invalid").to_string();
                self.err(node.pos, format!("`{s}` is not a valid regular expression: {first}"))
            })
            .ok()
    }

    /// A scalar or list means `equals`; a mapping is a set of operators that must all hold.
    /// With `durations`, numeric operands may be written as durations and mean milliseconds.
    pub(super) fn predicate(&mut self, node: &Node, durations: bool) -> Option<Predicate> {
        let Value::Map(_) = node.value else {
            return Some(Predicate { ops: vec![Op::Equals(self.json_template(node)?)] });
        };
        let f = self.fields(node, "the comparison", OPERATORS)?;
        let mut ops = Vec::with_capacity(f.entries.len());
        for (op, _, v) in f.entries {
            let compiled = match op {
                "equals" => self.json_template(v).map(Op::Equals),
                "not_equals" => self.json_template(v).map(Op::NotEquals),
                "contains" => self.json_template(v).map(Op::Contains),
                "not_contains" => self.json_template(v).map(Op::NotContains),
                "lt" | "lte" | "gt" | "gte" => {
                    let n = self.number(v, op, durations);
                    n.map(|n| match op {
                        "lt" => Op::Lt(n),
                        "lte" => Op::Lte(n),
                        "gt" => Op::Gt(n),
                        _ => Op::Gte(n),
                    })
                }
                "matches" => self.regex(v).map(Op::Matches),
                "not_matches" => self.regex(v).map(Op::NotMatches),
                "exists" => self.bool(v, "`exists`").map(Op::Exists),
                "absent" => self.bool(v, "`absent`").map(|b| Op::Exists(!b)),
                "type" => match v.as_str().and_then(|t| JsonType::NAMES.iter().position(|n| *n == t)) {
                    Some(i) => Some(Op::Type(
                        [
                            JsonType::String,
                            JsonType::Number,
                            JsonType::Integer,
                            JsonType::Boolean,
                            JsonType::Array,
                            JsonType::Object,
                            JsonType::Null,
                        ][i],
                    )),
                    None => {
                        self.err(v.pos, format!("`type` is one of: {}", JsonType::NAMES.join(", ")));
                        None
                    }
                },
                "length" => self.predicate(v, false).map(|p| Op::Length(Box::new(p))),
                "each" => self.predicate(v, false).map(|p| Op::Each(Box::new(p))),
                "one_of" => match &v.value {
                    Value::Seq(items) => {
                        items.iter().map(|i| self.json_template(i)).collect::<Option<Vec<_>>>().map(Op::OneOf)
                    }
                    _ => {
                        self.err(v.pos, "`one_of` takes a list of values");
                        None
                    }
                },
                _ => None,
            };
            ops.extend(compiled);
        }
        if ops.is_empty() && self.diags.is_empty() {
            self.err(node.pos, "an empty comparison asserts nothing");
        }
        Some(Predicate { ops })
    }

    /// Reports a mapping with no entries: an empty block asserts nothing, and a step that
    /// asserts nothing passes on a broken deploy. True when the block may be read on.
    pub(super) fn nonempty(&mut self, node: &Node, what: &str, help: &str) -> bool {
        match &node.value {
            Value::Map(m) if m.is_empty() => {
                self.err_help(node.pos, format!("{what} is empty, so it asserts nothing"), help);
                false
            }
            _ => true,
        }
    }

    /// A comparison on a path that yields a list: `exists`/`absent` mean "found some"/"found
    /// none", and comparing the whole list with one plain value (which always differs) is an
    /// error that says what to write instead.
    fn list_predicate(&mut self, pred: Predicate, path: &str, at: &Node) -> Predicate {
        let mut ops = Vec::with_capacity(pred.ops.len());
        for op in pred.ops {
            let scalar = |t: &JsonTemplate| matches!(t, JsonTemplate::Value(v) if !v.is_array());
            match op {
                Op::Exists(want) => {
                    let inner = if want { Op::Gte(1.0) } else { Op::Equals(JsonTemplate::Value(Json::from(0))) };
                    ops.push(Op::Length(Box::new(Predicate { ops: vec![inner] })));
                }
                Op::Equals(ref t) | Op::NotEquals(ref t) if scalar(t) => {
                    let shown = match t {
                        JsonTemplate::Value(v) => v.to_string(),
                        _ => String::new(),
                    };
                    let negated = matches!(op, Op::NotEquals(_));
                    self.err_help(
                        at.pos,
                        format!(
                            "`{path}` yields a list (it has a wildcard, slice, filter, union or `..`), so it {} the single value {shown}",
                            if negated { "always differs from" } else { "never equals" }
                        ),
                        if negated {
                            format!("to say no element is {shown}, write `{{ not_contains: {shown} }}`; every element: `{{ each: {{ not_equals: {shown} }} }}`")
                        } else {
                            format!("to say some element is {shown}, write `{{ contains: {shown} }}`; every element: `{{ each: {shown} }}`; or compare the whole list: `[{shown}]`")
                        },
                    );
                }
                Op::OneOf(ref ts) if ts.iter().all(scalar) => {
                    self.err_help(
                        at.pos,
                        format!("`{path}` yields a list, so it is never one of these single values"),
                        "for every element, write `{ each: { one_of: [...] } }`",
                    );
                }
                other => ops.push(other),
            }
        }
        Predicate { ops }
    }

    fn number(&mut self, node: &Node, op: &str, durations: bool) -> Option<f64> {
        match &node.value {
            // In `time`, a bare number is seconds, as in `time: 2`.
            Value::Int(i) if durations => Some(*i as f64 * 1000.0),
            Value::Float(x) if durations => Some(*x * 1000.0),
            Value::Int(i) => Some(*i as f64),
            Value::Float(x) => Some(*x),
            Value::Str(s) if durations => crate::duration::parse_duration(s)
                .map(|d| d.as_secs_f64() * 1000.0)
                .map_err(|e| self.err(node.pos, e))
                .ok(),
            _ => {
                self.err(node.pos, format!("`{op}` compares numbers, found {}", node.kind()));
                None
            }
        }
    }

    fn status(&mut self, node: &Node) -> Option<Vec<StatusPattern>> {
        let one = |cx: &mut Self, n: &Node| -> Option<StatusPattern> {
            match &n.value {
                Value::Int(c) if (100..=599).contains(c) => Some(StatusPattern::Exact(*c as u16)),
                Value::Str(s) if status_class(s).is_some() => status_class(s).map(StatusPattern::Class),
                _ => {
                    cx.err_help(
                        n.pos,
                        "not a status code",
                        "write a code (`200`), a class (`2xx`), or a list of those (`[200, 204]`)",
                    );
                    None
                }
            }
        };
        match &node.value {
            Value::Seq(items) if !items.is_empty() => items.iter().map(|i| one(self, i)).collect(),
            _ => one(self, node).map(|p| vec![p]),
        }
    }
}

/// `2xx` → 2: a digit from 1 to 5 and `xx` in either case (compared as bytes: any other text,
/// `€` included, is simply not a class).
fn status_class(s: &str) -> Option<u16> {
    match s.as_bytes() {
        [d @ b'1'..=b'5', x1, x2] if x1.eq_ignore_ascii_case(&b'x') && x2.eq_ignore_ascii_case(&b'x') => {
            Some(u16::from(d - b'0'))
        }
        _ => None,
    }
}

/// Whether a (valid) JSONPath is singular in the sense of RFC 9535: only name and index
/// selectors, so it finds at most one node. Anything else (wildcard, slice, filter, union,
/// descendants) is not, whatever a given document happens to hold.
pub(super) fn is_singular(path: &str) -> bool {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut prev = '\0';
    for c in path.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '*' | '?' | ':' | ',' => return false,
            '.' if prev == '.' => return false,
            _ => {}
        }
        prev = c;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::is_singular;

    #[test]
    fn singular_paths_have_only_names_and_indexes() {
        for p in ["$", "$.a", "$.a.b[0]", "$['a.b']['*']", "$[-1]", "$.a[\"x,y\"]", "$['it''s']"] {
            assert!(is_singular(p), "{p}");
        }
        for p in ["$.a[*]", "$.*", "$..a", "$.a[0:2]", "$.a[?@.b == 1]", "$.a[0,1]", "$['a','b']", "$.a.*.b"] {
            assert!(!is_singular(p), "{p}");
        }
    }
}
