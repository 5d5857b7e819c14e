//! Browser assertions, judged against what the page showed. The session observes (it alone
//! speaks WebDriver); the judging is the same as for HTTP.

use super::Verdict;
use super::predicate::eval;
use crate::suite::Pos;
use crate::suite::Predicate;
use crate::suite::browser::BrowserAssert;
use serde_json::Value as Json;
use std::collections::HashMap;

/// Judges `see`/`wait_for` assertions against the values observed for each (`None`: nothing
/// there). What a page shows is text, so it compares by its text.
pub fn judge_page(asserts: &[BrowserAssert], observed: &[Option<Json>], caps: &HashMap<String, Json>) -> Verdict {
    let mut verdict = Verdict::default();
    for (a, actual) in asserts.iter().zip(observed) {
        verdict.add(a.pos, &a.subject.to_string(), "", eval(&a.pred, actual.as_ref(), caps, false));
    }
    verdict
}

/// Judges the value a script returned (`None`: `undefined`, no value): JSON, so it compares
/// by type and value.
pub fn judge_eval(pos: Pos, pred: &Predicate, value: Option<&Json>, caps: &HashMap<String, Json>) -> Verdict {
    let mut verdict = Verdict::default();
    verdict.add(pos, "eval", "", eval(pred, value, caps, true));
    verdict
}

/// Whether an allow-list pattern of `no_failed_requests` matches a request's URL: a pattern
/// that starts with `/` is matched against the URL's path (its query left out), any other
/// against the whole URL (its fragment left out). `*` stands for any characters, `/` too; the
/// rest must be equal, and the whole path or URL must match.
pub fn url_allowed(pattern: &str, url: &str) -> bool {
    let url = url.split('#').next().unwrap_or(url);
    let subject = if pattern.starts_with('/') {
        match url::Url::parse(url) {
            Ok(u) => u.path().to_string(),
            Err(_) => return false,
        }
    } else {
        url.to_string()
    };
    glob(pattern.as_bytes(), subject.as_bytes())
}

/// `*` matches any run of bytes; everything else matches itself.
fn glob(p: &[u8], s: &[u8]) -> bool {
    // The classic two-pointer match with backtracking to the last `*`.
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if pi < p.len() && p[pi] == s[si] {
            pi += 1;
            si += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
}

#[cfg(test)]
mod tests {
    use super::url_allowed;

    #[test]
    fn allow_patterns_match_paths_or_whole_urls() {
        let u = "https://shop.example/static/app.js?v=3#top";
        for (p, yes) in [
            ("/static/app.js", true),
            ("/static/*", true),
            ("/static", false),
            ("/*.js", true),
            ("/static/app.js?v=3", false),
            ("https://shop.example/*", true),
            ("https://ads.example/*", false),
            ("*/app.js?v=3", true),
            ("*app.js", false),
            ("https://shop.example/static/app.js?v=3", true),
        ] {
            assert_eq!(url_allowed(p, u), yes, "{p}");
        }
        assert!(!url_allowed("/x", "not a url"));
    }
}
