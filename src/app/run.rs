//! `run`: load, run the suites with every reporter on the event stream, and turn what
//! happened into an exit code.

use super::discover::{load_all, select, shard};
use super::gate::Gate;
use super::inspect::print_problems;
use super::{err, usage_error};
use crate::cli::RunArgs;
use crate::event::{Event, SuiteInfo};
use crate::exit;
use crate::load::diagnostic::FileDiagnostics;
use crate::redact::Redactor;
use crate::report::{ReportOptions, Reporters};
use crate::result::{CaseKind, CaseResult, Interruption, Problem, ProblemType, RunSummary, Status, Totals};
use crate::run::{self, Cancel, RunOptions};
use crate::suite::Suite;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

pub async fn run(args: RunArgs) -> i32 {
    // Signals and the deadline count from the start: an interrupted load still reports.
    let cancel = Cancel::default();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let watcher = spawn_interrupts(cancel.clone(), args.timeout, tx.clone());
    let (suites, redactor) = match load_and_select(&args, &cancel).await {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let empty_shard = suites.is_empty();
    let gate = match Gate::from_args(&args.gate) {
        Ok(g) => g,
        Err(m) => return usage_error(&m),
    };
    if let Some(u) = &args.browser.webdriver_url
        && !matches!(reqwest::Url::parse(u).map(|u| u.scheme().to_string()).as_deref(), Ok("http" | "https"))
    {
        return usage_error(&format!("--webdriver-url `{u}` is not an http(s) URL"));
    }

    if let Some(every) = args.watch {
        watcher.abort();
        return super::watch::watch(suites, &args, every, redactor).await;
    }
    let reporters = Reporters::new(&report_options(&args), &redactor);
    let environment = suites.first().map(|s| s.environment.clone()).unwrap_or_else(|| "default".into());
    let mut gate_events = Vec::new();
    if let Some(g) = &gate {
        err(format_args!(
            "waiting up to {} for the new version at {}",
            crate::duration::human(args.gate.gate_wait),
            g.url(&redactor)
        ));
        let case = g.wait(&cancel, &redactor).await;
        let info = g.suite_info(&environment, args.select.shard, &redactor);
        if case.status != Status::Passed {
            watcher.abort();
            return gate_closed(&suites, info, case, reporters, &cancel, args.fail_on_flaky);
        }
        gate_events = suite_events(info, vec![case]);
    }
    let gate_passed = !gate_events.is_empty();
    let display = spawn_display(reporters, rx, gate_events);

    let opts = RunOptions {
        jobs: args.jobs,
        fail_fast: args.fail_fast,
        teardown_grace: args.teardown_grace,
        artifacts_dir: args.artifacts.clone(),
    };
    let suites: Vec<Arc<Suite>> = suites.into_iter().map(Arc::new).collect();
    let browsers = crate::browser::Browsers::new(browser_config(&args.browser));
    let mut summary = run::run(suites, opts, redactor.clone(), tx, cancel.clone(), browsers.clone()).await;
    if gate_passed {
        summary.totals.add(Status::Passed);
        summary.suites += 1;
    }
    // No driver or browser outlives the run.
    browsers.shutdown().await;
    watcher.abort();
    let mut reporters = match display.await {
        Ok(r) => r,
        Err(e) => {
            err(format_args!("error: the reporters stopped: {e}"));
            return exit::RUNNER_ERROR;
        }
    };
    if let Err(e) = reporters.finish() {
        err(format_args!("error: {e}"));
        return e.exit_code();
    }
    // The process ends next, and takes its memory back in one go: freeing every check's
    // result one by one first is work for nothing. (Every report is written and flushed by
    // `finish`; nothing else is done on a drop.)
    std::mem::forget(reporters);
    if empty_shard && summary.totals.tests == summary.totals.passed {
        // The other shards have the suites: an empty one is not a failure.
        return exit::OK;
    }
    verdict(&summary, args.fail_on_flaky)
}

/// Loads the suites (on a blocking thread, so a signal can still end the wait), keeps the
/// checks `--filter`, `--tag` and `--shard` select, and learns the secrets they declare. An
/// `Err` is the exit code of a run that ends here, its reports written.
async fn load_and_select(args: &RunArgs, cancel: &Cancel) -> Result<(Vec<Suite>, Redactor), i32> {
    let load_args = args.load.clone();
    let loaded = tokio::select! {
        r = tokio::task::spawn_blocking(move || load_all(&load_args)) => r,
        _ = cancel.checks.cancelled() => return Err(interrupted_while_loading(args, cancel)),
    };
    let (mut suites, problems) = match loaded {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return Err(super::discover_failed(&e)),
        Err(e) => {
            err(format_args!("error: loading the suites failed: {e}"));
            return Err(exit::RUNNER_ERROR);
        }
    };
    // `--watch` runs until Ctrl-C and masks each problem as it comes: it keeps the last 1,024
    // learned session values, as `monitor` does; a run masks its reports at the end, so it
    // keeps them all.
    let redactor = if args.watch.is_some() { Redactor::bounded(1024) } else { Redactor::new() };
    suites.iter().flat_map(|s| &s.secret_values).for_each(|v| redactor.add(v));
    if !problems.is_empty() {
        // Nothing is judged when a suite is invalid, but the pipeline still gets a report that
        // says why.
        print_problems(&problems);
        let mut reporters = Reporters::new(&ReportOptions { terminal: false, ..report_options(args) }, &redactor);
        report_load_failures(&problems, &mut reporters);
        return Err(match reporters.finish() {
            Ok(()) => exit::INVALID,
            Err(e) => {
                err(format_args!("error: {e}"));
                e.exit_code()
            }
        });
    }
    if let Err(e) = select(&mut suites, &args.select) {
        return Err(super::discover_failed(&e));
    }
    shard(&mut suites, args.select.shard);
    if let (Some((k, n)), true) = (args.select.shard, suites.is_empty()) {
        err(format_args!("shard {k}/{n} holds none of the suites: nothing to run"));
    }
    Ok((suites, redactor))
}

/// Feeds the run's events to every reporter as they come, with the gate that passed told as
/// a suite of the run right after the start; hands the reporters back when the run is over.
fn spawn_display(
    mut reporters: Reporters,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Event>,
    gate_events: Vec<Event>,
) -> tokio::task::JoinHandle<Reporters> {
    let gate_passed = !gate_events.is_empty();
    tokio::spawn(async move {
        let mut gate_events = Some(gate_events);
        loop {
            // Lines held for a CI log are written when they have waited long enough.
            let next = match crate::report::out::due() {
                Some(at) => match tokio::time::timeout_at(at.into(), rx.recv()).await {
                    Ok(next) => next,
                    Err(_) => {
                        crate::report::out::flush();
                        continue;
                    }
                },
                None => rx.recv().await,
            };
            let Some(mut e) = next else { break };
            // The gate that passed is a suite of the run like the others.
            if let (Event::RunFinished(s), true) = (&mut e, gate_passed) {
                s.totals.add(Status::Passed);
                s.suites += 1;
            }
            reporters.on_event(&e);
            if matches!(e, Event::RunStarted { .. }) {
                for g in gate_events.take().unwrap_or_default() {
                    reporters.on_event(&g);
                }
            }
        }
        reporters
    })
}

/// The browser pool's settings (`run` and `monitor` alike).
pub(super) fn browser_config(b: &crate::cli::BrowserArgs) -> crate::browser::BrowserConfig {
    crate::browser::BrowserConfig {
        webdriver_url: b.webdriver_url.clone(),
        chromedriver: b.chromedriver.clone(),
        geckodriver: b.geckodriver.clone(),
        browser_binary: b.browser_binary.clone(),
        max_sessions: b.browsers,
        args: b.browser_args.clone(),
        screenshot_every_step: b.screenshots == "all",
        command_timeout: Duration::from_secs(30),
        reuse_browsers: !b.browser_per_check,
    }
}

/// The gate never passed: it is reported, every check is reported as not run, and the exit
/// code says "the new version never went live" (or that the run was interrupted).
fn gate_closed(
    suites: &[Suite],
    info: Arc<SuiteInfo>,
    case: CaseResult,
    mut reporters: Reporters,
    cancel: &Cancel,
    fail_on_flaky: bool,
) -> i32 {
    let started = SystemTime::now();
    let checks: usize = suites.iter().map(|s| s.checks.len()).sum();
    reporters.on_event(&Event::RunStarted { suites: suites.len() + 1, checks: checks + 1 });
    if let Some(why) = cancel.reason() {
        reporters.on_event(&Event::Interrupting(why));
    }
    let never_live = case.problem.as_ref().is_some_and(|p| p.type_ == ProblemType::Gate);
    let mut totals = Totals::default();
    totals.add(case.status);
    let duration = case.duration;
    for e in suite_events(info, vec![case]) {
        reporters.on_event(&e);
    }
    let why =
        if never_live { "not run: the new version never went live" } else { "not run: the deploy gate did not pass" };
    for (index, s) in suites.iter().enumerate() {
        let cases: Vec<CaseResult> = s
            .checks
            .iter()
            .map(|c| {
                let mut case = CaseResult::skipped(&c.name, Some(c.pos.line), why);
                case.tags = c.tags.clone();
                case
            })
            .collect();
        for c in &cases {
            totals.add(c.status);
        }
        let info = Arc::new(SuiteInfo {
            index,
            name: s.name.clone(),
            file: s.file.clone(),
            environment: s.environment.clone(),
            base_url: s.base_url.clone(),
            commit: s.commit.clone(),
            started,
        });
        for e in suite_events(info, cases) {
            reporters.on_event(&e);
        }
    }
    let summary = RunSummary { started, duration, suites: suites.len() + 1, totals, interrupted: cancel.reason() };
    reporters.on_event(&Event::RunFinished(summary));
    if let Err(e) = reporters.finish() {
        err(format_args!("error: {e}"));
        return e.exit_code();
    }
    if never_live && summary.interrupted.is_none() {
        err(format_args!("error: the new version never went live: no check ran (exit {})", exit::GATE_FAILED));
        return exit::GATE_FAILED;
    }
    verdict(&summary, fail_on_flaky)
}

/// The events that report one suite and its decided cases.
fn suite_events(info: Arc<SuiteInfo>, cases: Vec<CaseResult>) -> Vec<Event> {
    let mut out = vec![Event::SuiteStarted { suite: info.clone() }];
    let duration = cases.iter().map(|c| c.duration).sum::<Duration>();
    for c in cases {
        out.push(Event::CaseFinished { suite: info.clone(), case: Arc::new(c) });
    }
    out.push(Event::SuiteFinished { suite: info, duration, setup_retried: Vec::new() });
    out
}

fn report_options(args: &RunArgs) -> ReportOptions {
    let tty = std::io::stdout().is_terminal();
    ReportOptions {
        terminal: true,
        junit: args.junit.clone(),
        json: args.json.clone(),
        color: tty && std::env::var_os("NO_COLOR").is_none(),
        progress: tty && std::env::var_os("CI").is_none(),
        verbose: args.verbose,
        fail_on_flaky: args.fail_on_flaky,
        github: github_options(args),
        shard: args.select.shard,
    }
}

/// GitHub Actions output when asked for, or when running in GitHub Actions.
fn github_options(args: &RunArgs) -> Option<crate::report::github::GithubOptions> {
    let in_actions = std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
    if args.no_github || !(args.github || in_actions) {
        return None;
    }
    let path = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(std::path::PathBuf::from);
    Some(crate::report::github::GithubOptions {
        workspace: path("GITHUB_WORKSPACE"),
        step_summary: path("GITHUB_STEP_SUMMARY"),
    })
}

/// A signal or the deadline came before the suites were loaded: every suite file named
/// becomes an `interrupted` error, so the pipeline still gets its reports.
fn interrupted_while_loading(args: &RunArgs, cancel: &Cancel) -> i32 {
    let why = cancel.reason().unwrap_or(Interruption::Signal);
    let message = match why {
        Interruption::Deadline => "the run's --timeout passed while the suites were loading",
        Interruption::Signal => "the run was interrupted (SIGINT/SIGTERM) while the suites were loading",
    };
    let files = super::discover::find_suites(&args.load.paths).unwrap_or_default();
    let mut reporters = Reporters::new(&report_options(args), &Redactor::new());
    let started = SystemTime::now();
    let mut totals = Totals::default();
    reporters.on_event(&Event::RunStarted { suites: files.len(), checks: files.len() });
    reporters.on_event(&Event::Interrupting(why));
    for (index, file) in files.iter().enumerate() {
        let case = CaseResult::new("[load]", CaseKind::Load, None)
            .with_problem(Problem::error(ProblemType::Interrupted, message));
        totals.add(case.status);
        file_case(&mut reporters, index, file, case);
    }
    let summary = RunSummary { started, duration: Duration::ZERO, suites: files.len(), totals, interrupted: Some(why) };
    reporters.on_event(&Event::RunFinished(summary));
    if let Err(e) = reporters.finish() {
        err(format_args!("error: {e}"));
        return e.exit_code();
    }
    verdict(&summary, args.fail_on_flaky)
}

/// One suite file that stands for itself with a single testcase (it could not be loaded).
fn file_case(reporters: &mut Reporters, index: usize, file: &std::path::Path, case: CaseResult) {
    let name = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "suite".into());
    let suite = Arc::new(SuiteInfo {
        index,
        name,
        file: file.to_path_buf(),
        environment: "default".into(),
        base_url: None,
        commit: None,
        started: SystemTime::now(),
    });
    reporters.on_event(&Event::SuiteStarted { suite: suite.clone() });
    reporters.on_event(&Event::CaseFinished { suite: suite.clone(), case: Arc::new(case) });
    reporters.on_event(&Event::SuiteFinished { suite, duration: Duration::ZERO, setup_retried: Vec::new() });
}

