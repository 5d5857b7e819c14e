//! What each browser step does: one function per action.

use super::artifacts::MARK_SECRET;
use super::session::{Session, StepContext};
use super::wire::ExtraCommand;
use super::wire::{firefox_error_page, key_name, navigation_problem, net_error_code};
use super::{BrowserAction, BrowserCapture, BrowserKind, BrowserStep, Target};
use crate::judge;
use crate::load::yaml::Pos;
use crate::result::{Problem, ProblemType};
use crate::suite::Predicate;
use crate::suite::template::Template;
use serde_json::{Value as Json, json};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Whether the suite's jar has cookies for the URL (asked before the browser is asked where
/// it is, which costs a round trip).
fn jar_has_cookies(jar: &reqwest::cookie::Jar, url: &reqwest::Url) -> bool {
    use reqwest::cookie::CookieStore;
    jar.cookies(url).is_some()
}

/// Renders a step's template; a capture no earlier step set is an error.
fn render(t: &Template, cx: &StepContext<'_>) -> Result<String, Problem> {
    t.render_str(cx.captures).map_err(|m| Problem::error(ProblemType::MissingCapture, m))
}

/// Readies a field for `fill` (the element, and whether the value is a secret): marks a secret
/// field, and for a text field (an `input` that takes text, a `textarea`, an editable element)
/// that is enabled, focuses it and selects what it holds, answering `"insert"`; anything else
/// answers `"keys"` and is typed key by key (WebDriver's own checks and errors apply).
const FILL_PREPARE: &str = "var e = arguments[0];
if (arguments[1]) e.setAttribute('data-shakedown-secret', '1');
var tag = e.tagName, type = String(e.type || '').toLowerCase();
var text = tag === 'TEXTAREA' || (tag === 'INPUT' && ['text', 'password', 'email', 'search', 'tel', 'url'].indexOf(type) >= 0);
if (!(text || e.isContentEditable) || e.disabled || e.readOnly) return 'keys';
e.focus();
if (document.activeElement !== e) return 'keys';
if (text) { e.select(); } else { var r = document.createRange(); r.selectNodeContents(e); var s = window.getSelection(); s.removeAllRanges(); s.addRange(r); }
return 'insert';";

/// Whether a filled field now holds the value (compared in the page, so that a secret is not
/// sent back).
const FIELD_HOLDS: &str =
    "var e = arguments[0]; return e.isConnected && (e.isContentEditable ? e.innerText : e.value) === arguments[1];";

impl Session {
    pub(super) async fn act(
        &mut self,
        step: &BrowserStep,
        wait: Duration,
        cx: &mut StepContext<'_>,
    ) -> Result<(), Problem> {
        match &step.action {
            BrowserAction::Goto { url, status } => self.goto(url, *status, step.timeout, cx).await,
            BrowserAction::Click(t) => self.click(t, wait, cx).await,
            BrowserAction::Hover(t) => self.hover(t, wait, cx).await,
            BrowserAction::Fill(pairs) => self.fill(pairs, wait, cx).await,
            BrowserAction::Select(pairs) => self.select(pairs, wait, cx).await,
            BrowserAction::Check(t, on) => self.check(t, *on, wait, cx).await,
            BrowserAction::Press { target, key } => self.press(target.as_ref(), key, wait, cx).await,
            BrowserAction::Upload { target, files } => self.upload(target, files, wait, cx).await,
            BrowserAction::See(asserts) => self.see(asserts, wait, cx).await,
            BrowserAction::Capture(items) => self.capture(items, wait, cx).await,
            BrowserAction::Screenshot(name) => {
                let _ = writeln!(cx.log, "→ screenshot {name}");
                if let Some(p) = self.save_screenshot(cx, name).await {
                    cx.attachments.push(p);
                }
                Ok(())
            }
            BrowserAction::Eval { script, form, expect, capture } => {
                self.eval(script, *form, expect.as_ref(), capture.as_deref(), cx).await
            }
            BrowserAction::NoConsoleErrors => self.no_console_errors(cx).await,
            BrowserAction::NoFailedRequests { allow } => self.no_failed_requests(allow, cx).await,
        }
    }

