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
    /// With a bound ([`Redactor::bounded`]): the forms each value learned from headers added,
    /// oldest first, so the oldest can be forgotten. Declared secrets are never forgotten.
    learned: std::collections::VecDeque<Vec<String>>,
    /// How many learned values are kept; `None`: all of them.
    learned_cap: Option<usize>,
}

pub const MASK: &str = "***";

/// Values shorter than this are not masked on their own: masking `a` or `1` everywhere would
/// make reports unreadable and reveal more (by where the masks fall) than it hides.
const MIN_SECRET_LEN: usize = 3;

/// Whether a cookie holds a session or a credential: marked `HttpOnly`, named like one, or a
/// long random-looking value. Other cookies (`theme=dark`, `status=500`) are not masked, so
/// masking them cannot rewrite ordinary words and numbers in every report.
pub fn is_session_cookie(name: &str, value: &str, http_only: bool) -> bool {
    const WORDS: &[&str] =
        &["sess", "sid", "token", "auth", "jwt", "csrf", "xsrf", "login", "remember", "secret", "key", "credential"];
    let n = name.to_ascii_lowercase();
    let random_looking = value.len() >= 16
        && value.chars().any(|c| c.is_ascii_digit())
        && value.chars().any(|c| c.is_ascii_alphabetic());
    http_only || WORDS.iter().any(|w| n.contains(w)) || random_looking
}

/// Why a secret's value cannot be masked well, if it cannot: too short to be masked at all,
/// or so short or common that masking it everywhere garbles the output (and shows where it
/// stands). Never says the value.
pub fn weak_secret(value: &str) -> Option<String> {
    const COMMON: &[&str] =
        &["password", "passwd", "secret", "admin", "test", "changeme", "letmein", "true", "false", "null", "default"];
    let v = value.trim();
    let n = v.chars().count();
    if n < MIN_SECRET_LEN {
        Some(format!("is {n} character(s) long: too short to be masked, so it can appear in the output"))
    } else if n < 8 || v.chars().all(|c| c.is_ascii_digit()) || COMMON.contains(&v.to_ascii_lowercase().as_str()) {
        Some(format!(
            "is short or common ({n} characters): it is masked wherever it appears, which can garble the output; use a longer, random value"
        ))
    } else {
        None
    }
}

/// Header names whose values are always secret.
/// Asked for every header of every request and response, so it compares in place (ASCII case
/// folded) instead of lower-casing a copy.
pub fn is_sensitive_header(name: &str) -> bool {
    const NAMES: [&str; 4] = ["authorization", "proxy-authorization", "cookie", "set-cookie"];
    const WORDS: [&[u8]; 4] = [b"token", b"api-key", b"apikey", b"secret"];
    let n = name.as_bytes();
    NAMES.iter().any(|x| name.eq_ignore_ascii_case(x))
        || WORDS.iter().any(|w| {
            // The first letter first: most places cannot start the word.
            n.windows(w.len()).any(|part| part[0].eq_ignore_ascii_case(&w[0]) && part.eq_ignore_ascii_case(w))
        })
}

