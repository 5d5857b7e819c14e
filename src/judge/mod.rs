//! Judging: assertions and captures against what a step observed. One module for HTTP and
//! browser alike: both reduce an assertion to "the value found" and judge it with the same
//! predicates.

use crate::load::yaml::Pos;
use crate::result::Finding;
use crate::run::http::Exchange;
use crate::suite::{
    AssertKind, Assertion, Capture, CaptureSource, HtmlTarget, JsonType, Op, Predicate, Sha256Source, StatusPattern,
};
use serde_json::Value as Json;
use std::collections::HashMap;

/// What judging a step's assertions found.
#[derive(Debug, Default)]
pub struct Verdict {
    /// The assertions that did not hold, in file order.
    pub findings: Vec<Finding>,
    /// One line per assertion, for the step log.
    pub log: Vec<String>,
}

impl Verdict {
    /// Records one assertion's result.
    pub fn add(&mut self, pos: Pos, subject: String, result: Result<(), Mismatch>) {
        match result {
            Ok(()) => self.log.push(format!("  ✓ {subject}")),
            Err(m) => {
                self.log.push(format!("  ✗ {subject}: expected {}, got {}", m.expected, m.actual));
                self.findings.push(Finding {
                    line: pos.line,
                    col: pos.col,
                    subject,
                    expected: m.expected,
                    actual: m.actual,
                });
            }
        }
    }
}

/// Judges all of a step's assertions against an HTTP exchange. Parses HTML once if needed.
pub fn judge_http(expect: &[Assertion], ex: &Exchange, caps: &HashMap<String, Json>) -> Verdict {
    let mut verdict = Verdict::default();
    let mut html: Option<scraper::Html> = None;
    for a in expect {
        let (subject, result) = match &a.kind {
            AssertKind::Status(patterns) => {
                let ok = patterns.iter().any(|p| match p {
                    StatusPattern::Exact(c) => *c == ex.status,
                    StatusPattern::Class(c) => ex.status / 100 == *c,
                });
                let expected = patterns.iter().map(ToString::to_string).collect::<Vec<_>>().join(" or ");
                let r = if ok {
                    Ok(())
                } else {
                    Err(Mismatch { expected, actual: format!("{} {}", ex.status, ex.reason).trim().to_string() })
                };
                ("status".to_string(), r)
            }
            AssertKind::Header { name, pred } => {
                let values: Vec<&str> = ex.header_values(name).collect();
                let actual = match values.as_slice() {
                    [] => None,
                    [one] => Some(Json::String((*one).to_string())),
                    many => Some(Json::String(many.join(", "))),
                };
                (format!("header {name}"), eval(pred, actual.as_ref(), caps, false))
            }
            AssertKind::Body(pred) => {
                let text = ex.text();
                (String::from("body"), eval(pred, Some(&Json::String(text.into_owned())), caps, false))
            }
            AssertKind::Json { path, source, pred } => {
                let subject = format!("json {source}");
                match ex.json() {
                    Ok(doc) => (subject, eval(pred, query_json(path, doc).as_ref(), caps, true)),
                    Err(e) => (subject, Err(Mismatch { expected: describe(pred, caps), actual: e.to_string() })),
                }
            }
            AssertKind::Html { selector, target, pred } => {
                let doc = html.get_or_insert_with(|| scraper::Html::parse_document(&ex.text()));
                let actual = html_value(doc, selector, target);
                let what = match target {
                    HtmlTarget::Text => "text".to_string(),
                    HtmlTarget::Count => "count".to_string(),
                    HtmlTarget::Attr(a) => format!("attr {a}"),
                };
                (format!("html {selector} {what}"), eval(pred, actual.as_ref(), caps, false))
            }
            AssertKind::Time(pred) => {
                let ms = ex.elapsed.as_secs_f64() * 1000.0;
                let r = eval(pred, Some(&Json::from(ms.round())), caps, true).map_err(|m| Mismatch {
                    expected: format!("{} ms", m.expected),
                    actual: format!("{} ms", m.actual),
                });
                ("time".to_string(), r)
            }
            AssertKind::Sha256(src) => {
                let actual = hex::encode(ex.sha256);
                let expected = match src {
                    Sha256Source::Hex(h) => Ok(h.clone()),
                    Sha256Source::File(p) => std::fs::read(p)
                        .map(|b| {
                            use sha2::Digest;
                            hex::encode(sha2::Sha256::digest(&b))
                        })
                        .map_err(|e| format!("cannot read {}: {e}", p.display())),
                };
                let r = match expected {
                    Ok(e) if e == actual => Ok(()),
                    Ok(e) => {
                        let label = match src {
                            Sha256Source::File(p) => format!(
                                "{e} (sha256 of {})",
                                p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
                            ),
                            Sha256Source::Hex(_) => e,
                        };
                        Err(Mismatch { expected: label, actual: format!("{actual} ({} bytes)", ex.body_len) })
                    }
                    Err(e) => Err(Mismatch { expected: "a readable local file".into(), actual: e }),
                };
                ("sha256".to_string(), r)
            }
            AssertKind::CertDays(pred) => {
                let actual = ex.cert_not_after.map(|t| {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs() as i64)
                        .unwrap_or(0);
                    Json::from((t - now).div_euclid(86_400))
                });
                let r = match actual {
                    Some(days) => eval(pred, Some(&days), caps, true),
                    None => Err(Mismatch {
                        expected: describe(pred, caps),
                        actual: "no TLS certificate (not an HTTPS response)".into(),
                    }),
                };
                ("certificate days_left".to_string(), r)
            }
        };
        verdict.add(a.pos, subject, result);
    }
    verdict
}

