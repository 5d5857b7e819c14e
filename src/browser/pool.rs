//! The run's browsers: one driver, a bounded pool of sessions, a fresh session per check, and
//! every session closed on every path.

use super::driver::{LocalDriver, find_program};
use super::session::Session;
use super::wire::first_line;
use super::{BrowserConfig, BrowserKind, BrowserOptions, CHROME_ARGS};
use crate::result::{Problem, ProblemType};
use crate::suite::Suite;
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Where a new session is asked for, and with what.
struct SessionTarget {
    endpoint: String,
    remote: bool,
    /// The fresh profile folder of a local Chromium, removed with the session.
    profile: Option<tempfile::TempDir>,
    caps: Json,
}

pub(super) enum DriverState {
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
    pub(super) async fn chrome_endpoint(&self) -> Result<(String, bool), String> {
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
        let target = match opts.kind {
            BrowserKind::Chrome => self.chrome(opts).await?,
            BrowserKind::Firefox => self.firefox(id, opts).await?,
        };
        let client = match self.connect(&target).await {
            Ok(c) => c,
            Err(p) => {
                self.stop_extra(id).await;
                return Err(p);
            }
        };
        if let Ok(mut open) = self.open.lock() {
            open.insert(id, client.clone());
        }
        Ok(Session {
            id,
            client,
            _slot: slot,
            _profile: target.profile,
            remote: target.remote,
            kind: opts.kind,
            wait: opts.timeout.unwrap_or(Duration::from_secs(5)),
            cmd_timeout: self.cfg.command_timeout,
            has_secret_inputs: false,
            navigated: false,
            // Set before the first page load.
            page_load: Duration::ZERO,
            abandoned: std::sync::atomic::AtomicBool::new(false),
            shots: 0,
            every_step_shots: self.cfg.screenshot_every_step,
        })
    }

    /// Where and how to start a Chromium session: headless, a fresh profile, the suite's and
    /// the command line's arguments.
    async fn chrome(&self, opts: &BrowserOptions) -> Result<SessionTarget, Problem> {
        let (endpoint, remote) = self.chrome_endpoint().await.map_err(|e| Problem::error(ProblemType::Driver, e))?;
        let (w, h) = opts.window.unwrap_or((1280, 800));
        let mut args: Vec<String> = CHROME_ARGS.iter().map(|s| s.to_string()).collect();
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
        Ok(SessionTarget { endpoint, remote, profile, caps })
    }

    /// Where and how to start a Firefox session: a geckodriver of its own (it serves one
    /// session at a time) unless a remote endpoint is given.
    async fn firefox(&self, id: u64, opts: &BrowserOptions) -> Result<SessionTarget, Problem> {
        let (endpoint, remote) = match &self.cfg.webdriver_url {
            Some(u) => (u.trim_end_matches('/').to_string(), true),
            None => {
                let program = find_program(self.cfg.geckodriver.as_deref(), &["geckodriver"], &[]).ok_or_else(|| {
                    let why = "geckodriver was not found. Install Firefox and geckodriver, pass --geckodriver PATH, or use --webdriver-url";
                    Problem::error(ProblemType::Driver, why)
                })?;
                let d = LocalDriver::start(&program, &[], "geckodriver")
                    .await
                    .map_err(|e| Problem::error(ProblemType::Driver, e))?;
                let url = d.url.clone();
                self.extra_drivers.lock().await.insert(id, d);
                (url, false)
            }
        };
        let (w, h) = opts.window.unwrap_or((1280, 800));
        let mut args = vec!["-headless".to_string(), format!("--width={w}"), format!("--height={h}")];
        args.extend(opts.args.iter().cloned());
        args.extend(self.cfg.args.iter().cloned());
        let caps = json!({ "browserName": "firefox", "moz:firefoxOptions": { "args": args } });
        Ok(SessionTarget { endpoint, remote, profile: None, caps })
    }

    /// Asks the endpoint for a session, within a bounded time.
    async fn connect(&self, target: &SessionTarget) -> Result<Client, Problem> {
        let Json::Object(cap_map) = target.caps.clone() else {
            return Err(Problem::error(ProblemType::Browser, "internal: capabilities are not an object"));
        };
        let mut builder = ClientBuilder::rustls()
            .map_err(|e| Problem::error(ProblemType::Driver, format!("cannot set up the WebDriver client: {e}")))?;
        builder.capabilities(cap_map);
        let endpoint = &target.endpoint;
        match tokio::time::timeout(Duration::from_secs(60), builder.connect(endpoint)).await {
            Ok(Ok(c)) => Ok(c),
            Ok(Err(e)) => {
                let hint = if target.remote {
                    "check --webdriver-url and that the grid has a free node for this browser"
                } else {
                    "is Chromium installed (`apt-get install chromium`)? pass --browser-binary PATH if it is elsewhere"
                };
                let why = format!("the browser did not start: {}; {hint}", first_line(&e.to_string()));
                Err(Problem::error(ProblemType::Driver, why))
            }
            Err(_) => {
                Err(Problem::error(ProblemType::Driver, format!("no browser session from {endpoint} within 60s")))
            }
        }
    }

    pub(super) async fn stop_extra(&self, id: u64) {
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
        // A driver still busy with a call we gave up on may not answer soon: the browser is
        // stopped with the driver at the end of the run instead.
        let bound = if s.abandoned() { Duration::from_secs(1) } else { Duration::from_secs(5) };
        let _ = tokio::time::timeout(bound, client.close()).await;
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
