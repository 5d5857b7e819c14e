//! Browser checks over WebDriver: finding or starting a driver, a bounded pool of sessions
//! (one fresh session per check), running browser steps, and saving artifacts on failure.
//!
//! Every WebDriver call is bounded by a timeout (fantoccini has none of its own), and every
//! session and driver process is closed on every path, including interruption.

pub use crate::suite::browser::*;

use crate::judge;
use crate::redact::Redactor;
use crate::result::{Problem, ProblemType};
use crate::suite::Suite;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Run-wide browser settings, from the command line.
#[derive(Clone, Debug)]
pub struct BrowserConfig {
    /// A W3C WebDriver endpoint (e.g. Selenium Grid); when absent a local driver is started.
    pub webdriver_url: Option<String>,
    pub chromedriver: Option<PathBuf>,
    pub geckodriver: Option<PathBuf>,
    /// The browser binary for a local driver (default: found on PATH).
    pub browser_binary: Option<PathBuf>,
    /// Sessions open at once.
    pub max_sessions: usize,
    /// Extra browser arguments from the command line.
    pub args: Vec<String>,
    /// Keep a screenshot after every browser step, not only on failure.
    pub screenshot_every_step: bool,
    /// Bound on each WebDriver call.
    pub command_timeout: Duration,
}

impl Default for BrowserConfig {
    fn default() -> Self {
        BrowserConfig {
            webdriver_url: None,
            chromedriver: None,
            geckodriver: None,
            browser_binary: None,
            max_sessions: 2,
            args: Vec::new(),
            screenshot_every_step: false,
            command_timeout: Duration::from_secs(30),
        }
    }
}

/// The flags that make Chromium work headless in CI containers and as root, and keep it from
/// reaching out on its own.
pub const CHROME_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--metrics-recording-only",
    "--password-store=basic",
    "--disable-crash-reporter",
    "--disable-breakpad",
];

/// A driver process started by us, in a process group of its own so that the browsers it
/// starts can be stopped with it.
struct LocalDriver {
    child: tokio::process::Child,
    url: String,
}

