//! The run engine: suites run concurrently (bounded by `--jobs`); inside a suite, setup, then
//! the checks in file order sharing a cookie jar and captures, then teardown, which always runs.
//! It reports through events and returns everything it found, also when interrupted.

use crate::browser::{Browsers, Session};
use crate::event::Event;
use crate::http::{self, Exchange, Scope, SendContext};
use crate::judge::{self, Finding};
use crate::outcome::{CaseKind, CaseResult, Interruption, Problem, ProblemKind, RunResult, Status, SuiteResult};
use crate::redact::Redactor;
use crate::suite::{Action, Check, Request, Step, Suite};
use futures_util::StreamExt;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

/// Run-wide settings, from the command line.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub jobs: usize,
    pub fail_fast: bool,
    /// How long teardowns may take once a run is interrupted.
    pub teardown_grace: Duration,
    pub artifacts_dir: std::path::PathBuf,
}

/// Stops a run early: the first stage stops checks, the second (a second signal, or the grace
/// period running out) stops teardowns too.
#[derive(Clone, Default)]
pub struct Cancel {
    pub checks: CancellationToken,
    pub teardowns: CancellationToken,
    reason: Arc<Mutex<Option<Interruption>>>,
}

impl Cancel {
    pub fn interrupt(&self, why: Interruption) {
        if let Ok(mut r) = self.reason.lock()
            && r.is_none()
        {
            *r = Some(why);
        }
        self.checks.cancel();
    }

    pub fn reason(&self) -> Option<Interruption> {
        self.reason.lock().ok().and_then(|r| *r)
    }
}

/// Shared by every suite of a run.
struct Shared {
    opts: RunOptions,
    browsers: Arc<Browsers>,
    redactor: Redactor,
    events: UnboundedSender<Event>,
    cancel: Cancel,
    failed: AtomicBool,
}

impl Shared {
    fn emit(&self, e: Event) {
        let _ = self.events.send(e);
    }
}

/// Runs the suites and returns what they found. `early` are results decided before the run,
/// such as suites that failed to load; they are reported first.
pub async fn run(
    suites: Vec<Arc<Suite>>,
    early: Vec<SuiteResult>,
    opts: RunOptions,
    redactor: Redactor,
    events: UnboundedSender<Event>,
    cancel: Cancel,
    browsers: Arc<Browsers>,
) -> RunResult {
    let started = SystemTime::now();
    let t0 = Instant::now();
    let shared = Arc::new(Shared { opts, browsers, redactor, events, cancel, failed: AtomicBool::new(false) });
    let checks =
        suites.iter().map(|s| s.checks.len()).sum::<usize>() + early.iter().map(|s| s.cases.len()).sum::<usize>();
    shared.emit(Event::RunStarted { suites: suites.len() + early.len(), checks });
    for s in &early {
        for c in &s.cases {
            shared.emit(Event::CaseFinished { suite: s.name.clone(), case: Box::new(c.clone()) });
        }
    }
    for s in &suites {
        if s.tls.insecure {
            shared.emit(Event::Warning(format!(
                "{}: TLS certificate verification is OFF for this suite (tls.insecure)",
                s.file.display()
            )));
        }
    }
    let jobs = shared.opts.jobs.max(1);
    let mut results: Vec<(usize, SuiteResult)> = futures_util::stream::iter(suites.into_iter().enumerate())
        .map(|(i, s)| {
            let shared = shared.clone();
            async move { (i, run_suite(s, &shared).await) }
        })
        .buffer_unordered(jobs)
        .collect()
        .await;
    results.sort_by_key(|(i, _)| *i);
    let mut all = early;
    all.extend(results.into_iter().map(|(_, r)| r));
    let result = RunResult { started, duration: t0.elapsed(), suites: all, interrupted: shared.cancel.reason() };
    shared.emit(Event::RunFinished(Box::new(result.clone())));
    result
}

