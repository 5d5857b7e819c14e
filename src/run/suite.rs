//! One suite's lifecycle: setup, then the checks in file order, then teardown, which always
//! runs. A failed setup skips the checks; a failed setup or teardown is a testcase of its own.

use super::Shared;
use super::cancel::cancellable;
use super::check::{interrupted_case, run_check, run_teardown};
use super::http::Scope;
use super::step::run_steps;
use crate::browser::Session;
use crate::event::{Event, SuiteInfo};
use crate::result::{CaseKind, CaseResult, Problem, ProblemType, StepRetried};
use crate::suite::Suite;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

/// What checks of one suite share: captures and the cookie jar; and the browser session and
/// artifacts of the check running now.
pub(super) struct SuiteState {
    pub suite: Arc<Suite>,
    pub captures: HashMap<String, Json>,
    pub scope: Scope,
    pub session: Option<Session>,
    /// Where the current check's artifacts go.
    pub artifacts: PathBuf,
    pub attachments: Vec<PathBuf>,
    /// Steps of the current check or phase that passed only after retrying.
    pub retried: Vec<crate::result::StepRetried>,
    /// Hosts and certificate expiry times the current check's HTTPS responses showed.
    pub certificates: Vec<(String, i64)>,
}

impl SuiteState {
    /// Closes the browser session, if any, first handing its cookies to the HTTP jar (when
    /// `export_cookies`) and their values to the redactor (always).
    pub async fn end_session(&mut self, shared: &Shared, export_cookies: bool) {
        if let Some(s) = self.session.take() {
            let jar = export_cookies.then_some(&*self.scope.jar);
            // Boxed, as a browser step is: a check without a browser keeps a small future.
            Box::pin(async move {
                s.export_cookies(jar, &shared.redactor).await;
                shared.browsers.close(s).await;
            })
            .await;
        }
    }
}

/// Tells the reporters about one decided testcase.
struct Cases<'a> {
    shared: &'a Shared,
    info: Arc<SuiteInfo>,
    /// How many checks are reported, so that a crash reports each of the others once. Checks
    /// are reported in the suite's order (`run_phases`), so they are the first this many.
    decided: std::sync::atomic::AtomicUsize,
}

impl Cases<'_> {
    fn finish(&self, case: CaseResult) {
        if case.kind == CaseKind::Check {
            self.decided.fetch_add(1, Ordering::SeqCst);
        }
        self.shared.count(case.status);
        self.shared.emit(Event::CaseFinished { suite: self.info.clone(), case: std::sync::Arc::new(case) });
    }
}

pub(super) async fn run_suite(index: usize, suite: Arc<Suite>, shared: &Shared) {
    let t0 = Instant::now();
    let info = Arc::new(SuiteInfo {
        index,
        name: suite.name.clone(),
        file: suite.file.clone(),
        environment: suite.environment.clone(),
        base_url: suite.base_url.clone(),
        commit: suite.commit.clone(),
        started: SystemTime::now(),
    });
    shared.emit(Event::SuiteStarted { suite: info.clone() });
    for s in &suite.secret_values {
        shared.redactor.add(s);
    }
    let cases = Cases { shared, info: info.clone(), decided: Default::default() };
    // A panic is a bug in shakedown; the checks it cut short are still reported, as errors.
    let phases = std::panic::AssertUnwindSafe(run_phases(&suite, shared, &cases));
    let setup_retried = match futures_util::FutureExt::catch_unwind(phases).await {
        Ok(retried) => retried,
        Err(panic) => {
            report_crash(&suite, &cases, &panic_message(panic.as_ref()));
            Vec::new()
        }
    };
    shared.emit(Event::SuiteFinished { suite: info, duration: t0.elapsed(), setup_retried });
}

/// Every check of the suite not yet reported becomes an `internal` error: the run goes on,
/// and the reports say which checks were never judged and why.
fn report_crash(suite: &Suite, cases: &Cases<'_>, message: &str) {
    let decided = cases.decided.load(Ordering::SeqCst);
    let why = format!("shakedown itself failed while running this suite (a bug; please report it): {message}");
    for check in suite.checks.iter().skip(decided) {
        let mut case = CaseResult::new(&check.name, CaseKind::Check, Some(check.pos.line))
            .with_problem(Problem::error(ProblemType::Internal, why.clone()));
        case.tags = check.tags.clone();
        cases.finish(case);
    }
}

