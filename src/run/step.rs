//! One step: a request judged against its `expect` and feeding its `capture`s, polled while a
//! step `retry` allows; or a browser action on the check's session.

use super::Shared;
use super::http::{self, Exchange, SendContext};
use super::suite::SuiteState;
use crate::judge;
use crate::result::{Problem, ProblemType, ResponseExcerpt, StepRef, StepRetried};
use crate::suite::{Action, CaptureSource, Request, Step};
use serde_json::Value as Json;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Runs steps in order and stops at the first that does not pass.
pub(super) async fn run_steps(
    steps: &[Step],
    state: &mut SuiteState,
    log: &mut String,
    shared: &Shared,
) -> Result<(), Problem> {
    for (i, step) in steps.iter().enumerate() {
        run_step(step, i, state, log, shared).await?;
    }
    Ok(())
}

/// Runs every step even when one fails (for cleanup), and returns the first problem.
pub(super) async fn run_steps_all(
    steps: &[Step],
    state: &mut SuiteState,
    log: &mut String,
    shared: &Shared,
) -> Result<(), Problem> {
    let mut first = Ok(());
    for (i, step) in steps.iter().enumerate() {
        if let Err(p) = run_step(step, i, state, log, shared).await
            && first.is_ok()
        {
            first = Err(p);
        }
    }
    first
}

fn step_ref(step: &Step, index: usize, suite: &crate::suite::Suite, browser: bool) -> StepRef {
    let label = match &step.name {
        Some(n) => format!("step {} ({n})", index + 1),
        None => format!("step {}", index + 1),
    };
    StepRef { label, file: suite.file.display().to_string(), line: step.pos.line, col: step.pos.col, browser }
}

async fn run_step(
    step: &Step,
    index: usize,
    state: &mut SuiteState,
    log: &mut String,
    shared: &Shared,
) -> Result<(), Problem> {
    // A browser step's future is kilobytes: boxed, so that an HTTP step's is not as large (the
    // future of every step is as large as the largest it may await, and is copied whole).
    let req = match &step.action {
        Action::Http(req) => req,
        Action::Browser(bs) => return Box::pin(browser_step(step, bs, index, state, log, shared)).await,
    };
    // After a browser login, the HTTP step acts as the same user.
    if let Some(s) = &state.session {
        Box::pin(s.export_cookies(Some(&state.scope.jar), &shared.redactor)).await;
    }
    let started = Instant::now();
    let mut wait = step.retry.as_ref().map(|r| r.every);
    let mut attempt = 1u32;
    loop {
        let saved = state.attachments.len();
        let Err(mut p) = http_attempt(step, index, req, state, log, shared).await else {
            if attempt > 1 {
                let at = step_ref(step, index, &state.suite, false);
                state.retried.push(StepRetried {
                    step: at.label,
                    line: step.pos.line,
                    attempts: attempt,
                    waited: started.elapsed(),
                });
            }
            return Ok(());
        };
        let retry =
            step.retry.as_ref().filter(|_| !matches!(p.type_, ProblemType::MissingCapture | ProblemType::Request));
        if let (Some(retry), Some(w)) = (retry, wait)
            && started.elapsed() + w < retry.for_
        {
            let _ = writeln!(
                log,
                "  attempt {attempt} did not pass ({}); retrying in {}",
                crate::report::details::headline(&p, &shared.redactor),
                crate::duration::human(w)
            );
            // Only the last attempt's files are kept: a retried failure leaves nothing behind.
            for f in state.attachments.drain(saved..) {
                let _ = std::fs::remove_file(f);
            }
            tokio::select! {
                _ = tokio::time::sleep(w) => {}
                _ = shared.cancel.checks.cancelled() => {
                    return Err(Problem::error(ProblemType::Interrupted, "interrupted while waiting to retry"));
                }
            }
            wait = Some(w.mul_f64(retry.backoff).min(retry.max_every));
            attempt += 1;
            continue;
        }
        if attempt > 1 {
            p.retried = Some((attempt, started.elapsed()));
        }
        return Err(p);
    }
}