impl LocalDriver {
    async fn start(program: &Path, args: &[String], what: &str) -> Result<LocalDriver, String> {
        let port = free_port().map_err(|e| format!("cannot find a free port for {what}: {e}"))?;
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args)
            .arg(format!("--port={port}"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        #[cfg(unix)]
        cmd.process_group(0);
        let child = cmd.spawn().map_err(|e| format!("cannot start {what} ({}): {e}", program.display()))?;
        let url = format!("http://127.0.0.1:{port}");
        let mut driver = LocalDriver { child, url };
        let http =
            reqwest::Client::builder().timeout(Duration::from_secs(2)).no_proxy().build().map_err(|e| e.to_string())?;
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = driver.child.try_wait() {
                return Err(format!("{what} ({}) exited at start with {status}", program.display()));
            }
            if let Ok(r) = http.get(format!("{}/status", driver.url)).send().await
                && r.status().is_success()
            {
                return Ok(driver);
            }
            if started.elapsed() > Duration::from_secs(15) {
                driver.stop().await;
                return Err(format!("{what} ({}) did not answer on {} within 15s", program.display(), driver.url));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the driver and everything in its process group (the browsers it started).
    async fn stop(&mut self) {
        #[cfg(unix)]
        if let Some(pid) = self.child.id() {
            let pgid = pid as libc::pid_t;
            // SAFETY: kill(2) with a negative pid signals the process group we created.
            unsafe {
                libc::kill(-pgid, libc::SIGTERM);
            }
            if tokio::time::timeout(Duration::from_secs(3), self.child.wait()).await.is_err() {
                unsafe {
                    libc::kill(-pgid, libc::SIGKILL);
                }
            }
            // Browsers may outlive the driver by a moment: make sure the group is gone.
            tokio::time::sleep(Duration::from_millis(100)).await;
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
        let _ = self.child.kill().await;
        let _ = self.child.wait().await;
    }
}

fn free_port() -> std::io::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// Finds a program: an explicit path, else on PATH, else in the usual Debian places.
fn find_program(explicit: Option<&Path>, names: &[&str], fallbacks: &[&str]) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for n in names {
            let candidate = dir.join(n);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    fallbacks.iter().map(PathBuf::from).find(|p| p.is_file())
}

enum DriverState {
    NotStarted,
    Running(LocalDriver),
    Failed(String),
}

/// The run's browsers: a bounded pool of sessions on one driver.
pub struct Browsers {
    cfg: BrowserConfig,
    slots: Arc<Semaphore>,
    driver: tokio::sync::Mutex<DriverState>,
    open: std::sync::Mutex<HashMap<u64, Client>>,
    next_id: AtomicU64,
    /// Per-session drivers (geckodriver serves one session at a time).
    extra_drivers: tokio::sync::Mutex<HashMap<u64, LocalDriver>>,
}

/// One browser session, for one check.
pub struct Session {
    id: u64,
    client: Client,
    _slot: OwnedSemaphorePermit,
    _profile: Option<tempfile::TempDir>,
    remote: bool,
    kind: BrowserKind,
    wait: Duration,
    cmd_timeout: Duration,
    /// Whether any input was filled with a secret (those inputs carry `data-shakedown-secret`
    /// and are hidden in screenshots and blanked in page dumps).
    has_secret_inputs: bool,
    navigated: bool,
    shots: u32,
    pub every_step_shots: bool,
}

impl Browsers {
    pub fn new(cfg: BrowserConfig) -> Arc<Browsers> {
        Arc::new(Browsers {
            slots: Arc::new(Semaphore::new(cfg.max_sessions.max(1))),
            cfg,
            driver: tokio::sync::Mutex::new(DriverState::NotStarted),
            open: std::sync::Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            extra_drivers: tokio::sync::Mutex::new(HashMap::new()),
        })
    }

    pub fn config(&self) -> &BrowserConfig {
        &self.cfg
    }

    /// The URL of the WebDriver endpoint, starting a local chromedriver the first time.
    async fn chrome_endpoint(&self) -> Result<(String, bool), String> {
        if let Some(url) = &self.cfg.webdriver_url {
            return Ok((url.trim_end_matches('/').to_string(), true));
        }
        let mut state = self.driver.lock().await;
        match &*state {
            DriverState::Running(d) => return Ok((d.url.clone(), false)),
            DriverState::Failed(e) => return Err(e.clone()),
            DriverState::NotStarted => {}
        }
        let Some(program) = find_program(
            self.cfg.chromedriver.as_deref(),
            &["chromedriver"],
            &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"],
        ) else {
            let e = "chromedriver was not found. Install Chromium and its driver (Debian/Ubuntu: `apt-get install chromium chromium-driver`), pass --chromedriver PATH, or use a remote WebDriver with --webdriver-url".to_string();
            *state = DriverState::Failed(e.clone());
            return Err(e);
        };
        match LocalDriver::start(&program, &[], "chromedriver").await {
            Ok(d) => {
                let url = d.url.clone();
                *state = DriverState::Running(d);
                Ok((url, false))
            }
            Err(e) => {
                let e = format!(
                    "{e}. Check that it runs (`{} --version`), or install it with `apt-get install chromium-driver`",
                    program.display()
                );
                *state = DriverState::Failed(e.clone());
                Err(e)
            }
        }
    }

    /// Opens a fresh session for a check, waiting for a free slot.
    pub async fn open(&self, suite: &Suite) -> Result<Session, Problem> {
        let slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Problem::error(ProblemType::Browser, "the browser pool is closed"))?;
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let opts = &suite.browser;
        let mut args: Vec<String> = Vec::new();
        let (w, h) = opts.window.unwrap_or((1280, 800));
        let (endpoint, remote, profile, caps) = match opts.kind {
            BrowserKind::Chrome => {
                let (endpoint, remote) =
                    self.chrome_endpoint().await.map_err(|e| Problem::error(ProblemType::Driver, e))?;
                args.extend(CHROME_ARGS.iter().map(|s| s.to_string()));
                args.push(format!("--window-size={w},{h}"));
                let profile = if remote {
                    None
                } else {
                    let dir = tempfile::Builder::new().prefix("shakedown-chrome-").tempdir().map_err(|e| {
                        Problem::error(ProblemType::Browser, format!("cannot create a browser profile folder: {e}"))
                    })?;
                    args.push(format!("--user-data-dir={}", dir.path().display()));
                    Some(dir)
                };
                args.extend(opts.args.iter().cloned());
                args.extend(self.cfg.args.iter().cloned());
                let mut chrome = json!({ "args": args });
                if !remote
                    && let Some(bin) = find_program(
                        self.cfg.browser_binary.as_deref(),
                        &["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"],
                        &["/usr/bin/chromium"],
                    )
                {
                    chrome["binary"] = json!(bin.display().to_string());
                }
                let caps = json!({
                    "browserName": "chrome",
                    "goog:chromeOptions": chrome,
                    "goog:loggingPrefs": { "browser": "ALL" },
                    "pageLoadStrategy": "normal",
                });
                (endpoint, remote, profile, caps)
            }
            BrowserKind::Firefox => {
                let (endpoint, remote) = match &self.cfg.webdriver_url {
                    Some(u) => (u.trim_end_matches('/').to_string(), true),
                    None => {
                        let program = find_program(self.cfg.geckodriver.as_deref(), &["geckodriver"], &[]).ok_or_else(|| {
                            Problem::error(ProblemType::Driver, "geckodriver was not found. Install Firefox and geckodriver, pass --geckodriver PATH, or use --webdriver-url")
                        })?;
                        let d = LocalDriver::start(&program, &[], "geckodriver")
                            .await
                            .map_err(|e| Problem::error(ProblemType::Driver, e))?;
                        let url = d.url.clone();
                        self.extra_drivers.lock().await.insert(id, d);
                        (url, false)
                    }
                };
                args.push("-headless".into());
                args.push(format!("--width={w}"));
                args.push(format!("--height={h}"));
                args.extend(opts.args.iter().cloned());
                args.extend(self.cfg.args.iter().cloned());
                (endpoint, remote, None, json!({ "browserName": "firefox", "moz:firefoxOptions": { "args": args } }))
            }
        };
        let Json::Object(cap_map) = caps else {
            return Err(Problem::error(ProblemType::Browser, "internal: capabilities are not an object"));
        };
        let mut builder = ClientBuilder::rustls()
            .map_err(|e| Problem::error(ProblemType::Driver, format!("cannot set up the WebDriver client: {e}")))?;
        builder.capabilities(cap_map);
        let connect = builder.connect(&endpoint);
        let client = match tokio::time::timeout(Duration::from_secs(60), connect).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                self.stop_extra(id).await;
                let hint = if remote {
                    "check --webdriver-url and that the grid has a free node for this browser"
                } else {
                    "is Chromium installed (`apt-get install chromium`)? pass --browser-binary PATH if it is elsewhere"
                };
                return Err(Problem::error(
                    ProblemType::Driver,
                    format!("the browser did not start: {}; {hint}", first_line(&e.to_string())),
                ));
            }
            Err(_) => {
                self.stop_extra(id).await;
                return Err(Problem::error(
                    ProblemType::Driver,
                    format!("no browser session from {endpoint} within 60s"),
                ));
            }
        };
        if let Ok(mut open) = self.open.lock() {
            open.insert(id, client.clone());
        }
        Ok(Session {
            id,
            client,
            _slot: slot,
            _profile: profile,
            remote,
            kind: opts.kind,
            wait: opts.timeout.unwrap_or(Duration::from_secs(5)),
            cmd_timeout: self.cfg.command_timeout,
            has_secret_inputs: false,
            navigated: false,
            shots: 0,
            every_step_shots: self.cfg.screenshot_every_step,
        })
    }

    async fn stop_extra(&self, id: u64) {
        if let Some(mut d) = self.extra_drivers.lock().await.remove(&id) {
            d.stop().await;
        }
    }

    /// Ends a session, within a bounded time; its slot is free afterwards.
    pub async fn close(&self, s: Session) {
        if let Ok(mut open) = self.open.lock() {
            open.remove(&s.id);
        }
        let id = s.id;
        let client = s.client.clone();
        let _ = tokio::time::timeout(Duration::from_secs(5), client.close()).await;
        drop(s);
        self.stop_extra(id).await;
    }

    /// Closes whatever is still open and stops the local driver and its browsers.
    pub async fn shutdown(&self) {
        let open: Vec<Client> = match self.open.lock() {
            Ok(mut o) => o.drain().map(|(_, c)| c).collect(),
            Err(_) => Vec::new(),
        };
        let closes = open.into_iter().map(|c| async move {
            let _ = tokio::time::timeout(Duration::from_secs(3), c.close()).await;
        });
        futures_util::future::join_all(closes).await;
        if let DriverState::Running(mut d) = std::mem::replace(&mut *self.driver.lock().await, DriverState::NotStarted)
        {
            d.stop().await;
        }
        let extra: Vec<LocalDriver> = self.extra_drivers.lock().await.drain().map(|(_, d)| d).collect();
        for mut d in extra {
            d.stop().await;
        }
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").chars().take(500).collect()
}

/// What a browser step can touch besides its session.
pub struct StepContext<'a> {
    pub suite: &'a Suite,
    pub captures: &'a mut HashMap<String, Json>,
    pub redactor: &'a Redactor,
    pub log: &'a mut String,
    pub jar: &'a reqwest::cookie::Jar,
    /// Where this check's artifacts go, and the files saved so far.
    pub artifacts: &'a Path,
    pub attachments: &'a mut Vec<PathBuf>,
    /// Where the step is in the suite file.
    pub pos: crate::load::yaml::Pos,
}

impl Session {
    /// Bounds a WebDriver call and sorts its failure.
    async fn wd<T>(
        &self,
        what: &str,
        fut: impl Future<Output = Result<T, fantoccini::error::CmdError>>,
    ) -> Result<T, Problem> {
        match tokio::time::timeout(self.cmd_timeout, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(classify(what, &e)),
            Err(_) => Err(Problem::error(
                ProblemType::Timeout,
                format!("the browser did not answer `{what}` within {}", crate::duration::human(self.cmd_timeout)),
            )),
        }
    }