/// The exit code for a finished run.
fn verdict(summary: &RunSummary, fail_on_flaky: bool) -> i32 {
    let t = summary.totals;
    if summary.interrupted == Some(Interruption::Signal) {
        exit::INTERRUPTED
    } else if t.failed + t.errors > 0 || (fail_on_flaky && t.flaky > 0) {
        exit::CHECKS_FAILED
    } else if t.skipped == t.tests {
        err(format_args!("error: every check was skipped"));
        exit::CHECKS_FAILED
    } else {
        exit::OK
    }
}

/// Suite files that could not be loaded, as report entries: a `[load]` error testcase each.
fn report_load_failures(problems: &[FileDiagnostics], reporters: &mut Reporters) {
    let started = SystemTime::now();
    let t0 = Instant::now();
    let mut totals = Totals::default();
    reporters.on_event(&Event::RunStarted { suites: problems.len(), checks: problems.len() });
    for (index, d) in problems.iter().enumerate() {
        let lines = d.one_line_each();
        let message = format!("the suite file is invalid: {}", lines.first().cloned().unwrap_or_default());
        let mut problem = Problem::error(ProblemType::Load, message);
        problem.notes = lines;
        let line = d.diagnostics.first().and_then(|x| x.pos).map(|p| p.line);
        let case = CaseResult::new("[load]", CaseKind::Load, line).with_problem(problem);
        totals.add(case.status);
        file_case(reporters, index, &d.file, case);
    }
    let summary = RunSummary { started, duration: t0.elapsed(), suites: problems.len(), totals, interrupted: None };
    reporters.on_event(&Event::RunFinished(summary));
}

/// SIGINT/SIGTERM and the `--timeout` deadline stop the run; a second signal also stops
/// teardowns.
fn spawn_interrupts(
    cancel: Cancel,
    deadline: Option<Duration>,
    events: tokio::sync::mpsc::UnboundedSender<Event>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let signal = async {
            #[cfg(unix)]
            {
                match term.as_mut() {
                    Some(t) => tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = t.recv() => {}
                    },
                    None => {
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
        };
        let timer = async {
            match deadline {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        let why = tokio::select! {
            _ = signal => Interruption::Signal,
            _ = timer => Interruption::Deadline,
        };
        cancel.interrupt(why);
        let _ = events.send(Event::Interrupting(why));
        // A second signal skips the teardowns.
        let _ = tokio::signal::ctrl_c().await;
        cancel.teardowns.cancel();
    })
}
