//! From the parsed command line to an exit code: find and load suites, run them, write reports.

use crate::cli::{Cli, Command, ListArgs, LoadArgs, RunArgs, SelectArgs};
use crate::compile::{self, LoadContext};
use crate::diagnostic::FileDiagnostics;
use crate::event::{Event, Reporter};
use crate::exit;
use crate::outcome::{CaseKind, CaseResult, Interruption, Problem, RunResult, Status, SuiteResult};
use crate::redact::Redactor;
use crate::runner::{self, Cancel, RunOptions};
use crate::suite::Suite;
use clap::Parser;
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Parses the command line, does the work, and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { exit::INVALID } else { exit::OK };
        }
    };
    match cli.command {
        Command::Schema => {
            out(format_args!("{}", crate::schema::SCHEMA.trim_end()));
            exit::OK
        }
        Command::Validate(args) => validate(&args),
        Command::List(args) => list(&args),
        Command::Run(args) => match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
            Ok(rt) => rt.block_on(run(*args)),
            Err(e) => {
                err(format_args!("error: cannot start the async runtime: {e}"));
                exit::RUNNER_ERROR
            }
        },
    }
}

/// A line on stdout. Unlike `println!`, a closed pipe (`shakedown list | head -1`) is not a
/// panic: the reader has gone, so there is no one left to tell.
fn out(line: std::fmt::Arguments) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// A line on stderr, ignoring a closed pipe like [`out`].
fn err(line: std::fmt::Arguments) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

fn color_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// A problem with the command line itself (not a suite).
fn usage_error(message: &str) -> i32 {
    err(format_args!("error: {message}"));
    exit::INVALID
}

/// Suite files named by the paths: files as given, folders searched for `*.yaml`/`*.yml`.
fn find_suites(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_file() {
            out.push(p.clone());
        } else if p.is_dir() {
            let before = out.len();
            walk(p, &mut out).map_err(|e| format!("cannot read the folder {}: {e}", p.display()))?;
            if out.len() == before {
                return Err(format!("no suite files (*.yaml, *.yml) in {}", p.display()));
            }
        } else {
            return Err(format!("{} does not exist", p.display()));
        }
    }
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
            out.push(p);
        }
    }
    Ok(())
}

/// The environment, `--env-file` on top, and `--var`s.
fn load_context(args: &LoadArgs) -> Result<LoadContext, String> {
    let mut env: HashMap<String, String> =
        std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))).collect();
    if let Some(file) = &args.env_file {
        env.extend(read_env_file(file)?);
    }
    let mut vars = Vec::new();
    for v in &args.vars {
        match v.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => vars.push((name.trim().to_string(), value.to_string())),
            _ => return Err(format!("--var `{v}` is not NAME=VALUE")),
        }
    }
    Ok(LoadContext { env, vars, environment: args.environment.clone() })
}

/// `NAME=VALUE` lines; `#` comments, blank lines, `export ` and surrounding quotes allowed.
fn read_env_file(path: &Path) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read --env-file {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let l = l.strip_prefix("export ").unwrap_or(l);
        let Some((k, v)) = l.split_once('=') else {
            return Err(format!("{}:{}: expected NAME=VALUE", path.display(), i + 1));
        };
        let k = k.trim();
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("{}:{}: `{k}` is not a variable name", path.display(), i + 1));
        }
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
            .unwrap_or(v);
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

/// Loads every file, collecting suites and problems.
fn load_all(args: &LoadArgs) -> Result<(Vec<Suite>, Vec<FileDiagnostics>), String> {
    let files = find_suites(&args.paths)?;
    let cx = load_context(args)?;
    let mut suites = Vec::new();
    let mut problems = Vec::new();
    for f in files {
        match compile::load_file(&f, &cx) {
            Ok(s) => suites.push(s),
            Err(d) => problems.push(d),
        }
    }
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    for s in &suites {
        if let Some(first) = seen.insert(s.name.clone(), s.file.clone()) {
            problems.push(FileDiagnostics {
                file: s.file.clone(),
                source: None,
                diagnostics: vec![crate::diagnostic::Diagnostic {
                    pos: None,
                    len: None,
                    message: format!("the suite name `{}` is also used by {}", s.name, first.display()),
                    help: Some("suite names identify suites in reports: give each file its own `name`".into()),
                }],
            });
        }
    }
    Ok((suites, problems))
}