    fn locator(t: &Target) -> Locator<'_> {
        match t.how {
            How::Css => Locator::Css(&t.value),
            How::XPath => Locator::XPath(&t.value),
            How::LinkText => Locator::LinkText(&t.value),
        }
    }

    /// Waits until an element matches (and is displayed, when `visible`).
    async fn find(&self, t: &Target, visible: bool, wait: Duration) -> Result<fantoccini::elements::Element, Problem> {
        let deadline = Instant::now() + wait;
        let mut pause = Duration::from_millis(50);
        let mut seen_hidden = false;
        loop {
            let found = self.wd("find element", self.client.find_all(Self::locator(t))).await?;
            for el in found {
                if !visible || self.wd("is displayed", el.is_displayed()).await.unwrap_or(false) {
                    return Ok(el);
                }
                seen_hidden = true;
            }
            if Instant::now() + pause > deadline {
                let what = if seen_hidden { "is not visible" } else { "matches nothing" };
                return Err(Problem::failure(
                    ProblemType::Element,
                    format!("`{t}` {what} after {}", crate::duration::human(wait)),
                ));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 3 / 2).min(Duration::from_millis(500));
        }
    }

    /// Runs one browser step.
    pub async fn run(&mut self, step: &BrowserStep, cx: &mut StepContext<'_>) -> Result<(), Problem> {
        let wait = step.timeout.unwrap_or(self.wait);
        let r = self.act(step, wait, cx).await;
        // The browser's cookies go to the HTTP jar after every step, so an HTTP step right
        // after a browser login acts as the same user.
        if r.is_ok() {
            self.export_cookies(cx.jar, cx.redactor).await;
        }
        if self.every_step_shots && r.is_ok() {
            self.shots += 1;
            let name = format!("step-{:02}", self.shots);
            if let Some(p) = self.save_screenshot(cx, &name).await {
                cx.attachments.push(p);
            }
        }
        r
    }