/// What checks of one suite share: captures and the cookie jar; and the browser session and
/// artifacts of the check running now.
struct SuiteState {
    suite: Arc<Suite>,
    captures: HashMap<String, Json>,
    scope: Scope,
    session: Option<Session>,
    /// Where the current check's artifacts go.
    artifacts: std::path::PathBuf,
    attachments: Vec<std::path::PathBuf>,
}

impl SuiteState {
    /// Closes the browser session, if any, first handing its cookies to the HTTP jar.
    async fn end_session(&mut self, shared: &Shared, export_cookies: bool) {
        if let Some(s) = self.session.take() {
            if export_cookies {
                s.export_cookies(&self.scope.jar, &shared.redactor).await;
            }
            shared.browsers.close(s).await;
        }
    }
}

async fn run_suite(suite: Arc<Suite>, shared: &Shared) -> SuiteResult {
    let started = SystemTime::now();
    let t0 = Instant::now();
    shared.emit(Event::SuiteStarted { suite: suite.name.clone() });
    for s in &suite.secret_values {
        shared.redactor.add(s);
    }
    let mut cases = Vec::new();
    let finish = |case: CaseResult, cases: &mut Vec<CaseResult>| {
        let case = redact_case(case, &shared.redactor);
        if matches!(case.status, Status::Failed | Status::Errored) {
            shared.failed.store(true, Ordering::SeqCst);
        }
        shared.emit(Event::CaseFinished { suite: suite.name.clone(), case: Box::new(case.clone()) });
        cases.push(case);
    };

    let scope = match Scope::new(&suite.tls) {
        Ok(s) => s,
        Err(e) => {
            let setup =
                CaseResult::new("[setup]", CaseKind::Setup, None).with_problem(Problem::error("config", e.clone()));
            finish(setup, &mut cases);
            for c in &suite.checks {
                finish(
                    CaseResult::skipped(
                        &c.name,
                        Some(c.pos.line),
                        format!("not run: the HTTP client could not be set up: {e}"),
                    ),
                    &mut cases,
                );
            }
            return suite_result(&suite, started, t0, cases);
        }
    };
    let suite_dir = shared.opts.artifacts_dir.join(crate::browser::slug(&suite.name));
    let mut state = SuiteState {
        suite: suite.clone(),
        captures: HashMap::new(),
        scope,
        session: None,
        artifacts: suite_dir.join("setup"),
        attachments: Vec::new(),
    };

    let mut setup_failed: Option<String> = None;
    if !suite.setup.is_empty() {
        let t = Instant::now();
        let mut log = String::new();
        let r = cancellable(&shared.cancel.checks, run_steps(&suite.setup, &mut state, &mut log, shared)).await;
        state.end_session(shared, true).await;
        if let Err(p) = r {
            setup_failed = Some(p.message.clone());
            finish(phase_case("[setup]", CaseKind::Setup, p, t, log, &mut state), &mut cases);
        }
        state.attachments.clear();
    }

    for check in &suite.checks {
        // An interruption wins over a failed setup: the check did not finish because the run
        // stopped (JUNIT.md rule 10).
        let case = if shared.cancel.checks.is_cancelled() {
            interrupted_case(check, shared, Duration::ZERO, String::new())
        } else if let Some(why) = &setup_failed {
            CaseResult::skipped(&check.name, Some(check.pos.line), format!("not run: setup failed: {why}"))
        } else if shared.opts.fail_fast && shared.failed.load(Ordering::SeqCst) {
            CaseResult::skipped(
                &check.name,
                Some(check.pos.line),
                "not run: an earlier check failed and --fail-fast is set",
            )
        } else {
            state.artifacts = suite_dir.join(crate::browser::slug(&check.name));
            run_check(check, &mut state, shared).await
        };
        let mut case = case;
        case.tags = check.tags.clone();
        finish(case, &mut cases);
    }

    if !suite.teardown.is_empty() {
        let t = Instant::now();
        let mut log = String::new();
        state.artifacts = suite_dir.join("teardown");
        let r = run_teardown(&suite.teardown, &mut state, &mut log, shared).await;
        state.end_session(shared, false).await;
        if let Err(p) = r {
            finish(phase_case("[teardown]", CaseKind::Teardown, p, t, log, &mut state), &mut cases);
        }
    }
    suite_result(&suite, started, t0, cases)
}

