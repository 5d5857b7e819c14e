//! The command line (clap). No logic: `app.rs` turns it into a run.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const EXIT_CODES: &str = "\
Exit codes:
  0    every check passed
  1    a check failed or errored: the deployment is not healthy
  2    the suites or the command line are invalid: nothing was judged
  3    shakedown itself failed (e.g. a report could not be written)
  4    the deploy gate (--gate) never saw the new version live within --gate-wait: no check ran
  130  interrupted by SIGINT/SIGTERM (reports are still written)";

/// Post-deploy smoke tests: declarative HTTP checks against a freshly deployed environment,
/// a clear terminal report, and JUnit XML for the pipeline.
#[derive(Debug, Parser)]
#[command(name = "shakedown", version, after_help = EXIT_CODES, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the checks of suite files or folders and report.
    #[command(after_help = EXIT_CODES)]
    Run(Box<RunArgs>),
    /// Load and compile suites without touching the network; print every problem.
    Validate(LoadArgs),
    /// List the suites and checks that would run.
    List(ListArgs),
    /// Print a JSON Schema of the suite format (for editors' YAML support).
    Schema,
    /// Run the suites on an interval: Prometheus metrics, a status page, and alerts when a
    /// check changes state. Runs until SIGTERM or SIGINT; SIGHUP reloads the suites.
    #[command(after_help = MONITOR_HELP)]
    Monitor(Box<MonitorArgs>),
}

const MONITOR_HELP: &str = "\
Endpoints (on --listen):
  /             the status page
  /metrics      Prometheus metrics
  /api/status   the status page's data as JSON
  /healthz      200 while the monitor runs

Signals: SIGHUP reloads the suites (an invalid set is reported and the running one kept);
SIGTERM and SIGINT stop scheduling, let running checks finish within --grace, and exit 0.

Exit codes: 0 stopped by a signal; 2 the command line or --listen/--state-dir cannot be used.";

/// `shakedown monitor`: what to run, how often, where to serve and where to alert.
#[derive(Debug, Args)]
pub struct MonitorArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// How often each suite runs (a suite's `monitor: { every }` wins); at least 100ms.
    #[arg(long, value_name = "DURATION", default_value = "1m", env = "SHAKEDOWN_EVERY", value_parser = parse_interval)]
    pub every: std::time::Duration,
    /// The most a run is moved later at random, so suites do not all start at once
    /// (default: a tenth of the interval).
    #[arg(long, value_name = "DURATION", env = "SHAKEDOWN_JITTER", value_parser = parse_duration)]
    pub jitter: Option<std::time::Duration>,
    /// Suites running at the same time (1 to 1024); a suite never runs twice at once.
    #[arg(long, short = 'j', default_value_t = 4, value_name = "N", env = "SHAKEDOWN_JOBS",
          value_parser = |s: &str| count(s, 1024))]
    pub jobs: usize,
    /// Also reload the suites when a suite file is added, changed or removed (checked every 2s),
    /// as SIGHUP does.
    #[arg(long, env = "SHAKEDOWN_WATCH")]
    pub watch: bool,
    /// Where /metrics, /api/status, /healthz and the status page are served.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:9464", env = "SHAKEDOWN_LISTEN",
          value_parser = parse_listen)]
    pub listen: std::net::SocketAddr,
    /// This monitor's name, a label on every metric and alert (e.g. eu-west).
    #[arg(long, value_name = "NAME", default_value = "default", env = "SHAKEDOWN_LOCATION", value_parser = parse_label)]
    pub location: String,
    /// Consecutive failed runs of a check before its alert fires.
    #[arg(long, value_name = "N", default_value_t = 2, env = "SHAKEDOWN_FAILURE_THRESHOLD",
          value_parser = |s: &str| count(s, 1000))]
    pub failure_threshold: usize,
    /// Post alerts to this Alertmanager (API v2), e.g. http://alertmanager:9093 (repeatable).
    #[arg(long, value_name = "URL", env = "SHAKEDOWN_ALERTMANAGER", value_delimiter = ',', value_parser = parse_http_url)]
    pub alertmanager: Vec<String>,
    /// Post a JSON message to this URL when an alert fires or resolves (repeatable).
    #[arg(long, value_name = "URL", env = "SHAKEDOWN_WEBHOOK", value_delimiter = ',', value_parser = parse_http_url)]
    pub webhook: Vec<String>,
    /// The webhook body: shakedown's JSON, or Slack's `{"text": …}` (also Mattermost, Rocket.Chat).
    #[arg(long, value_name = "FORMAT", default_value = "json", value_parser = ["json", "slack"])]
    pub webhook_format: String,
    /// How often a firing alert is posted again to Alertmanager (it expires after 4 times this).
    #[arg(long, value_name = "DURATION", default_value = "1m", value_parser = parse_interval)]
    pub alert_resend: std::time::Duration,
    /// Keep the checks' state and recent history here (state.json, written atomically), so a
    /// restart neither re-fires nor forgets an alert. Without it, nothing is kept.
    #[arg(long, value_name = "DIR", env = "SHAKEDOWN_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Results kept per check for the status page's strip and sparkline (1 to 1000).
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = |s: &str| count(s, 1000))]
    pub history: usize,
    /// After SIGTERM/SIGINT, how long running checks may take to finish before they are stopped.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub grace: std::time::Duration,
    /// How long teardowns may run once running checks are stopped.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub teardown_grace: std::time::Duration,
    /// Where screenshots, pages and bodies of failed checks are saved (each run replaces the
    /// last one's; default: `artifacts` in --state-dir, else shakedown-artifacts).
    #[arg(long, value_name = "DIR", env = "SHAKEDOWN_ARTIFACTS")]
    pub artifacts: Option<PathBuf>,
    #[command(flatten)]
    pub browser: BrowserArgs,
}