    async fn act(&mut self, step: &BrowserStep, wait: Duration, cx: &mut StepContext<'_>) -> Result<(), Problem> {
        let render = |t: &crate::load::template::Template, caps: &HashMap<String, Json>| {
            t.render_str(caps).map_err(|m| Problem::error(ProblemType::MissingCapture, m))
        };
        match &step.action {
            BrowserAction::Goto(t) => {
                let raw = render(t, cx.captures)?;
                let url = crate::run::http::resolve_url(&raw, cx.suite.base_url.as_deref())
                    .map_err(|e| Problem::error(e.type_, e.message))?;
                let _ = writeln!(cx.log, "→ goto {}", cx.redactor.redact(url.as_str()));
                // Cookies the HTTP steps got since the last page go along, when the browser is
                // already on the same site (a cookie can only be set for the current page).
                if self.navigated
                    && let Some(here) = self.page_url().await
                    && reqwest::Url::parse(&here).is_ok_and(|h| h.origin() == url.origin())
                {
                    self.import_cookies(cx.jar, &url).await?;
                }
                self.wd("goto", self.client.goto(url.as_str())).await?;
                if !self.navigated {
                    self.navigated = true;
                    // The first page load had no cookies; load it again with the suite's.
                    if self.import_cookies(cx.jar, &url).await? {
                        self.wd("goto", self.client.goto(url.as_str())).await?;
                    }
                }
            }
            BrowserAction::Click(t) => {
                let _ = writeln!(cx.log, "→ click {t}");
                // The element may go stale or be covered while the page settles: try again
                // until the wait is over.
                let deadline = Instant::now() + wait;
                loop {
                    let el = self.find(t, true, deadline.saturating_duration_since(Instant::now())).await?;
                    match self.wd("click", el.click()).await {
                        Ok(()) => break,
                        Err(p) if p.type_ == ProblemType::Element && Instant::now() < deadline => {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Err(p) => return Err(p),
                    }
                }
            }
            BrowserAction::Hover(t) => {
                let _ = writeln!(cx.log, "→ hover {t}");
                let el = self.find(t, true, wait).await?;
                use fantoccini::actions::{InputSource, MouseActions, PointerAction};
                let mouse = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
                    element: el,
                    duration: None,
                    x: 0.0,
                    y: 0.0,
                });
                self.wd("hover", self.client.perform_actions(mouse)).await?;
            }
            BrowserAction::Fill(pairs) => {
                for (t, v) in pairs {
                    let value = render(v, cx.captures)?;
                    let secret = cx.redactor.redact(&value) != value;
                    let shown = if secret { crate::redact::MASK.to_string() } else { format!("{value:?}") };
                    let _ = writeln!(cx.log, "→ fill {t} = {shown}");
                    let el = self.find(t, true, wait).await?;
                    if secret {
                        // Marked on the element itself, whatever selector found it.
                        let arg = serde_json::to_value(&el).unwrap_or(Json::Null);
                        self.wd("mark secret input", self.client.execute(MARK_SECRET, vec![arg])).await?;
                        self.has_secret_inputs = true;
                    }
                    self.wd("clear", el.clear()).await?;
                    self.wd("type", el.send_keys(&value)).await?;
                }
            }
            BrowserAction::Select(pairs) => {
                for (t, v) in pairs {
                    let value = render(v, cx.captures)?;
                    let _ = writeln!(cx.log, "→ select {t} = {:?}", cx.redactor.redact(&value));
                    let el = self.find(t, true, wait).await?;
                    if self.wd("select", el.select_by_value(&value)).await.is_err() {
                        self.wd("select", el.select_by_label(&value)).await.map_err(|_| {
                            Problem::failure(
                                ProblemType::Element,
                                format!("`{t}` has no option with the value or label {value:?}"),
                            )
                        })?;
                    }
                }
            }
            BrowserAction::Check(t, on) => {
                let _ = writeln!(cx.log, "→ {} {t}", if *on { "check" } else { "uncheck" });
                let el = self.find(t, true, wait).await?;
                if self.wd("is selected", el.is_selected()).await? != *on {
                    self.wd("click", el.click()).await?;
                }
            }
            BrowserAction::Press { target, key } => {
                let _ = writeln!(cx.log, "→ press {}", key_name(key));
                let el = match target {
                    Some(t) => self.find(t, true, wait).await?,
                    None => self.wd("active element", self.client.active_element()).await?,
                };
                self.wd("press", el.send_keys(key)).await?;
            }
            BrowserAction::Upload { target, files } => {
                let mut paths = Vec::new();
                for f in files {
                    let abs = std::path::absolute(f).map_err(|e| {
                        Problem::error(ProblemType::Request, format!("cannot resolve {}: {e}", f.display()))
                    })?;
                    paths.push(if self.remote { self.push_file(&abs).await? } else { abs.display().to_string() });
                }
                let _ = writeln!(
                    cx.log,
                    "→ upload {target} ← {}",
                    files
                        .iter()
                        .map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                let el = self.find(target, false, wait).await?;
                self.wd("upload", el.send_keys(&paths.join("\n"))).await?;
            }
            BrowserAction::See(asserts) => self.see(asserts, wait, cx).await?,
            BrowserAction::Capture(items) => {
                for (name, pos, c) in items {
                    let v = match c {
                        BrowserCapture::Text(t) => {
                            let el =
                                self.find(t, false, wait).await.map_err(|p| Problem { line: Some(pos.line), ..p })?;
                            Json::String(judge::normalize_ws(&self.wd("text", el.text()).await?))
                        }
                        BrowserCapture::Attr(t, a) => {
                            let el =
                                self.find(t, false, wait).await.map_err(|p| Problem { line: Some(pos.line), ..p })?;
                            match self.wd("attribute", el.attr(a)).await? {
                                Some(v) => Json::String(v),
                                None => {
                                    return Err(Problem::failure(
                                        ProblemType::Capture,
                                        format!("`{t}` has no attribute `{a}`"),
                                    )
                                    .at(pos.line));
                                }
                            }
                        }
                        BrowserCapture::Title => Json::String(self.wd("title", self.client.title()).await?),
                        BrowserCapture::Url => {
                            Json::String(self.wd("current url", self.client.current_url()).await?.to_string())
                        }
                    };
                    let _ = writeln!(cx.log, "  captured {name} = {}", cx.redactor.redact(&judge::show(&v)));
                    cx.captures.insert(name.clone(), v);
                }
            }
            BrowserAction::Screenshot(name) => {
                let _ = writeln!(cx.log, "→ screenshot {name}");
                if let Some(p) = self.save_screenshot(cx, name).await {
                    cx.attachments.push(p);
                }
            }
            BrowserAction::Eval { script, expect, capture } => {
                let js = render(script, cx.captures)?;
                let body = if js.contains("return ") { js.clone() } else { format!("return ({js});") };
                let _ = writeln!(cx.log, "→ eval {}", cx.redactor.redact(&js));
                let v = self.wd("execute script", self.client.execute(&body, Vec::new())).await?;
                if let Some(pred) = expect
                    && let Err(m) = judge::eval(pred, Some(&v), cx.captures, true)
                {
                    return Err(Problem::failure(
                        ProblemType::Assertion,
                        format!("eval: expected {}, got {}", m.expected, m.actual),
                    ));
                }
                if let Some(name) = capture {
                    cx.captures.insert(name.clone(), v);
                }
            }
            BrowserAction::NoConsoleErrors => {
                let _ = writeln!(cx.log, "→ no console errors");
                if self.kind != BrowserKind::Chrome {
                    return Err(Problem::error(
                        ProblemType::Unsupported,
                        "reading the console is only supported with Chrome/Chromium",
                    ));
                }
                let entries = self.console().await?;
                let errors: Vec<String> = entries
                    .iter()
                    .filter(|e| e.get("level").and_then(Json::as_str) == Some("SEVERE"))
                    .map(|e| e.get("message").and_then(Json::as_str).unwrap_or("").to_string())
                    .collect();
                if !errors.is_empty() {
                    let first = errors.first().cloned().unwrap_or_default();
                    let mut p = Problem::failure(
                        ProblemType::Console,
                        format!("the browser console has {} error(s); first: {first}", errors.len()),
                    );
                    p.notes = errors;
                    return Err(p);
                }
            }
        }
        Ok(())
    }

