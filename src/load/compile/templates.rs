//! Interpolations: `${{ }}` templates with every name resolved at load time, JSON values
//! with templates inside, and references to files next to the suite.

use super::Compiler;
use crate::load::diagnostic::{Diagnostic, suggest};
use crate::load::yaml::{Node, Pos, Value};
use crate::suite::JsonTemplate;
use crate::suite::template::{self, RawExpr, Resolved, Scope, Template};
use serde_json::Value as Json;
use std::path::PathBuf;

impl Compiler<'_> {
    /// Where an expression sits in the file: found by searching the source from the node.
    fn expr_pos(&self, node: &Node, raw: &str) -> (Pos, usize) {
        self.expr_positions(node, &[raw]).pop().unwrap_or((node.pos, raw.len()))
    }

    /// Where each of a string's expressions (in order) sits in the file, found by searching the
    /// source onwards from the node, each after the one before. One pass over the lines, so
    /// a string with thousands of expressions costs no more than reading it; once one is not
    /// found as written (YAML escapes), the rest point at the node.
    fn expr_positions(&self, node: &Node, raws: &[&str]) -> Vec<(Pos, usize)> {
        if raws.is_empty() {
            return Vec::new();
        }
        let first_line = node.pos.line.saturating_sub(1) as usize;
        let lines = self.lines().get(first_line..).map_or(&[][..], |l| &l[..l.len().min(51)]);
        let mut out = Vec::with_capacity(raws.len());
        // The cursor: a line, a byte offset in it and the column (0-based, in characters) there.
        let (mut li, mut byte, mut col) = (0, 0, 0);
        if let Some(line) = lines.first() {
            byte = line.char_indices().nth(node.pos.col.saturating_sub(1) as usize).map_or(line.len(), |(b, _)| b);
            col = line[..byte].chars().count();
        }
        let mut lost = false;
        for raw in raws {
            let found = if lost {
                None
            } else {
                (li..lines.len()).find_map(|l| {
                    let from = if l == li { byte } else { 0 };
                    lines[l].get(from..).and_then(|rest| rest.find(raw)).map(|at| (l, from + at))
                })
            };
            match found {
                Some((l, at)) => {
                    if l != li {
                        (li, byte, col) = (l, 0, 0);
                    }
                    col += lines[l][byte..at].chars().count();
                    out.push((Pos::new((first_line + l) as u32 + 1, col as u32 + 1), raw.len()));
                    byte = at + raw.len();
                    col += raw.chars().count();
                }
                None => {
                    lost = true;
                    out.push((node.pos, raw.len()));
                }
            }
        }
        out
    }

    /// A string (or number) with `${{ }}` interpolations, all names resolved.
    pub(super) fn template(&mut self, node: &Node, what: &str) -> Option<Template> {
        let Some(text) = node.scalar_text() else {
            self.err(node.pos, format!("{what} must be a string, found {}", node.kind()));
            return None;
        };
        // Most strings interpolate nothing: no pieces to parse and resolve for them.
        if !matches!(node.value, Value::Str(_)) || !text.contains("${{") {
            return Some(Template::literal(text));
        }
        let pieces = match template::parse(&text) {
            Ok(p) => p,
            Err(e) => {
                let raw = text.get(e.offset..e.offset + e.len).unwrap_or("${{");
                let (pos, len) = self.expr_pos(node, raw);
                self.diags.push(Diagnostic { pos: Some(pos), len: Some(len), message: e.message, help: None });
                return None;
            }
        };
        let mut problems = Vec::new();
        let t = Template::build(pieces, |e| {
            let r = self.resolve(e);
            if let Err(d) = &r {
                problems.push((e.clone(), d.clone()));
            }
            r.ok()
        });
        let raws: Vec<&str> =
            problems.iter().map(|(e, _)| text.get(e.offset..e.offset + e.len).unwrap_or("${{")).collect();
        let places = self.expr_positions(node, &raws);
        for ((_, (message, help)), (pos, len)) in problems.into_iter().zip(places) {
            self.diags.push(Diagnostic { pos: Some(pos), len: Some(len), message, help });
        }
        t
    }

    /// Text that is checked when the suite loads (a CSS selector, a JSONPath, a link text, a
    /// file name), with its `${{ }}` filled in then: variables, the environment and secrets
    /// are known at load time; a captured value is not, so it is refused rather than sent as
    /// written.
    pub(super) fn load_time_string(&mut self, node: &Node, what: &str) -> Option<String> {
        let text = self.string(node, what)?;
        if !text.contains("${{") {
            return Some(text);
        }
        match self.template(node, what)?.as_static() {
            Some(s) => Some(s),
            None => {
                self.err_help(
                    node.pos,
                    format!("{what} cannot use a captured value: it is checked when the suite loads"),
                    "use a variable (`vars`, --var) or `env.NAME` here, which are known at load time",
                );
                None
            }
        }
    }

    fn resolve(&self, e: &RawExpr) -> Result<Resolved, (String, Option<String>)> {
        match e.scope {
            Scope::Env => match self.env.get(&e.name) {
                Some(v) => Ok(Resolved::Known(Json::String(v.clone()))),
                None => Err((
                    format!("environment variable `{}` is not set", e.name),
                    Some(format!("export {}=… before the run, or pass it with --env-file", e.name)),
                )),
            },
            Scope::Secret => match self.secrets.get(&e.name) {
                Some(Some(v)) => Ok(Resolved::Known(Json::String(v.clone()))),
                Some(None) => Err((
                    format!("secret `{}` is not set in the environment", e.name),
                    Some(format!(
                        "export {} (its value is masked in every output), or pass it with --env-file",
                        e.name
                    )),
                )),
                None => Err((
                    format!("`{}` is not declared as a secret", e.name),
                    Some(format!("add it to the suite's list: `secrets: [{}]`", e.name)),
                )),
            },
            Scope::Var => {
                if let Some(v) = self.vars.get(&e.name) {
                    Ok(Resolved::Known(v.clone()))
                } else if self.captures.contains(&e.name) {
                    Ok(Resolved::Capture)
                } else {
                    let mut known: Vec<&str> = self.vars.keys().map(String::as_str).collect();
                    known.extend(self.captures.iter().map(String::as_str));
                    known.sort_unstable();
                    let help = match suggest(&e.name, &known) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None if known.is_empty() => {
                            "define it under `vars:`, pass --var NAME=VALUE, or capture it in an earlier step".into()
                        }
                        None => format!("defined here: {}", known.join(", ")),
                    };
                    Err((format!("undefined variable `{}`", e.name), Some(help)))
                }
            }
        }
    }

    pub(super) fn json_template(&mut self, node: &Node) -> Option<JsonTemplate> {
        Some(match &node.value {
            Value::Str(s) if s.contains("${{") => JsonTemplate::Str(self.template(node, "a value")?),
            Value::Seq(items) => {
                let parts: Vec<_> = items.iter().map(|i| self.json_template(i)).collect();
                JsonTemplate::Array(parts.into_iter().collect::<Option<_>>()?)
            }
            Value::Map(entries) => {
                let mut out = Vec::new();
                let mut ok = true;
                for (k, v) in entries {
                    let key = k.scalar_text().unwrap_or_default();
                    match self.json_template(v) {
                        Some(t) => out.push((key, t)),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                JsonTemplate::Object(out)
            }
            _ => JsonTemplate::Value(node.to_json()),
        })
    }

    pub(super) fn file_ref(&mut self, node: &Node, what: &str) -> Option<PathBuf> {
        let s = self.load_time_string(node, what)?;
        let path = self.dir.join(&s);
        if !path.is_file() {
            self.err_help(
                node.pos,
                format!("{what} `{s}` does not exist"),
                match self.dir.as_os_str().is_empty() {
                    true => "paths are relative to the suite file's folder (here, the current folder)".to_string(),
                    false => format!("paths are relative to the suite file's folder ({})", self.dir.display()),
                },
            );
            return None;
        }
        Some(path)
    }
}