/// The testcase that stands for a failed setup or teardown. It is always an error: nothing
/// could be judged, whatever the cause (JUNIT.md rule 6).
fn phase_case(name: &str, kind: CaseKind, p: Problem, t: Instant, log: String, state: &mut SuiteState) -> CaseResult {
    let p = Problem { kind: ProblemKind::Error, ..p };
    let mut case = CaseResult::new(name, kind, p.line).with_problem(p);
    case.duration = t.elapsed();
    case.log = log;
    case.attachments = std::mem::take(&mut state.attachments);
    case
}

fn suite_result(suite: &Suite, started: SystemTime, t0: Instant, cases: Vec<CaseResult>) -> SuiteResult {
    SuiteResult {
        name: suite.name.clone(),
        file: suite.file.clone(),
        environment: suite.environment.clone(),
        base_url: suite.base_url.clone(),
        commit: suite.commit.clone(),
        started,
        duration: t0.elapsed(),
        cases,
    }
}

fn interrupted_case(check: &Check, shared: &Shared, duration: Duration, log: String) -> CaseResult {
    let why = match shared.cancel.reason() {
        Some(Interruption::Deadline) => "the run's --timeout passed before this check finished",
        _ => "the run was interrupted (SIGINT/SIGTERM) before this check finished",
    };
    let mut c = CaseResult::new(&check.name, CaseKind::Check, Some(check.pos.line))
        .with_problem(Problem::error("interrupted", why).at(check.pos.line));
    c.duration = duration;
    c.log = log;
    c
}

async fn run_check(check: &Check, state: &mut SuiteState, shared: &Shared) -> CaseResult {
    let t = Instant::now();
    let mut log = String::new();
    let mut earlier = Vec::new();
    let isolated_scope;
    let shared_scope = state.scope.clone();
    if check.isolated {
        match Scope::new(&state.suite.tls) {
            Ok(s) => isolated_scope = s,
            Err(e) => {
                return CaseResult::new(&check.name, CaseKind::Check, Some(check.pos.line))
                    .with_problem(Problem::error("config", e));
            }
        }
        state.scope = isolated_scope;
    }
    let mut last: Result<(), Problem> = Ok(());
    for attempt in 0..=check.retries {
        if attempt > 0 {
            let _ = writeln!(log, "— attempt {} of {} —", attempt + 1, check.retries + 1);
        }
        if attempt > 0 {
            state.artifacts = state.artifacts.with_file_name(format!(
                "{}-attempt-{}",
                crate::browser::slug(&check.name),
                attempt + 1
            ));
        }
        last = cancellable(&shared.cancel.checks, run_steps(&check.steps, state, &mut log, shared)).await;
        // One fresh browser session per attempt; its cookies go to the suite's jar unless the
        // check keeps its cookies to itself.
        state.end_session(shared, !check.isolated).await;
        if !check.teardown.is_empty() {
            let _ = writeln!(log, "teardown:");
            let r = run_teardown(&check.teardown, state, &mut log, shared).await;
            // A teardown's browser session ends with it: the next attempt starts fresh.
            state.end_session(shared, !check.isolated).await;
            if let Err(p) = r {
                let _ = writeln!(log, "  teardown failed: {}", p.message);
                if last.is_ok() {
                    last = Err(Problem { message: format!("teardown failed: {}", p.message), ..p });
                }
            }
        }
        match &last {
            Ok(()) => break,
            Err(p) if p.type_ == "interrupted" || shared.cancel.checks.is_cancelled() => break,
            Err(p) if attempt < check.retries => earlier.push(p.clone()),
            Err(_) => {}
        }
    }
    state.end_session(shared, false).await;
    state.scope = shared_scope;
    let attachments = std::mem::take(&mut state.attachments);
    if shared.cancel.checks.is_cancelled() && last.is_err() {
        let mut c = interrupted_case(check, shared, t.elapsed(), log);
        c.earlier_attempts = earlier;
        c.attachments = attachments;
        return c;
    }
    let mut case = CaseResult::new(&check.name, CaseKind::Check, Some(check.pos.line));
    case.duration = t.elapsed();
    case.log = log;
    case.attachments = attachments;
    match last {
        Ok(()) if earlier.is_empty() => {}
        Ok(()) => case.status = Status::Flaky,
        Err(p) => case = case.with_problem(p),
    }
    case.earlier_attempts = earlier;
    case
}