/// A duration of at least 100ms, for intervals.
fn parse_interval(s: &str) -> Result<std::time::Duration, String> {
    let d = crate::duration::parse_duration(s)?;
    if d < crate::suite::MIN_MONITOR_EVERY {
        return Err(format!("`{s}` is shorter than the shortest interval, 100ms"));
    }
    Ok(d)
}

/// `127.0.0.1:9464`, `[::1]:9464` or `0.0.0.0:9464`.
fn parse_listen(s: &str) -> Result<std::net::SocketAddr, String> {
    s.trim().parse().map_err(|_| format!("`{s}` is not ADDRESS:PORT, e.g. 127.0.0.1:9464 or [::1]:9464"))
}

/// A label value people write by hand: 1 to 64 letters, digits, `-`, `_`, `.`.
fn parse_label(s: &str) -> Result<String, String> {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if s.is_empty() || s.len() > 64 || !s.chars().all(ok) {
        return Err(format!("`{s}` is not a name of 1 to 64 letters, digits, `-`, `_` or `.` (e.g. eu-west-1)"));
    }
    Ok(s.to_string())
}

/// An absolute http(s) URL, without credentials (they would show in logs and on the page).
fn parse_http_url(s: &str) -> Result<String, String> {
    let u = url::Url::parse(s.trim()).map_err(|e| format!("`{s}` is not a URL ({e}); write e.g. http://host:9093"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!("`{s}` is not an http or https URL"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("the URL holds a user or password: put credentials in a proxy, not on the command line".into());
    }
    Ok(s.trim().trim_end_matches('/').to_string())
}

#[derive(Clone, Debug, Args)]
pub struct LoadArgs {
    /// Suite files, or folders searched for *.yaml and *.yml files.
    #[arg(default_value = "suites")]
    pub paths: Vec<PathBuf>,
    /// Set a suite variable (repeatable); wins over `vars:` in the file.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read environment variables from a file of NAME=VALUE lines (over the process's own).
    #[arg(long, value_name = "FILE", env = "SHAKEDOWN_ENV_FILE")]
    pub env_file: Option<PathBuf>,
    /// The environment's name in reports (default: the suite's `environment:`, else "default").
    #[arg(long, value_name = "NAME", env = "SHAKEDOWN_ENVIRONMENT")]
    pub environment: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    #[command(flatten)]
    pub select: SelectArgs,
}

#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Run only checks whose name (or "suite › name") contains this text (repeatable).
    #[arg(long, value_name = "TEXT", env = "SHAKEDOWN_FILTER")]
    pub filter: Vec<String>,
    /// Run only checks with this tag, on the check or its suite (repeatable).
    #[arg(long, value_name = "TAG", env = "SHAKEDOWN_TAG")]
    pub tag: Vec<String>,
    /// Run only shard K of N (e.g. 2/3): suites are split by a hash of their name, so N jobs
    /// together run every check once, and adding a suite never moves another.
    #[arg(long, value_name = "K/N", env = "SHAKEDOWN_SHARD", value_parser = parse_shard)]
    pub shard: Option<(u32, u32)>,
}

/// `K/N` with 1 ≤ K ≤ N ≤ 1024.
fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("`{s}` is not K/N with 1 ≤ K ≤ N ≤ 1024 (e.g. 2/3)");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let k: u32 = k.trim().parse().map_err(|_| bad())?;
    let n: u32 = n.trim().parse().map_err(|_| bad())?;
    if k == 0 || n == 0 || k > n || n > 1024 {
        return Err(bad());
    }
    Ok((k, n))
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE", env = "SHAKEDOWN_JUNIT")]
    pub junit: Option<PathBuf>,
    /// Write a JSON report here.
    #[arg(long, value_name = "FILE", env = "SHAKEDOWN_JSON")]
    pub json: Option<PathBuf>,
    /// Suites run at the same time (1 to 1024).
    #[arg(long, short = 'j', default_value_t = 4, value_name = "N", env = "SHAKEDOWN_JOBS",
          value_parser = |s: &str| count(s, 1024))]
    pub jobs: usize,
    /// A deadline for the whole run (e.g. 5m); unfinished checks are reported as interrupted.
    #[arg(long, value_name = "DURATION", env = "SHAKEDOWN_TIMEOUT", value_parser = parse_duration)]
    pub timeout: Option<std::time::Duration>,
    /// After the first failure, skip the checks not yet started.
    #[arg(long)]
    pub fail_fast: bool,
    /// Run again every DURATION (e.g. 30s) and keep a live table of the checks' states on the
    /// terminal until Ctrl-C: for watching a deploy window. No JUnit or JSON is written.
    #[arg(long, value_name = "DURATION", value_parser = parse_interval,
          conflicts_with_all = ["junit", "json", "gate", "timeout", "fail_fast"])]
    pub watch: Option<std::time::Duration>,
    /// Exit 1 when a check passed only after a retry.
    #[arg(long, env = "SHAKEDOWN_FAIL_ON_FLAKY")]
    pub fail_on_flaky: bool,
    /// Where screenshots, pages and bodies of failed checks are saved.
    #[arg(long, value_name = "DIR", default_value = "shakedown-artifacts", env = "SHAKEDOWN_ARTIFACTS")]
    pub artifacts: PathBuf,
    /// How long teardowns may run after an interruption.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub teardown_grace: std::time::Duration,
    /// Show every step's log and full failure details.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// GitHub Actions annotations and step summary (default: on when GITHUB_ACTIONS=true).
    #[arg(long, overrides_with = "no_github")]
    pub github: bool,
    /// No GitHub Actions annotations or step summary, even in GitHub Actions.
    #[arg(long, overrides_with = "github")]
    pub no_github: bool,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub browser: BrowserArgs,
}