/// Whether judging these assertions or captures needs the HTML parser (CPU work best done off
/// the async worker).
pub fn needs_html(expect: &[Assertion], captures: &[Capture]) -> bool {
    expect.iter().any(|a| matches!(a.kind, AssertKind::Html { .. } | AssertKind::Sha256(Sha256Source::File(_))))
        || captures.iter().any(|c| matches!(c.source, CaptureSource::Css { .. }))
}

fn query_json(path: &serde_json_path::JsonPath, doc: &Json) -> Option<Json> {
    let nodes = path.query(doc).all();
    match nodes.as_slice() {
        [] => None,
        [one] => Some((*one).clone()),
        many => Some(Json::Array(many.iter().map(|v| (*v).clone()).collect())),
    }
}

fn html_value(doc: &scraper::Html, selector: &str, target: &HtmlTarget) -> Option<Json> {
    let sel = scraper::Selector::parse(selector).ok()?;
    match target {
        HtmlTarget::Count => Some(Json::from(doc.select(&sel).count())),
        HtmlTarget::Text => doc.select(&sel).next().map(|e| Json::String(normalize_ws(&e.text().collect::<String>()))),
        HtmlTarget::Attr(a) => {
            doc.select(&sel).next().and_then(|e| e.value().attr(a)).map(|v| Json::String(v.to_string()))
        }
    }
}

/// Collapses runs of whitespace, as a browser shows text.
pub fn normalize_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Takes a capture's value from an exchange.
pub fn capture_http(c: &Capture, ex: &Exchange, scope_cookie: impl Fn(&str) -> Option<String>) -> Result<Json, String> {
    match &c.source {
        CaptureSource::Json(path, src) => {
            let doc = ex.json().map_err(str::to_string)?;
            query_json(path, doc).ok_or_else(|| format!("nothing at {src} in the response"))
        }
        CaptureSource::Header(name) => ex
            .header_values(name)
            .next()
            .map(|v| Json::String(v.to_string()))
            .ok_or_else(|| format!("the response has no `{name}` header")),
        CaptureSource::Cookie(name) => ex
            .cookies
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .or_else(|| scope_cookie(name))
            .map(Json::String)
            .ok_or_else(|| format!("no cookie named `{name}` was set")),
        CaptureSource::Regex(re) => {
            let text = ex.text();
            let caps = re.captures(&text).ok_or_else(|| format!("/{}/ does not match the body", re.as_str()))?;
            let m = caps.get(1).or_else(|| caps.get(0)).map(|m| m.as_str().to_string()).unwrap_or_default();
            Ok(Json::String(m))
        }
        CaptureSource::Css { selector, attr } => {
            let doc = scraper::Html::parse_document(&ex.text());
            let target = match attr {
                Some(a) => HtmlTarget::Attr(a.clone()),
                None => HtmlTarget::Text,
            };
            html_value(&doc, selector, &target).ok_or_else(|| {
                format!(
                    "no element matches `{selector}`{}",
                    attr.as_ref().map(|a| format!(" with attribute `{a}`")).unwrap_or_default()
                )
            })
        }
        CaptureSource::Status => Ok(Json::from(ex.status)),
    }
}

/// Expected against actual, as text for people.
#[derive(Debug, PartialEq)]
pub struct Mismatch {
    pub expected: String,
    pub actual: String,
}

