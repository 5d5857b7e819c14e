//! The run's browsers: one driver, a bounded pool of sessions, a fresh browser profile per
//! check, and every session closed on every path.
//!
//! A local Chromium is kept for the whole run, one per pool slot, and each check gets a fresh
//! WebDriver BiDi user context in it (its own cookies, storage and cache), removed when the
//! check ends. Where that is not to be had (Firefox, a remote endpoint, a driver without BiDi,
//! any error on the way) a check gets a session, and a browser, of its own, as before: never a
//! context another check used.

use super::bidi::{Bidi, UserContext};
use super::driver::{LocalDriver, find_program};
use super::eyes::Eyes;
use super::journal::Scope;
use super::session::Session;
use super::wire::{ExtraCommand, first_line};
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

/// A local Chromium session kept between checks, with no check's context open in it.
struct Warm {
    id: u64,
    client: Client,
    profile: Option<tempfile::TempDir>,
    bidi: Arc<Bidi>,
    /// The session's first window, in the default context, which keeps the session open.
    home: fantoccini::wd::WindowHandle,
    /// What the browser was started with (the suite's window size and arguments).
    key: String,
    /// Whether it ever gave a check a user context of its own (its first check has its default
    /// context).
    gave_context: bool,
}

impl Warm {
    /// A check's lease of `context` in this browser.
    fn lease(&self, context: UserContext) -> Lease {
        Lease { bidi: self.bidi.clone(), context, home: self.home.clone(), key: self.key.clone() }
    }
}

/// A check's user context in a kept Chromium, given back to the pool when the check ends.
pub(super) struct Lease {
    bidi: Arc<Bidi>,
    context: UserContext,
    home: fantoccini::wd::WindowHandle,
    key: String,
}

impl Lease {
    /// Whether it is the browser's own default context, which only the browser's first check
    /// is given (its profile is as fresh as a new user context's): it cannot be removed, so it
    /// is left idle.
    fn is_default(&self) -> bool {
        self.context.id == DEFAULT_CONTEXT
    }
}

