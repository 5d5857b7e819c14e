//! Secret masking: one type that every output passes through.
//!
//! It starts with the suites' declared secrets and learns values seen at run time in
//! `Authorization`, `Cookie` and `Set-Cookie` headers. Every known value, and its
//! percent-encoded form (as it would appear in a URL), is replaced by `***`.

use std::sync::{Arc, RwLock};

/// Shared, cheap to clone; safe to use from any task.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Vec<String>>>,
}

pub const MASK: &str = "***";

/// Values shorter than this are not masked on their own: masking `a` or `1` everywhere would
/// make reports unreadable and reveal more (by where the masks fall) than it hides.
const MIN_SECRET_LEN: usize = 3;

/// Header names whose values are always secret.
pub fn is_sensitive_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(n.as_str(), "authorization" | "proxy-authorization" | "cookie" | "set-cookie")
        || n.contains("token")
        || n.contains("api-key")
        || n.contains("apikey")
        || n.contains("secret")
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a secret value (and its URL-encoded form) to mask from now on.
    pub fn add(&self, value: &str) {
        let value = value.trim();
        if value.len() < MIN_SECRET_LEN {
            return;
        }
        // Known already (a session cookie seen on every response): nothing to do.
        if self.secrets.read().is_ok_and(|l| l.iter().any(|s| s == value)) {
            return;
        }
        let mut list = match self.secrets.write() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut add_one = |v: String| {
            if !list.contains(&v) {
                list.push(v);
            }
        };
        for form in encodings(value) {
            add_one(form);
        }
        // Longest first, so a secret that contains another is masked whole.
        list.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// Learns the secret parts of a header value: the whole value, a bearer token, and each
    /// cookie value.
    pub fn add_header(&self, name: &str, value: &str) {
        if !is_sensitive_header(name) {
            return;
        }
        self.add(value);
        if let Some((_, token)) = value.split_once(' ') {
            self.add(token);
        }
        let lower = name.to_ascii_lowercase();
        if lower == "cookie" || lower == "set-cookie" {
            let pairs = if lower == "cookie" {
                value.split(';').collect::<Vec<_>>()
            } else {
                value.split(';').take(1).collect()
            };
            for pair in pairs {
                if let Some((_, v)) = pair.split_once('=') {
                    self.add(v.trim().trim_matches('"'));
                }
            }
        }
    }

    /// Masks every known secret in a text.
    pub fn redact(&self, text: &str) -> String {
        let list = match self.secrets.read() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut out = text.to_string();
        for s in list.iter() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), MASK);
            }
        }
        out
    }

    /// A header line as it may be shown: sensitive headers masked whole.
    pub fn header(&self, name: &str, value: &str) -> String {
        if is_sensitive_header(name) { format!("{name}: {MASK}") } else { format!("{name}: {}", self.redact(value)) }
    }
}

/// The value, and every form it takes when written into a URL: fully percent-encoded, as a
/// form field, and as the URL parser leaves it in a path, a query or a fragment (which encode
/// fewer characters: `!` stays, a space becomes `%20`).
fn encodings(value: &str) -> Vec<String> {
    let mut out = vec![value.to_string()];
    let full = percent_encode(value);
    out.push(full.replace("%20", "+"));
    out.push(full);
    out.push(url::form_urlencoded::byte_serialize(value.as_bytes()).collect());
    if let Ok(mut u) = url::Url::parse("http://h/") {
        u.set_query(Some(value));
        out.extend(u.query().map(str::to_string));
        u.set_query(None);
        u.set_fragment(Some(value));
        out.extend(u.fragment().map(str::to_string));
        u.set_fragment(None);
        u.set_path(value);
        out.push(u.path().trim_start_matches('/').to_string());
    }
    // Inside a JSON string, and in HTML text or attributes.
    if let Ok(json) = serde_json::to_string(value) {
        out.push(json.trim_matches('"').to_string());
    }
    out.push(
        value
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;"),
    );
    out.retain(|v| v.len() >= MIN_SECRET_LEN);
    out.sort();
    out.dedup();
    out
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_values_and_their_url_forms() {
        let r = Redactor::new();
        r.add("p@ss word!");
        assert_eq!(
            r.redact("pw=p@ss word! url=/x?pw=p%40ss%20word%21 form=p%40ss+word%21"),
            "pw=*** url=/x?pw=*** form=***"
        );
    }

    #[test]
    fn masks_values_as_the_url_parser_writes_them() {
        let r = Redactor::new();
        r.add("s3cr3t pass!");
        let url = url::Url::parse("http://h/p/s3cr3t pass!?pw=s3cr3t pass!#s3cr3t pass!").expect("valid");
        let shown = r.redact(url.as_str());
        assert!(!shown.contains("s3cr3t"), "{shown}");
        let mut u = url::Url::parse("http://h/").expect("valid");
        u.query_pairs_mut().append_pair("pw", "s3cr3t pass!");
        assert!(!r.redact(u.as_str()).contains("s3cr3t"), "{}", r.redact(u.as_str()));
        r.add("quo\"te&<amp>");
        let json = serde_json::json!({ "pw": "quo\"te&<amp>" }).to_string();
        assert_eq!(r.redact(&json), r#"{"pw":"***"}"#);
        assert_eq!(r.redact("<input value=\"quo&quot;te&amp;&lt;amp&gt;\">"), "<input value=\"***\">");
    }

    #[test]
    fn learns_from_sensitive_headers() {
        let r = Redactor::new();
        r.add_header("Authorization", "Bearer abc.def.ghi");
        r.add_header("Set-Cookie", "session=s3cr3t-token; Path=/; HttpOnly");
        r.add_header("Content-Type", "text/html");
        assert_eq!(r.redact("token abc.def.ghi and s3cr3t-token in text/html"), "token *** and *** in text/html");
        assert_eq!(r.header("cookie", "session=s3cr3t-token"), "cookie: ***");
    }

    #[test]
    fn longer_secrets_win() {
        let r = Redactor::new();
        r.add("abc");
        r.add("abcdef");
        assert_eq!(r.redact("xabcdefx"), "x***x");
    }
}
