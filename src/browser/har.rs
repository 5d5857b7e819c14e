//! The network log of a failed check as a HAR 1.2 file (`network.har`), secrets masked:
//! sensitive headers (`Authorization`, `Cookie`, `Set-Cookie`, names with `token`, `secret`,
//! `api-key`) keep their name with the value `***`, and every URL and other header value goes
//! through the run's [`Redactor`]. Bodies are not recorded, so none are saved.

use super::journal::{Request, Response};
use crate::redact::{MASK, Redactor, is_sensitive_header, mask_url_credentials};
use serde_json::{Value as Json, json};

/// The HAR document for `requests` (oldest first); `dropped` older ones were not kept.
pub(super) fn har<'a>(requests: impl Iterator<Item = &'a Request>, dropped: u64, redactor: &Redactor) -> Json {
    let requests: Vec<&Request> = requests.collect();
    // What the browser sent and got in sensitive headers is a secret wherever else it shows.
    for r in &requests {
        let response = r.response.iter().flat_map(|resp| resp.headers.iter());
        for (name, value) in r.headers.iter().chain(response) {
            redactor.add_header(name, value);
        }
    }
    let entries: Vec<Json> = requests.iter().map(|r| entry(r, redactor)).collect();
    let mut log = json!({
        "version": "1.2",
        "creator": { "name": "shakedown", "version": env!("CARGO_PKG_VERSION") },
        "pages": [],
        "entries": entries,
    });
    if dropped > 0 {
        log["comment"] = json!(format!(
            "the first {dropped} request(s) were not kept (at most {} are)",
            super::journal::MAX_REQUESTS
        ));
    }
    json!({ "log": log })
}

fn headers(list: &[(String, String)], redactor: &Redactor) -> Json {
    let shown: Vec<Json> = list
        .iter()
        .map(|(name, value)| {
            // A `Referer` or `Location` may carry a token in its query.
            let value = if is_sensitive_header(name) {
                MASK.to_string()
            } else {
                redactor.redact(&mask_url_credentials(value))
            };
            json!({ "name": name, "value": value })
        })
        .collect();
    Json::Array(shown)
}

fn query(url: &str) -> Json {
    let Ok(u) = url::Url::parse(url) else { return json!([]) };
    Json::Array(u.query_pairs().map(|(n, v)| json!({ "name": n, "value": v })).collect())
}

fn http_version(protocol: &str) -> String {
    match protocol.to_ascii_lowercase().as_str() {
        "" => "HTTP/1.1".into(),
        "h2" | "http/2" | "http/2.0" => "HTTP/2".into(),
        "h3" | "http/3" => "HTTP/3".into(),
        p => p.to_ascii_uppercase(),
    }
}

fn entry(r: &Request, redactor: &Redactor) -> Json {
    let url = redactor.redact(&mask_url_credentials(&r.url));
    let started = chrono::DateTime::from_timestamp_millis(r.started as i64).unwrap_or_default();
    let time = r.ended.map(|e| (e - r.started).max(0.0)).unwrap_or(0.0);
    let version = http_version(r.response.as_ref().map(|x| x.protocol.as_str()).unwrap_or(""));
    let mut e = json!({
        "startedDateTime": started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "time": time,
        "request": {
            "method": r.method,
            "url": url,
            "httpVersion": version,
            "cookies": [],
            "headers": headers(&r.headers, redactor),
            "queryString": query(&url),
            "headersSize": -1,
            "bodySize": -1,
        },
        "response": response(r.response.as_ref(), &version, redactor),
        "cache": {},
        "timings": timings(&r.timings),
    });
    if let Some(err) = &r.error {
        e["_error"] = json!(redactor.redact(err));
    }
    e
}

fn response(r: Option<&Response>, version: &str, redactor: &Redactor) -> Json {
    let empty = Response::default();
    let r = r.unwrap_or(&empty);
    let location = r
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("location"))
        .map(|(_, v)| redactor.redact(&mask_url_credentials(v)));
    json!({
        "status": r.status,
        "statusText": redactor.redact(&r.status_text),
        "httpVersion": version,
        "cookies": [],
        "headers": headers(&r.headers, redactor),
        "content": { "size": r.size.max(0), "mimeType": r.mime },
        "redirectURL": location.unwrap_or_default(),
        "headersSize": -1,
        "bodySize": -1,
    })
}

/// HAR timings from BiDi's `FetchTimingInfo` (milliseconds from the same origin; 0 when not
/// known): `-1` for a phase that did not happen.
fn timings(t: &Json) -> Json {
    let at = |k: &str| t.get(k).and_then(Json::as_f64).filter(|v| *v > 0.0);
    let span = |a: &str, b: &str| match (at(a), at(b)) {
        (Some(x), Some(y)) if y >= x => y - x,
        _ => -1.0,
    };
    let non_negative = |v: f64| v.max(0.0);
    json!({
        "blocked": -1,
        "dns": span("dnsStart", "dnsEnd"),
        "connect": span("connectStart", "connectEnd"),
        "ssl": span("tlsStart", "connectEnd"),
        "send": 0,
        "wait": non_negative(span("requestStart", "responseStart")),
        "receive": non_negative(span("responseStart", "responseEnd")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_and_the_shape_is_har_1_2() {
        let redactor = Redactor::new();
        redactor.add("s3cr3t-token-value");
        let r = Request {
            method: "GET".into(),
            url: "http://h/api?token=s3cr3t-token-value&page=2".into(),
            headers: vec![
                ("Authorization".into(), "Bearer abcdefgh12345678".into()),
                ("X-Trace".into(), "s3cr3t-token-value".into()),
                ("Accept".into(), "*/*".into()),
            ],
            started: 1_700_000_000_000.0,
            ended: Some(1_700_000_000_042.0),
            response: Some(Response { status: 503, status_text: "Service Unavailable".into(), ..Response::default() }),
            ..Request::default()
        };
        let doc = har([&r].into_iter(), 0, &redactor);
        let text = doc.to_string();
        assert!(!text.contains("s3cr3t-token-value") && !text.contains("abcdefgh12345678"), "{text}");
        let e = &doc["log"]["entries"][0];
        assert_eq!(doc["log"]["version"], "1.2");
        assert_eq!(e["request"]["url"], "http://h/api?token=***&page=2");
        assert_eq!(e["request"]["headers"][0]["value"], "***");
        assert_eq!(e["request"]["headers"][2]["value"], "*/*");
        assert_eq!(e["response"]["status"], 503);
        assert_eq!(e["time"], 42.0);
        assert_eq!(e["startedDateTime"], "2023-11-14T22:13:20.000Z");
        for k in ["send", "wait", "receive"] {
            assert!(e["timings"][k].as_f64().is_some_and(|v| v >= 0.0), "{k}: {e}");
        }
        // The token learned from the Authorization header is masked elsewhere too.
        assert_eq!(redactor.redact("x abcdefgh12345678 y"), "x *** y");
    }
}
