//! Suite files to runnable suites: reads the YAML tree, checks every key, resolves every
//! interpolation, compiles JSONPath, regexes and CSS selectors, and checks file references.
//! It collects every problem in the file rather than stopping at the first.

use crate::load::diagnostic::{Diagnostic, FileDiagnostics, suggest};
use crate::load::template::{self, RawExpr, Resolved, Scope, Template};
use crate::load::yaml::{self, Node, Pos, Value};
use crate::suite::*;
use serde_json::Value as Json;
use serde_json_path::JsonPath;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

mod browser;

/// What a suite may read besides its own file: the environment (with `--env-file` on top),
/// `--var` overrides, and run-wide settings.
#[derive(Clone, Debug, Default)]
pub struct LoadContext {
    pub env: HashMap<String, String>,
    pub vars: Vec<(String, String)>,
    /// `--environment`, which wins over the suite's `environment:`.
    pub environment: Option<String>,
}

/// Reads and compiles one suite file.
pub fn load_file(path: &Path, cx: &LoadContext) -> Result<Suite, FileDiagnostics> {
    let display = display_path(path);
    let fail = |message: String, source: Option<Arc<str>>, pos: Option<Pos>| FileDiagnostics {
        file: display.clone(),
        source,
        diagnostics: vec![Diagnostic { pos, len: None, message, help: None }],
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return Err(fail(format!("cannot read the suite file: {e}"), None, None)),
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            return Err(fail(
                format!("the file is not UTF-8 text (invalid byte at offset {at}); suites are YAML text"),
                None,
                None,
            ));
        }
    };
    let source: Arc<str> = Arc::from(text.as_str());
    compile_source(source, display, path.parent().unwrap_or(Path::new(".")), cx)
}

/// Compiles a suite from its text; `dir` is where relative file references point.
pub fn compile_source(
    source: Arc<str>,
    file: PathBuf,
    dir: &Path,
    lcx: &LoadContext,
) -> Result<Suite, FileDiagnostics> {
    let root = match yaml::parse(&source) {
        Ok(n) => n,
        Err(e) => {
            return Err(FileDiagnostics {
                file,
                source: Some(source.clone()),
                diagnostics: vec![Diagnostic {
                    pos: e.pos,
                    len: None,
                    message: format!("invalid YAML: {}", e.message),
                    help: None,
                }],
            });
        }
    };
    let mut cx = Compiler {
        diags: Vec::new(),
        source: &source,
        env: &lcx.env,
        secrets: HashMap::new(),
        vars: HashMap::new(),
        captures: HashSet::new(),
        dir: dir.to_path_buf(),
    };
    let suite = cx.suite(&root, &file, lcx);
    match suite {
        Some(s) if cx.diags.is_empty() => Ok(s),
        _ => {
            // A message may quote a value made from a secret (e.g. a URL that is one): mask
            // them here, as nothing downstream knows the secrets of a suite that did not load.
            let masks = crate::redact::Redactor::new();
            cx.secrets.values().flatten().for_each(|v| masks.add(v));
            let mut diagnostics = cx.diags;
            for d in &mut diagnostics {
                d.message = masks.redact(&d.message);
                d.help = d.help.as_deref().map(|h| masks.redact(h));
            }
            diagnostics.sort_by_key(|d| d.pos);
            if diagnostics.is_empty() {
                diagnostics.push(Diagnostic {
                    pos: None,
                    len: None,
                    message: "the suite is invalid".into(),
                    help: None,
                });
            }
            Err(FileDiagnostics { file, source: Some(source.clone()), diagnostics })
        }
    }
}

/// Shows paths relative to the working directory when they are below it.
pub fn display_path(path: &Path) -> PathBuf {
    if let Ok(cwd) = std::env::current_dir()
        && let Ok(abs) = std::path::absolute(path)
        && let Ok(rel) = abs.strip_prefix(&cwd)
    {
        return rel.to_path_buf();
    }
    path.to_path_buf()
}

struct Compiler<'a> {
    diags: Vec<Diagnostic>,
    source: &'a str,
    env: &'a HashMap<String, String>,
    /// Declared secret names, with their values when set.
    secrets: HashMap<String, Option<String>>,
    /// Variables known at load time.
    vars: HashMap<String, Json>,
    /// Names captured by steps seen so far, in file order.
    captures: HashSet<String>,
    dir: PathBuf,
}

/// A mapping's entries by key, for one level of the suite.
struct Fields<'n> {
    entries: Vec<(&'n str, &'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries.iter().find(|(k, _, _)| *k == key).map(|(_, _, v)| *v)
    }
    fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
    fn key_pos(&self, key: &str) -> Option<Pos> {
        self.entries.iter().find(|(k, _, _)| *k == key).map(|(_, n, _)| n.pos)
    }
}

const SUITE_KEYS: &[&str] = &[
    "name",
    "environment",
    "base_url",
    "commit",
    "secrets",
    "vars",
    "tags",
    "defaults",
    "tls",
    "browser",
    "setup",
    "checks",
    "teardown",
];
const DEFAULTS_KEYS: &[&str] = &["timeout", "headers", "follow_redirects", "max_body", "retries"];
const TLS_KEYS: &[&str] = &["ca", "client_cert", "client_key", "insecure"];
const CHECK_KEYS: &[&str] =
    &["name", "tags", "request", "expect", "capture", "retry", "retries", "steps", "teardown", "cookies", "browser"];