/// Judges a value against all of a predicate's conditions. `strict` compares JSON types
/// exactly; otherwise (headers, text) scalars are compared by their text.
pub fn eval(
    pred: &Predicate,
    actual: Option<&Json>,
    caps: &HashMap<String, Json>,
    strict: bool,
) -> Result<(), Mismatch> {
    for op in &pred.ops {
        let fail = |expected: String| Mismatch { expected, actual: show_opt(actual) };
        if let Op::Exists(want) = op {
            if actual.is_some() != *want {
                return Err(fail(if *want { "a value".into() } else { "no value".into() }));
            }
            continue;
        }
        let Some(v) = actual else {
            return Err(fail(describe_op(op, caps)));
        };
        let ok = match op {
            Op::Equals(t) => t.render(caps).is_ok_and(|e| same(v, &e, strict)),
            Op::NotEquals(t) => t.render(caps).is_ok_and(|e| !same(v, &e, strict)),
            Op::OneOf(ts) => ts.iter().any(|t| t.render(caps).is_ok_and(|e| same(v, &e, strict))),
            Op::Contains(t) => t.render(caps).is_ok_and(|e| contains(v, &e)),
            Op::NotContains(t) => t.render(caps).is_ok_and(|e| !contains(v, &e)),
            Op::Lt(n) => number(v, strict).is_some_and(|x| x < *n),
            Op::Lte(n) => number(v, strict).is_some_and(|x| x <= *n),
            Op::Gt(n) => number(v, strict).is_some_and(|x| x > *n),
            Op::Gte(n) => number(v, strict).is_some_and(|x| x >= *n),
            Op::Matches(re) => re.is_match(&text_of(v)),
            Op::NotMatches(re) => !re.is_match(&text_of(v)),
            Op::Type(t) => {
                let actual_t = JsonType::of(v);
                actual_t == *t || (*t == JsonType::Number && actual_t == JsonType::Integer)
            }
            Op::Length(inner) => {
                let len = match v {
                    Json::String(s) => Some(s.chars().count()),
                    Json::Array(a) => Some(a.len()),
                    Json::Object(o) => Some(o.len()),
                    _ => None,
                };
                match len {
                    Some(l) => match eval(inner, Some(&Json::from(l)), caps, true) {
                        Ok(()) => true,
                        Err(m) => {
                            return Err(Mismatch {
                                expected: format!("length {}", m.expected),
                                actual: format!("length {l}: {}", show(v)),
                            });
                        }
                    },
                    None => false,
                }
            }
            Op::Exists(_) => true,
        };
        if !ok {
            let mut m = fail(describe_op(op, caps));
            if let Op::Type(_) = op {
                m.actual = format!("{} {}", JsonType::of(v).name(), show(v));
            }
            return Err(m);
        }
    }
    Ok(())
}

fn same(a: &Json, b: &Json, strict: bool) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        (Json::Array(x), Json::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q, strict)),
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w, strict)))
        }
        (Json::String(_), Json::Number(_) | Json::Bool(_)) | (Json::Number(_) | Json::Bool(_), Json::String(_))
            if !strict =>
        {
            text_of(a) == text_of(b)
        }
        _ => a == b,
    }
}

fn contains(haystack: &Json, needle: &Json) -> bool {
    match haystack {
        Json::String(s) => s.contains(&text_of(needle)),
        Json::Array(items) => items.iter().any(|i| same(i, needle, true)),
        Json::Object(map) => map.contains_key(&text_of(needle)),
        other => text_of(other).contains(&text_of(needle)),
    }
}

fn number(v: &Json, strict: bool) -> Option<f64> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) if !strict => s.trim().parse().ok(),
        _ => None,
    }
}

fn text_of(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value for a message. Not cut here: secrets must be masked before anything is shortened,
/// or a cut could leave half a secret that no longer matches (see `runner::failure_problem`).
pub fn show(v: &Json) -> String {
    let s = v.to_string();
    truncate(&s, 256 * 1024)
}

fn show_opt(v: Option<&Json>) -> String {
    v.map_or_else(|| "nothing (no such value)".to_string(), show)
}

pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &s[..end], s.len())
}

/// What a predicate wants, for messages.
pub fn describe(pred: &Predicate, caps: &HashMap<String, Json>) -> String {
    pred.ops.iter().map(|o| describe_op(o, caps)).collect::<Vec<_>>().join(" and ")
}

