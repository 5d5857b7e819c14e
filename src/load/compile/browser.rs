//! Compiling `browser:` steps and suite-level browser options; `see` and `wait_for` are in
//! `browser_assert`.

use super::Compiler;
use crate::load::yaml::{Node, Pos, Value};
use crate::suite::browser::*;
use crate::suite::{Action, Step};

/// The keys that make a step a browser step; each step has exactly one.
pub(super) const ACTIONS: &[&str] = &[
    "goto",
    "click",
    "fill",
    "select",
    "check",
    "uncheck",
    "press",
    "upload",
    "hover",
    "wait_for",
    "see",
    "capture",
    "screenshot",
    "eval",
    "no_console_errors",
    "no_failed_requests",
];
const OPTIONS_KEYS: &[&str] = &["timeout", "args", "browser", "window", "error_selectors"];

/// Whether every key of the mapping `n` was known (else `fields` has reported the others).
fn all_known(n: &Node, f: &super::Fields<'_>) -> bool {
    matches!(&n.value, Value::Map(entries) if entries.len() == f.entries.len())
}

impl Compiler<'_> {
    pub(super) fn browser_options(&mut self, node: &Node) -> BrowserOptions {
        let mut o = BrowserOptions::default();
        let Some(f) = self.fields(node, "`browser`", OPTIONS_KEYS) else { return o };
        o.timeout = f.get("timeout").and_then(|n| self.duration(n, "`timeout`"));
        if let Some(n) = f.get("args") {
            o.args = self.string_list(n, "`args`").into_iter().map(|(a, _)| a).collect();
        }
        if let Some(n) = f.get("browser") {
            match n.as_str() {
                Some("chrome" | "chromium") => o.kind = BrowserKind::Chrome,
                Some("firefox") => o.kind = BrowserKind::Firefox,
                _ => self.err(n.pos, "`browser` is `chrome` (default) or `firefox`"),
            }
        }
        if let Some(n) = f.get("error_selectors") {
            o.error_selectors = self.error_selectors(n);
        }
        if let Some(n) = f.get("window") {
            let parsed = n.as_str().and_then(|s| {
                let (w, h) = s.split_once('x')?;
                Some((w.trim().parse().ok()?, h.trim().parse().ok()?))
            });
            match parsed {
                Some((w, h)) if (100..=8000).contains(&w) && (100..=8000).contains(&h) => o.window = Some((w, h)),
                _ => self.err(n.pos, "`window` is WIDTHxHEIGHT, e.g. `1280x800`"),
            }
        }
        o
    }

    /// `error_selectors`: a selector or a list of them, CSS or XPath (a link's text cannot show
    /// an error).
    fn error_selectors(&mut self, node: &Node) -> Vec<Target> {
        let items = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Str(_) => vec![node],
            _ => {
                self.err(node.pos, format!("`error_selectors` must be a list of selectors, found {}", node.kind()));
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for item in items {
            match self.target(item) {
                Some(t) if t.how == How::LinkText => {
                    self.err(item.pos, "an error selector is CSS or XPath (`link=` finds a link, not an error)")
                }
                Some(t) => out.push(t),
                None => {}
            }
        }
        out
    }

    /// The `browser:` list of a check.
    pub(super) fn browser_steps(&mut self, node: &Node) -> Vec<Step> {
        let Value::Seq(items) = &node.value else {
            self.err(node.pos, format!("`browser` must be a list of steps, found {}", node.kind()));
            return Vec::new();
        };
        if items.is_empty() {
            self.err(node.pos, "`browser` is empty");
        }
        items.iter().filter_map(|i| self.browser_step(i)).collect()
    }

    /// Whether a step mapping is a browser step: it names a browser action and no `request`
    /// (`capture` belongs to both kinds).
    pub(super) fn is_browser_step(node: &Node) -> bool {
        match &node.value {
            Value::Map(entries) => {
                let keys = || entries.iter().filter_map(|(k, _)| k.as_str());
                !keys().any(|k| k == "request") && keys().any(|k| ACTIONS.contains(&k))
            }
            _ => false,
        }
    }

    pub(super) fn browser_step(&mut self, node: &Node) -> Option<Step> {
        let mut allowed: Vec<&str> = ACTIONS.to_vec();
        allowed.extend(["name", "timeout"]);
        let f = self.fields(node, "a browser step", &allowed)?;
        let actions: Vec<&str> = ACTIONS.iter().copied().filter(|a| f.has(a)).collect();
        let action_name = match actions.as_slice() {
            [one] => *one,
            [] => {
                self.err_help(
                    node.pos,
                    "this browser step has no action",
                    format!("use one of: {}", ACTIONS.join(", ")),
                );
                return None;
            }
            many => {
                self.err_help(
                    node.pos,
                    format!("a browser step does one thing, but this one has {}", many.join(" and ")),
                    "split it into one step per action",
                );
                return None;
            }
        };
        let name = f.get("name").and_then(|n| self.step_name(n));
        let timeout = f.get("timeout").and_then(|n| self.duration(n, "`timeout`"));
        let n = f.get(action_name)?;
        let action = self.browser_action(action_name, n)?;
        Some(Step {
            name,
            pos: node.pos,
            action: Action::Browser(BrowserStep { action, timeout }),
            expect: Vec::new(),
            captures: Vec::new(),
            retry: None,
        })
    }

    pub(super) fn target(&mut self, node: &Node) -> Option<Target> {
        let s = self.string(node, "a selector")?;
        self.target_str(&s, node)
    }

    /// A selector written as `s` at `at` (the node whose text it is): CSS, `xpath=`, `//…` or
    /// `link=`, with `${{ }}` filled in at load time.
    pub(super) fn target_str(&mut self, s: &str, at: &Node) -> Option<Target> {
        let filled;
        let s = if s.contains("${{") {
            filled = self.load_time_string(at, "a selector")?;
            filled.trim()
        } else {
            s.trim()
        };
        let (how, value) = if let Some(x) = s.strip_prefix("xpath=") {
            (How::XPath, x)
        } else if s.starts_with("//") || s.starts_with("(//") {
            (How::XPath, s)
        } else if let Some(l) = s.strip_prefix("link=") {
            (How::LinkText, l)
        } else {
            (How::Css, s.strip_prefix("css=").unwrap_or(s))
        };
        if value.is_empty() {
            self.err(at.pos, "the selector is empty");
            return None;
        }
        if how == How::Css && !self.css(value, at) {
            return None;
        }
        Some(Target { how, value: value.to_string() })
    }

    /// `{ selector: value, … }` pairs (fill, select).
    fn target_values(&mut self, node: &Node, what: &str) -> Vec<(Target, crate::suite::template::Template)> {
        if !self.nonempty(node, what, "give a selector and a value, e.g. `{ \"#username\": smoke-bot }`") {
            return Vec::new();
        }
        let Some(f) = self.fields(node, what, &[]) else { return Vec::new() };
        let mut out = Vec::new();
        for (sel, k, v) in f.entries {
            let t = self.target_str(sel, k);
            let val = self.template(v, "the value");
            if let (Some(t), Some(val)) = (t, val) {
                out.push((t, val));
            }
        }
        out
    }

    fn browser_action(&mut self, name: &str, n: &Node) -> Option<BrowserAction> {
        Some(match name {
            "goto" => self.goto(n)?,
            "click" => BrowserAction::Click(self.target(n)?),
            "hover" => BrowserAction::Hover(self.target(n)?),
            "check" => BrowserAction::Check(self.target(n)?, true),
            "uncheck" => BrowserAction::Check(self.target(n)?, false),
            "fill" => BrowserAction::Fill(self.target_values(n, "`fill`")),
            "select" => BrowserAction::Select(self.target_values(n, "`select`")),
            "press" => self.press(n)?,
            "upload" => self.upload(n)?,
            "see" => BrowserAction::See(self.see(n)?),
            "wait_for" => BrowserAction::See(self.wait_for(n)?),
            "capture" => BrowserAction::Capture(self.browser_captures(n)?),
            "screenshot" => BrowserAction::Screenshot(self.screenshot_name(n)?),
            "eval" => self.eval(n)?,
            "no_console_errors" => self.no_console_errors(n)?,
            "no_failed_requests" => self.no_failed_requests(n)?,
            _ => return None,
        })
    }

    /// `press: Enter`, or `press: { key: Enter, selector: … }`.
    fn press(&mut self, n: &Node) -> Option<BrowserAction> {
        if let Value::Str(k) = &n.value {
            return Some(BrowserAction::Press { target: None, key: self.key(k, n)? });
        }
        let f = self.fields(n, "`press`", &["key", "selector"])?;
        let key_node = f.get("key").or_else(|| {
            self.err(n.pos, "`press` needs a `key`");
            None
        })?;
        let k = self.string(key_node, "`key`")?;
        let key = self.key(&k, key_node)?;
        let target = match f.get("selector") {
            Some(s) => Some(self.target(s)?),
            None => None,
        };
        Some(BrowserAction::Press { target, key })
    }

    /// `upload: { file input: path }` or `{ file input: [paths] }`.
    fn upload(&mut self, n: &Node) -> Option<BrowserAction> {
        let f = self.fields(n, "`upload`", &[])?;
        let [(sel, k, v)] = f.entries.as_slice() else {
            self.err_help(
                n.pos,
                "`upload` names one file input",
                "e.g. `upload: { \"#file\": fixtures/smoke.png }` or a list of files",
            );
            return None;
        };
        let target = self.target_str(sel, k)?;
        let files: Vec<_> = match &v.value {
            Value::Seq(items) => items.iter().filter_map(|i| self.file_ref(i, "file")).collect(),
            _ => self.file_ref(v, "file").into_iter().collect(),
        };
        if files.is_empty() {
            if matches!(&v.value, Value::Seq(items) if items.is_empty()) {
                self.err(v.pos, "`upload` has no files");
            }
            return None;
        }
        Some(BrowserAction::Upload { target, files })
    }

    /// `capture: { name: what, … }` in a browser step.
    fn browser_captures(&mut self, n: &Node) -> Option<Vec<(String, Pos, BrowserCapture)>> {
        if !self.nonempty(n, "`capture`", "e.g. `capture: { role: .role }`") {
            return None;
        }
        let f = self.fields(n, "`capture`", &[])?;
        let mut out = Vec::new();
        for (var, k, v) in f.entries {
            if !super::valid_name(var) {
                self.err(k.pos, format!("`{var}` is not a valid variable name (letters, digits, `_`, `-`)"));
                continue;
            }
            let Some(c) = self.browser_capture(v) else { continue };
            if self.vars.contains_key(var) {
                self.err(k.pos, format!("`{var}` is already a variable: a capture cannot replace it"));
                continue;
            }
            self.captures.insert(var.to_string());
            out.push((var.to_string(), k.pos, c));
        }
        Some(out)
    }

    /// `screenshot: name`, made safe for a file name.
    fn screenshot_name(&mut self, n: &Node) -> Option<String> {
        let s = n.scalar_text().unwrap_or_default();
        let clean: String =
            s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
        if clean.is_empty() {
            self.err(n.pos, "`screenshot` takes a name for the file");
            return None;
        }
        Some(clean)
    }

    /// `eval: expression`, or `eval: { expression | script, expect: comparison, capture: name }`:
    /// an expression's value is the result; a `script` is a function body that must `return`.
    fn eval(&mut self, n: &Node) -> Option<BrowserAction> {
        if let Value::Str(_) = &n.value {
            let script = self.script(n, ScriptForm::Expression)?;
            return Some(BrowserAction::Eval { script, form: ScriptForm::Expression, expect: None, capture: None });
        }
        // The name is known to later steps even if this step has a problem, so that one
        // mistake is reported once, not again at each use of the name.
        if let Value::Map(entries) = &n.value
            && let Some(name) =
                entries.iter().find(|(k, _)| k.as_str() == Some("capture")).and_then(|(_, v)| v.as_str())
            && super::valid_name(name)
        {
            self.captures.insert(name.to_string());
        }
        // `js` (which said neither) gets its own message rather than "unknown key".
        if let Value::Map(entries) = &n.value
            && let Some((js, _)) = entries.iter().find(|(k, _)| k.as_str() == Some("js"))
        {
            self.err_help(
                js.pos,
                "`js` does not say how the JavaScript is written",
                "write `expression: …` for an expression (its value is the result), or `script: …` for a function body that must `return` the result",
            );
            return None;
        }
        let f = self.fields(n, "`eval`", &["expression", "script", "expect", "capture"])?;
        let (form, code) = match (f.get("expression"), f.get("script")) {
            (Some(e), None) => (ScriptForm::Expression, e),
            (None, Some(s)) => (ScriptForm::FunctionBody, s),
            (Some(_), Some(_)) => {
                self.err(n.pos, "`eval` takes `expression` or `script`, not both");
                return None;
            }
            (None, None) => {
                self.err_help(
                    n.pos,
                    "`eval` needs `expression` or `script`",
                    "e.g. `eval: { expression: document.title, expect: Home }`, or `eval: { script: \"return 1 + 1;\" }`",
                );
                return None;
            }
        };
        let script = self.script(code, form)?;
        let expect = match f.get("expect") {
            Some(e) => Some(self.predicate(e, false)?),
            None => None,
        };
        let capture = f.get("capture").and_then(|c| self.string(c, "`capture`"));
        if let (Some(c), Some(at)) = (&capture, f.get("capture"))
            && !super::valid_name(c)
        {
            self.err(at.pos, format!("`{c}` is not a valid variable name (letters, digits, `_`, `-`)"));
            return None;
        }
        if let Some(c) = &capture {
            self.captures.insert(c.clone());
        }
        Some(BrowserAction::Eval { script, form, expect, capture })
    }

    /// The JavaScript of an `eval`: not empty, and an expression does not start with `return`
    /// (that is a function body: `script:`).
    fn script(&mut self, n: &Node, form: ScriptForm) -> Option<crate::suite::template::Template> {
        let text = n.scalar_text();
        if text.as_deref().is_some_and(|t| t.trim().is_empty()) {
            self.err(n.pos, "the JavaScript of `eval` is empty");
            return None;
        }
        let starts_with_return =
            text.as_deref().and_then(|t| t.trim_start().strip_prefix("return")).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '$')
            });
        if form == ScriptForm::Expression && starts_with_return {
            self.err_help(
                n.pos,
                "this is a function body (it starts with `return`), not an expression",
                "write `eval: { script: … }` for a function body",
            );
            return None;
        }
        self.template(n, "the JavaScript of `eval`")
    }

    /// `no_console_errors: true`.
    fn no_console_errors(&mut self, n: &Node) -> Option<BrowserAction> {
        if !self.bool(n, "`no_console_errors`")? {
            self.err_help(
                n.pos,
                "`no_console_errors: false` checks nothing",
                "write `no_console_errors: true`, or leave the step out",
            );
            return None;
        }
        Some(BrowserAction::NoConsoleErrors)
    }

    /// `goto: URL`, or `goto: { url: URL, status: 404 }` for a page that is meant to answer
    /// with that status.
    fn goto(&mut self, n: &Node) -> Option<BrowserAction> {
        if !matches!(n.value, Value::Map(_)) {
            return Some(BrowserAction::Goto { url: self.url(n, n)?, status: None });
        }
        let f = self.fields(n, "`goto`", &["url", "status"])?;
        let Some(u) = f.get("url") else {
            // An unknown key (`uri`) was reported with what was meant.
            if !all_known(n, &f) {
                return None;
            }
            self.err_help(
                n.pos,
                "`goto` needs a `url`",
                "e.g. `goto: { url: /missing, status: 404 }`, or `goto: /page`",
            );
            return None;
        };
        let url = self.url(u, u)?;
        let status = match f.get("status") {
            Some(s) => match s.value {
                Value::Int(code @ 100..=599) => Some(code as u16),
                _ => {
                    self.err_help(
                        s.pos,
                        "`status` is the page's HTTP status, a number from 100 to 599",
                        "e.g. `status: 404`",
                    );
                    return None;
                }
            },
            None => None,
        };
        Some(BrowserAction::Goto { url, status })
    }

    /// `no_failed_requests: true`, or `no_failed_requests: { allow: [patterns] }`.
    fn no_failed_requests(&mut self, n: &Node) -> Option<BrowserAction> {
        if !matches!(n.value, Value::Map(_)) {
            if !self.bool(n, "`no_failed_requests`")? {
                self.err_help(
                    n.pos,
                    "`no_failed_requests: false` checks nothing",
                    "write `no_failed_requests: true`, or leave the step out",
                );
                return None;
            }
            return Some(BrowserAction::NoFailedRequests { allow: Vec::new() });
        }
        let f = self.fields(n, "`no_failed_requests`", &["allow"])?;
        let Some(list) = f.get("allow") else {
            if !all_known(n, &f) {
                return None;
            }
            self.err_help(
                n.pos,
                "`no_failed_requests` takes `allow`",
                "e.g. `no_failed_requests: { allow: [/favicon.ico] }`, or `no_failed_requests: true`",
            );
            return None;
        };
        let mut allow = Vec::new();
        for (p, at) in self.string_list(list, "`allow`") {
            // `*`, `/*`, `*://*`, `https://*`: the step would judge nothing.
            let fixed: String = p.chars().filter(|c| *c != '*').collect();
            if matches!(fixed.as_str(), "" | "/" | "://" | "http://" | "https://" | "http" | "https") {
                self.err_help(
                    at,
                    format!("`{p}` allows every request, so `no_failed_requests` would check nothing"),
                    "allow only what may fail, e.g. `/favicon.ico` or `https://ads.example/*`, or leave the step out",
                );
            } else if p.starts_with('/') || p.starts_with('*') || p.contains("://") {
                allow.push(p);
            } else {
                self.err_help(
                    at,
                    format!("`{p}` is neither a path nor a whole URL, so it would match no request"),
                    "start a path with `/` (e.g. `/favicon.ico`, `/api/optional/*`) or give the whole URL (`https://ads.example/*`); `*` stands for any characters",
                );
            }
        }
        Some(BrowserAction::NoFailedRequests { allow })
    }

    fn key(&mut self, k: &str, at: &Node) -> Option<String> {
        use fantoccini::key::Key;
        let key = match k {
            "Enter" => Key::Enter,
            "Tab" => Key::Tab,
            "Escape" => Key::Escape,
            "Backspace" => Key::Backspace,
            "Delete" => Key::Delete,
            "Space" => Key::Space,
            "ArrowUp" => Key::Up,
            "ArrowDown" => Key::Down,
            "ArrowLeft" => Key::Left,
            "ArrowRight" => Key::Right,
            "Home" => Key::Home,
            "End" => Key::End,
            "PageUp" => Key::PageUp,
            "PageDown" => Key::PageDown,
            other if other.chars().count() == 1 => return Some(other.to_string()),
            other => {
                self.err_help(at.pos, format!("`{other}` is not a key shakedown knows"), "keys: Enter, Tab, Escape, Backspace, Delete, Space, ArrowUp/Down/Left/Right, Home, End, PageUp, PageDown, or one character");
                return None;
            }
        };
        Some(char::from(key).to_string())
    }

    fn browser_capture(&mut self, v: &Node) -> Option<BrowserCapture> {
        if let Some(s) = v.as_str() {
            return Some(BrowserCapture::Text(self.target_str(s, v)?));
        }
        let f = self.fields(v, "a browser capture", &["selector", "attr", "title", "url"])?;
        let kinds: Vec<&str> = ["selector", "title", "url"].into_iter().filter(|k| f.has(k)).collect();
        if kinds.len() > 1 || (f.has("attr") && !f.has("selector")) {
            self.err_help(
                v.pos,
                "a browser capture takes its value from one place",
                "`{ selector: …, attr: … }`, `{ title: true }` or `{ url: true }`",
            );
            return None;
        }
        for key in ["title", "url"] {
            if let Some(n) = f.get(key) {
                if !self.bool(n, &format!("`{key}`"))? {
                    self.err(n.pos, format!("`{key}: false` captures nothing: write `{key}: true`"));
                    return None;
                }
                return Some(if key == "title" { BrowserCapture::Title } else { BrowserCapture::Url });
            }
        }
        let Some(sel) = f.get("selector") else {
            self.err_help(v.pos, "a browser capture needs a `selector`", "e.g. `capture: { role: { selector: .role } }`, with `attr: href` for an attribute, or `{ title: true }`, `{ url: true }`");
            return None;
        };
        let t = self.target(sel)?;
        Some(match f.get("attr") {
            Some(a) => BrowserCapture::Attr(t, self.load_time_string(a, "`attr`")?),
            None => BrowserCapture::Text(t),
        })
    }
}
