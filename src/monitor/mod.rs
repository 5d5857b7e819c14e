//! `shakedown monitor`: the same suites on an interval, for scheduled synthetic monitoring.
//!
//! The suites run with the run engine (`schedule`), whose events feed the monitor's reporter
//! (`feed`), which keeps the `state` of every check. From the state come `/metrics`
//! (`metrics`), the status page (`page`) and `/api/status`, served by `server`; the alert
//! changes go to Alertmanager and webhooks (`alert`); the state is written to `--state-dir`
//! (`persist`). SIGHUP reloads the suites after validating them; SIGTERM/SIGINT stop.

pub mod alert;
pub mod feed;
pub mod metrics;
pub mod page;
pub mod persist;
pub mod schedule;
pub mod server;
pub mod state;

use crate::redact::Redactor;
use crate::report::Reporter;
use crate::suite::Suite;
use state::{CheckState, LoadError, State};
use std::collections::HashSet;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// A set of suites as loaded from the paths: the valid ones, and the files that are not.
pub struct Loaded {
    pub suites: Vec<Suite>,
    pub errors: Vec<LoadError>,
}

/// Loads the suites again (on SIGHUP); `Err` when the paths themselves cannot be used.
pub type Loader = Arc<dyn Fn() -> Result<Loaded, String> + Send + Sync>;

/// A value that changes when the suite files change (`--watch`).
pub type Fingerprint = Arc<dyn Fn() -> u64 + Send + Sync>;

/// How often `--watch` looks at the suite files.
const WATCH_EVERY: Duration = Duration::from_secs(2);

/// Everything the monitor was told on the command line, checked.
pub struct Config {
    /// `--watch`: reload when this changes.
    pub watch: Option<Fingerprint>,
    pub location: String,
    pub threshold: u64,
    pub history: usize,
    pub state_dir: Option<PathBuf>,
    pub grace: Duration,
    pub alerts: alert::AlertConfig,
}

/// A line of the monitor's log, on stdout, with the time.
pub fn log(message: &str) {
    let now = crate::result::iso_time(std::time::SystemTime::now());
    let _ = writeln!(std::io::stdout().lock(), "{now} {message}");
}

/// Runs until SIGTERM or SIGINT. `restored` is the state read from `--state-dir`.
pub async fn monitor(
    cfg: Config,
    sched: schedule::Shared,
    events: tokio::sync::mpsc::UnboundedReceiver<crate::event::Event>,
    listener: tokio::net::TcpListener,
    restored: Vec<CheckState>,
    first: Loaded,
    loader: Loader,
) -> i32 {
    let redactor = sched.redactor.clone();
    let browsers = sched.browsers.clone();
    let mut st = State::new(cfg.history, cfg.threshold);
    for c in restored {
        st.checks.insert((c.suite.clone(), c.check.clone()), c);
    }
    let state = Arc::new(Mutex::new(st));
    let stop = CancellationToken::new();
    let mut tasks = tokio::task::JoinSet::new();
    let firing = state.lock().map(|s| s.firing()).unwrap_or_default();
    if !firing.is_empty() {
        log(&format!("{} alert(s) were firing before the restart: they still are", firing.len()));
    }
    let changes = alert::spawn(cfg.alerts.clone(), firing, redactor.clone(), stop.clone(), &mut tasks);
    let dirty = Arc::new(Notify::new());
    let mut rx = events;
    let mut feed = feed::Feed {
        state: state.clone(),
        redactor: redactor.clone(),
        changes: changes.clone(),
        dirty: dirty.clone(),
        warned: HashSet::new(),
        log: true,
    };
    let feed_task = tokio::spawn(async move {
        while let Some(e) = rx.recv().await {
            feed.on_event(&e);
        }
    });
    let persisting =
        cfg.state_dir.clone().map(|dir| tokio::spawn(persist_loop(dir, state.clone(), dirty.clone(), stop.clone())));
    let endpoint = server::Endpoint { state: state.clone(), location: cfg.location.clone() };
    match listener.local_addr() {
        Ok(a) => log(&format!("serving the status page, /metrics and /api/status on http://{a}")),
        Err(_) => log("serving the status page, /metrics and /api/status"),
    }
    let server = tokio::spawn(server::serve(listener, endpoint, stop.clone()));

    let mut scheduler = schedule::Scheduler::new(sched);
    apply(first, true, &mut scheduler, &state, &changes, &redactor);
    let reload = Reload { state: &state, changes: &changes, redactor: &redactor, loader: &loader };
    wait_for_signals(&mut scheduler, &reload, cfg.watch.clone()).await;

    log(&format!("stopping: running checks have {} to finish", crate::duration::human(cfg.grace)));
    if !scheduler.stop(cfg.grace).await {
        log("the grace period passed: running checks were interrupted");
    }
    browsers.shutdown().await;
    // The scheduler held the last senders of the event stream: the feed drains what is left.
    let _ = tokio::time::timeout(Duration::from_secs(5), feed_task).await;
    stop.cancel();
    if let Some(p) = persisting {
        let _ = p.await;
    }
    if let Some(dir) = &cfg.state_dir {
        save_now(dir, &state).await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    tasks.abort_all();
    log("stopped");
    crate::exit::OK
}

/// What a reload needs.
struct Reload<'a> {
    state: &'a Arc<Mutex<State>>,
    changes: &'a tokio::sync::mpsc::UnboundedSender<state::Change>,
    redactor: &'a Redactor,
    loader: &'a Loader,
}