/// Teardown runs even after an interruption, within the grace period, unless a second signal
/// stops it.
async fn run_teardown(
    steps: &[Step],
    state: &mut SuiteState,
    log: &mut String,
    shared: &Shared,
) -> Result<(), Problem> {
    let grace = shared.opts.teardown_grace;
    let fut = run_steps_all(steps, state, log, shared);
    if shared.cancel.checks.is_cancelled() {
        match tokio::time::timeout(grace, cancellable(&shared.cancel.teardowns, fut)).await {
            Ok(r) => r,
            Err(_) => Err(Problem::error(
                "interrupted",
                format!("teardown did not finish within {} after the interruption", crate::duration::human(grace)),
            )),
        }
    } else {
        cancellable(&shared.cancel.teardowns, fut).await
    }
}

async fn cancellable(token: &CancellationToken, fut: impl Future<Output = Result<(), Problem>>) -> Result<(), Problem> {
    tokio::select! {
        r = fut => r,
        _ = token.cancelled() => Err(Problem::error("interrupted", "interrupted while running")),
    }
}

/// Runs steps in order and stops at the first that does not pass.
async fn run_steps(steps: &[Step], state: &mut SuiteState, log: &mut String, shared: &Shared) -> Result<(), Problem> {
    for (i, step) in steps.iter().enumerate() {
        run_step(step, i, state, log, shared).await?;
    }
    Ok(())
}