/// A URL with the values of parameters that look like credentials (in the query or in a
/// `#fragment` of `name=value` pairs: `access_token`, `code`, `X-Amz-Signature`, `api_key`, …)
/// and the password of its userinfo replaced by `***`, for URLs the browser reports, which may
/// carry a secret nobody declared. Text that is not a URL comes back unchanged.
pub fn mask_url_credentials(text: &str) -> String {
    const WORDS: [&str; 10] =
        ["token", "secret", "key", "sig", "password", "passwd", "auth", "credential", "code", "session"];
    let Ok(mut url) = url::Url::parse(text) else { return text.to_string() };
    let sensitive = |name: &str| {
        let n = name.to_ascii_lowercase();
        WORDS.iter().any(|w| n.contains(w))
    };
    let mask = |pairs: &str| -> Option<String> {
        let mut changed = false;
        let out: Vec<String> = pairs
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((n, v)) if !v.is_empty() && sensitive(n) => {
                    changed = true;
                    format!("{n}={MASK}")
                }
                _ => p.to_string(),
            })
            .collect();
        changed.then(|| out.join("&"))
    };
    if let Some(q) = url.query().and_then(mask) {
        url.set_query(Some(&q));
    }
    if let Some(f) = url.fragment().and_then(mask) {
        url.set_fragment(Some(&f));
    }
    if url.password().is_some() {
        let _ = url.set_password(Some(MASK));
    }
    url.to_string()
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// A redactor for a process that runs for ever (`monitor`), which learns a new session
    /// cookie or token on every run: it keeps the last `learned` of those values (and every
    /// declared secret), so it does not grow without end. Only for outputs masked as they are
    /// made: a report masked at the end of a long run could meet a value already forgotten.
    pub fn bounded(learned: usize) -> Self {
        let r = Self::default();
        if let Ok(mut k) = r.inner.write() {
            k.learned_cap = Some(learned.max(1));
        }
        r
    }

    /// Adds a secret value (and its URL-encoded form) to mask from now on.
    pub fn add(&self, value: &str) {
        self.insert(value, false);
    }

    /// A value learned from a header: like [`add`](Self::add), but forgotten first when the
    /// redactor is bounded.
    fn learn(&self, value: &str) {
        self.insert(value, true);
    }

    fn insert(&self, value: &str, learned: bool) {
        let value = value.trim();
        if value.len() < MIN_SECRET_LEN {
            return;
        }
        // Known already (a session cookie seen on every response): nothing to do.
        if self.inner.read().is_ok_and(|k| {
            k.secrets.iter().any(|s| s == value) && (learned || !k.learned.iter().any(|g| g.iter().any(|f| f == value)))
        }) {
            return;
        }
        let mut known = match self.inner.write() {
            Ok(k) => k,
            Err(poisoned) => poisoned.into_inner(),
        };
        let before = known.secrets.len();
        let mut added = Vec::new();
        for form in encodings(value) {
            if !learned {
                // Declared: never forgotten, even if a learned value had the same form.
                known.learned.iter_mut().for_each(|g| g.retain(|f| *f != form));
            }
            if !known.secrets.contains(&form) {
                known.secrets.push(form.clone());
                added.push(form);
            }
        }
        if let (true, Some(cap)) = (learned, known.learned_cap) {
            known.learned.push_back(added);
            while known.learned.len() > cap {
                let old = known.learned.pop_front().unwrap_or_default();
                known.secrets.retain(|s| !old.contains(s));
            }
        }
        if known.secrets.len() != before || learned {
            known.matcher = AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(&known.secrets).ok();
        }
    }

    /// Learns the secret parts of a header value: an `Authorization` value and its token;
    /// for cookies, only the values of session-like ones (see [`is_session_cookie`]).
    pub fn add_header(&self, name: &str, value: &str) {
        if !is_sensitive_header(name) {
            return;
        }
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "set-cookie" => {
                let mut parts = value.split(';');
                let attrs: Vec<String> = parts.clone().skip(1).map(|a| a.trim().to_ascii_lowercase()).collect();
                let http_only = attrs.iter().any(|a| a == "httponly");
                if let Some((n, v)) = parts.next().and_then(|p| p.split_once('=')) {
                    self.add_cookie(n.trim(), v.trim().trim_matches('"'), http_only);
                }
            }
            "cookie" => {
                for pair in value.split(';') {
                    if let Some((n, v)) = pair.split_once('=') {
                        self.add_cookie(n.trim(), v.trim().trim_matches('"'), false);
                    }
                }
            }
            _ => {
                self.learn(value);
                if let Some((_, token)) = value.split_once(' ') {
                    self.learn(token);
                }
            }
        }
    }

    /// Learns a cookie's value when the cookie looks like it holds a session or a credential.
    pub fn add_cookie(&self, name: &str, value: &str, http_only: bool) {
        if is_session_cookie(name, value, http_only) {
            self.learn(value);
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
    // Every byte but letters and digits, as some encoders write it (`-` as `%2D`).
    out.push(percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string());
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
    // Percent-encoding with lower-case hex digits (`%c3%a4`), as some servers write it.
    let lower: Vec<String> = out.iter().filter(|v| v.contains('%')).map(|v| lower_hex(v)).collect();
    out.extend(lower);
    // Inside a JSON string: as serde writes it, with every non-ASCII character escaped
    // (`\u00e4`, as Python and many servers write it), and with `<`, `>`, `&` escaped too (Go).
    if let Ok(json) = serde_json::to_string(value) {
        out.push(json.trim_matches('"').to_string());
    }
    for (html, upper) in [(false, false), (false, true), (true, false), (true, true)] {
        out.push(json_ascii(value, html, upper));
    }
    // In HTML: text (`&`, `<`, `>`), a double-quoted attribute (`&`, `"`: how Chromium writes a
    // page back), and everything escaped, with each way of writing an apostrophe.
    let text = value.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    out.push(value.replace('&', "&amp;").replace('"', "&quot;").replace('\u{a0}', "&nbsp;"));
    let full = text.replace('"', "&quot;");
    for apostrophe in ["&#39;", "&#x27;", "&#X27;", "&apos;"] {
        out.push(full.replace('\'', apostrophe));
    }
    out.push(full);
    out.push(text);
    out.retain(|v| v.len() >= MIN_SECRET_LEN);
    out.sort();
    out.dedup();
    out
}

/// `%C3%A4` → `%c3%a4`: only the hex digits after each `%` change.
fn lower_hex(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut after_percent = 0;
    for c in s.chars() {
        if after_percent > 0 {
            out.push(c.to_ascii_lowercase());
            after_percent -= 1;
        } else {
            out.push(c);
            if c == '%' {
                after_percent = 2;
            }
        }
    }
    out
}

/// A JSON string's content with every non-ASCII character as `\uXXXX` (UTF-16, hex digits
/// lower- or upper-case); with `html`, also `<`, `>` and `&` escaped.
fn json_ascii(value: &str, html: bool, upper: bool) -> String {
    let escaped = serde_json::to_string(value).unwrap_or_default();
    let inner = escaped.trim_matches('"');
    let mut out = String::with_capacity(inner.len());
    for c in inner.chars() {
        if c.is_ascii() && !(html && matches!(c, '<' | '>' | '&')) {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&if upper { format!("\\u{u:04X}") } else { format!("\\u{u:04x}") });
            }
        }
    }
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
    fn a_bounded_redactor_forgets_the_oldest_learned_values_never_declared_ones() {
        let r = Redactor::bounded(2);
        r.add("declared-secret-1");
        r.add_header("authorization", "Bearer tok-aaaa-1111");
        r.add_header("authorization", "Bearer tok-bbbb-2222");
        r.add_header("authorization", "Bearer tok-cccc-3333");
        let out = r.redact("declared-secret-1 tok-aaaa-1111 tok-bbbb-2222 tok-cccc-3333");
        // Each header taught two values (the whole header and its token): the last two are
        // the third header's, so the first two tokens are forgotten.
        assert_eq!(out, "*** tok-aaaa-1111 tok-bbbb-2222 ***");
        // A declared secret that a learned value shares forms with is kept when that goes.
        r.add_header("cookie", "session=shared-value-42x");
        r.add("shared-value-42x");
        r.add_header("authorization", "Bearer tok-dddd-4444");
        r.add_header("authorization", "Bearer tok-eeee-5555");
        assert_eq!(r.redact("shared-value-42x declared-secret-1"), "*** ***");
        // Unbounded (a run): nothing is forgotten.
        let all = Redactor::new();
        for i in 0..50 {
            all.add_header("authorization", &format!("Bearer tok-{i:04}-zzzz"));
        }
        assert_eq!(all.redact("tok-0000-zzzz"), "***");
    }

    #[test]
    fn sensitive_header_names_are_found_in_any_case() {
        for n in ["Authorization", "PROXY-AUTHORIZATION", "cookie", "Set-Cookie", "X-Auth-Token", "x-api-key"] {
            assert!(is_sensitive_header(n), "{n}");
        }
        for n in ["X-APIKEY-ID", "client_secret", "tokens", "My-Secret-Thing"] {
            assert!(is_sensitive_header(n), "{n}");
        }
        for n in ["content-type", "x-request-id", "set-cookie2", "accept", "", "tok", "x-api-ke"] {
            assert!(!is_sensitive_header(n), "{n}");
        }
    }

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
    fn only_session_like_cookies_are_learned() {
        let r = Redactor::new();
        r.add_header("Set-Cookie", "status=500; Path=/");
        r.add_header("Set-Cookie", "theme=dark; Path=/");
        r.add_header("Set-Cookie", "prefs=eu-west; Path=/; HttpOnly");
        r.add_header("Set-Cookie", "sid=42abc; Path=/");
        r.add_header("Cookie", "tracking=x9f3k2m8q7w1z5v4b6n0");
        assert_eq!(r.redact("500 Internal Server Error, dark mode"), "500 Internal Server Error, dark mode");
        assert_eq!(r.redact("eu-west 42abc x9f3k2m8q7w1z5v4b6n0 Path=/"), "*** *** *** Path=/");
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
    fn masks_the_json_html_and_url_forms_servers_write() {
        let r = Redactor::new();
        let secret = "Zä'<b>\"{#&}+";
        r.add(secret);
        for form in [
            "Z\\u00e4'<b>\\\"{#&}+",
            "Z\\u00E4'<b>\\\"{#&}+",
            "Z\\u00e4'\\u003cb\\u003e\\\"{#\\u0026}+",
            "Zä&#x27;&lt;b&gt;&quot;{#&amp;}+",
            "Zä&#39;&lt;b&gt;&quot;{#&amp;}+",
            "Zä'<b>&quot;{#&amp;}+",
            "Z%c3%a4%27%3cb%3e%22%7b%23%26%7d%2b",
            "Z%C3%A4%27%3Cb%3E%22%7B%23%26%7D%2B",
        ] {
            assert_eq!(r.redact(&format!("[{form}]")), "[***]", "{form} is not masked");
        }
    }

    #[test]
    fn weak_secrets_are_named_without_their_value() {
        assert!(weak_secret("ab").is_some_and(|w| w.contains("too short") && !w.contains("ab")));
        assert!(weak_secret("500").is_some_and(|w| w.contains("short or common")));
        assert!(weak_secret("password").is_some());
        assert!(weak_secret("12345678901").is_some());
        assert_eq!(weak_secret("hunter2-smoke"), None);
    }

    #[test]
    fn longer_secrets_win() {
        let r = Redactor::new();
        r.add("abc");
        r.add("abcdef");
        assert_eq!(r.redact("xabcdefx"), "x***x");
    }

    #[test]
    fn credentials_in_urls_are_masked_and_other_text_is_not() {
        let u = "https://user:pa55@h.example/cb?code=abc123&state=ok&X-Amz-Signature=f00d&page=2#access_token=tok&x=1";
        assert_eq!(
            mask_url_credentials(u),
            "https://user:***@h.example/cb?code=***&state=ok&X-Amz-Signature=***&page=2#access_token=***&x=1"
        );
        assert_eq!(mask_url_credentials("http://h/plain?page=2"), "http://h/plain?page=2");
        assert_eq!(mask_url_credentials("text/html; charset=utf-8"), "text/html; charset=utf-8");
    }
}
