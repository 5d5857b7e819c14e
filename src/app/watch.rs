//! `run --watch 30s`: for a person watching a deploy window. The suites run again and again,
//! and after each round the terminal shows one table of every check's state (since when, its
//! last results, its last problem) until Ctrl-C. The states are kept by the monitor's reporter
//! (`crate::monitor::feed`), fed by the same event stream as every reporter.

use super::err;
use crate::cli::RunArgs;
use crate::exit;
use crate::monitor::feed::Feed;
use crate::monitor::state::{CheckState, Outcome, State, unix};
use crate::redact::Redactor;
use crate::report::Reporter;
use crate::result::Interruption;
use crate::run::{self, Cancel, RunOptions};
use crate::suite::Suite;
use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Results shown per check.
const STRIP: usize = 10;
/// The widest problem text shown in the table.
const PROBLEM_WIDTH: usize = 100;

/// Runs the suites every `every` and redraws the table until Ctrl-C (exit 130).
pub async fn watch(suites: Vec<Suite>, args: &RunArgs, every: Duration, redactor: Redactor) -> i32 {
    let cancel = Cancel::default();
    let stopper = spawn_stopper(cancel.clone());
    let opts = RunOptions {
        jobs: args.jobs,
        fail_fast: false,
        teardown_grace: args.teardown_grace,
        artifacts_dir: args.artifacts.clone(),
    };
    let suites: Vec<Arc<Suite>> = suites.into_iter().map(Arc::new).collect();
    let browsers = crate::browser::Browsers::new(super::run::browser_config(&args.browser));
    let state = Arc::new(Mutex::new(State::new(STRIP, 1)));
    let tty = std::io::stdout().is_terminal();
    let color = tty && std::env::var_os("NO_COLOR").is_none();
    let mut round = 0u64;
    while !cancel.checks.is_cancelled() {
        round += 1;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let (changes, _) = tokio::sync::mpsc::unbounded_channel();
        let mut feed = Feed {
            state: state.clone(),
            redactor: redactor.clone(),
            changes,
            dirty: Arc::default(),
            warned: HashSet::new(),
            log: false,
        };
        let feeding = tokio::spawn(async move {
            while let Some(e) = rx.recv().await {
                feed.on_event(&e);
            }
        });
        run::run(suites.clone(), opts.clone(), redactor.clone(), tx, cancel.clone(), browsers.clone()).await;
        if feeding.await.is_err() {
            err(format_args!("error: the reporter stopped"));
            break;
        }
        let table = match state.lock() {
            Ok(s) => table(&s, round, every, color),
            Err(_) => break,
        };
        let mut out = std::io::stdout().lock();
        // On a terminal the table replaces the last one; in a pipe each round follows the last.
        let clear = if tty {
            "\x1b[2J\x1b[H"
        } else if round > 1 {
            "\n"
        } else {
            ""
        };
        let _ = write!(out, "{clear}{table}");
        let _ = out.flush();
        drop(out);
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = cancel.checks.cancelled() => {}
        }
    }
    browsers.shutdown().await;
    stopper.abort();
    exit::INTERRUPTED
}

/// Ctrl-C or SIGTERM ends the rounds; a second Ctrl-C also skips the teardowns.
fn spawn_stopper(cancel: Cancel) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let term = async {
            match term.as_mut() {
                Some(t) => t.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term => {}
        }
        cancel.interrupt(Interruption::Signal);
        let _ = tokio::signal::ctrl_c().await;
        cancel.teardowns.cancel();
    })
}

/// The table after a round.
fn table(s: &State, round: u64, every: Duration, color: bool) -> String {
    let now = unix(std::time::SystemTime::now());
    let checks: Vec<&CheckState> = s.checks.values().collect();
    let down = checks.iter().filter(|c| !c.up).count();
    let paint = |code: &str, text: &str| if color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() };
    let name_width = checks.iter().map(|c| c.suite.chars().count() + c.check.chars().count() + 3).max().unwrap_or(5);
    let mut out = format!(
        "shakedown run --watch {} · round {round} · {} UTC · {} up, {down} down · Ctrl-C to stop\n\n",
        crate::duration::human(every),
        clock(now),
        checks.len() - down,
    );
    out.push_str(&format!(
        "{:<5}  {:<name_width$}  {:<9}  {:>7}  {:<STRIP$}  PROBLEM\n",
        "STATE", "CHECK", "SINCE", "LAST", "RESULTS"
    ));
    for c in checks {
        let state = if c.up { paint("32", "UP   ") } else { paint("1;31", "DOWN ") };
        let name = format!("{} › {}", c.suite, c.check);
        let strip: String = c
            .history
            .iter()
            .map(|h| match h.outcome {
                Outcome::Passed => paint("32", "✓"),
                Outcome::Flaky => paint("33", "~"),
                Outcome::Failed => paint("31", "✗"),
                Outcome::Errored => paint("35", "!"),
            })
            .collect();
        let pad = " ".repeat(STRIP.saturating_sub(c.history.len()));
        let problem =
            if c.up { String::new() } else { c.last_problem.as_ref().map(|(_, p)| cut(p)).unwrap_or_default() };
        out.push_str(&format!(
            "{state}  {name:<name_width$}  {:<9}  {:>7}  {strip}{pad}  {problem}\n",
            ago(now - c.since),
            crate::duration::human(Duration::from_secs_f64(c.last_seconds.max(0.0))),
        ));
    }
    out
}

fn cut(p: &str) -> String {
    let one_line = p.replace(['\n', '\r'], " ");
    if one_line.chars().count() <= PROBLEM_WIDTH {
        return one_line;
    }
    let mut s: String = one_line.chars().take(PROBLEM_WIDTH - 1).collect();
    s.push('…');
    s
}

fn ago(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    }
}

fn clock(unix: f64) -> String {
    let t = std::time::UNIX_EPOCH + Duration::from_secs_f64(unix.max(0.0));
    let dt: chrono::DateTime<chrono::Utc> = t.into();
    dt.format("%H:%M:%S").to_string()
}
