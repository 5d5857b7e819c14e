//! HTTP assertions, judged against an exchange.

use super::Exchange;
use super::Verdict;
use super::predicate::{Mismatch, describe, eval};
use super::show::normalize_ws;
use crate::suite::{AssertKind, Assertion, Capture, CaptureSource, HtmlTarget, JsonQuery, Sha256Source, StatusPattern};
use serde_json::Value as Json;
use std::borrow::Cow;
use std::collections::HashMap;

/// Judges all of a step's assertions against an HTTP exchange. Parses HTML once if needed.
pub fn judge_http(expect: &[Assertion], ex: &Exchange, caps: &HashMap<String, Json>) -> Verdict {
    let mut verdict = Verdict::default();
    let mut html: Option<scraper::Html> = None;
    for a in expect {
        // The subject in two parts (`json ` and the query), joined only for a failure.
        let html_subject: String;
        let (subject, tail, result) = match &a.kind {
            AssertKind::Status(patterns) => ("status", "", status(patterns, ex)),
            AssertKind::ImplicitStatus => ("status (implicit 2xx)", "", status(&[StatusPattern::Class(2)], ex)),
            AssertKind::Url(pred) => ("url", "", eval(pred, Some(&Json::String(ex.url.to_string())), caps, false)),
            AssertKind::Header { name, pred } => {
                let values: Vec<Cow<str>> = ex.header_values(name).collect();
                let actual = match values.as_slice() {
                    [] => None,
                    [one] => Some(Json::String(one.to_string())),
                    many => Some(Json::String(many.join(", "))),
                };
                ("header ", name.as_str(), eval(pred, actual.as_ref(), caps, false))
            }
            AssertKind::Body(pred) => {
                let text = ex.text();
                ("body", "", eval(pred, Some(&Json::String(text.into_owned())), caps, false))
            }
            AssertKind::Json { query, pred } => {
                let result = match ex.json() {
                    Ok(doc) => eval(pred, query_json(query, doc).as_ref(), caps, true),
                    Err(e) => Err(Mismatch { expected: describe(pred, caps), actual: e.to_string() }),
                };
                ("json ", query.source.as_str(), result)
            }
            AssertKind::Html { selector, target, pred } => {
                let doc = html.get_or_insert_with(|| scraper::Html::parse_document(&ex.text()));
                let actual = html_value(doc, selector, target);
                let what = match target {
                    HtmlTarget::Text => "text".to_string(),
                    HtmlTarget::Count => "count".to_string(),
                    HtmlTarget::Attr(a) => format!("attr {a}"),
                };
                html_subject = format!("html {selector} {what}");
                (html_subject.as_str(), "", eval(pred, actual.as_ref(), caps, false))
            }
            AssertKind::Time(pred) => {
                let ms = ex.elapsed.as_secs_f64() * 1000.0;
                let r = eval(pred, Some(&Json::from(ms.round())), caps, true).map_err(|m| Mismatch {
                    expected: format!("{} ms", m.expected),
                    actual: format!("{} ms", m.actual),
                });
                ("time", "", r)
            }
            AssertKind::Sha256(src) => ("sha256", "", sha256(src, ex)),
            AssertKind::CertDays(pred) => ("certificate days_left", "", cert_days(pred, ex, caps)),
        };
        verdict.add(a.pos, subject, tail, result);
    }
    verdict
}

/// The body's SHA-256 against a hex digest or a local file's.
fn sha256(src: &Sha256Source, ex: &Exchange) -> Result<(), Mismatch> {
    let Some(digest) = ex.sha256 else {
        return Err(Mismatch {
            expected: "a body digest".into(),
            actual: "none was computed (a bug in shakedown)".into(),
        });
    };
    let actual = hex::encode(digest);
    let expected = match src {
        Sha256Source::Hex(h) => Ok(h.clone()),
        Sha256Source::File(p) => std::fs::read(p)
            .map(|b| {
                use sha2::Digest;
                hex::encode(sha2::Sha256::digest(&b))
            })
            .map_err(|e| format!("cannot read {}: {e}", p.display())),
    };
    match expected {
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
    }
}

/// Whole days until the server's certificate expires, against the predicate.
fn cert_days(pred: &crate::suite::Predicate, ex: &Exchange, caps: &HashMap<String, Json>) -> Result<(), Mismatch> {
    let actual = ex.cert_not_after.map(|t| {
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        Json::from((t - now).div_euclid(86_400))
    });
    match actual {
        Some(days) => eval(pred, Some(&days), caps, true),
        None => Err(Mismatch {
            expected: describe(pred, caps),
            actual: "no TLS certificate (not an HTTPS response)".into(),
        }),
    }
}

/// Whether judging these assertions or captures reads the body as text (so a body cut at
/// `max_body` cannot be judged: what was cut could hold what they look for).
pub fn reads_body(expect: &[Assertion], captures: &[Capture]) -> bool {
    expect.iter().any(|a| matches!(a.kind, AssertKind::Body(_) | AssertKind::Json { .. } | AssertKind::Html { .. }))
        || captures
            .iter()
            .any(|c| matches!(c.source, CaptureSource::Json(..) | CaptureSource::Regex(_) | CaptureSource::Css { .. }))
}

/// Whether judging these assertions or captures needs the HTML parser (CPU work best done off
/// the async worker).
pub fn needs_html(expect: &[Assertion], captures: &[Capture]) -> bool {
    expect.iter().any(|a| matches!(a.kind, AssertKind::Html { .. } | AssertKind::Sha256(Sha256Source::File(_))))
        || captures.iter().any(|c| matches!(c.source, CaptureSource::Css { .. }))
}

/// Whether the status is one of the patterns.
fn status(patterns: &[StatusPattern], ex: &Exchange) -> Result<(), Mismatch> {
    let ok = patterns.iter().any(|p| match p {
        StatusPattern::Exact(c) => *c == ex.status,
        StatusPattern::Class(c) => ex.status / 100 == *c,
    });
    if ok {
        return Ok(());
    }
    let expected = patterns.iter().map(ToString::to_string).collect::<Vec<_>>().join(" or ");
    Err(Mismatch { expected, actual: format!("{} {}", ex.status, ex.reason).trim().to_string() })
}

/// A singular path yields its value or nothing; any other path yields a list, empty when
/// nothing matched, so one match is never mistaken for a scalar.
pub(super) fn query_json(query: &JsonQuery, doc: &Json) -> Option<Json> {
    let nodes = query.path.query(doc).all();
    if query.singular {
        return nodes.first().map(|v| (*v).clone());
    }
    Some(Json::Array(nodes.into_iter().cloned().collect()))
}

pub(super) fn html_value(doc: &scraper::Html, selector: &str, target: &HtmlTarget) -> Option<Json> {
    let sel = scraper::Selector::parse(selector).ok()?;
    match target {
        HtmlTarget::Count => Some(Json::from(doc.select(&sel).count())),
        HtmlTarget::Text => doc.select(&sel).next().map(|e| Json::String(normalize_ws(&e.text().collect::<String>()))),
        HtmlTarget::Attr(a) => {
            doc.select(&sel).next().and_then(|e| e.value().attr(a)).map(|v| Json::String(v.to_string()))
        }
    }
}
