//! The top level of a suite file: its name, secrets, variables, `base_url`, `defaults`, `tls`
//! and the lists of setup steps, checks and teardown steps.

use super::{Compiler, LoadContext, valid_name};
use crate::load::yaml::{Node, Pos, Value};
use crate::suite::*;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::path::Path;

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
    "monitor",
    "setup",
    "checks",
    "teardown",
];
const DEFAULTS_KEYS: &[&str] = &["timeout", "headers", "follow_redirects", "max_body", "retries"];
const MONITOR_KEYS: &[&str] = &["every"];
const TLS_KEYS: &[&str] = &["ca", "client_cert", "client_key", "insecure"];

impl Compiler<'_> {
    pub(super) fn suite(&mut self, mut root: Node, file: &Path, lcx: &LoadContext) -> Option<Suite> {
        // The checks, most of the tree, are compiled from a list taken out of it, so that each
        // check's nodes are freed once it is compiled and the compiled suite reuses their memory.
        let check_nodes = take_list(&mut root, "checks");
        let root = &root;
        let f = self.fields(root, "the suite", SUITE_KEYS)?;
        let name = match f.get("name") {
            Some(n) => self.string(n, "`name`"),
            None => file.file_stem().map(|s| s.to_string_lossy().into_owned()),
        };

        // Secrets come first: variables may use them.
        let secret_values = f.get("secrets").map(|n| self.declare_secrets(n)).unwrap_or_default();
        if let Some(n) = f.get("name")
            && let Some(text) = n.as_str()
        {
            self.no_secret_in_name(text, n.pos, "the suite's name");
        }
        if let Some(n) = f.get("vars") {
            self.define_vars(n, lcx);
        }
        for (name, value) in &lcx.vars {
            self.vars.entry(name.clone()).or_insert_with(|| Json::String(value.clone()));
        }

        let base_url = f.get("base_url").and_then(|n| self.base_url(n));
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
        for (t, pos) in &tags {
            self.no_secret_in_name(t, *pos, "a tag");
        }
        let defaults = f.get("defaults").map(|n| self.defaults(n)).unwrap_or_default();
        let tls = f.get("tls").map(|n| self.tls(n)).unwrap_or_default();
        let browser = match f.get("browser") {
            Some(n) => self.browser_options(n),
            None => crate::suite::browser::BrowserOptions::default(),
        };

        let monitor = f.get("monitor").map(|n| self.monitor(n)).unwrap_or_default();

        let setup = f.get("setup").map(|n| self.steps(n, "`setup`", &defaults)).unwrap_or_default();
        let checks = match f.get("checks") {
            Some(n) => self.checks(n, check_nodes, &defaults),
            None => {
                self.err_help(root.pos, "the suite has no `checks`", "add `checks:` with at least one check");
                Vec::new()
            }
        };
        let teardown = f.get("teardown").map(|n| self.steps(n, "`teardown`", &defaults)).unwrap_or_default();

        if base_url.is_none() && !f.has("base_url") {
            let steps = checks.iter().flat_map(|c| c.steps.iter().chain(&c.teardown)).chain(&setup).chain(&teardown);
            self.require_base_url_for_relative_urls(steps);
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
            monitor,
        })
    }

    /// `secrets:`: declares each secret with its value from the environment, if set, and
    /// returns the non-empty values, which every output masks.
    fn declare_secrets(&mut self, node: &Node) -> Vec<String> {
        let mut secret_values = Vec::new();
        for (s, pos) in self.string_list(node, "`secrets`") {
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
        secret_values
    }

    /// `vars:`: each variable's value, rendered now; a `--var` of the same name wins.
    fn define_vars(&mut self, node: &Node, lcx: &LoadContext) {
        let Some(vars) = self.fields(node, "`vars`", &[]) else { return };
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

    /// `base_url:`: an http or https URL known at load time, without its trailing `/`.
    fn base_url(&mut self, n: &Node) -> Option<String> {
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
    }

    /// `checks:` (`n`, its items taken out into `items`): a non-empty list of checks with
    /// unique names.
    fn checks(&mut self, n: &Node, items: Vec<Node>, defaults: &Defaults) -> Vec<Check> {
        let Value::Seq(_) = &n.value else {
            self.err(n.pos, format!("`checks` must be a list, found {}", n.kind()));
            return Vec::new();
        };
        let empty = items.is_empty();
        let mut checks = Vec::with_capacity(items.len());
        let mut names: HashMap<String, Pos> = HashMap::with_capacity(items.len());
        // Each check's nodes are dropped once it is compiled.
        for item in items {
            if let Some(c) = self.check(&item, defaults) {
                if let Some(first) = names.get(&c.name) {
                    let msg = format!("two checks are named `{}` (the first is on line {})", c.name, first.line);
                    self.err_help(c.pos, msg, "names identify checks in reports: make each one unique");
                } else {
                    names.insert(c.name.clone(), c.pos);
                }
                checks.push(c);
            }
        }
        if empty {
            self.err(n.pos, "`checks` is empty: a suite needs at least one check");
        }
        checks
    }

    /// Without a `base_url`, reports the first step whose URL is a path (`/…`).
    fn require_base_url_for_relative_urls<'s>(&mut self, steps: impl Iterator<Item = &'s Step>) {
        for step in steps {
            let url = match &step.action {
                Action::Http(r) => Some(&r.url),
                Action::Browser(crate::suite::browser::BrowserStep {
                    action: crate::suite::browser::BrowserAction::Goto { url: u, .. },
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

    /// `monitor:`: how `shakedown monitor` schedules this suite.
    fn monitor(&mut self, node: &Node) -> MonitorOptions {
        let mut m = MonitorOptions::default();
        let Some(f) = self.fields(node, "`monitor`", MONITOR_KEYS) else { return m };
        if let Some(n) = f.get("every")
            && let Some(d) = self.duration(n, "`every`")
        {
            if d < MIN_MONITOR_EVERY {
                self.err_help(
                    n.pos,
                    format!("`every` is {}: the shortest interval is 100ms", crate::duration::human(d)),
                    "write e.g. `every: 1m`",
                );
            } else {
                m.every = Some(d);
            }
        }
        m
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
}

/// The items of a mapping's list under `key`, taken out of it (leaving the list empty); none
/// if the node is not a mapping or `key` is not a list in it.
fn take_list(node: &mut Node, key: &str) -> Vec<Node> {
    let Value::Map(entries) = &mut node.value else { return Vec::new() };
    // The first such key is the one `Fields::get` finds (and the reader allows only one).
    match entries.iter_mut().find(|(k, _)| k.as_str() == Some(key)) {
        Some((_, Node { value: Value::Seq(items), .. })) => std::mem::take(items),
        _ => Vec::new(),
    }
}
