//! Captures: a value taken from what a step observed, for later steps.

use super::Exchange;
use super::http::{html_value, query_json};
use crate::suite::{Capture, CaptureSource, HtmlTarget};
use serde_json::Value as Json;

/// Takes a capture's value from an exchange. An empty value (`null`, `""`, `[]`) is a failure
/// unless the capture allows it: used in a later URL or body it would pass a broken deploy.
pub fn capture_http(c: &Capture, ex: &Exchange, scope_cookie: impl Fn(&str) -> Option<String>) -> Result<Json, String> {
    let v = take(c, ex, scope_cookie)?;
    if !c.allow_empty
        && let Some(what) = emptiness(&v)
    {
        return Err(format!(
            "found {what}; add `allow_empty: true` to the capture if an empty value is a right answer"
        ));
    }
    Ok(v)
}

/// What makes a captured value empty, for messages.
pub fn emptiness(v: &Json) -> Option<&'static str> {
    match v {
        Json::Null => Some("null"),
        Json::String(s) if s.is_empty() => Some("an empty string"),
        Json::Array(a) if a.is_empty() => Some("an empty list (the path matched nothing)"),
        _ => None,
    }
}

fn take(c: &Capture, ex: &Exchange, scope_cookie: impl Fn(&str) -> Option<String>) -> Result<Json, String> {
    match &c.source {
        CaptureSource::Json(query) => {
            let doc = ex.json().map_err(str::to_string)?;
            query_json(query, doc).ok_or_else(|| format!("nothing at {} in the response", query.source))
        }
        CaptureSource::Header(name) => ex
            .header_values(name)
            .next()
            .map(|v| Json::String(v.into_owned()))
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
