//! Assertions in `browser:` steps: what `see` checks and what `wait_for` waits for.

use super::{Compiler, Fields};
use crate::load::yaml::{Node, Value};
use crate::suite::browser::*;
use crate::suite::{Op, Predicate};

impl Compiler<'_> {
    /// `see: { selector: .role, text: maintainer }`, `see: { title: … }`, `see: { url: … }`,
    /// `see: { text: … }` (the whole page).
    pub(super) fn see(&mut self, n: &Node) -> Option<Vec<BrowserAssert>> {
        if let Some(s) = n.as_str() {
            // `see: .selector` means it is visible.
            let t = self.target_str(s, n)?;
            return Some(vec![BrowserAssert { pos: n.pos, subject: Subject::Visible(t), pred: is(true) }]);
        }
        if !self.nonempty(
            n,
            "`see`",
            "give a `selector`, `text`, `title` or `url`, e.g. `see: { selector: .role, text: maintainer }`",
        ) {
            return None;
        }
        let f = self.fields(n, "`see`", &["selector", "text", "visible", "count", "attr", "title", "url"])?;
        let mut out = Vec::new();
        match f.get("selector") {
            Some(sel) => out.extend(self.see_element(&f, sel)?),
            None => out.extend(self.see_page_text(&f)),
        }
        if let Some(v) = f.get("title")
            && let Some(pred) = self.predicate(v, false)
        {
            out.push(BrowserAssert { pos: v.pos, subject: Subject::Title, pred });
        }
        if let Some(v) = f.get("url")
            && let Some(pred) = self.predicate(v, false)
        {
            out.push(BrowserAssert { pos: v.pos, subject: Subject::Url, pred });
        }
        if out.is_empty() && self.diags.is_empty() {
            self.err(n.pos, "`see` asserts nothing: give a `selector`, `text`, `title` or `url`");
            return None;
        }
        Some(out)
    }

    /// Page text: a plain string means "contains", since a page has much more text.
    fn text_pred(&mut self, v: &Node) -> Option<Predicate> {
        match &v.value {
            Value::Map(_) => self.predicate(v, false),
            _ => Some(Predicate { ops: vec![Op::Contains(self.json_template(v)?)] }),
        }
    }

    /// `wait_for: { selector: x, state: visible|hidden|gone|present }`, `{ text: … }`,
    /// `{ url: … }`, `{ title: … }`.
    pub(super) fn wait_for(&mut self, n: &Node) -> Option<Vec<BrowserAssert>> {
        if n.as_str().is_some() {
            return self.see(n);
        }
        if !self.nonempty(n, "`wait_for`", "give a `selector`, `text`, `url` or `title`") {
            return None;
        }
        let f = self.fields(n, "`wait_for`", &["selector", "state", "text", "url", "title"])?;
        let mut out = Vec::new();
        if let Some(sel) = f.get("selector") {
            let t = self.target(sel)?;
            let state = f.get("state").and_then(|s| s.as_str().map(str::to_string)).unwrap_or_else(|| "visible".into());
            let (subject, pred) = match state.as_str() {
                "visible" => (Subject::Visible(t), is(true)),
                "hidden" => (Subject::Visible(t), is(false)),
                "gone" => (
                    Subject::Count(t),
                    Predicate { ops: vec![Op::Equals(crate::suite::JsonTemplate::Value(0.into()))] },
                ),
                "present" => (Subject::Count(t), Predicate { ops: vec![Op::Gte(1.0)] }),
                _ => {
                    self.err(f.get("state").map_or(n.pos, |s| s.pos), "`state` is visible, hidden, gone or present");
                    return None;
                }
            };
            out.push(BrowserAssert { pos: sel.pos, subject, pred });
        } else if let Some(p) = f.key_pos("state") {
            self.err(p, "`state` needs a `selector`");
        }
        if let Some(v) = f.get("text")
            && let Some(pred) = self.text_pred(v)
        {
            out.push(BrowserAssert { pos: v.pos, subject: Subject::PageText, pred });
        }
        for (key, subject) in [("url", Subject::Url), ("title", Subject::Title)] {
            if let Some(v) = f.get(key) {
                let pred = match &v.value {
                    Value::Map(_) => self.predicate(v, false),
                    _ => Some(Predicate { ops: vec![Op::Contains(self.json_template(v)?)] }),
                };
                if let Some(pred) = pred {
                    out.push(BrowserAssert { pos: v.pos, subject, pred });
                }
            }
        }
        if out.is_empty() && self.diags.is_empty() {
            self.err(n.pos, "`wait_for` waits for nothing: give a `selector`, `text`, `url` or `title`");
            return None;
        }
        Some(out)
    }

    /// `see` with a `selector`: its text, visibility, count and attributes, or that it is
    /// visible when nothing else is asked.
    fn see_element(&mut self, f: &Fields, sel: &Node) -> Option<Vec<BrowserAssert>> {
        let t = self.target(sel)?;
        let mut out = Vec::new();
        if let Some(v) = f.get("text")
            && let Some(pred) = self.predicate(v, false)
        {
            out.push(BrowserAssert { pos: v.pos, subject: Subject::Text(t.clone()), pred });
        }
        if let Some(v) = f.get("visible")
            && let Some(b) = self.bool(v, "`visible`")
        {
            out.push(BrowserAssert { pos: v.pos, subject: Subject::Visible(t.clone()), pred: is(b) });
        }
        if let Some(v) = f.get("count")
            && let Some(pred) = self.predicate(v, false)
        {
            out.push(BrowserAssert { pos: v.pos, subject: Subject::Count(t.clone()), pred });
        }
        if let Some(v) = f.get("attr")
            && self.nonempty(v, "`attr`", "e.g. `attr: { href: /login }`")
            && let Some(af) = self.fields(v, "`attr`", &[])
        {
            for (name, _, av) in af.entries {
                if let Some(pred) = self.predicate(av, false) {
                    out.push(BrowserAssert { pos: av.pos, subject: Subject::Attr(t.clone(), name.to_string()), pred });
                }
            }
        }
        if !f.has("text") && !f.has("visible") && !f.has("count") && !f.has("attr") {
            out.push(BrowserAssert { pos: sel.pos, subject: Subject::Visible(t), pred: is(true) });
        }
        Some(out)
    }

    /// `see` without a `selector`: only `text`, of the whole page.
    fn see_page_text(&mut self, f: &Fields) -> Option<BrowserAssert> {
        for key in ["visible", "count", "attr"] {
            if let Some(p) = f.key_pos(key) {
                self.err(p, format!("`{key}` needs a `selector`"));
            }
        }
        let v = f.get("text")?;
        let pred = self.text_pred(v)?;
        Some(BrowserAssert { pos: v.pos, subject: Subject::PageText, pred })
    }
}

fn is(b: bool) -> Predicate {
    Predicate { ops: vec![Op::Equals(crate::suite::JsonTemplate::Value(b.into()))] }
}