async fn http_attempt(
    step: &Step,
    index: usize,
    req: &Request,
    state: &mut SuiteState,
    log: &mut String,
    shared: &Shared,
) -> Result<(), Problem> {
    let suite = state.suite.clone();
    // Made only for a problem: most steps pass.
    let at = || step_ref(step, index, &suite, false);
    let hash_body = step.expect.iter().any(|a| matches!(a.kind, crate::suite::AssertKind::Sha256(_)));
    let cx = SendContext { suite: &suite, captures: &state.captures, redactor: &shared.redactor, hash_body };
    let ex = match http::send(&state.scope, req, &cx).await {
        Ok(ex) => {
            if let (Some(t), Some(host)) = (ex.cert_not_after, ex.url.host_str())
                && !state.certificates.iter().any(|(h, _)| h == host)
            {
                state.certificates.push((host.to_string(), t));
            }
            ex
        }
        Err(e) => {
            // The full URL, as it was sent (or would have been).
            let raw = req.url.render_url(&state.captures).unwrap_or_default();
            let url = http::resolve_url(&raw, suite.base_url.as_deref()).map(|u| u.to_string()).unwrap_or(raw);
            let line = format!("{} {url}", req.method);
            let _ = writeln!(log, "→ {line}\n  ✗ {}", e.message);
            let mut p = Problem::error(e.type_, e.message).at(step.pos.line);
            p.step = Some(at());
            p.request = Some(line);
            return Err(p);
        }
    };
    let _ = writeln!(log, "→ {}", ex.request_line);
    for hop in &ex.redirects {
        let _ = writeln!(log, "  ↪ redirected: {hop}");
    }
    let _ =
        writeln!(log, "← {} {} ({}, {} bytes)", ex.status, ex.reason, crate::duration::human(ex.elapsed), ex.body_len);
    if ex.body_truncated && judge::reads_body(&step.expect, &step.captures) {
        // Judging the start of a body could pass what its cut end would fail (a traceback past
        // the cut): no verdict at all.
        let message = format!(
            "the response body ({} bytes) is longer than max_body ({} bytes), so it cannot be judged; raise `defaults.max_body` in the suite",
            ex.body_len,
            ex.body.len()
        );
        let _ = writeln!(log, "  ✗ {message}");
        let mut p = Problem::error(ProblemType::Body, message).at(step.pos.line);
        p.step = Some(at());
        p.request = Some(ex.request_line.clone());
        return Err(p);
    }
    let verdict = if judge::needs_html(&step.expect, &step.captures) {
        tokio::task::block_in_place(|| judge::judge_http(&step.expect, &ex, &state.captures))
    } else {
        judge::judge_http(&step.expect, &ex, &state.captures)
    };
    log.push_str(&verdict.log);
    if !verdict.findings.is_empty() {
        if let Some(path) = save_body(&ex, &state.artifacts, index, shared) {
            state.attachments.push(path);
        }
        let mut p = Problem::findings(verdict.findings);
        p.step = Some(at());
        p.request = Some(ex.request_line.clone());
        p.response = Some(excerpt(&ex));
        return Err(p);
    }
    capture_all(step, &ex, &at, state, log, shared)
}

/// Takes the step's captures from a response that passed its assertions.
fn capture_all(
    step: &Step,
    ex: &Exchange,
    at: &dyn Fn() -> StepRef,
    state: &mut SuiteState,
    log: &mut String,
    shared: &Shared,
) -> Result<(), Problem> {
    for c in &step.captures {
        let jar = &state.scope.jar;
        let cookie = |name: &str| {
            use reqwest::cookie::CookieStore;
            let header = jar.cookies(&ex.url)?;
            let text = header.to_str().ok()?.to_string();
            text.split(';')
                .filter_map(|p| p.trim().split_once('='))
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        };
        let got = if matches!(c.source, CaptureSource::Css { .. }) {
            tokio::task::block_in_place(|| judge::capture_http(c, ex, cookie))
        } else {
            judge::capture_http(c, ex, cookie)
        };
        match got {
            Ok(v) => {
                if matches!(c.source, CaptureSource::Cookie(_))
                    && let Json::String(s) = &v
                {
                    shared.redactor.add(s);
                }
                let _ = writeln!(log, "  captured {} = {}", c.name, judge::show(&v));
                state.captures.insert(c.name.clone(), v);
            }
            Err(e) => {
                let _ = writeln!(log, "  ✗ capture {}: {e}", c.name);
                let mut p =
                    Problem::failure(ProblemType::Capture, format!("cannot capture `{}`: {e}", c.name)).at(c.pos.line);
                p.step = Some(StepRef { line: c.pos.line, col: c.pos.col, ..at() });
                p.request = Some(ex.request_line.clone());
                p.response = Some(excerpt(ex));
                return Err(p);
            }
        }
    }
    Ok(())
}