const STEP_KEYS: &[&str] = &["name", "request", "expect", "capture", "retry"];
const REQUEST_KEYS: &[&str] = &[
    "method",
    "url",
    "headers",
    "query",
    "json",
    "form",
    "body",
    "file",
    "multipart",
    "auth",
    "follow_redirects",
    "timeout",
];
const EXPECT_KEYS: &[&str] = &["status", "header", "headers", "body", "json", "html", "time", "sha256", "certificate"];
const OPERATORS: &[&str] = &[
    "equals",
    "not_equals",
    "lt",
    "lte",
    "gt",
    "gte",
    "contains",
    "not_contains",
    "matches",
    "not_matches",
    "exists",
    "absent",
    "type",
    "length",
    "one_of",
];

impl<'a> Compiler<'a> {
    fn err(&mut self, pos: Pos, message: impl Into<String>) {
        self.diags.push(Diagnostic::new(pos, message));
    }

    fn err_help(&mut self, pos: Pos, message: impl Into<String>, help: impl Into<String>) {
        self.diags.push(Diagnostic::new(pos, message).help(help));
    }

    /// The entries of a mapping, reporting duplicate and unknown keys.
    fn fields<'n>(&mut self, node: &'n Node, what: &str, allowed: &[&str]) -> Option<Fields<'n>> {
        let Value::Map(entries) = &node.value else {
            self.err(node.pos, format!("{what} must be a mapping, found {}", node.kind()));
            return None;
        };
        let mut out = Fields { entries: Vec::with_capacity(entries.len()) };
        for (k, v) in entries {
            let Some(key) = k.as_str() else {
                self.err(k.pos, format!("keys of {what} must be strings, found {}", k.kind()));
                continue;
            };
            if out.has(key) {
                self.err(k.pos, format!("`{key}` is given twice in {what}"));
                continue;
            }
            if !allowed.is_empty() && !allowed.contains(&key) {
                let help = match suggest(key, allowed) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("{what} takes: {}", allowed.join(", ")),
                };
                self.err_help(k.pos, format!("unknown key `{key}` in {what}"), help);
                continue;
            }
            out.entries.push((key, k, v));
        }
        Some(out)
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.err(node.pos, format!("{what} must be a string, found {}", node.kind()));
                None
            }
        }
    }

    fn bool(&mut self, node: &Node, what: &str) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.err(node.pos, format!("{what} must be true or false, found {}", node.kind()));
                None
            }
        }
    }

    fn uint(&mut self, node: &Node, what: &str, max: u32) -> Option<u32> {
        match node.value {
            Value::Int(i) if (0..=i64::from(max)).contains(&i) => Some(i as u32),
            _ => {
                self.err(node.pos, format!("{what} must be a whole number from 0 to {max}"));
                None
            }
        }
    }

    fn duration(&mut self, node: &Node, what: &str) -> Option<Duration> {
        let text = match &node.value {
            Value::Str(s) => s.clone(),
            Value::Int(_) | Value::Float(_) => node.scalar_text().unwrap_or_default(),
            _ => {
                self.err(node.pos, format!("{what} must be a duration such as `5s`, found {}", node.kind()));
                return None;
            }
        };
        crate::duration::parse_duration(&text).map_err(|e| self.err(node.pos, format!("{what}: {e}"))).ok()
    }

    fn string_list(&mut self, node: &Node, what: &str) -> Vec<(String, Pos)> {
        match &node.value {
            Value::Seq(items) => {
                items.iter().filter_map(|i| self.string(i, &format!("each of {what}")).map(|s| (s, i.pos))).collect()
            }
            Value::Str(s) => vec![(s.clone(), node.pos)],
            _ => {
                self.err(node.pos, format!("{what} must be a list of strings, found {}", node.kind()));
                Vec::new()
            }
        }
    }

    /// Where an expression sits in the file: found by searching the source from the node.
    fn expr_pos(&self, node: &Node, raw: &str) -> (Pos, usize) {
        let mut line_no = node.pos.line;
        for (i, line) in self.source.lines().enumerate().skip(node.pos.line.saturating_sub(1) as usize) {
            let from = if i + 1 == node.pos.line as usize {
                line.char_indices().nth(node.pos.col.saturating_sub(1) as usize).map_or(line.len(), |(b, _)| b)
            } else {
                0
            };
            if let Some(at) = line.get(from..).and_then(|l| l.find(raw)) {
                let col = line[..from + at].chars().count() as u32 + 1;
                return (Pos::new(i as u32 + 1, col), raw.len());
            }
            line_no = i as u32 + 1;
            if line_no > node.pos.line + 50 {
                break;
            }
        }
        let _ = line_no;
        (node.pos, raw.len())
    }

    /// A string (or number) with `${{ }}` interpolations, all names resolved.
    fn template(&mut self, node: &Node, what: &str) -> Option<Template> {
        let Some(text) = node.scalar_text() else {
            self.err(node.pos, format!("{what} must be a string, found {}", node.kind()));
            return None;
        };
        if !matches!(node.value, Value::Str(_)) {
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
        for (e, (message, help)) in problems {
            let raw = text.get(e.offset..e.offset + e.len).unwrap_or("${{");
            let (pos, len) = self.expr_pos(node, raw);
            self.diags.push(Diagnostic { pos: Some(pos), len: Some(len), message, help });
        }
        t
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

    fn json_template(&mut self, node: &Node) -> Option<JsonTemplate> {
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

    fn file_ref(&mut self, node: &Node, what: &str) -> Option<PathBuf> {
        let s = self.string(node, what)?;
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

    fn suite(&mut self, root: &Node, file: &Path, lcx: &LoadContext) -> Option<Suite> {
        let f = self.fields(root, "the suite", SUITE_KEYS)?;
        let name = match f.get("name") {
            Some(n) => self.string(n, "`name`"),
            None => file.file_stem().map(|s| s.to_string_lossy().into_owned()),
        };

        // Secrets come first: variables may use them.
        let mut secret_values = Vec::new();
        if let Some(n) = f.get("secrets") {
            for (s, pos) in self.string_list(n, "`secrets`") {
                let value = self.env.get(&s).cloned();
                match &value {
                    Some(v) if !v.is_empty() => secret_values.push(v.clone()),
                    Some(_) => {}
                    None => self.err_help(
                        pos,
                        format!("secret `{s}` is not set in the environment"),
                        format!("export {s}=… (its value is masked in every output), or pass it with --env-file"),
                    ),
                }
                self.secrets.insert(s, value);
            }
        }

        if let Some(n) = f.get("vars")
            && let Some(vars) = self.fields(n, "`vars`", &[])
        {
            for (key, k, v) in vars.entries {
                if let Some((_, value)) = lcx.vars.iter().rev().find(|(name, _)| name == key) {
                    self.vars.insert(key.to_string(), Json::String(value.clone()));
                    continue;
                }
                if !valid_name(key) {
                    self.err(k.pos, format!("`{key}` is not a valid variable name (letters, digits, `_`, `-`)"));
                    continue;
                }
                if let Some(t) = self.json_template(v) {
                    match t.render(&HashMap::new()) {
                        Ok(value) => {
                            self.vars.insert(key.to_string(), value);
                        }
                        Err(e) => self.err(v.pos, e),
                    }
                }
            }
        }
        for (name, value) in &lcx.vars {
            self.vars.entry(name.clone()).or_insert_with(|| Json::String(value.clone()));
        }

        let base_url = f.get("base_url").and_then(|n| {
            let t = self.template(n, "`base_url`")?;
            let url = t.as_static()?;
            match reqwest::Url::parse(&url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => Some(url.trim_end_matches('/').to_string()),
                Ok(u) => {
                    self.err(n.pos, format!("`base_url` must be http or https, not `{}`", u.scheme()));
                    None
                }
                Err(e) => {
                    self.err_help(
                        n.pos,
                        format!("`base_url` is not a valid URL ({e})"),
                        "write it as `https://host[:port][/path]`",
                    );
                    None
                }
            }
        });

        let environment = lcx
            .environment
            .clone()
            .or_else(|| f.get("environment").and_then(|n| self.template(n, "`environment`")?.as_static()))
            .unwrap_or_else(|| "default".into());
        let commit = match f.get("commit") {
            Some(n) => self.template(n, "`commit`").and_then(|t| t.as_static()),
            None => self.env.get("GIT_SHA").or_else(|| self.env.get("GITHUB_SHA")).cloned(),
        };
        let tags = f.get("tags").map(|n| self.string_list(n, "`tags`")).unwrap_or_default();
        let defaults = f.get("defaults").map(|n| self.defaults(n)).unwrap_or_default();
        let tls = f.get("tls").map(|n| self.tls(n)).unwrap_or_default();
        let browser = match f.get("browser") {
            Some(n) => self.browser_options(n),
            None => crate::suite::browser::BrowserOptions::default(),
        };

        let setup = f.get("setup").map(|n| self.steps(n, "`setup`", &defaults)).unwrap_or_default();
        let mut checks = Vec::new();
        match f.get("checks") {
            Some(n) => match &n.value {
                Value::Seq(items) => {
                    let mut names: HashMap<String, Pos> = HashMap::new();
                    for item in items {
                        if let Some(c) = self.check(item, &defaults) {
                            if let Some(first) = names.get(&c.name) {
                                let msg =
                                    format!("two checks are named `{}` (the first is on line {})", c.name, first.line);
                                self.err_help(c.pos, msg, "names identify checks in reports: make each one unique");
                            } else {
                                names.insert(c.name.clone(), c.pos);
                            }
                            checks.push(c);
                        }
                    }
                    if items.is_empty() {
                        self.err(n.pos, "`checks` is empty: a suite needs at least one check");
                    }
                }
                _ => self.err(n.pos, format!("`checks` must be a list, found {}", n.kind())),
            },
            None => self.err_help(root.pos, "the suite has no `checks`", "add `checks:` with at least one check"),
        }
        let teardown = f.get("teardown").map(|n| self.steps(n, "`teardown`", &defaults)).unwrap_or_default();

        let needs_base = checks.iter().flat_map(|c| c.steps.iter().chain(&c.teardown)).chain(&setup).chain(&teardown);
        if base_url.is_none() && !f.has("base_url") {
            for step in needs_base {
                let url = match &step.action {
                    Action::Http(r) => Some(&r.url),
                    Action::Browser(crate::suite::browser::BrowserStep {
                        action: crate::suite::browser::BrowserAction::Goto(u),
                        ..
                    }) => Some(u),
                    Action::Browser(_) => None,
                };
                if url.and_then(|u| u.as_static()).is_some_and(|u| u.starts_with('/')) {
                    self.err_help(
                        step.pos,
                        "this request has a relative URL but the suite has no `base_url`",
                        "add `base_url: https://…` to the suite, or write the full URL",
                    );
                    break;
                }
            }
        }

        Some(Suite {
            name: name?,
            file: file.to_path_buf(),
            dir: self.dir.clone(),
            environment,
            base_url,
            commit,
            tags: tags.into_iter().map(|(t, _)| t).collect(),
            defaults,
            tls,
            setup,
            checks,
            teardown,
            secret_values,
            browser,
        })
    }

    fn defaults(&mut self, node: &Node) -> Defaults {
        let mut d = Defaults::default();
        let Some(f) = self.fields(node, "`defaults`", DEFAULTS_KEYS) else { return d };
        if let Some(n) = f.get("timeout")
            && let Some(t) = self.duration(n, "`timeout`")
        {
            d.timeout = t;
        }
        if let Some(n) = f.get("headers") {
            d.headers = self.pairs(n, "`headers`");
        }
        if let Some(n) = f.get("follow_redirects")
            && let Some(b) = self.bool(n, "`follow_redirects`")
        {
            d.follow_redirects = b;
        }
        if let Some(n) = f.get("max_body") {
            let text = n.scalar_text().unwrap_or_default();
            match crate::duration::parse_size(&text) {
                Ok(s) => d.max_body = s,
                Err(e) => self.err(n.pos, format!("`max_body`: {e}")),
            }
        }
        if let Some(n) = f.get("retries")
            && let Some(r) = self.uint(n, "`retries`", 10)
        {
            d.retries = r;
        }
        d
    }

    fn tls(&mut self, node: &Node) -> Tls {
        let mut t = Tls::default();
        let Some(f) = self.fields(node, "`tls`", TLS_KEYS) else { return t };
        t.ca = f.get("ca").and_then(|n| self.file_ref(n, "CA bundle"));
        t.client_cert = f.get("client_cert").and_then(|n| self.file_ref(n, "client certificate"));
        t.client_key = f.get("client_key").and_then(|n| self.file_ref(n, "client key"));
        if t.client_cert.is_some() != t.client_key.is_some() && f.has("client_cert") != f.has("client_key") {
            self.err(node.pos, "`client_cert` and `client_key` go together: give both");
        }
        t.insecure = f.get("insecure").and_then(|n| self.bool(n, "`insecure`")).unwrap_or(false);
        t
    }

    /// `name: value` pairs (headers, query, form fields) with interpolated values.
    fn pairs(&mut self, node: &Node, what: &str) -> Vec<(String, Template)> {
        let Some(f) = self.fields(node, what, &[]) else { return Vec::new() };
        f.entries.iter().filter_map(|(k, _, v)| Some((k.to_string(), self.template(v, &format!("`{k}`"))?))).collect()
    }

    fn steps(&mut self, node: &Node, what: &str, defaults: &Defaults) -> Vec<Step> {
        let Value::Seq(items) = &node.value else {
            self.err(node.pos, format!("{what} must be a list of steps, found {}", node.kind()));
            return Vec::new();
        };
        items.iter().filter_map(|i| self.step(i, defaults)).collect()
    }

    fn step(&mut self, node: &Node, defaults: &Defaults) -> Option<Step> {
        if Self::is_browser_step(node) {
            return self.browser_step(node);
        }
        let f = self.fields(node, "a step", STEP_KEYS)?;
        let name = f.get("name").and_then(|n| self.string(n, "`name`"));
        self.step_from(&f, node.pos, name, defaults)
    }

    /// The request, expectations, captures and retry of a step, from a step or a one-step check.
    fn step_from(&mut self, f: &Fields, pos: Pos, name: Option<String>, defaults: &Defaults) -> Option<Step> {
        let Some(req_node) = f.get("request") else {
            self.err_help(pos, "this step has no `request`", "add e.g. `request: GET /health`");
            return None;
        };
        let request = self.request(req_node);
        let expect = f.get("expect").map(|n| self.expect(n)).unwrap_or_default();
        let retry = f.get("retry").and_then(|n| self.retry(n));
        // Captures become visible after the request that makes them.
        let captures = f.get("capture").map(|n| self.captures(n)).unwrap_or_default();
        let _ = defaults;
        Some(Step { name, pos, action: Action::Http(Box::new(request?)), expect, captures, retry })
    }

    fn check(&mut self, node: &Node, defaults: &Defaults) -> Option<Check> {
        let f = self.fields(node, "a check", CHECK_KEYS)?;
        let name = match f.get("name") {
            Some(n) => self.string(n, "`name`"),
            None => {
                self.err_help(
                    node.pos,
                    "this check has no `name`",
                    "add `name: …`; it identifies the check in reports",
                );
                None
            }
        };
        if let Some(n) = &name
            && n.trim().is_empty()
        {
            self.err(f.get("name").map_or(node.pos, |n| n.pos), "a check's name cannot be empty");
        }
        let tags = f.get("tags").map(|n| self.string_list(n, "`tags`")).unwrap_or_default();
        let kinds: Vec<&str> = ["request", "steps", "browser"].into_iter().filter(|k| f.has(k)).collect();
        let mut is_browser = false;
        let steps = match kinds.as_slice() {
            ["request"] => self.step_from(&f, node.pos, None, defaults).into_iter().collect(),
            ["steps"] => {
                for key in ["expect", "capture", "retry"] {
                    if let Some(p) = f.key_pos(key) {
                        self.err_help(
                            p,
                            format!("`{key}` belongs to a step when the check has `steps`"),
                            "move it into the step it is about",
                        );
                    }
                }
                let steps = f.get("steps").map(|n| self.steps(n, "`steps`", defaults)).unwrap_or_default();
                if steps.is_empty() && f.get("steps").is_some_and(|n| matches!(&n.value, Value::Seq(s) if s.is_empty()))
                {
                    self.err(node.pos, "`steps` is empty");
                }
                steps
            }
            ["browser"] => {
                for key in ["expect", "capture", "retry"] {
                    if let Some(p) = f.key_pos(key) {
                        self.err_help(
                            p,
                            format!("`{key}` does not apply to a `browser` check"),
                            "use `see` and `capture` steps inside the `browser` list",
                        );
                    }
                }
                is_browser = true;
                let n = f.get("browser")?;
                self.browser_steps(n)
            }
            [] => {
                self.err_help(
                    node.pos,
                    "this check does nothing",
                    "give it a `request`, a list of `steps`, or a list of `browser` steps",
                );
                Vec::new()
            }
            _ => {
                self.err(
                    node.pos,
                    format!("a check has one of `request`, `steps` or `browser`, not {}", kinds.join(" and ")),
                );
                Vec::new()
            }
        };
        let teardown = f.get("teardown").map(|n| self.steps(n, "`teardown`", defaults)).unwrap_or_default();
        is_browser |= steps.iter().chain(&teardown).any(|s| matches!(s.action, Action::Browser(_)));
        let retries = match f.get("retries") {
            Some(n) => self.uint(n, "`retries`", 10).unwrap_or(0),
            None => defaults.retries,
        };
        let isolated = match f.get("cookies") {
            None => false,
            Some(n) => {
                match n.as_str() {
                    Some("shared") => false,
                    Some("isolated") => true,
                    _ => {
                        self.err(n.pos, "`cookies` is `shared` (the suite's cookie jar, the default) or `isolated` (a jar of its own)");
                        false
                    }
                }
            }
        };
        Some(Check {
            name: name?,
            pos: node.pos,
            tags: tags.into_iter().map(|(t, _)| t).collect(),
            steps,
            teardown,
            retries,
            isolated,
            is_browser,
        })
    }

    fn retry(&mut self, node: &Node) -> Option<Retry> {
        let f = self.fields(node, "`retry`", &["for", "every", "backoff", "max_every"])?;
        let Some(for_node) = f.get("for") else {
            self.err_help(
                node.pos,
                "`retry` needs `for`: how long to keep trying",
                "e.g. `retry: { for: 3m, every: 5s }`",
            );
            return None;
        };
        let for_ = self.duration(for_node, "`for`")?;
        let every = match f.get("every") {
            Some(n) => self.duration(n, "`every`")?,
            None => Duration::from_secs(1),
        };
        let backoff = match f.get("backoff").map(|n| &n.value) {
            None => 1.0,
            Some(Value::Int(i)) if (1..=10).contains(i) => *i as f64,
            Some(Value::Float(x)) if (1.0..=10.0).contains(x) => *x,
            Some(_) => {
                self.err(
                    f.get("backoff").map_or(node.pos, |n| n.pos),
                    "`backoff` is a factor from 1 (fixed interval) to 10",
                );
                return None;
            }
        };
        let max_every = match f.get("max_every") {
            Some(n) => self.duration(n, "`max_every`")?,
            None => Duration::from_secs(60).max(every),
        };
        Some(Retry { for_, every: every.max(Duration::from_millis(10)), backoff, max_every })
    }

    fn request(&mut self, node: &Node) -> Option<Request> {
        if let Some(line) = node.as_str() {
            // `GET /path` or just `/path`.
            let (method, url) = match line.trim().split_once(char::is_whitespace) {
                Some((m, u)) if m.chars().all(|c| c.is_ascii_uppercase()) => (m.to_string(), u.trim().to_string()),
                _ => ("GET".to_string(), line.trim().to_string()),
            };
            let method = self.method(&method, node.pos)?;
            let url_node = Node { value: Value::Str(url), pos: node.pos };
            let url = self.url(&url_node, node)?;
            return Some(Request {
                method,
                url,
                headers: Vec::new(),
                query: Vec::new(),
                body: None,
                auth: None,
                follow_redirects: None,
                timeout: None,
            });
        }
        let f = self.fields(node, "`request`", REQUEST_KEYS)?;
        let method = match f.get("method") {
            Some(n) => {
                let m = self.string(n, "`method`")?;
                self.method(&m, n.pos)?
            }
            None => reqwest::Method::GET,
        };
        let Some(url_node) = f.get("url") else {
            self.err_help(
                node.pos,
                "the request has no `url`",
                "add `url: /path` (relative to `base_url`) or a full URL",
            );
            return None;
        };
        let url = self.url(url_node, url_node);
        let headers = f.get("headers").map(|n| self.pairs(n, "`headers`")).unwrap_or_default();
        let query = f.get("query").map(|n| self.pairs(n, "`query`")).unwrap_or_default();
        let bodies: Vec<&str> =
            ["json", "form", "body", "file", "multipart"].into_iter().filter(|k| f.has(k)).collect();
        if bodies.len() > 1 {
            self.err(node.pos, format!("a request has one body, but this one has {}", bodies.join(" and ")));
        }
        let body = match bodies.first().copied() {
            Some("json") => f.get("json").and_then(|n| self.json_template(n)).map(Body::Json),
            Some("form") => f.get("form").map(|n| Body::Form(self.pairs(n, "`form`"))),
            Some("body") => f.get("body").and_then(|n| self.template(n, "`body`")).map(Body::Text),
            Some("file") => f.get("file").and_then(|n| self.file_ref(n, "body file")).map(Body::File),
            Some("multipart") => f.get("multipart").map(|n| Body::Multipart(self.multipart(n))),
            _ => None,
        };
        let auth = f.get("auth").and_then(|n| self.auth(n));
        let follow_redirects = f.get("follow_redirects").and_then(|n| self.bool(n, "`follow_redirects`"));
        let timeout = f.get("timeout").and_then(|n| self.duration(n, "`timeout`"));
        Some(Request { method, url: url?, headers, query, body, auth, follow_redirects, timeout })
    }

    fn method(&mut self, m: &str, pos: Pos) -> Option<reqwest::Method> {
        let upper = m.to_ascii_uppercase();
        match reqwest::Method::from_bytes(upper.as_bytes()) {
            Ok(method) if !upper.is_empty() => Some(method),
            _ => {
                self.err(pos, format!("`{m}` is not an HTTP method"));
                None
            }
        }
    }

    fn url(&mut self, node: &Node, at: &Node) -> Option<Template> {
        let t = self.template(node, "the URL")?;
        if let Some(s) = t.as_static() {
            if s.is_empty() {
                self.err(at.pos, "the URL is empty");
                return None;
            }
            if !s.starts_with('/') {
                match reqwest::Url::parse(&s) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                    Ok(u) => {
                        self.err(at.pos, format!("only http and https URLs are supported, not `{}`", u.scheme()));
                        return None;
                    }
                    Err(e) => {
                        self.err_help(
                            at.pos,
                            format!("`{s}` is not a valid URL ({e})"),
                            "write a path starting with `/` (relative to `base_url`) or a full `https://…` URL",
                        );
                        return None;
                    }
                }
            }
        }
        Some(t)
    }

    fn multipart(&mut self, node: &Node) -> Vec<Part> {
        let Some(f) = self.fields(node, "`multipart`", &[]) else { return Vec::new() };
        let mut parts = Vec::new();
        for (name, _, v) in f.entries {
            if let Value::Map(_) = v.value {
                let Some(pf) = self.fields(v, "a multipart file", &["path", "filename", "type"]) else { continue };
                let Some(p) = pf.get("path") else {
                    self.err_help(
                        v.pos,
                        format!("multipart part `{name}` has no `path`"),
                        "a file part is `{ path: file, type: image/png }`; a text field is a plain string",
                    );
                    continue;
                };
                let Some(path) = self.file_ref(p, "file") else { continue };
                let filename = pf.get("filename").and_then(|n| self.string(n, "`filename`"));
                let content_type = pf.get("type").and_then(|n| self.string(n, "`type`"));
                if let Some(ct) = &content_type
                    && ct.parse::<reqwest::header::HeaderValue>().is_err()
                {
                    self.err(pf.get("type").map_or(v.pos, |n| n.pos), format!("`{ct}` is not a valid content type"));
                }
                parts.push(Part::File { name: name.to_string(), path, filename, content_type });
            } else if let Some(value) = self.template(v, &format!("multipart field `{name}`")) {
                parts.push(Part::Text { name: name.to_string(), value });
            }
        }
        parts
    }

    fn auth(&mut self, node: &Node) -> Option<Auth> {
        let f = self.fields(node, "`auth`", &["basic", "bearer"])?;
        if f.has("basic") && f.has("bearer") {
            self.err(node.pos, "`auth` is either `basic` or `bearer`, not both");
            return None;
        }
        if let Some(t) = f.get("bearer") {
            return Some(Auth::Bearer(self.template(t, "`bearer`")?));
        }
        if let Some(b) = f.get("basic") {
            let bf = self.fields(b, "`basic`", &["user", "password"])?;
            let user = bf.get("user").and_then(|n| self.template(n, "`user`"));
            let password = match bf.get("password") {
                Some(n) => self.template(n, "`password`"),
                None => Some(Template::literal("")),
            };
            if !bf.has("user") {
                self.err(b.pos, "basic auth needs a `user`");
            }
            return Some(Auth::Basic { user: user?, password: password? });
        }
        self.err_help(
            node.pos,
            "`auth` is empty",
            "use `auth: { bearer: … }` or `auth: { basic: { user: …, password: … } }`",
        );
        None
    }

    fn expect(&mut self, node: &Node) -> Vec<Assertion> {
        let mut out = Vec::new();
        let Some(f) = self.fields(node, "`expect`", EXPECT_KEYS) else { return out };
        for (key, _, v) in &f.entries {
            let pos = v.pos;
            match *key {
                "status" => {
                    if let Some(s) = self.status(v) {
                        out.push(Assertion { pos, kind: AssertKind::Status(s) });
                    }
                }
                "header" | "headers" => {
                    let Some(hf) = self.fields(v, "`header`", &[]) else { continue };
                    for (name, _, hv) in hf.entries {
                        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                            self.err(hv.pos, format!("`{name}` is not a valid header name"));
                            continue;
                        }
                        if let Some(pred) = self.predicate(hv, false) {
                            out.push(Assertion {
                                pos: hv.pos,
                                kind: AssertKind::Header { name: name.to_ascii_lowercase(), pred },
                            });
                        }
                    }
                }
                "body" => {
                    if let Some(pred) = self.predicate(v, false) {
                        out.push(Assertion { pos, kind: AssertKind::Body(pred) });
                    }
                }
                "json" => {
                    let Some(jf) = self.fields(v, "`json`", &[]) else { continue };
                    for (path, k, jv) in jf.entries {
                        let Some(compiled) = self.json_path(path, k) else { continue };
                        if let Some(pred) = self.predicate(jv, false) {
                            out.push(Assertion {
                                pos: k.pos,
                                kind: AssertKind::Json { path: compiled, source: path.to_string(), pred },
                            });
                        }
                    }
                }
                "html" => {
                    let Some(hf) = self.fields(v, "`html`", &[]) else { continue };
                    for (sel, k, hv) in hf.entries {
                        if !self.css(sel, k) {
                            continue;
                        }
                        out.extend(self.html_assertions(sel, hv));
                    }
                }
                "time" => {
                    let pred = match &v.value {
                        Value::Map(_) => self.predicate(v, true),
                        _ => self
                            .duration(v, "`time`")
                            .map(|d| Predicate { ops: vec![Op::Lte(d.as_secs_f64() * 1000.0)] }),
                    };
                    if let Some(pred) = pred {
                        out.push(Assertion { pos, kind: AssertKind::Time(pred) });
                    }
                }
                "sha256" => {
                    let src = match &v.value {
                        // Interpolation works as in any string (`${{ env.EXPECTED_SHA }}`), but
                        // the digest must be known at load time to be checked here.
                        Value::Str(_) => {
                            match self.template(v, "`sha256`").map(|t| t.as_static()) {
                                Some(Some(s)) => {
                                    let hex = s.trim().to_ascii_lowercase();
                                    if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
                                        Some(Sha256Source::Hex(hex))
                                    } else {
                                        self.err(pos, "`sha256` is 64 hex digits, or `{ file: path }` to compare with a local file");
                                        None
                                    }
                                }
                                Some(None) => {
                                    self.err(pos, "`sha256` cannot use a captured value: write the digest, a variable, or `{ file: path }`");
                                    None
                                }
                                None => None,
                            }
                        }
                        _ => self
                            .fields(v, "`sha256`", &["file"])
                            .and_then(|sf| sf.get("file"))
                            .and_then(|n| self.file_ref(n, "file"))
                            .map(Sha256Source::File),
                    };
                    if let Some(src) = src {
                        out.push(Assertion { pos, kind: AssertKind::Sha256(src) });
                    }
                }
                "certificate" => {
                    let Some(cf) = self.fields(v, "`certificate`", &["days_left"]) else { continue };
                    if !cf.has("days_left") {
                        self.err_help(
                            pos,
                            "`certificate` asserts nothing",
                            "e.g. `certificate: { days_left: { gte: 14 } }`",
                        );
                    }
                    if let Some(d) = cf.get("days_left")
                        && let Some(pred) = self.predicate(d, false)
                    {
                        out.push(Assertion { pos: d.pos, kind: AssertKind::CertDays(pred) });
                    }
                }
                _ => {}
            }
        }
        out
    }

    fn html_assertions(&mut self, selector: &str, node: &Node) -> Vec<Assertion> {
        let mut out = Vec::new();
        let push = |out: &mut Vec<Assertion>, pos, target, pred| {
            out.push(Assertion { pos, kind: AssertKind::Html { selector: selector.to_string(), target, pred } })
        };
        if !matches!(node.value, Value::Map(_)) {
            if let Some(pred) = self.predicate(node, false) {
                push(&mut out, node.pos, HtmlTarget::Text, pred);
            }
            return out;
        }
        let Some(f) = self.fields(node, "an `html` assertion", &["text", "attr", "count", "exists"]) else {
            return out;
        };
        for (key, _, v) in f.entries {
            match key {
                "text" => {
                    if let Some(p) = self.predicate(v, false) {
                        push(&mut out, v.pos, HtmlTarget::Text, p);
                    }
                }
                "count" => {
                    if let Some(p) = self.predicate(v, false) {
                        push(&mut out, v.pos, HtmlTarget::Count, p);
                    }
                }
                "exists" => {
                    if let Some(b) = self.bool(v, "`exists`") {
                        let op = if b { Op::Gte(1.0) } else { Op::Equals(JsonTemplate::Value(Json::from(0))) };
                        push(&mut out, v.pos, HtmlTarget::Count, Predicate { ops: vec![op] });
                    }
                }
                "attr" => {
                    let Some(af) = self.fields(v, "`attr`", &[]) else { continue };
                    for (name, _, av) in af.entries {
                        if let Some(p) = self.predicate(av, false) {
                            push(&mut out, av.pos, HtmlTarget::Attr(name.to_string()), p);
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }

    fn json_path(&mut self, path: &str, at: &Node) -> Option<Arc<JsonPath>> {
        match JsonPath::parse(path) {
            Ok(p) => Some(Arc::new(p)),
            Err(e) => {
                self.err_help(
                    at.pos,
                    format!("`{path}` is not a valid JSONPath: {e}"),
                    "JSONPath starts with `$`, e.g. `$.items[0].id` (RFC 9535)",
                );
                None
            }
        }
    }

    fn css(&mut self, selector: &str, at: &Node) -> bool {
        match scraper::Selector::parse(selector) {
            Ok(_) => true,
            Err(e) => {
                self.err(at.pos, format!("`{selector}` is not a valid CSS selector: {e}"));
                false
            }
        }
    }

    fn regex(&mut self, node: &Node) -> Option<regex::Regex> {
        let Some(s) = node.scalar_text() else {
            self.err(node.pos, format!("a regular expression is a string, found {}", node.kind()));
            return None;
        };
        regex::RegexBuilder::new(&s)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| {
                let first = e.to_string().lines().last().unwrap_or("invalid").to_string();
                self.err(node.pos, format!("`{s}` is not a valid regular expression: {first}"))
            })
            .ok()
    }

    /// A scalar or list means `equals`; a mapping is a set of operators that must all hold.
    /// With `durations`, numeric operands may be written as durations and mean milliseconds.
    fn predicate(&mut self, node: &Node, durations: bool) -> Option<Predicate> {
        let Value::Map(_) = node.value else {
            return Some(Predicate { ops: vec![Op::Equals(self.json_template(node)?)] });
        };
        let f = self.fields(node, "the comparison", OPERATORS)?;
        let mut ops = Vec::new();
        for (op, _, v) in f.entries {
            let compiled = match op {
                "equals" => self.json_template(v).map(Op::Equals),
                "not_equals" => self.json_template(v).map(Op::NotEquals),
                "contains" => self.json_template(v).map(Op::Contains),
                "not_contains" => self.json_template(v).map(Op::NotContains),
                "lt" | "lte" | "gt" | "gte" => {
                    let n = self.number(v, op, durations);
                    n.map(|n| match op {
                        "lt" => Op::Lt(n),
                        "lte" => Op::Lte(n),
                        "gt" => Op::Gt(n),
                        _ => Op::Gte(n),
                    })
                }
                "matches" => self.regex(v).map(Op::Matches),
                "not_matches" => self.regex(v).map(Op::NotMatches),
                "exists" => self.bool(v, "`exists`").map(Op::Exists),
                "absent" => self.bool(v, "`absent`").map(|b| Op::Exists(!b)),
                "type" => match v.as_str().and_then(|t| JsonType::NAMES.iter().position(|n| *n == t)) {
                    Some(i) => Some(Op::Type(
                        [
                            JsonType::String,
                            JsonType::Number,
                            JsonType::Integer,
                            JsonType::Boolean,
                            JsonType::Array,
                            JsonType::Object,
                            JsonType::Null,
                        ][i],
                    )),
                    None => {
                        self.err(v.pos, format!("`type` is one of: {}", JsonType::NAMES.join(", ")));
                        None
                    }
                },
                "length" => self.predicate(v, false).map(|p| Op::Length(Box::new(p))),
                "one_of" => match &v.value {
                    Value::Seq(items) => {
                        items.iter().map(|i| self.json_template(i)).collect::<Option<Vec<_>>>().map(Op::OneOf)
                    }
                    _ => {
                        self.err(v.pos, "`one_of` takes a list of values");
                        None
                    }
                },
                _ => None,
            };
            ops.extend(compiled);
        }
        if ops.is_empty() && self.diags.is_empty() {
            self.err(node.pos, "an empty comparison asserts nothing");
        }
        Some(Predicate { ops })
    }

    fn number(&mut self, node: &Node, op: &str, durations: bool) -> Option<f64> {
        match &node.value {
            // In `time`, a bare number is seconds, as in `time: 2`.
            Value::Int(i) if durations => Some(*i as f64 * 1000.0),
            Value::Float(x) if durations => Some(*x * 1000.0),
            Value::Int(i) => Some(*i as f64),
            Value::Float(x) => Some(*x),
            Value::Str(s) if durations => crate::duration::parse_duration(s)
                .map(|d| d.as_secs_f64() * 1000.0)
                .map_err(|e| self.err(node.pos, e))
                .ok(),
            _ => {
                self.err(node.pos, format!("`{op}` compares numbers, found {}", node.kind()));
                None
            }
        }
    }

    fn status(&mut self, node: &Node) -> Option<Vec<StatusPattern>> {
        let one = |cx: &mut Self, n: &Node| -> Option<StatusPattern> {
            match &n.value {
                Value::Int(c) if (100..=599).contains(c) => Some(StatusPattern::Exact(*c as u16)),
                Value::Str(s)
                    if s.len() == 3
                        && s[1..].eq_ignore_ascii_case("xx")
                        && ('1'..='5').contains(&s.chars().next().unwrap_or('0')) =>
                {
                    Some(StatusPattern::Class(u16::from(s.as_bytes()[0] - b'0')))
                }
                _ => {
                    cx.err_help(
                        n.pos,
                        "not a status code",
                        "write a code (`200`), a class (`2xx`), or a list of those (`[200, 204]`)",
                    );
                    None
                }
            }
        };
        match &node.value {
            Value::Seq(items) if !items.is_empty() => items.iter().map(|i| one(self, i)).collect(),
            _ => one(self, node).map(|p| vec![p]),
        }
    }

    fn captures(&mut self, node: &Node) -> Vec<Capture> {
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

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}
