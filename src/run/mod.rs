//! The run engine: suites run concurrently (bounded by `--jobs`); inside a suite, setup, then
//! the checks in file order sharing a cookie jar and captures, then teardown, which always runs
//! (`suite`). A check runs its steps with retries (`check`); each step is a request or a
//! browser action (`step`). Everything is told through events; the run returns its summary,
//! also when interrupted.

mod cancel;
mod check;
pub mod http;
mod step;
mod suite;
mod tls;

pub use cancel::Cancel;

use crate::browser::Browsers;
use crate::event::Event;
use crate::redact::Redactor;
use crate::result::{RunSummary, Status, Totals};
use crate::suite::Suite;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::mpsc::UnboundedSender;

/// Run-wide settings, from the command line.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub jobs: usize,
    pub fail_fast: bool,
    /// How long teardowns may take once a run is interrupted.
    pub teardown_grace: Duration,
    pub artifacts_dir: std::path::PathBuf,
}

/// Shared by every suite of a run.
struct Shared {
    opts: RunOptions,
    browsers: Arc<Browsers>,
    redactor: Redactor,
    events: UnboundedSender<Event>,
    cancel: Cancel,
    /// Whether any check failed or errored (for `--fail-fast`).
    failed: AtomicBool,
    totals: Mutex<Totals>,
}

impl Shared {
    fn emit(&self, e: Event) {
        let _ = self.events.send(e);
    }

    /// Counts a decided testcase.
    fn count(&self, status: Status) {
        if matches!(status, Status::Failed | Status::Errored) {
            self.failed.store(true, Ordering::SeqCst);
        }
        if let Ok(mut t) = self.totals.lock() {
            t.add(status);
        }
    }
}

/// Runs the suites and returns how it went.
pub async fn run(
    suites: Vec<Arc<Suite>>,
    opts: RunOptions,
    redactor: Redactor,
    events: UnboundedSender<Event>,
    cancel: Cancel,
    browsers: Arc<Browsers>,
) -> RunSummary {
    let started = SystemTime::now();
    let t0 = Instant::now();
    let shared = Arc::new(Shared {
        opts,
        browsers,
        redactor,
        events,
        cancel,
        failed: AtomicBool::new(false),
        totals: Mutex::new(Totals::default()),
    });
    let checks = suites.iter().map(|s| s.checks.len()).sum::<usize>();
    shared.emit(Event::RunStarted { suites: suites.len(), checks });
    for s in &suites {
        for v in &s.secret_values {
            if let Some(why) = crate::redact::weak_secret(v) {
                shared.emit(Event::Warning(format!("{}: a declared secret {why}", s.file.display())));
            }
        }
        if s.tls.insecure {
            shared.emit(Event::Warning(format!(
                "{}: TLS certificate verification is OFF for this suite (tls.insecure)",
                s.file.display()
            )));
        }
    }
    let count = suites.len();
    // Each suite is a task of its own, so its requests run on the worker threads that drive
    // their connections (no hop to the main thread per request), at most `--jobs` at a time.
    let slots = Arc::new(tokio::sync::Semaphore::new(shared.opts.jobs.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, s) in suites.into_iter().enumerate() {
        let (shared, slots) = (shared.clone(), slots.clone());
        tasks.spawn(async move {
            let _slot = slots.acquire_owned().await;
            suite::run_suite(i, s, &shared).await;
        });
    }
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = done {
            // A panic in a suite's task: the other suites go on, and the run says so.
            shared.emit(Event::Warning(format!("a suite stopped unexpectedly (this is a bug in shakedown): {e}")));
            shared.count(Status::Errored);
        }
    }
    let totals = shared.totals.lock().map(|t| *t).unwrap_or_default();
    let summary =
        RunSummary { started, duration: t0.elapsed(), suites: count, totals, interrupted: shared.cancel.reason() };
    shared.emit(Event::RunFinished(summary));
    summary
}