/// The deploy gate: wait until the new version is live before any check runs, and tell
/// "never went live" (exit 4) apart from "went live and a check failed" (exit 1).
#[derive(Debug, Args)]
#[command(next_help_heading = "Deploy gate")]
pub struct GateArgs {
    /// Before any check, poll this URL until it answers 2xx (and every --gate-json holds).
    /// If it never does within --gate-wait, no check runs and the exit code is 4.
    #[arg(long, value_name = "URL", env = "SHAKEDOWN_GATE")]
    pub gate: Option<String>,
    /// A JSONPath and the value it must show, e.g. '$.commit=abc123' (repeatable).
    #[arg(long = "gate-json", value_name = "PATH=VALUE", requires = "gate")]
    pub gate_json: Vec<String>,
    /// How long to wait for the new version.
    #[arg(long, value_name = "DURATION", default_value = "5m", env = "SHAKEDOWN_GATE_WAIT", value_parser = parse_duration)]
    pub gate_wait: std::time::Duration,
    /// The pause between two polls.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub gate_every: std::time::Duration,
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    crate::duration::parse_duration(s)
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Browser checks")]
pub struct BrowserArgs {
    /// A W3C WebDriver endpoint (e.g. Selenium Grid 4: http://host:4444); by default a local
    /// chromedriver is started.
    #[arg(long, value_name = "URL", env = "SHAKEDOWN_WEBDRIVER_URL")]
    pub webdriver_url: Option<String>,
    /// Browser sessions open at once (1 to 256).
    #[arg(long, value_name = "N", default_value_t = 2, env = "SHAKEDOWN_BROWSERS",
          value_parser = |s: &str| count(s, 256))]
    pub browsers: usize,
    /// The chromedriver to start (default: found on PATH).
    #[arg(long, value_name = "PATH", env = "SHAKEDOWN_CHROMEDRIVER")]
    pub chromedriver: Option<PathBuf>,
    /// The geckodriver to start for `browser: { browser: firefox }` suites.
    #[arg(long, value_name = "PATH", env = "SHAKEDOWN_GECKODRIVER")]
    pub geckodriver: Option<PathBuf>,
    /// The browser binary (default: chromium, chromium-browser or google-chrome on PATH).
    #[arg(long, value_name = "PATH", env = "SHAKEDOWN_BROWSER_BINARY")]
    pub browser_binary: Option<PathBuf>,
    /// An extra browser argument (repeatable), e.g. --browser-arg=--lang=de.
    #[arg(long = "browser-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub browser_args: Vec<String>,
    /// Start a new Chromium for each check (an empty profile, closed when the check ends)
    /// instead of keeping one per session slot for the run: slower, and holds no browser
    /// between checks.
    #[arg(long, env = "SHAKEDOWN_BROWSER_PER_CHECK", overrides_with = "reuse_browsers")]
    pub browser_per_check: bool,
    /// Keep one Chromium per session slot for the whole run and give each check a fresh,
    /// isolated WebDriver BiDi user context in it (the default with a local chromedriver).
    #[arg(long, overrides_with = "browser_per_check")]
    pub reuse_browsers: bool,
    /// Keep a screenshot after every browser step (`all`), or only of failures (`failures`).
    #[arg(long, value_name = "WHEN", default_value = "failures", value_parser = ["failures", "all"], env = "SHAKEDOWN_SCREENSHOTS")]
    pub screenshots: String,
}

/// A whole number from 1 to `max`.
fn count(s: &str, max: usize) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("`{s}` is not a whole number from 1 to {max}")),
    }
}