impl Reload<'_> {
    async fn run(&self, scheduler: &mut schedule::Scheduler) {
        let l = self.loader.clone();
        match tokio::task::spawn_blocking(move || l()).await {
            Ok(Ok(loaded)) => apply(loaded, false, scheduler, self.state, self.changes, self.redactor),
            Ok(Err(e)) => {
                refuse(self.state, vec![LoadError { file: String::new(), message: self.redactor.redact(&e) }])
            }
            Err(e) => log(&format!("reloading failed: {e}")),
        }
    }
}

/// SIGHUP (and with `--watch`, a change of the suite files) reloads; SIGTERM and SIGINT return.
async fn wait_for_signals(scheduler: &mut schedule::Scheduler, reload: &Reload<'_>, watch: Option<Fingerprint>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut hup), Ok(mut term)) = (signal(SignalKind::hangup()), signal(SignalKind::terminate())) else {
        log("cannot listen for signals: stop with SIGKILL; SIGHUP does not reload");
        return std::future::pending().await;
    };
    let fingerprint = |w: Fingerprint| async move { tokio::task::spawn_blocking(move || w()).await.unwrap_or(0) };
    let mut seen = match &watch {
        Some(w) => fingerprint(w.clone()).await,
        None => 0,
    };
    let mut tick = tokio::time::interval(WATCH_EVERY);
    loop {
        tokio::select! {
            _ = hup.recv() => {
                log("SIGHUP: reloading the suites");
                reload.run(scheduler).await;
            }
            _ = tick.tick(), if watch.is_some() => {
                let Some(w) = &watch else { continue };
                let now = fingerprint(w.clone()).await;
                if now != seen {
                    seen = now;
                    log("the suite files changed: reloading the suites");
                    reload.run(scheduler).await;
                }
            }
            _ = term.recv() => return log("SIGTERM"),
            _ = tokio::signal::ctrl_c() => return log("SIGINT"),
        }
    }
}

/// Puts a loaded set in place. At start the valid suites run and the invalid files are
/// reported; on a reload any invalid file keeps the running set.
fn apply(
    loaded: Loaded,
    initial: bool,
    scheduler: &mut schedule::Scheduler,
    state: &Arc<Mutex<State>>,
    changes: &tokio::sync::mpsc::UnboundedSender<state::Change>,
    redactor: &Redactor,
) {
    let Loaded { suites, errors } = loaded;
    if !initial && !errors.is_empty() {
        return refuse(state, errors);
    }
    for s in &suites {
        s.secret_values.iter().for_each(|v| redactor.add(v));
    }
    for e in &errors {
        log(&format!("cannot load {}: {}", e.file, e.message));
    }
    let known: HashSet<(String, String)> =
        suites.iter().flat_map(|s| s.checks.iter().map(|c| (s.name.clone(), c.name.clone()))).collect();
    let names: HashSet<&str> = suites.iter().map(|s| s.name.as_str()).collect();
    let some_failed = !errors.is_empty();
    let now = state::unix(std::time::SystemTime::now());
    if let Ok(mut st) = state.lock() {
        st.load_errors = errors;
        // A suite whose file failed to load keeps its checks' state (and alerts) until it loads.
        for c in st.retain(|k| known.contains(k) || (some_failed && !names.contains(k.0.as_str())), now) {
            let _ = changes.send(c);
        }
    }
    let checks: usize = suites.iter().map(|s| s.checks.len()).sum();
    log(&format!("monitoring {} suite(s), {checks} check(s)", suites.len()));
    scheduler.set(suites.into_iter().map(Arc::new).collect());
}

/// A reload that found problems: nothing changes but the reported load errors.
fn refuse(state: &Arc<Mutex<State>>, errors: Vec<LoadError>) {
    for e in &errors {
        let file = if e.file.is_empty() { String::new() } else { format!("{}: ", e.file) };
        log(&format!("reload refused: {file}{}", e.message));
    }
    log("the suites running before the reload keep running");
    if let Ok(mut st) = state.lock() {
        st.load_errors = errors;
    }
}

/// Writes the state file after each suite run (a few at a time), until `stop`.
async fn persist_loop(dir: PathBuf, state: Arc<Mutex<State>>, dirty: Arc<Notify>, stop: CancellationToken) {
    loop {
        tokio::select! {
            _ = dirty.notified() => {}
            _ = stop.cancelled() => return,
        }
        // Suites that finish together are written together.
        tokio::time::sleep(Duration::from_millis(200)).await;
        save_now(&dir, &state).await;
    }
}

async fn save_now(dir: &std::path::Path, state: &Arc<Mutex<State>>) {
    let Some(snapshot) = state.lock().ok().map(|s| s.clone()) else { return };
    let dir = dir.to_path_buf();
    match tokio::task::spawn_blocking(move || persist::save(&dir, &snapshot)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => log(&format!("error: {e}")),
        Err(e) => log(&format!("error: writing the state failed: {e}")),
    }
}