fn print_problems(problems: &[FileDiagnostics]) {
    let color = color_stderr();
    let mut n = 0;
    for p in problems {
        let _ = write!(std::io::stderr().lock(), "{}", p.render(color));
        n += p.diagnostics.len();
    }
    let files = problems.len();
    err(format_args!(
        "error: {n} problem{} in {files} suite file{}",
        if n == 1 { "" } else { "s" },
        if files == 1 { "" } else { "s" }
    ));
}

fn validate(args: &LoadArgs) -> i32 {
    let (suites, problems) = match load_all(args) {
        Ok(r) => r,
        Err(e) => return usage_error(&e),
    };
    if !problems.is_empty() {
        print_problems(&problems);
        return exit::INVALID;
    }
    let checks: usize = suites.iter().map(|s| s.checks.len()).sum();
    out(format_args!("ok: {} suites, {checks} checks", suites.len()));
    exit::OK
}

fn list(args: &ListArgs) -> i32 {
    let (mut suites, problems) = match load_all(&args.load) {
        Ok(r) => r,
        Err(e) => return usage_error(&e),
    };
    if !problems.is_empty() {
        print_problems(&problems);
        return exit::INVALID;
    }
    select(&mut suites, &args.select);
    for s in &suites {
        out(format_args!("{} ({})", s.name, s.file.display()));
        for c in &s.checks {
            let tags = if c.tags.is_empty() { String::new() } else { format!("  [{}]", c.tags.join(", ")) };
            let kind = if c.is_browser { "browser" } else { "http" };
            out(format_args!("  {}:{}  {}  ({kind}){tags}", s.file.display(), c.pos.line, c.name));
        }
    }
    exit::OK
}

/// Keeps the checks that `--filter` and `--tag` select; drops suites left with none.
fn select(suites: &mut Vec<Suite>, sel: &SelectArgs) {
    if sel.filter.is_empty() && sel.tag.is_empty() {
        return;
    }
    for s in suites.iter_mut() {
        let suite_name = s.name.clone();
        let suite_tags = s.tags.clone();
        s.checks.retain(|c| {
            let full = format!("{suite_name} › {}", c.name);
            let by_name = sel.filter.is_empty()
                || sel
                    .filter
                    .iter()
                    .any(|f| full.contains(f.as_str()) || format!("{suite_name}/{}", c.name).contains(f.as_str()));
            let by_tag = sel.tag.is_empty() || sel.tag.iter().any(|t| c.tags.contains(t) || suite_tags.contains(t));
            by_name && by_tag
        });
    }
    suites.retain(|s| !s.checks.is_empty());
}

/// A suite file that could not be loaded, as a report entry: a `[load]` error testcase.
fn load_failure(d: &FileDiagnostics) -> SuiteResult {
    let name = d.file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "suite".into());
    let lines = d.one_line_each();
    let message = format!("the suite file is invalid: {}", lines.first().cloned().unwrap_or_default());
    let problem = Problem::error("load", message).details(lines.join("\n"));
    let mut case = CaseResult::new("[load]", CaseKind::Load, d.diagnostics.first().and_then(|x| x.pos).map(|p| p.line));
    case = case.with_problem(problem);
    SuiteResult {
        name,
        file: d.file.clone(),
        environment: "default".into(),
        base_url: None,
        commit: None,
        started: SystemTime::now(),
        duration: Duration::ZERO,
        cases: vec![case],
    }
}

