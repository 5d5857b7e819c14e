//! One check: its steps, attempt after attempt (`retries`), with its own teardown after each.
//! A check that passes after a failed attempt is flaky, never plain green.

use super::Shared;
use super::cancel::cancellable;
use super::http::Scope;
use super::step::{run_steps, run_steps_all};
use super::suite::SuiteState;
use crate::result::{CaseKind, CaseResult, Interruption, Problem, ProblemType, Status};
use crate::suite::{Check, Step};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

pub(super) fn interrupted_case(check: &Check, shared: &Shared, duration: Duration, log: String) -> CaseResult {
    let why = match shared.cancel.reason() {
        Some(Interruption::Deadline) => "the run's --timeout passed before this check finished",
        _ => "the run was interrupted (SIGINT/SIGTERM) before this check finished",
    };
    let mut c = CaseResult::new(&check.name, CaseKind::Check, Some(check.pos.line))
        .with_problem(Problem::error(ProblemType::Interrupted, why).at(check.pos.line));
    c.duration = duration;
    c.log = log;
    c
}

pub(super) async fn run_check(check: &Check, state: &mut SuiteState, shared: &Shared) -> CaseResult {
    let t = Instant::now();
    // Room for a usual log at once (not grown a doubling at a time), and only its own size kept
    // with the result (`shrink_to_fit` below): every check's result is kept for the reports.
    let mut log = String::with_capacity(256);
    let mut earlier = Vec::new();
    let shared_scope = state.scope.clone();
    if check.isolated {
        match Scope::new(&state.suite.tls) {
            Ok(s) => state.scope = s,
            Err(e) => {
                return CaseResult::new(&check.name, CaseKind::Check, Some(check.pos.line))
                    .with_problem(Problem::error(ProblemType::Config, e));
            }
        }
    }
    let first_folder = state.artifacts.clone();
    let folder = first_folder.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let mut last: Result<(), Problem> = Ok(());
    for attempt in 0..=check.retries {
        if attempt > 0 {
            let _ = writeln!(log, "— attempt {} of {} —", attempt + 1, check.retries + 1);
            // Next to the first attempt's folder (no check's folder ends in `-attempt-N`).
            state.artifacts = first_folder.with_file_name(format!("{folder}-attempt-{}", attempt + 1));
        }
        // Boxed: the steps' future is kilobytes, and moved whole into every future that awaits
        // it; a check's future was 13 KB and copied for every check (README, "Benchmarks").
        let steps = Box::pin(run_steps(&check.steps, state, &mut log, shared));
        last = cancellable(&shared.cancel.checks, steps).await;
        // One fresh browser session per attempt; its cookies go to the suite's jar unless the
        // check keeps its cookies to itself, or the run was interrupted (then nothing waits on
        // a browser that may be stuck).
        let interrupted = shared.cancel.checks.is_cancelled();
        state.end_session(shared, !check.isolated && !interrupted).await;
        if !check.teardown.is_empty() {
            let _ = writeln!(log, "teardown:");
            let r = Box::pin(run_teardown(&check.teardown, state, &mut log, shared)).await;
            // A teardown's browser session ends with it: the next attempt starts fresh.
            state.end_session(shared, !check.isolated).await;
            if let Err(p) = r {
                let _ = writeln!(log, "  teardown failed: {}", crate::report::details::headline(&p, &shared.redactor));
                if last.is_ok() {
                    last = Err(Problem { during: Some("teardown failed"), ..p });
                }
            }
        }
        match &last {
            Ok(()) => break,
            Err(p) if p.type_ == ProblemType::Interrupted || shared.cancel.checks.is_cancelled() => break,
            Err(p) if attempt < check.retries => earlier.push(p.clone()),
            Err(_) => {}
        }
    }
    state.end_session(shared, false).await;
    state.scope = shared_scope;
    let attachments = std::mem::take(&mut state.attachments);
    let retried_steps = std::mem::take(&mut state.retried);
    let certificates = std::mem::take(&mut state.certificates);
    if shared.cancel.checks.is_cancelled() && last.is_err() {
        let mut c = interrupted_case(check, shared, t.elapsed(), log);
        c.earlier_attempts = earlier;
        c.attachments = attachments;
        return c;
    }
    let mut case = CaseResult::new(&check.name, CaseKind::Check, Some(check.pos.line));
    case.duration = t.elapsed();
    log.shrink_to_fit();
    case.log = log;
    case.attachments = attachments;
    case.retried_steps = retried_steps;
    case.certificates = certificates;
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
pub(super) async fn run_teardown(
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
                ProblemType::Interrupted,
                format!("teardown did not finish within {} after the interruption", crate::duration::human(grace)),
            )),
        }
    } else {
        cancellable(&shared.cancel.teardowns, fut).await
    }
}