    async fn goto(
        &mut self,
        t: &Template,
        status: Option<u16>,
        timeout: Option<Duration>,
        cx: &mut StepContext<'_>,
    ) -> Result<(), Problem> {
        let raw = render(t, cx)?;
        let url = crate::suite::resolve_url(&raw, cx.suite.base_url.as_deref())
            .map_err(|m| Problem::error(ProblemType::Request, m))?;
        let _ = writeln!(cx.log, "→ goto {url}");
        // Cookies the HTTP steps got since the last page go along, when the browser is already
        // on the same site (a cookie can only be set for the current page).
        if self.navigated
            && jar_has_cookies(cx.jar, &url)
            && let Some(here) = self.page_url().await
            && reqwest::Url::parse(&here).is_ok_and(|h| h.origin() == url.origin())
        {
            self.import_cookies(cx.jar, &url).await?;
        }
        let load = timeout.unwrap_or(self.cmd_timeout);
        let mut mark = self.event_mark();
        self.navigate(&url, load).await?;
        if !self.navigated {
            self.navigated = true;
            // The first page load had no cookies; load it again with the suite's.
            if self.import_cookies(cx.jar, &url).await? {
                mark = self.event_mark();
                self.navigate(&url, load).await?;
            }
        }
        // The document it landed on (after redirects) answered as it should.
        self.check_document(mark, status, cx.log).await
    }

    /// Loads `url`, allowing it `load` (the browser stops loading it then, so the session
    /// stays usable). A page the browser could not load, whether the driver says so or the
    /// browser shows its own error page, is an error typed like an HTTP one.
    async fn navigate(&mut self, url: &reqwest::Url, load: Duration) -> Result<(), Problem> {
        if self.page_load != load {
            let timeouts = fantoccini::wd::TimeoutConfiguration::new(None, Some(load), None);
            self.wd("set the page load timeout", self.client.update_timeouts(timeouts)).await?;
            self.page_load = load;
        }
        // A moment more than the browser's own bound, for its answer to come back.
        let go = self.client.issue_cmd(ExtraCommand::Navigate(url.to_string()));
        let r = self.wd_within(load + Duration::from_secs(2), "goto", go).await;
        match r {
            Ok(_) => {}
            Err(p) if p.type_ == ProblemType::Timeout => {
                let why = format!("{url} did not finish loading within {}", crate::duration::human(load));
                return Err(Problem { message: why, ..p });
            }
            Err(p) if let Some(code) = net_error_code(&p.message).or_else(|| firefox_error_page(&p.message)) => {
                return Err(navigation_problem(url.as_str(), &code));
            }
            Err(p) => return Err(p),
        }
        self.check_not_error_page(Some(url.as_str())).await.map(|_| ())
    }

    async fn click(&self, t: &Target, wait: Duration, cx: &mut StepContext<'_>) -> Result<(), Problem> {
        let _ = writeln!(cx.log, "→ click {t}");
        // The element may go stale or be covered while the page settles: try again until the
        // wait is over.
        let deadline = Instant::now() + wait;
        loop {
            let el = self.find(t, true, deadline.saturating_duration_since(Instant::now())).await?;
            let clicked = match self.bidi_click(&el).await {
                Ok(Some(())) => Ok(()),
                Ok(None) => self.wd("click", el.click()).await,
                Err(p) => Err(p),
            };
            match clicked {
                Ok(()) => return Ok(()),
                Err(p) if p.type_ == ProblemType::Element && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(p) => return Err(p),
            }
        }
    }

