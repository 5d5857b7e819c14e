//! Checks and the steps in them: a check's name, tags, steps, cookies and retries, and a
//! step's request, expectations, captures and `retry`.

use super::{Compiler, Fields};
use crate::load::yaml::{Node, Pos, Value};
use crate::suite::*;
use std::time::Duration;

const CHECK_KEYS: &[&str] =
    &["name", "tags", "request", "expect", "capture", "retry", "retries", "steps", "teardown", "cookies", "browser"];
const STEP_KEYS: &[&str] = &["name", "request", "expect", "capture", "retry"];

impl Compiler<'_> {
    pub(super) fn steps(&mut self, node: &Node, what: &str, defaults: &Defaults) -> Vec<Step> {
        let Value::Seq(items) = &node.value else {
            self.err(node.pos, format!("{what} must be a list of steps, found {}", node.kind()));
            return Vec::new();
        };
        let mut steps = Vec::with_capacity(items.len());
        steps.extend(items.iter().filter_map(|i| self.step(i, defaults)));
        steps
    }

    fn step(&mut self, node: &Node, defaults: &Defaults) -> Option<Step> {
        if Self::is_browser_step(node) {
            return self.browser_step(node);
        }
        let f = self.fields(node, "a step", STEP_KEYS)?;
        let name = f.get("name").and_then(|n| self.step_name(n));
        self.step_from(&f, node.pos, name, defaults)
    }

    /// The request, expectations, captures and retry of a step, from a step or a one-step check.
    fn step_from(&mut self, f: &Fields, pos: Pos, name: Option<String>, defaults: &Defaults) -> Option<Step> {
        let Some(req_node) = f.get("request") else {
            self.err_help(pos, "this step has no `request`", "add e.g. `request: GET /health`");
            return None;
        };
        let request = self.request(req_node);
        let mut expect = f.get("expect").map(|n| self.expect(n)).unwrap_or_default();
        if !expect.iter().any(|a| matches!(a.kind, AssertKind::Status(_))) {
            // A step that names no status must still get a 2xx: otherwise it passes on a 500.
            let at = f.key_pos("request").unwrap_or(pos);
            expect.insert(0, Assertion { pos: at, kind: AssertKind::ImplicitStatus });
        }
        let retry = f.get("retry").and_then(|n| self.retry(n));
        // Captures become visible after the request that makes them.
        let captures = f.get("capture").map(|n| self.captures(n)).unwrap_or_default();
        let _ = defaults;
        Some(Step { name, pos, action: Action::Http(Box::new(request?)), expect, captures, retry })
    }

    pub(super) fn check(&mut self, node: &Node, defaults: &Defaults) -> Option<Check> {
        let f = self.fields(node, "a check", CHECK_KEYS)?;
        let diags_before = self.diags.len();
        let name = self.check_name(&f, node);
        let tags = f.get("tags").map(|n| self.string_list(n, "`tags`")).unwrap_or_default();
        for (t, pos) in &tags {
            self.no_secret_in_name(t, *pos, "a tag");
        }
        let (steps, mut is_browser) = self.check_steps(&f, node, defaults)?;
        let teardown = f.get("teardown").map(|n| self.steps(n, "`teardown`", defaults)).unwrap_or_default();
        is_browser |= steps.iter().chain(&teardown).any(|s| matches!(s.action, Action::Browser(_)));
        if is_browser && !steps.is_empty() && self.diags.len() == diags_before && !steps.iter().any(asserts) {
            self.err_help(
                node.pos,
                "this browser check asserts nothing, so it would pass on any page the deploy serves",
                "add a step that checks the page: `- see: { selector: .role, text: maintainer }`, a `wait_for`, an `eval` with `expect`, `no_console_errors: true`, `no_failed_requests: true`, or an HTTP step with `expect`",
            );
        }
        let retries = match f.get("retries") {
            Some(n) => self.uint(n, "`retries`", 10).unwrap_or(0),
            None => defaults.retries,
        };
        let isolated = f.get("cookies").is_some_and(|n| self.isolated_cookies(n));
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

    /// A check's `name`: required, and not blank.
    fn check_name(&mut self, f: &Fields, node: &Node) -> Option<String> {
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
        if let (Some(text), Some(n)) = (&name, f.get("name")) {
            self.no_secret_in_name(text, n.pos, "a check's name");
        }
        name
    }

    /// A step's `name`, which must not carry a secret.
    pub(super) fn step_name(&mut self, n: &Node) -> Option<String> {
        let name = self.string(n, "`name`")?;
        self.no_secret_in_name(&name, n.pos, "a step's name");
        Some(name)
    }

    /// The steps of a check, from exactly one of its `request`, `steps` or `browser`, and
    /// whether they came from `browser`.
    fn check_steps(&mut self, f: &Fields, node: &Node, defaults: &Defaults) -> Option<(Vec<Step>, bool)> {
        let kinds: Vec<&str> = ["request", "steps", "browser"].into_iter().filter(|k| f.has(k)).collect();
        Some(match kinds.as_slice() {
            ["request"] => (self.step_from(f, node.pos, None, defaults).into_iter().collect(), false),
            ["steps"] => (self.listed_steps(f, node, defaults), false),
            ["browser"] => {
                self.report_step_keys_on_check(
                    f,
                    "does not apply to a `browser` check",
                    "use `see` and `capture` steps inside the `browser` list",
                );
                let n = f.get("browser")?;
                (self.browser_steps(n), true)
            }
            [] => {
                self.err_help(
                    node.pos,
                    "this check does nothing",
                    "give it a `request`, a list of `steps`, or a list of `browser` steps",
                );
                (Vec::new(), false)
            }
            _ => {
                self.err(
                    node.pos,
                    format!("a check has one of `request`, `steps` or `browser`, not {}", kinds.join(" and ")),
                );
                (Vec::new(), false)
            }
        })
    }

    /// The `steps:` list of a check, which then has no step keys of its own.
    fn listed_steps(&mut self, f: &Fields, node: &Node, defaults: &Defaults) -> Vec<Step> {
        self.report_step_keys_on_check(
            f,
            "belongs to a step when the check has `steps`",
            "move it into the step it is about",
        );
        let steps = f.get("steps").map(|n| self.steps(n, "`steps`", defaults)).unwrap_or_default();
        if steps.is_empty() && f.get("steps").is_some_and(|n| matches!(&n.value, Value::Seq(s) if s.is_empty())) {
            self.err(node.pos, "`steps` is empty");
        }
        steps
    }

    /// Reports `expect`, `capture` and `retry` written on the check rather than in its steps.
    fn report_step_keys_on_check(&mut self, f: &Fields, message: &str, help: &str) {
        for key in ["expect", "capture", "retry"] {
            if let Some(p) = f.key_pos(key) {
                self.err_help(p, format!("`{key}` {message}"), help);
            }
        }
    }

    /// `cookies:` is `shared` (false) or `isolated` (true).
    fn isolated_cookies(&mut self, n: &Node) -> bool {
        match n.as_str() {
            Some("shared") => false,
            Some("isolated") => true,
            _ => {
                self.err(
                    n.pos,
                    "`cookies` is `shared` (the suite's cookie jar, the default) or `isolated` (a jar of its own)",
                );
                false
            }
        }
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
}

/// Whether a step of a browser check asserts something: a `see`, `wait_for`, `eval` with
/// `expect`, `no_console_errors` or `no_failed_requests`, or an HTTP step with assertions of its own (the implicit
/// `2xx` says nothing about the page).
fn asserts(step: &Step) -> bool {
    use crate::suite::browser::BrowserAction as B;
    match &step.action {
        Action::Http(_) => step.expect.iter().any(|a| !matches!(a.kind, AssertKind::ImplicitStatus)),
        Action::Browser(b) => {
            matches!(
                &b.action,
                B::See(_) | B::NoConsoleErrors | B::NoFailedRequests { .. } | B::Eval { expect: Some(_), .. }
            )
        }
    }
}
