//! Values as text for people: shown, cut, whitespace collapsed.

use serde_json::Value as Json;

/// Collapses runs of whitespace, as a browser shows text.
pub fn normalize_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A value for a message. Not cut here: secrets must be masked before anything is shortened,
/// or a cut could leave half a secret that no longer matches (see `runner::failure_problem`).
pub fn show(v: &Json) -> String {
    let s = v.to_string();
    truncate(&s, 256 * 1024)
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