fn describe_op(op: &Op, caps: &HashMap<String, Json>) -> String {
    let r = |t: &crate::suite::JsonTemplate| t.render(caps).map(|v| show(&v)).unwrap_or_else(|e| format!("<{e}>"));
    match op {
        Op::Equals(t) => r(t),
        Op::NotEquals(t) => format!("not {}", r(t)),
        Op::OneOf(ts) => format!("one of {}", ts.iter().map(r).collect::<Vec<_>>().join(", ")),
        Op::Contains(t) => format!("to contain {}", r(t)),
        Op::NotContains(t) => format!("not to contain {}", r(t)),
        Op::Lt(n) => format!("< {n}"),
        Op::Lte(n) => format!("<= {n}"),
        Op::Gt(n) => format!("> {n}"),
        Op::Gte(n) => format!(">= {n}"),
        Op::Matches(re) => format!("to match /{}/", re.as_str()),
        Op::NotMatches(re) => format!("not to match /{}/", re.as_str()),
        Op::Exists(true) => "a value".into(),
        Op::Exists(false) => "no value".into(),
        Op::Type(t) => format!("a {}", t.name()),
        Op::Length(p) => format!("length {}", describe(p, caps)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::JsonTemplate;
    use serde_json::json;

    fn p(ops: Vec<Op>) -> Predicate {
        Predicate { ops }
    }
    fn v(j: Json) -> JsonTemplate {
        JsonTemplate::Value(j)
    }
    fn none() -> HashMap<String, Json> {
        HashMap::new()
    }

    #[test]
    fn equality_is_strict_for_json_and_loose_for_text() {
        let eq = p(vec![Op::Equals(v(json!(3)))]);
        assert!(eval(&eq, Some(&json!(3.0)), &none(), true).is_ok());
        assert!(eval(&eq, Some(&json!("3")), &none(), true).is_err());
        assert!(eval(&eq, Some(&json!("3")), &none(), false).is_ok());
        assert!(eval(&eq, Some(&json!(4)), &none(), true).is_err());
    }

    #[test]
    fn missing_values_fail_unless_absence_is_wanted() {
        let eq = p(vec![Op::Equals(v(json!("x")))]);
        let m = eval(&eq, None, &none(), true).unwrap_err();
        assert_eq!(m.expected, "\"x\"");
        assert!(m.actual.contains("nothing"));
        assert!(eval(&p(vec![Op::Exists(false)]), None, &none(), true).is_ok());
        assert!(eval(&p(vec![Op::Exists(false)]), Some(&json!(null)), &none(), true).is_err());
    }

    #[test]
    fn comparisons_contains_types_and_lengths() {
        let caps = none();
        assert!(eval(&p(vec![Op::Lt(10.0), Op::Gte(2.0)]), Some(&json!(5)), &caps, true).is_ok());
        assert!(eval(&p(vec![Op::Lt(10.0)]), Some(&json!(10)), &caps, true).is_err());
        assert!(eval(&p(vec![Op::Contains(v(json!("tools")))]), Some(&json!(["heavy", "tools"])), &caps, true).is_ok());
        assert!(eval(&p(vec![Op::Contains(v(json!("x")))]), Some(&json!(["heavy"])), &caps, true).is_err());
        assert!(eval(&p(vec![Op::Type(JsonType::Number)]), Some(&json!(2)), &caps, true).is_ok());
        assert!(eval(&p(vec![Op::Type(JsonType::String)]), Some(&json!(2)), &caps, true).is_err());
        let len3 = p(vec![Op::Length(Box::new(p(vec![Op::Equals(v(json!(3)))])))]);
        assert!(eval(&len3, Some(&json!([1, 2, 3])), &caps, true).is_ok());
        assert!(eval(&len3, Some(&json!([1, 2])), &caps, true).is_err());
        let re = regex::Regex::new("^c0f").expect("valid");
        assert!(eval(&p(vec![Op::Matches(re.clone())]), Some(&json!("c0ffee")), &caps, true).is_ok());
        assert!(eval(&p(vec![Op::NotMatches(re)]), Some(&json!("c0ffee")), &caps, true).is_err());
    }

    #[test]
    fn expected_values_may_come_from_captures() {
        let t =
            crate::load::template::Template::build(crate::load::template::parse("${{ role }}").expect("ok"), |_| {
                Some(crate::load::template::Resolved::Capture)
            })
            .expect("ok");
        let pred = p(vec![Op::Equals(JsonTemplate::Str(t))]);
        let caps = HashMap::from([("role".to_string(), json!("maintainer"))]);
        assert!(eval(&pred, Some(&json!("maintainer")), &caps, true).is_ok());
        assert!(eval(&pred, Some(&json!("viewer")), &caps, true).is_err());
        // Without the capture the expectation cannot be met.
        assert!(eval(&pred, Some(&json!("maintainer")), &none(), true).is_err());
    }
}