    /// Waits until every assertion holds, judging what the page shows with the one judge.
    async fn see(&self, asserts: &[BrowserAssert], wait: Duration, cx: &mut StepContext<'_>) -> Result<(), Problem> {
        let deadline = Instant::now() + wait;
        let mut pause = Duration::from_millis(50);
        loop {
            let mut verdict = judge::Verdict::default();
            for a in asserts {
                // An element that went stale mid-read (the page is changing) is "not yet".
                let actual = match self.observe(&a.subject).await {
                    Ok(v) => v,
                    Err(p) if p.type_ == ProblemType::Element => None,
                    Err(p) => return Err(p),
                };
                verdict.add(a.pos, a.subject.to_string(), judge::eval(&a.pred, actual.as_ref(), cx.captures, false));
                if !verdict.findings.is_empty() {
                    break;
                }
            }
            if verdict.findings.is_empty() {
                for l in &verdict.log {
                    let _ = writeln!(cx.log, "{l}");
                }
                return Ok(());
            }
            if Instant::now() + pause > deadline {
                let mut p = Problem::findings(verdict.findings);
                p.waited = Some(wait);
                p.page = self.page_url().await;
                return Err(p);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 3 / 2).min(Duration::from_millis(500));
        }
    }

    /// The current value of what an assertion looks at; `None` when there is nothing.
    async fn observe(&self, s: &Subject) -> Result<Option<Json>, Problem> {
        Ok(match s {
            Subject::Text(t) => match self.client_find_first(t).await? {
                Some(el) => Some(Json::String(judge::normalize_ws(&self.wd("text", el.text()).await?))),
                None => None,
            },
            Subject::Visible(t) => {
                let mut visible = false;
                for el in self.wd("find element", self.client.find_all(Self::locator(t))).await? {
                    if self.wd("is displayed", el.is_displayed()).await.unwrap_or(false) {
                        visible = true;
                        break;
                    }
                }
                Some(Json::Bool(visible))
            }
            Subject::Count(t) => {
                Some(Json::from(self.wd("find element", self.client.find_all(Self::locator(t))).await?.len()))
            }
            Subject::Attr(t, a) => match self.client_find_first(t).await? {
                Some(el) => self.wd("attribute", el.attr(a)).await?.map(Json::String),
                None => None,
            },
            Subject::PageText => {
                let body = self.wd("find element", self.client.find_all(Locator::Css("body"))).await?;
                match body.first() {
                    Some(b) => Some(Json::String(judge::normalize_ws(&self.wd("text", b.text()).await?))),
                    None => Some(Json::String(String::new())),
                }
            }
            Subject::Title => Some(Json::String(self.wd("title", self.client.title()).await?)),
            Subject::Url => Some(Json::String(self.wd("current url", self.client.current_url()).await?.to_string())),
        })
    }