/// Runs every step even when one fails (for cleanup), and returns the first problem.
async fn run_steps_all(
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

fn step_label(step: &Step, index: usize) -> String {
    match &step.name {
        Some(n) => format!("step {} ({n})", index + 1),
        None => format!("step {}", index + 1),
    }
}

async fn run_step(
    step: &Step,
    index: usize,
    state: &mut SuiteState,
    log: &mut String,
    shared: &Shared,
) -> Result<(), Problem> {
    let req = match &step.action {
        Action::Http(req) => req,
        Action::Browser(bs) => return browser_step(step, bs, index, state, log, shared).await,
    };
    let started = Instant::now();
    let mut wait = step.retry.as_ref().map(|r| r.every);
    let mut attempt = 1u32;
    loop {
        let r = http_attempt(step, index, req, state, log, shared).await;
        let Err(mut p) = r else { return Ok(()) };
        let retry = step.retry.as_ref().filter(|_| p.type_ != "missing-capture" && p.type_ != "request");
        if let (Some(retry), Some(w)) = (retry, wait)
            && started.elapsed() + w < retry.for_
        {
            let _ = writeln!(
                log,
                "  attempt {attempt} did not pass ({}); retrying in {}",
                shared.redactor.redact(&p.message),
                crate::duration::human(w)
            );
            tokio::select! {
                _ = tokio::time::sleep(w) => {}
                _ = shared.cancel.checks.cancelled() => return Err(Problem::error("interrupted", "interrupted while waiting to retry")),
            }
            wait = Some(w.mul_f64(retry.backoff).min(retry.max_every));
            attempt += 1;
            continue;
        }
        if attempt > 1 {
            p.message = format!(
                "{} (still, after {attempt} attempts over {})",
                p.message,
                crate::duration::human(started.elapsed())
            );
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
    let file = suite.file.display().to_string();
    let at = format!("{file}:{}:{}", step.pos.line, step.pos.col);
    let label = step_label(step, index);
    let cx = SendContext { suite: &suite, captures: &state.captures, redactor: &shared.redactor };
    let ex = match http::send(&state.scope, req, &cx).await {
        Ok(ex) => ex,
        Err(e) => {
            // The full URL, as it was sent (or would have been).
            let raw = req.url.render_str(&state.captures).unwrap_or_default();
            let url = http::resolve_url(&raw, suite.base_url.as_deref()).map(|u| u.to_string()).unwrap_or(raw);
            let line = shared.redactor.redact(&format!("{} {url}", req.method));
            let _ = writeln!(log, "→ {line}\n  ✗ {}", e.message);
            let details = format!("{}\n{label} at {at}\n{line}", e.message);
            return Err(Problem::error(e.type_, e.message).at(step.pos.line).details(details));
        }
    };
    let _ = writeln!(
        log,
        "→ {}\n← {} {} ({}, {} bytes)",
        ex.request_line,
        ex.status,
        ex.reason,
        crate::duration::human(ex.elapsed),
        ex.body_len
    );
    let (findings, lines) = if judge::needs_html(&step.expect, &step.captures) {
        tokio::task::block_in_place(|| judge::judge_http(&step.expect, &ex, &state.captures))
    } else {
        judge::judge_http(&step.expect, &ex, &state.captures)
    };
    for l in &lines {
        let _ = writeln!(log, "{l}");
    }
    if !findings.is_empty() {
        if let Some(path) = save_body(&ex, &state.artifacts, index, shared) {
            state.attachments.push(path);
        }
        return Err(failure_problem(&findings, &ex, &label, &file, shared));
    }
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
        let got = if matches!(c.source, crate::suite::CaptureSource::Css { .. }) {
            tokio::task::block_in_place(|| judge::capture_http(c, &ex, cookie))
        } else {
            judge::capture_http(c, &ex, cookie)
        };
        match got {
            Ok(v) => {
                if matches!(c.source, crate::suite::CaptureSource::Cookie(_))
                    && let Json::String(s) = &v
                {
                    shared.redactor.add(s);
                }
                let _ = writeln!(log, "  captured {} = {}", c.name, shared.redactor.redact(&judge::show(&v)));
                state.captures.insert(c.name.clone(), v);
            }
            Err(e) => {
                let _ = writeln!(log, "  ✗ capture {}: {e}", c.name);
                let e = shared.redactor.redact(&e);
                let details = format!(
                    "{e}\n{label} at {file}:{}:{}\n{}\n\nresponse: {} {}\n{}",
                    c.pos.line,
                    c.pos.col,
                    ex.request_line,
                    ex.status,
                    ex.reason,
                    excerpt(&ex, shared)
                );
                return Err(Problem::failure("capture", format!("cannot capture `{}`: {e}", c.name))
                    .at(c.pos.line)
                    .details(details));
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
    let file = suite.file.display().to_string();
    let label = step_label(step, index);
    if state.session.is_none() {
        let _ = writeln!(log, "→ open browser session");
        let s = shared.browsers.open(&suite).await.map_err(|p| {
            let _ = writeln!(log, "  ✗ {}", p.message);
            p.at(step.pos.line)
        })?;
        state.session = Some(s);
    }
    let Some(session) = state.session.as_mut() else {
        return Err(Problem::error("browser", "no browser session").at(step.pos.line));
    };
    let mut cx = crate::browser::StepContext {
        suite: &suite,
        captures: &mut state.captures,
        redactor: &shared.redactor,
        log,
        jar: &state.scope.jar,
        artifacts: &state.artifacts,
        attachments: &mut state.attachments,
        file: &file,
        line: step.pos.line,
        label: label.clone(),
    };
    let r = session.run(bs, &mut cx).await;
    let Err(mut p) = r else { return Ok(()) };
    if p.line.is_none() {
        p.line = Some(step.pos.line);
    }
    if p.details.is_empty() {
        p.details = format!("{label} (browser) at {file}:{}:{}", step.pos.line, step.pos.col);
    }
    // Every browser failure says which page it was on.
    if !p.details.contains("\n  page:")
        && p.type_ != "browser-crash"
        && p.type_ != "driver"
        && let Some(url) = session.page_url().await
    {
        p.details = format!("{}\n  page:     {}", p.details, shared.redactor.redact(&url));
    }
    let _ = writeln!(log, "  ✗ {}", shared.redactor.redact(&p.message));
    if p.type_ != "browser-crash" && p.type_ != "driver" {
        let files = session.failure_artifacts(&state.artifacts, &shared.redactor).await;
        // The screenshot first: it is what a person looks at.
        let mut files = files;
        files.append(&mut state.attachments);
        state.attachments = files;
    }
    Err(p)
}

/// A failure's message and details: every finding with its place, then the response.
fn failure_problem(findings: &[Finding], ex: &Exchange, label: &str, file: &str, shared: &Shared) -> Problem {
    let first = &findings[0];
    let mut details = String::new();
    let _ = writeln!(details, "{label}: {}", ex.request_line);
    for f in findings {
        let _ = writeln!(
            details,
            "\n{file}:{}:{}  {}\n  expected: {}\n  actual:   {}",
            f.pos.line,
            f.pos.col,
            f.subject,
            cut(&f.expected, shared),
            cut(&f.actual, shared)
        );
    }
    let _ = write!(details, "\nresponse: {} {} ({} bytes)\n{}", ex.status, ex.reason, ex.body_len, excerpt(ex, shared));
    let message =
        format!("{}: expected {}, got {}", first.subject, cut(&first.expected, shared), cut(&first.actual, shared));
    let message = if findings.len() > 1 { format!("{message} (and {} more)", findings.len() - 1) } else { message };
    Problem { kind: ProblemKind::Failure, type_: "assertion".into(), message, details, line: Some(first.pos.line) }
}

/// Masks secrets, then shortens: in that order, so no cut leaves part of a secret.
fn cut(s: &str, shared: &Shared) -> String {
    judge::truncate(&shared.redactor.redact(s), 300)
}

/// Saves the body of a response that failed its assertions, secrets masked, so the whole of
/// it can be read from the pipeline's artifacts. Binary bodies are not saved: they cannot be
/// masked.
fn save_body(ex: &Exchange, dir: &std::path::Path, index: usize, shared: &Shared) -> Option<std::path::PathBuf> {
    let text = std::str::from_utf8(&ex.body).ok()?;
    if text.is_empty() {
        return None;
    }
    let ext = match ex.header_values("content-type").next().unwrap_or("") {
        ct if ct.contains("json") => "json",
        ct if ct.contains("html") => "html",
        ct if ct.contains("xml") => "xml",
        _ => "txt",
    };
    std::fs::create_dir_all(dir).ok()?;
    let path = dir.join(format!("step-{}-response.{ext}", index + 1));
    std::fs::write(&path, shared.redactor.redact(text)).ok()?;
    Some(path)
}

/// The start of a response body, as text, for a failure's details; masked before it is cut.
fn excerpt(ex: &Exchange, shared: &Shared) -> String {
    const MAX: usize = 2048;
    let head = &ex.body[..ex.body.len().min(64 * 1024)];
    let text = shared.redactor.redact(&String::from_utf8_lossy(head));
    judge::truncate(&text, MAX)
}

/// Masks secrets in everything a case carries, once, before any reporter sees it.
fn redact_case(mut c: CaseResult, r: &Redactor) -> CaseResult {
    let fix = |p: &mut Problem| {
        p.message = r.redact(&p.message);
        p.details = r.redact(&p.details);
    };
    if let Some(p) = c.problem.as_mut() {
        fix(p);
    }
    c.earlier_attempts.iter_mut().for_each(fix);
    c.log = r.redact(&c.log);
    c.name = r.redact(&c.name);
    c
}