/// Test builds only: a way to show that a panic still leaves a complete report.
fn inject_panic(_check: &str) {
    #[cfg(debug_assertions)]
    if std::env::var("SHAKEDOWN_TEST_PANIC_IN").is_ok_and(|n| n == _check) {
        panic!("a panic injected by SHAKEDOWN_TEST_PANIC_IN");
    }
}

/// The text of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// Runs setup, checks and teardown; returns the setup steps that passed only after retrying.
async fn run_phases(suite: &Arc<Suite>, shared: &Shared, cases: &Cases<'_>) -> Vec<StepRetried> {
    let scope = match Scope::new(&suite.tls) {
        Ok(s) => s,
        Err(e) => {
            let problem = Problem::error(ProblemType::Config, e.clone());
            cases.finish(CaseResult::new("[setup]", CaseKind::Setup, None).with_problem(problem));
            for c in &suite.checks {
                let why = format!("not run: the HTTP client could not be set up: {e}");
                cases.finish(CaseResult::skipped(&c.name, Some(c.pos.line), why));
            }
            return Vec::new();
        }
    };
    let suite_dir = shared.opts.artifacts_dir.join(crate::browser::slug(&suite.name));
    // Every check gets a folder of its own, whatever its name.
    // Sized once: grown a doubling at a time, a 10,000-check suite's set touched fresh memory
    // (page faults, dear on a VM) as it went.
    let mut folders = std::collections::HashSet::with_capacity(suite.checks.len() + 2);
    folders.extend(["setup".to_string(), "teardown".to_string()]);
    let mut state = SuiteState {
        suite: suite.clone(),
        captures: HashMap::new(),
        scope,
        session: None,
        artifacts: suite_dir.join("setup"),
        attachments: Vec::new(),
        retried: Vec::new(),
        certificates: Vec::new(),
    };

    let mut setup_failed: Option<String> = None;
    let mut setup_retried = Vec::new();
    if !suite.setup.is_empty() {
        let t = Instant::now();
        let mut log = String::new();
        let r = cancellable(&shared.cancel.checks, run_steps(&suite.setup, &mut state, &mut log, shared)).await;
        state.end_session(shared, true).await;
        if let Err(p) = r {
            setup_failed = Some(crate::report::details::headline(&p, &shared.redactor));
            cases.finish(phase_case("[setup]", CaseKind::Setup, p, t.elapsed(), log, &mut state));
        }
        state.attachments.clear();
        state.certificates.clear();
        setup_retried = std::mem::take(&mut state.retried);
    }

    for check in &suite.checks {
        // Claimed by checks that do not run too, so a check's folder does not depend on others.
        let folder = crate::browser::claim_folder(&mut folders, &check.name);
        // An interruption wins over a failed setup: the check did not finish because the run
        // stopped.
        let mut case = if shared.cancel.checks.is_cancelled() {
            interrupted_case(check, shared, Duration::ZERO, String::new())
        } else if let Some(why) = &setup_failed {
            CaseResult::skipped(&check.name, Some(check.pos.line), format!("not run: setup failed: {why}"))
        } else if shared.opts.fail_fast && shared.failed.load(Ordering::SeqCst) {
            let why = "not run: an earlier check failed and --fail-fast is set";
            CaseResult::skipped(&check.name, Some(check.pos.line), why)
        } else {
            state.artifacts = suite_dir.join(folder);
            inject_panic(&check.name);
            run_check(check, &mut state, shared).await
        };
        case.tags = check.tags.clone();
        cases.finish(case);
    }

    if !suite.teardown.is_empty() {
        let t = Instant::now();
        let mut log = String::new();
        state.artifacts = suite_dir.join("teardown");
        let r = run_teardown(&suite.teardown, &mut state, &mut log, shared).await;
        state.end_session(shared, false).await;
        if let Err(p) = r {
            cases.finish(phase_case("[teardown]", CaseKind::Teardown, p, t.elapsed(), log, &mut state));
        }
    }
    setup_retried
}

/// The testcase that stands for a failed setup or teardown. It is always an error: nothing
/// could be judged, whatever the cause.
fn phase_case(
    name: &str,
    kind: CaseKind,
    p: Problem,
    took: Duration,
    log: String,
    state: &mut SuiteState,
) -> CaseResult {
    let p = p.as_error();
    let mut case = CaseResult::new(name, kind, p.line).with_problem(p);
    case.duration = took;
    case.log = log;
    case.attachments = std::mem::take(&mut state.attachments);
    case.retried_steps = std::mem::take(&mut state.retried);
    case
}