    async fn client_find_first(&self, t: &Target) -> Result<Option<fantoccini::elements::Element>, Problem> {
        Ok(self.wd("find element", self.client.find_all(Self::locator(t))).await?.into_iter().next())
    }

    /// The page the browser is on, if it can say.
    pub async fn page_url(&self) -> Option<String> {
        self.wd("current url", self.client.current_url()).await.ok().map(|u| u.to_string())
    }

    /// Copies the suite's HTTP cookies for this URL into the browser (an HTTP login carries
    /// over). Returns whether any were copied.
    async fn import_cookies(&self, jar: &reqwest::cookie::Jar, url: &reqwest::Url) -> Result<bool, Problem> {
        use reqwest::cookie::CookieStore;
        let Some(header) = jar.cookies(url) else { return Ok(false) };
        let Ok(text) = header.to_str() else { return Ok(false) };
        let mut any = false;
        for pair in text.split(';') {
            if let Some((n, v)) = pair.trim().split_once('=') {
                // Host-only (no domain): what Chrome accepts also for IP addresses.
                let cmd = ExtraCommand::AddCookie(json!({ "cookie": { "name": n, "value": v, "path": "/" } }));
                self.wd("add cookie", self.client.issue_cmd(cmd)).await?;
                any = true;
            }
        }
        Ok(any)
    }