/// Runs a browser step, opening the check's session on first use. On failure, saves a
/// screenshot, the page and its URL next to the check's other artifacts.
async fn browser_step(
    step: &Step,
    bs: &crate::browser::BrowserStep,
    index: usize,
    state: &mut SuiteState,
    log: &mut String,
    shared: &Shared,
) -> Result<(), Problem> {
    let suite = state.suite.clone();
    let at = step_ref(step, index, &state.suite, true);
    if state.session.is_none() {
        let _ = writeln!(log, "→ open browser session");
        let s = shared.browsers.open(&suite).await.map_err(|p| {
            let _ = writeln!(log, "  ✗ {}", p.message);
            p.at(step.pos.line)
        })?;
        state.session = Some(s);
    }
    let Some(session) = state.session.as_mut() else {
        return Err(Problem::error(ProblemType::Browser, "no browser session").at(step.pos.line));
    };
    let mut cx = crate::browser::StepContext {
        suite: &suite,
        captures: &mut state.captures,
        redactor: &shared.redactor,
        log,
        jar: &state.scope.jar,
        artifacts: &state.artifacts,
        attachments: &mut state.attachments,
        pos: step.pos,
    };
    let Err(mut p) = session.run(bs, &mut cx).await else { return Ok(()) };
    if p.line.is_none() {
        p.line = Some(step.pos.line);
    }
    if p.step.is_none() {
        p.step = Some(at);
    }
    // Every browser failure says which page it was on.
    if p.page.is_none()
        && p.type_.browser_alive()
        && let Some(url) = session.page_url().await
    {
        p.page = Some(url);
    }
    let _ = writeln!(log, "  ✗ {}", crate::report::details::headline(&p, &shared.redactor));
    if p.type_.browser_alive() {
        // The redactor learns the cookies' values before the page is saved.
        session.export_cookies(Some(&state.scope.jar), &shared.redactor).await;
        // The screenshot first: it is what a person looks at.
        let mut files = session.failure_artifacts(&state.artifacts, &shared.redactor).await;
        files.append(&mut state.attachments);
        state.attachments = files;
    }
    Err(p)
}

/// Saves the body of a response that failed its assertions, secrets masked, so the whole of
/// it can be read from the pipeline's artifacts. Binary bodies are not saved: they cannot be
/// masked.
fn save_body(ex: &Exchange, dir: &Path, index: usize, shared: &Shared) -> Option<PathBuf> {
    let text = std::str::from_utf8(&ex.body).ok()?;
    if text.is_empty() {
        return None;
    }
    let ext = match &*ex.header_values("content-type").next().unwrap_or_default() {
        ct if ct.contains("json") => "json",
        ct if ct.contains("html") => "html",
        ct if ct.contains("xml") => "xml",
        _ => "txt",
    };
    std::fs::create_dir_all(dir).ok()?;
    let path = dir.join(format!("step-{}-response.{ext}", index + 1));
    let masked = if ex.body_truncated { shared.redactor.redact_cut(text) } else { shared.redactor.redact(text) };
    std::fs::write(&path, masked).ok()?;
    Some(path)
}

/// The status and the start of the body, for a problem's details.
fn excerpt(ex: &Exchange) -> ResponseExcerpt {
    let head = &ex.body[..ex.body.len().min(64 * 1024)];
    ResponseExcerpt {
        status: ex.status,
        reason: ex.reason.clone(),
        bytes: ex.body_len,
        body: String::from_utf8_lossy(head).into_owned(),
        cut: head.len() as u64 != ex.body_len,
    }
}
