//! What an HTTP step observed: the request as sent and the response as received. The run
//! makes it (`run::http`); the judge reads it, as it reads what a page shows.

use serde_json::Value as Json;
use std::time::Duration;

/// A request as sent and the response as received.
#[derive(Debug)]
pub struct Exchange {
    /// `METHOD URL`, redacted.
    pub request_line: String,
    pub status: u16,
    pub reason: String,
    /// As received: names lower-case, the values of a name in order, as bytes.
    pub headers: reqwest::header::HeaderMap,
    /// The first `max_body` bytes of the body.
    pub body: Vec<u8>,
    /// The whole body's length, even past `max_body`.
    pub body_len: u64,
    pub body_truncated: bool,
    /// The SHA-256 of the whole body, computed only when a step asserts it.
    pub sha256: Option<[u8; 32]>,
    pub elapsed: Duration,
    /// Seconds since the epoch when the server's certificate stops being valid (HTTPS only).
    pub cert_not_after: Option<i64>,
    /// Where the answer came from, after redirects. Not redacted: for lookups such as the
    /// cookie jar, never for output.
    pub url: reqwest::Url,
    /// The redirects followed on the way, `303 https://…/login` each.
    pub redirects: Vec<String>,
    pub cookies: Vec<(String, String)>,
    pub(crate) json: std::sync::OnceLock<Result<Json, String>>,
}

impl Exchange {
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The body parsed as JSON, once.
    pub fn json(&self) -> Result<&Json, &str> {
        self.json
            .get_or_init(|| {
                if self.body_truncated {
                    return Err(format!(
                        "the body ({} bytes) is larger than max_body, so it was not parsed",
                        self.body_len
                    ));
                }
                serde_json::from_slice(&self.body).map_err(|e| format!("the body is not JSON ({e})"))
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// The values of header `name` (lower-case), in order, as text.
    pub fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = std::borrow::Cow<'a, str>> + 'a {
        self.headers.get_all(name).into_iter().map(|v| String::from_utf8_lossy(v.as_bytes()))
    }
}