    /// Copies the browser's cookies into the suite's jar, so later HTTP steps act as the same
    /// user.
    pub async fn export_cookies(&self, jar: &reqwest::cookie::Jar, redactor: &Redactor) {
        if !self.navigated {
            return;
        }
        let Ok(url) = self.wd("current url", self.client.current_url()).await else { return };
        let Ok(cookies) = self.wd("get cookies", self.client.get_all_cookies()).await else { return };
        let Ok(url) = reqwest::Url::parse(url.as_str()) else { return };
        for c in cookies {
            redactor.add(c.value());
            jar.add_cookie_str(&format!("{}={}; Path={}", c.name(), c.value(), c.path().unwrap_or("/")), &url);
        }
    }

    /// Sends a local file to a remote (Selenium Grid) node, which cannot read ours: zipped,
    /// base64-encoded, to `/session/{id}/se/file`. Returns the path on the node.
    async fn push_file(&self, path: &Path) -> Result<String, Problem> {
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|e| Problem::error(ProblemType::Request, format!("cannot read {}: {e}", path.display())))?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "upload".into());
        let zipped = zip_one(&name, &bytes).map_err(|e| {
            Problem::error(ProblemType::Browser, format!("cannot zip {name} for the remote browser: {e}"))
        })?;
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(zipped);
        let v = self.wd("upload file to the grid", self.client.issue_cmd(ExtraCommand::File(b64))).await?;
        v.as_str().map(str::to_string).ok_or_else(|| {
            Problem::error(
                ProblemType::Browser,
                "the WebDriver server did not return a path for the uploaded file (is it Selenium Grid 4?)",
            )
        })
    }

    async fn console(&self) -> Result<Vec<Json>, Problem> {
        let v = self.wd("read console", self.client.issue_cmd(ExtraCommand::Log)).await?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }

    /// A screenshot with the inputs that hold secrets hidden for the moment it is taken.
    async fn screenshot(&self) -> Result<Vec<u8>, Problem> {
        if self.has_secret_inputs {
            self.wd("hide secrets", self.client.execute(HIDE_SECRETS, Vec::new())).await?;
        }
        let png = self.wd("screenshot", self.client.screenshot()).await;
        if self.has_secret_inputs {
            let _ = self.wd("show inputs", self.client.execute(UNHIDE_SECRETS, Vec::new())).await;
        }
        png
    }

    async fn save_screenshot(&self, cx: &StepContext<'_>, name: &str) -> Option<PathBuf> {
        let png = self.screenshot().await.ok()?;
        let path = cx.artifacts.join(format!("{name}.png"));
        std::fs::create_dir_all(cx.artifacts).ok()?;
        std::fs::write(&path, png).ok()?;
        Some(path)
    }

    /// On failure: a screenshot, the page HTML (password and secret inputs blanked, secrets
    /// masked) and the URL. Returns the files, the screenshot first.
    pub async fn failure_artifacts(&self, dir: &Path, redactor: &Redactor) -> Vec<PathBuf> {
        let mut out = Vec::new();
        if std::fs::create_dir_all(dir).is_err() {
            return out;
        }
        let _ = self.wd("blank secrets", self.client.execute(BLANK_SECRETS, Vec::new())).await;
        if let Ok(png) = self.screenshot().await {
            let p = dir.join("failure.png");
            if std::fs::write(&p, png).is_ok() {
                out.push(p);
            }
        }
        if let Ok(html) = self.wd("page source", self.client.source()).await {
            let p = dir.join("page.html");
            if std::fs::write(&p, redactor.redact(&html)).is_ok() {
                out.push(p);
            }
        }
        if let Ok(url) = self.wd("current url", self.client.current_url()).await {
            let p = dir.join("url.txt");
            if std::fs::write(&p, redactor.redact(url.as_str()) + "\n").is_ok() {
                out.push(p);
            }
        }
        out
    }
}