async fn run(args: RunArgs) -> i32 {
    let (mut suites, problems) = match load_all(&args.load) {
        Ok(r) => r,
        Err(e) => return usage_error(&e),
    };
    let redactor = Redactor::new();
    for s in &suites {
        for v in &s.secret_values {
            redactor.add(v);
        }
    }
    if !problems.is_empty() {
        // Nothing is judged when a suite is invalid, but the pipeline still gets a report that
        // says why.
        print_problems(&problems);
        let run = RunResult {
            started: SystemTime::now(),
            duration: Duration::ZERO,
            suites: problems.iter().map(load_failure).collect(),
            interrupted: None,
        };
        return match write_reports(&run, &args, &redactor) {
            Ok(()) => exit::INVALID,
            Err(e) => {
                err(format_args!("error: {e}"));
                exit::RUNNER_ERROR
            }
        };
    }
    select(&mut suites, &args.select);
    if suites.is_empty() {
        return usage_error("no check matches --filter/--tag");
    }
    if args.jobs == 0 {
        return usage_error("--jobs must be at least 1");
    }
    if args.browser.browsers == 0 {
        return usage_error("--browsers must be at least 1");
    }
    if let Some(u) = &args.browser.webdriver_url
        && !matches!(reqwest::Url::parse(u).map(|u| u.scheme().to_string()).as_deref(), Ok("http" | "https"))
    {
        return usage_error(&format!("--webdriver-url `{u}` is not an http(s) URL"));
    }

    let tty = std::io::stdout().is_terminal();
    let color = tty && std::env::var_os("NO_COLOR").is_none();
    let files: Vec<(String, PathBuf)> = suites.iter().map(|s| (s.name.clone(), s.file.clone())).collect();
    let mut terminal = crate::report::terminal::Terminal::new(
        color,
        tty && std::env::var_os("CI").is_none(),
        args.verbose,
        redactor.clone(),
    )
    .with_files(files)
    .fail_on_flaky(args.fail_on_flaky);

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let display = tokio::spawn(async move {
        while let Some(e) = rx.recv().await {
            terminal.on_event(&e);
        }
    });

    let cancel = Cancel::default();
    let watcher = spawn_interrupts(cancel.clone(), args.timeout, tx.clone());
    let opts = RunOptions {
        jobs: args.jobs,
        fail_fast: args.fail_fast,
        teardown_grace: args.teardown_grace,
        artifacts_dir: args.artifacts.clone(),
    };
    let suites: Vec<Arc<Suite>> = suites.into_iter().map(Arc::new).collect();
    let browsers = crate::browser::Browsers::new(crate::browser::BrowserConfig {
        webdriver_url: args.browser.webdriver_url.clone(),
        chromedriver: args.browser.chromedriver.clone(),
        geckodriver: args.browser.geckodriver.clone(),
        browser_binary: args.browser.browser_binary.clone(),
        max_sessions: args.browser.browsers,
        args: args.browser.browser_args.clone(),
        screenshot_every_step: args.browser.screenshots == "all",
        command_timeout: Duration::from_secs(30),
    });
    let result = runner::run(suites, Vec::new(), opts, redactor.clone(), tx, cancel.clone(), browsers.clone()).await;
    // No driver or browser outlives the run.
    browsers.shutdown().await;
    watcher.abort();
    let _ = display.await;

    if let Err(e) = write_reports(&result, &args, &redactor) {
        err(format_args!("error: {e}"));
        return exit::RUNNER_ERROR;
    }
    let t = result.totals();
    if result.interrupted == Some(Interruption::Signal) {
        exit::INTERRUPTED
    } else if t.failed + t.errors > 0 || (args.fail_on_flaky && t.flaky > 0) {
        exit::CHECKS_FAILED
    } else if result.suites.iter().flat_map(|s| &s.cases).all(|c| c.status == Status::Skipped) {
        err(format_args!("error: every check was skipped"));
        exit::CHECKS_FAILED
    } else {
        exit::OK
    }
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

fn write_reports(run: &RunResult, args: &RunArgs, redactor: &Redactor) -> Result<(), String> {
    if let Some(path) = &args.junit {
        let xml = crate::report::junit::render(run, redactor)?;
        crate::report::write_atomic(path, xml.as_bytes())
            .map_err(|e| format!("cannot write the JUnit report {}: {e}", path.display()))?;
    }
    if let Some(path) = &args.json {
        let json = crate::report::json::render(run, redactor)?;
        crate::report::write_atomic(path, json.as_bytes())
            .map_err(|e| format!("cannot write the JSON report {}: {e}", path.display()))?;
    }
    Ok(())
}