/// The id of a browser's default user context (WebDriver BiDi).
const DEFAULT_CONTEXT: &str = "default";

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
    /// Local Chromium sessions between checks (also in `open`, so that shutdown closes them).
    idle: std::sync::Mutex<Vec<Warm>>,
    /// Set when the driver could not give a session a BiDi user context: from then on each
    /// check gets a session of its own.
    no_contexts: std::sync::atomic::AtomicBool,
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
            idle: std::sync::Mutex::new(Vec::new()),
            no_contexts: std::sync::atomic::AtomicBool::new(false),
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
        let opts = &suite.browser;
        if self.cfg.reuse_browsers
            && opts.kind == BrowserKind::Chrome
            && self.cfg.webdriver_url.is_none()
            && !self.no_contexts.load(Ordering::SeqCst)
            && let Some((warm, lease)) = self.lease(opts).await
        {
            let (id, client, profile) = (warm.id, warm.client, warm.profile);
            let eyes = lease.bidi.watching().then(|| {
                let scope =
                    Scope { tab: Some(lease.context.tab.clone()), user_context: Some(lease.context.id.clone()) };
                Eyes::new(lease.bidi.clone(), scope)
            });
            let mut s = self.session(opts, (id, client, slot), profile, Some(lease), false);
            s.eyes = eyes;
            return Ok(s);
        }
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let mut target = match opts.kind {
            BrowserKind::Chrome => self.chrome(opts).await?,
            BrowserKind::Firefox => self.firefox(id, opts).await?,
        };
        // The console and the network as BiDi events, from our own driver.
        if !target.remote {
            target.caps["webSocketUrl"] = json!(true);
        }
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
        let eyes = if target.remote { None } else { self.watch(&client).await };
        let mut s = self.session(opts, (id, client, slot), target.profile, None, target.remote);
        s.eyes = eyes.map(|b| Eyes::new(b, Scope::default()));
        Ok(s)
    }

    /// A BiDi connection to a session's browser that keeps its console and network events,
    /// if the driver offers one; `None` otherwise (the session works without).
    async fn watch(&self, client: &Client) -> Option<Arc<Bidi>> {
        let bound = self.cfg.command_timeout.min(Duration::from_secs(10));
        let url = client.capabilities().and_then(|c| c.get("webSocketUrl")).and_then(Json::as_str)?.to_string();
        let bidi = Bidi::connect(&url, bound).await.ok()?;
        bidi.watch(bound).await.ok()?;
        Some(Arc::new(bidi))
    }

    /// A check's session on a browser it has (its own, or a user context in a kept one).
    fn session(
        &self,
        opts: &BrowserOptions,
        (id, client, slot): (u64, Client, tokio::sync::OwnedSemaphorePermit),
        profile: Option<tempfile::TempDir>,
        lease: Option<Lease>,
        remote: bool,
    ) -> Session {
        Session {
            id,
            client,
            _slot: slot,
            profile,
            lease,
            eyes: None,
            remote,
            kind: opts.kind,
            wait: opts.timeout.unwrap_or(Duration::from_secs(5)),
            cmd_timeout: self.cfg.command_timeout,
            has_secret_inputs: false,
            navigated: false,
            // Set before the first page load.
            page_load: Duration::ZERO,
            abandoned: std::sync::atomic::AtomicBool::new(false),
            cookies_unread: std::sync::atomic::AtomicBool::new(false),
            shots: 0,
            every_step_shots: self.cfg.screenshot_every_step,
        }
    }

    /// A kept local Chromium for this suite's options (started when there is none free) with a
    /// fresh user context open and current in it; `None` when that cannot be had (the check
    /// then gets a session of its own).
    async fn lease(&self, opts: &BrowserOptions) -> Option<(Warm, Lease)> {
        let key = format!("{:?} {:?}", opts.window, opts.args);
        let (reuse, evict) = match self.idle.lock() {
            Ok(mut idle) => {
                let reuse = idle.iter().position(|w| w.key == key).map(|i| idle.swap_remove(i));
                // A kept browser started for other options gives its place to this one, so
                // that no more browsers run than the pool has slots.
                let evict = if reuse.is_none() { idle.pop() } else { None };
                (reuse, evict)
            }
            Err(_) => return None,
        };
        if let Some(w) = evict {
            self.close_warm(w).await;
        }
        if let Some(w) = reuse {
            match self.open_context(w).await {
                Ok(leased) => return Some(leased),
                Err(w) => {
                    // A kept browser that gave contexts before has gone wrong since (crashed,
                    // say) and is replaced; one that never gave one shows that the driver
                    // cannot: checks get sessions of their own from now on.
                    let never = !w.gave_context;
                    self.close_warm(w).await;
                    if never {
                        self.no_contexts.store(true, Ordering::SeqCst);
                        return None;
                    }
                }
            }
        }
        let warm = self.start_warm(opts, key).await?;
        // A browser just started has a fresh profile of its own: its first check runs in it
        // rather than in a new user context (a tab and a renderer fewer, about 0.2 s).
        // (Should the driver give no user contexts, the next check finds out, and this browser
        // is replaced by a new one for it, whose first check it is.)
        let context = UserContext { id: DEFAULT_CONTEXT.to_string(), tab: String::from(warm.home.clone()) };
        if let Ok(mut j) = warm.bidi.journal.lock() {
            j.clear();
        }
        let lease = warm.lease(context);
        Some((warm, lease))
    }

    /// Opens a fresh user context in a kept browser and makes its tab the session's current
    /// window; gives the browser back when that fails.
    async fn open_context(&self, warm: Warm) -> Result<(Warm, Lease), Warm> {
        let bound = self.cfg.command_timeout.min(Duration::from_secs(10));
        let Ok(context) = warm.bidi.open_context(bound).await else { return Err(warm) };
        let switched = match fantoccini::wd::WindowHandle::try_from(context.tab.clone()) {
            Ok(tab) => tokio::time::timeout(bound, warm.client.switch_to_window(tab)).await.is_ok_and(|r| r.is_ok()),
            Err(_) => false,
        };
        if !switched {
            let _ = warm.bidi.close_context(&context.id, bound).await;
            return Err(warm);
        }
        // The console log is the driver's, for the session: what the last check's pages
        // logged is read away here, so that this check sees only its own.
        let _ = tokio::time::timeout(bound, warm.client.issue_cmd(ExtraCommand::Log)).await;
        // What the last check's context did is not this one's.
        if let Ok(mut j) = warm.bidi.journal.lock() {
            j.clear();
        }
        let lease = warm.lease(context);
        Ok((warm, lease))
    }

    /// Starts a local Chromium session with BiDi, to be kept for the run.
    async fn start_warm(&self, opts: &BrowserOptions, key: String) -> Option<Warm> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let mut target = self.chrome(opts).await.ok()?;
        target.caps["webSocketUrl"] = json!(true);
        let client = self.connect(&target).await.ok()?;
        if let Ok(mut open) = self.open.lock() {
            open.insert(id, client.clone());
        }
        let bound = self.cfg.command_timeout.min(Duration::from_secs(10));
        let ws = client.capabilities().and_then(|c| c.get("webSocketUrl")).and_then(Json::as_str).map(str::to_string);
        let bidi = match ws {
            Some(url) => Bidi::connect(&url, bound).await.ok(),
            None => None,
        };
        // Without the events the kept browser still gives contexts; its checks have no eyes.
        if let Some(b) = &bidi {
            let _ = b.watch(bound).await;
        }
        let home = tokio::time::timeout(bound, client.window()).await.ok().and_then(Result::ok);
        let (Some(bidi), Some(home)) = (bidi, home) else {
            self.no_contexts.store(true, Ordering::SeqCst);
            self.forget(id);
            let _ = tokio::time::timeout(Duration::from_secs(5), client.close()).await;
            return None;
        };
        Some(Warm { id, client, profile: target.profile, bidi: Arc::new(bidi), home, key, gave_context: false })
    }

    fn forget(&self, id: u64) {
        if let Ok(mut open) = self.open.lock() {
            open.remove(&id);
        }
    }

    /// Ends a kept session and its browser.
    async fn close_warm(&self, w: Warm) {
        self.forget(w.id);
        let _ = tokio::time::timeout(Duration::from_secs(5), w.client.close()).await;
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

    /// Ends a session, within a bounded time; its slot is free afterwards. A check's user
    /// context is removed and its browser kept for the next check; when that fails the
    /// session is ended with its browser.
    pub async fn close(&self, mut s: Session) {
        if let Some(lease) = s.lease.take()
            && !s.abandoned()
        {
            let bound = self.cfg.command_timeout.min(Duration::from_secs(5));
            let default = lease.is_default();
            let removed = if default {
                lease.bidi.idle_default(&lease.context.tab, bound).await.is_ok()
            } else {
                lease.bidi.close_context(&lease.context.id, bound).await.is_ok()
            };
            // The session's current window may now be a closed tab: the next check's
            // `open_context` switches to its own before any WebDriver command.
            if removed && let Ok(mut idle) = self.idle.lock() {
                idle.push(Warm {
                    id: s.id,
                    client: s.client.clone(),
                    profile: s.profile.take(),
                    bidi: lease.bidi,
                    home: lease.home,
                    key: lease.key,
                    gave_context: !default,
                });
                // The slot is free once the browser is back in the pool.
                drop(s);
                return;
            }
        }
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
        let idle: Vec<Warm> = match self.idle.lock() {
            Ok(mut i) => i.drain(..).collect(),
            Err(_) => Vec::new(),
        };
        if let DriverState::Running(mut d) = std::mem::replace(&mut *self.driver.lock().await, DriverState::NotStarted)
        {
            d.stop().await;
        }
        let extra: Vec<LocalDriver> = self.extra_drivers.lock().await.drain().map(|(_, d)| d).collect();
        for mut d in extra {
            d.stop().await;
        }
        // Their profile folders go once their browsers are stopped.
        drop(idle);
    }
}