/// Marks an input that was filled with a secret (the element is the script's argument).
const MARK_SECRET: &str = "arguments[0].setAttribute('data-shakedown-secret', '1');";
/// Hides the inputs whose values must never be seen for a screenshot, keeping what the page holds.
const HIDE_SECRETS: &str = "document.querySelectorAll('[data-shakedown-secret], input[type=password]').forEach(e => { e.dataset.shakedownStyle = e.getAttribute('style') || ''; e.style.setProperty('color', 'transparent', 'important'); e.style.setProperty('-webkit-text-security', 'disc', 'important'); e.style.setProperty('text-shadow', 'none', 'important'); });";
const UNHIDE_SECRETS: &str = "document.querySelectorAll('[data-shakedown-style]').forEach(e => { e.setAttribute('style', e.dataset.shakedownStyle); delete e.dataset.shakedownStyle; });";
/// Empties them for good, before the page is saved after a failure.
const BLANK_SECRETS: &str = "document.querySelectorAll('[data-shakedown-secret], input[type=password]').forEach(e => { e.value = ''; e.setAttribute('value', ''); });";

fn key_name(k: &str) -> String {
    use fantoccini::key::Key;
    let c = k.chars().next().unwrap_or(' ');
    let named = [(Key::Enter, "Enter"), (Key::Tab, "Tab"), (Key::Escape, "Escape"), (Key::Backspace, "Backspace")];
    named.iter().find(|(key, _)| char::from(*key) == c).map(|(_, n)| n.to_string()).unwrap_or_else(|| format!("{k:?}"))
}

/// Sorts a WebDriver failure: a crashed or vanished browser or driver is an error, an element
/// the page does not have is a failure of the page.
fn classify(what: &str, e: &fantoccini::error::CmdError) -> Problem {
    use fantoccini::error::CmdError;
    let text = first_line(&e.to_string());
    let lower = text.to_ascii_lowercase();
    match e {
        CmdError::Failed(_) | CmdError::FailedC(_) | CmdError::Lost(_) => Problem::error(
            ProblemType::Driver,
            format!("lost the connection to the WebDriver server during `{what}`: {text}"),
        ),
        _ if lower.contains("could not be reached") => Problem::error(
            ProblemType::Driver,
            format!("lost the connection to the WebDriver server during `{what}`: {text}"),
        ),
        _ if lower.contains("no such element") || lower.contains("stale element") => {
            Problem::failure(ProblemType::Element, format!("`{what}`: {text}"))
        }
        _ if lower.contains("invalid session")
            || lower.contains("session deleted")
            || lower.contains("not reachable")
            || lower.contains("disconnected")
            || lower.contains("crash")
            || lower.contains("target window already closed") =>
        {
            Problem::error(
                ProblemType::BrowserCrash,
                format!("the browser crashed or went away during `{what}`: {text}"),
            )
        }
        _ if lower.contains("element not interactable") || lower.contains("element click intercepted") => {
            Problem::failure(ProblemType::Element, format!("`{what}`: {text}"))
        }
        _ if lower.contains("javascript error") => Problem::failure(ProblemType::Script, format!("`{what}`: {text}")),
        _ => Problem::error(ProblemType::Browser, format!("`{what}` failed: {text}")),
    }
}

/// Commands fantoccini does not send the way we need: two that Chrome and Selenium Grid
/// understand beyond W3C WebDriver, and adding a host-only cookie (fantoccini always sends a
/// `domain`, which chromedriver rejects when it is null).
#[derive(Debug)]
enum ExtraCommand {
    /// `POST /session/{id}/cookie`.
    AddCookie(Json),
    /// `POST /session/{id}/se/file`: a zipped, base64-encoded file for a remote node.
    File(String),
    /// `POST /session/{id}/se/log`: the browser console (Chrome).
    Log,
}

impl fantoccini::wd::WebDriverCompatibleCommand for ExtraCommand {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        let sid = session_id.unwrap_or("");
        let path = match self {
            ExtraCommand::File(_) => format!("session/{sid}/se/file"),
            ExtraCommand::Log => format!("session/{sid}/se/log"),
            ExtraCommand::AddCookie(_) => format!("session/{sid}/cookie"),
        };
        base_url.join(&path)
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        let body = match self {
            ExtraCommand::File(b64) => json!({ "file": b64 }),
            ExtraCommand::Log => json!({ "type": "browser" }),
            ExtraCommand::AddCookie(c) => c.clone(),
        };
        (http::Method::POST, Some(body.to_string()))
    }
}

fn zip_one(name: &str, bytes: &[u8]) -> zip::result::ZipResult<Vec<u8>> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        w.start_file(name, opts)?;
        w.write_all(bytes)?;
        w.finish()?;
    }
    Ok(buf.into_inner())
}

/// A folder name for a check's artifacts.
pub fn slug(s: &str) -> String {
    let mut out: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    out.trim_matches('-').chars().take(60).collect()
}
