//! `capture:`: values taken from a response for later steps.

use super::{Compiler, valid_name};
use crate::load::yaml::Node;
use crate::suite::*;

impl Compiler<'_> {
    pub(super) fn captures(&mut self, node: &Node) -> Vec<Capture> {
        let mut out = Vec::new();
        if !self.nonempty(node, "`capture`", "e.g. `capture: { id: $.id }`, or leave `capture` out") {
            return out;
        }
        let Some(f) = self.fields(node, "`capture`", &[]) else { return out };
        for (name, k, v) in f.entries {
            if !valid_name(name) {
                self.err(k.pos, format!("`{name}` is not a valid variable name (letters, digits, `_`, `-`)"));
                continue;
            }
            if self.vars.contains_key(name) {
                self.err(k.pos, format!("`{name}` is already a variable: a capture cannot replace it"));
                continue;
            }
            let (source, allow_empty) = if v.as_str().is_some_and(|s| s.starts_with('$')) {
                let query = self.load_time_string(v, "a JSONPath").and_then(|path| self.json_path(&path, v));
                (query.map(CaptureSource::Json), false)
            } else {
                self.capture_source(v)
            };
            if let Some(source) = source {
                out.push(Capture { name: name.to_string(), pos: k.pos, source, allow_empty });
            }
            self.captures.insert(name.to_string());
        }
        out
    }

    /// Where a capture takes its value from, and whether an empty value (`null`, `""`, `[]`)
    /// is allowed (`allow_empty: true`).
    fn capture_source(&mut self, v: &Node) -> (Option<CaptureSource>, bool) {
        let Some(f) =
            self.fields(v, "a capture", &["json", "header", "cookie", "regex", "css", "attr", "status", "allow_empty"])
        else {
            return (None, false);
        };
        let allow_empty = f.get("allow_empty").and_then(|n| self.bool(n, "`allow_empty`")).unwrap_or(false);
        (self.capture_from(v, &f), allow_empty)
    }

    fn capture_from(&mut self, v: &Node, f: &super::Fields) -> Option<CaptureSource> {
        let kinds: Vec<&str> =
            ["json", "header", "cookie", "regex", "css", "status"].into_iter().filter(|k| f.has(k)).collect();
        if kinds.len() != 1 {
            self.err_help(v.pos, "a capture takes its value from one place", "one of `json: $.path`, `header: name`, `cookie: name`, `regex: pattern`, `css: selector` (with `attr`), `status: true`");
            return None;
        }
        if f.has("attr") && kinds[0] != "css" {
            self.err(
                f.key_pos("attr").unwrap_or(v.pos),
                "`attr` goes with `css`: the attribute of the element it selects",
            );
            return None;
        }
        let n = f.get(kinds[0])?;
        Some(match kinds[0] {
            "json" => {
                let p = self.load_time_string(n, "a JSONPath")?;
                CaptureSource::Json(self.json_path(&p, n)?)
            }
            "header" => CaptureSource::Header(self.string(n, "`header`")?.to_ascii_lowercase()),
            "cookie" => CaptureSource::Cookie(self.string(n, "`cookie`")?),
            "regex" => {
                let r = self.regex(n)?;
                CaptureSource::Regex(r)
            }
            "css" => {
                let sel = self.load_time_string(n, "a CSS selector")?;
                if !self.css(&sel, n) {
                    return None;
                }
                let attr = f.get("attr").and_then(|a| self.load_time_string(a, "`attr`"));
                CaptureSource::Css { selector: sel, attr }
            }
            _ => CaptureSource::Status,
        })
    }
}