    async fn hover(&self, t: &Target, wait: Duration, cx: &mut StepContext<'_>) -> Result<(), Problem> {
        use fantoccini::actions::{InputSource, MouseActions, PointerAction};
        let _ = writeln!(cx.log, "→ hover {t}");
        let el = self.find(t, true, wait).await?;
        let mouse = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
            element: el,
            duration: None,
            x: 0.0,
            y: 0.0,
        });
        self.wd("hover", self.client.perform_actions(mouse)).await
    }

    async fn fill(
        &mut self,
        pairs: &[(Target, Template)],
        wait: Duration,
        cx: &mut StepContext<'_>,
    ) -> Result<(), Problem> {
        for (t, v) in pairs {
            let value = render(v, cx)?;
            let secret = cx.redactor.redact(&value) != value;
            let shown = if secret { crate::redact::MASK.to_string() } else { format!("{value:?}") };
            let _ = writeln!(cx.log, "→ fill {t} = {shown}");
            let el = self.find(t, true, wait).await?;
            let arg = serde_json::to_value(&el).unwrap_or(Json::Null);
            if secret {
                self.has_secret_inputs = true;
            }
            // A local Chromium: focus, select what the field holds and insert the value as one
            // trusted input event, as Playwright's `fill` does (a `sendKeys` costs tens of ms a
            // field, key by key). The field's value is then read back: anything else (a field
            // that reformats what is typed, focus taken away) is typed key by key after all.
            if self.inserts_text() && !value.is_empty() {
                let prep = self.script("fill", FILL_PREPARE, vec![arg.clone(), Json::Bool(secret)]).await?;
                if prep.as_str() == Some("insert") {
                    let insert = ExtraCommand::Cdp { cmd: "Input.insertText", params: json!({ "text": value }) };
                    match self.wd("fill", self.client.issue_cmd(insert)).await {
                        Ok(_) => {
                            let holds = vec![arg, json!(value)];
                            if self.script("fill", FIELD_HOLDS, holds).await? == Json::Bool(true) {
                                continue;
                            }
                        }
                        // The browser is gone or did not answer: no typing after that.
                        Err(p) if matches!(p.type_, ProblemType::Timeout | ProblemType::BrowserCrash) => return Err(p),
                        // A driver that does not take the command (not chromedriver) types instead.
                        Err(_) => {}
                    }
                }
            } else if secret {
                // Marked on the element itself, whatever selector found it.
                self.script("mark secret input", MARK_SECRET, vec![arg]).await?;
            }
            self.wd("clear", el.clear()).await?;
            self.wd("type", el.send_keys(&value)).await?;
        }
        Ok(())
    }

    /// Whether `fill` can insert text through the driver's Chrome DevTools command (a local
    /// chromedriver; a Grid may not pass `goog/cdp/execute` on).
    fn inserts_text(&self) -> bool {
        self.kind == BrowserKind::Chrome && !self.remote
    }

    async fn select(
        &self,
        pairs: &[(Target, Template)],
        wait: Duration,
        cx: &mut StepContext<'_>,
    ) -> Result<(), Problem> {
        for (t, v) in pairs {
            let value = render(v, cx)?;
            let _ = writeln!(cx.log, "→ select {t} = {value:?}");
            let el = self.find(t, true, wait).await?;
            if self.wd("select", el.select_by_value(&value)).await.is_err() {
                self.wd("select", el.select_by_label(&value)).await.map_err(|_| {
                    Problem::failure(
                        ProblemType::Element,
                        format!("`{t}` has no option with the value or label {value:?}"),
                    )
                })?;
            }
        }
        Ok(())
    }

    async fn check(&self, t: &Target, on: bool, wait: Duration, cx: &mut StepContext<'_>) -> Result<(), Problem> {
        let _ = writeln!(cx.log, "→ {} {t}", if on { "check" } else { "uncheck" });
        let el = self.find(t, true, wait).await?;
        if self.wd("is selected", el.is_selected()).await? != on {
            self.wd("click", el.click()).await?;
        }
        Ok(())
    }

    async fn press(
        &self,
        target: Option<&Target>,
        key: &str,
        wait: Duration,
        cx: &mut StepContext<'_>,
    ) -> Result<(), Problem> {
        let _ = writeln!(cx.log, "→ press {}", key_name(key));
        let el = match target {
            Some(t) => self.find(t, true, wait).await?,
            None => self.wd("active element", self.client.active_element()).await?,
        };
        self.wd("press", el.send_keys(key)).await
    }

    async fn upload(
        &self,
        target: &Target,
        files: &[PathBuf],
        wait: Duration,
        cx: &mut StepContext<'_>,
    ) -> Result<(), Problem> {
        let mut paths = Vec::new();
        for f in files {
            let abs = std::path::absolute(f)
                .map_err(|e| Problem::error(ProblemType::Request, format!("cannot resolve {}: {e}", f.display())))?;
            paths.push(if self.remote { self.push_file(&abs).await? } else { abs.display().to_string() });
        }
        let names: Vec<String> =
            files.iter().map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()).collect();
        let _ = writeln!(cx.log, "→ upload {target} ← {}", names.join(", "));
        let el = self.find(target, false, wait).await?;
        if self.bidi_set_files(&el, &paths).await? {
            return Ok(());
        }
        self.wd("upload", el.send_keys(&paths.join("\n"))).await
    }

    async fn capture(
        &self,
        items: &[(String, Pos, BrowserCapture)],
        wait: Duration,
        cx: &mut StepContext<'_>,
    ) -> Result<(), Problem> {
        for (name, pos, c) in items {
            let v = self.captured(c, wait).await.map_err(|p| Problem { line: Some(pos.line), ..p })?;
            let _ = writeln!(cx.log, "  captured {name} = {}", judge::show(&v));
            cx.captures.insert(name.clone(), v);
        }
        Ok(())
    }

    async fn captured(&self, c: &BrowserCapture, wait: Duration) -> Result<Json, Problem> {
        Ok(match c {
            BrowserCapture::Text(t) => {
                let el = self.find(t, false, wait).await?;
                Json::String(judge::normalize_ws(&self.wd("text", el.text()).await?))
            }
            BrowserCapture::Attr(t, a) => {
                let el = self.find(t, false, wait).await?;
                match self.wd("attribute", el.attr(a)).await? {
                    Some(v) => Json::String(v),
                    None => {
                        return Err(Problem::failure(ProblemType::Capture, format!("`{t}` has no attribute `{a}`")));
                    }
                }
            }
            BrowserCapture::Title => Json::String(self.wd("title", self.client.title()).await?),
            BrowserCapture::Url => Json::String(self.wd("current url", self.client.current_url()).await?.to_string()),
        })
    }

    /// Runs the script as the suite says it is written (an expression or a function body);
    /// `undefined` is no value, so `exists: true` fails on it and it cannot be captured.
    async fn eval(
        &self,
        script: &Template,
        form: crate::suite::browser::ScriptForm,
        expect: Option<&Predicate>,
        capture: Option<&str>,
        cx: &mut StepContext<'_>,
    ) -> Result<(), Problem> {
        let js = render(script, cx)?;
        let _ = writeln!(cx.log, "→ eval {js}");
        let answer = self.wd("execute script", self.client.execute(&form.wrap(&js), Vec::new())).await?;
        let value = match answer {
            Json::Array(pair) if pair.len() == 2 && pair[0] == Json::Bool(true) => None,
            Json::Array(mut pair) if pair.len() == 2 => pair.pop(),
            other => {
                let why = format!("the browser answered the script with {other}, not its result");
                return Err(Problem::error(ProblemType::Script, why));
            }
        };
        if let Some(pred) = expect {
            let verdict = judge::judge_eval(cx.pos, pred, value.as_ref(), cx.captures);
            if !verdict.findings.is_empty() {
                return Err(Problem::findings(verdict.findings));
            }
        }
        if let Some(name) = capture {
            let Some(v) = value else {
                let why = format!("the script's result is undefined: nothing to capture as `{name}`");
                return Err(Problem::failure(ProblemType::Capture, why));
            };
            cx.captures.insert(name.to_string(), v);
        }
        Ok(())
    }

    async fn no_console_errors(&mut self, cx: &mut StepContext<'_>) -> Result<(), Problem> {
        let _ = writeln!(cx.log, "→ no console errors");
        if self.has_eyes() {
            return self.console_errors_seen().await;
        }
        if self.kind != BrowserKind::Chrome {
            let why = "reading the console is only supported with Chrome/Chromium";
            return Err(Problem::error(ProblemType::Unsupported, why));
        }
        let errors: Vec<String> = self
            .console()
            .await?
            .iter()
            .filter(|e| e.get("level").and_then(Json::as_str) == Some("SEVERE"))
            .map(|e| e.get("message").and_then(Json::as_str).unwrap_or("").to_string())
            .collect();
        let Some(first) = errors.first() else { return Ok(()) };
        let message = format!("the browser console has {} error(s); first: {first}", errors.len());
        let mut p = Problem::failure(ProblemType::Console, message);
        p.notes = errors;
        Err(p)
    }
}
