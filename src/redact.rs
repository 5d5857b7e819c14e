//! Secret masking: one type that every output passes through.
//!
//! It starts with the suites' declared secrets and learns values seen at run time in
//! `Authorization`, `Cookie` and `Set-Cookie` headers. Every known value, and its
//! percent-encoded form (as it would appear in a URL), is replaced by `***`.

use aho_corasick::{AhoCorasick, MatchKind};
use std::sync::{Arc, RwLock};

/// Shared, cheap to clone; safe to use from any task.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    inner: Arc<RwLock<Known>>,
}

/// The known secret forms, and one automaton that finds them all in a single pass.
#[derive(Debug, Default)]
struct Known {
    secrets: Vec<String>,
    /// Built from `secrets`, leftmost-longest, so a secret that contains another is masked
    /// whole. `None` while there are no secrets.
    matcher: Option<AhoCorasick>,
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
        if self.inner.read().is_ok_and(|k| k.secrets.iter().any(|s| s == value)) {
            return;
        }
        let mut known = match self.inner.write() {
            Ok(k) => k,
            Err(poisoned) => poisoned.into_inner(),
        };
        let before = known.secrets.len();
        for form in encodings(value) {
            if !known.secrets.contains(&form) {
                known.secrets.push(form);
            }
        }
        if known.secrets.len() != before {
            known.matcher = AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(&known.secrets).ok();
        }
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
        let known = match self.inner.read() {
            Ok(k) => k,
            Err(poisoned) => poisoned.into_inner(),
        };
        match &known.matcher {
            Some(m) => m.replace_all(text, &vec![MASK; known.secrets.len()]),
            None => text.to_string(),
        }
    }

    /// Masks a text that was cut from a longer one: also a secret cut in two at its end, whose
    /// start no longer matches it whole.
    pub fn redact_cut(&self, text: &str) -> String {
        let mut out = self.redact(text);
        let known = match self.inner.read() {
            Ok(k) => k,
            Err(poisoned) => poisoned.into_inner(),
        };
        let longest = known
            .secrets
            .iter()
            .filter_map(|s| {
                (MIN_SECRET_LEN..s.len()).rev().filter(|&k| s.is_char_boundary(k)).find(|&k| out.ends_with(&s[..k]))
            })
            .max();
        if let Some(k) = longest {
            out.truncate(out.len() - k);
            out.push_str(MASK);
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

/// Every byte but unreserved ones (RFC 3986) percent-encoded.
fn percent_encode(s: &str) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
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
    fn a_secret_cut_at_the_end_is_masked_too() {
        let r = Redactor::new();
        r.add("Zq7s3cr3t!");
        assert_eq!(r.redact_cut("token=Zq7s3cr3"), "token=***");
        assert_eq!(r.redact_cut("token=Zq"), "token=Zq", "two letters say nothing");
        assert_eq!(r.redact_cut("a Zq7s3cr3t! b"), "a *** b");
        assert_eq!(r.redact("token=Zq7s3cr3"), "token=Zq7s3cr3", "only a cut text is read this way");
    }

    #[test]
    fn longer_secrets_win() {
        let r = Redactor::new();
        r.add("abc");
        r.add("abcdef");
        assert_eq!(r.redact("xabcdefx"), "x***x");
    }
}
