//! `capture:`: values taken from a response for later steps.

use super::{Compiler, valid_name};
use crate::load::yaml::Node;
use crate::suite::*;

impl Compiler<'_> {
    pub(super) fn captures(&mut self, node: &Node) -> Vec<Capture> {
        let mut out = Vec::new();
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
            let source = if let Some(path) = v.as_str().filter(|s| s.starts_with('$')) {
                self.json_path(path, v).map(|p| CaptureSource::Json(p, path.to_string()))
            } else {
                self.capture_source(v)
            };
            if let Some(source) = source {
                out.push(Capture { name: name.to_string(), pos: k.pos, source });
            }
            self.captures.insert(name.to_string());
        }
        out
    }

    fn capture_source(&mut self, v: &Node) -> Option<CaptureSource> {
        let f = self.fields(v, "a capture", &["json", "header", "cookie", "regex", "css", "attr", "status"])?;
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
                let p = self.string(n, "`json`")?;
                CaptureSource::Json(self.json_path(&p, n)?, p)
            }
            "header" => CaptureSource::Header(self.string(n, "`header`")?.to_ascii_lowercase()),
            "cookie" => CaptureSource::Cookie(self.string(n, "`cookie`")?),
            "regex" => {
                let r = self.regex(n)?;
                CaptureSource::Regex(r)
            }
            "css" => {
                let sel = self.string(n, "`css`")?;
                if !self.css(&sel, n) {
                    return None;
                }
                let attr = f.get("attr").and_then(|a| self.string(a, "`attr`"));
                CaptureSource::Css { selector: sel, attr }
            }
            _ => CaptureSource::Status,
        })
    }
}
