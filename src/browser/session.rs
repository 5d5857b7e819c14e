//! One check's browser session (its own, or a kept one in a user context of the check's own):
//! bounded WebDriver calls, finding elements, cookies across the HTTP jar, files for a remote
//! node.

use super::wire::{ExtraCommand, classify, navigation_problem, zip_one};
use super::{BrowserKind, BrowserStep, How, Target};
use crate::redact::Redactor;
use crate::result::{Problem, ProblemType};
use crate::suite::Suite;
use fantoccini::{Client, Locator};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::OwnedSemaphorePermit;

/// What the page is: where the document came from, whether it has loaded, and the error code
/// when the browser shows its own error page instead of the target's.
pub(super) const PAGE_STATE: &str = "var e = document.querySelector('.error-code'); \
return [String(document.documentURI), String(document.readyState), e ? String(e.textContent) : ''];";

/// The elements `arguments[1]` matches as a CSS selector, or as an XPath when `arguments[0]`
/// (7: an ordered snapshot), and when `arguments[2]`, for each whether it is surely displayed.
/// It throws on a selector that is not valid or an XPath that finds something other than an
/// element: WebDriver is then asked, and says what is wrong.
///
/// "Surely displayed" is narrower than WebDriver's "is displayed", never wider: an element
/// with a box whose centre, inside the window, hits it or what it holds (so it is rendered,
/// not clipped away and not `visibility: hidden`), that is visible itself and under no
/// ancestor of opacity 0. What it does not say is displayed is asked of WebDriver.
const FIND_ALL: &str = "var els;
if (!arguments[0]) { els = Array.prototype.slice.call(document.querySelectorAll(arguments[1])); } else {
  var r = document.evaluate(arguments[1], document, null, 7, null); els = [];
  for (var i = 0; i < r.snapshotLength; i++) {
    var n = r.snapshotItem(i);
    if (n.nodeType !== 1) throw new Error('not an element');
    els.push(n);
  }
}
if (!arguments[2]) return [els, []];
var sure = function (e) {
  var tag = e.localName;
  if (['option', 'optgroup', 'noscript', 'area', 'map'].indexOf(tag) >= 0) return false;
  if (tag === 'input' && String(e.type).toLowerCase() === 'hidden') return false;
  var b = e.getBoundingClientRect();
  if (!(b.width > 0 && b.height > 0)) return false;
  var x = b.left + b.width / 2, y = b.top + b.height / 2;
  if (!(x >= 0 && y >= 0 && x < window.innerWidth && y < window.innerHeight)) return false;
  var hit = document.elementFromPoint(x, y);
  if (!hit || !(hit === e || e.contains(hit))) return false;
  if (getComputedStyle(e).visibility !== 'visible') return false;
  for (var a = e; a; a = a.parentElement) { if (parseFloat(getComputedStyle(a).opacity) === 0) return false; }
  return true;
};
return [els, els.map(sure)];";

/// What [`PAGE_STATE`] found.
pub(super) struct PageState {
    pub uri: String,
    pub complete: bool,
    pub error_code: String,
}

impl PageState {
    /// From what [`PAGE_STATE`] answers (its first three items).
    pub fn read(v: &Json) -> PageState {
        let field = |i: usize| v.get(i).and_then(Json::as_str).unwrap_or("").to_string();
        PageState { uri: field(0), complete: field(1) == "complete", error_code: field(2) }
    }

    /// The browser's own error page (Chromium `chrome-error://`, Firefox `about:neterror`,
    /// `about:certerror`): the target was never reached.
    pub fn is_error_page(&self) -> bool {
        self.uri.starts_with("chrome-error://")
            || self.uri.starts_with("about:neterror")
            || self.uri.starts_with("about:certerror")
    }
}

/// One check's browser session.
pub struct Session {
    pub(super) id: u64,
    pub(super) client: Client,
    pub(super) _slot: OwnedSemaphorePermit,
    /// The fresh profile folder of a local Chromium, removed with the browser.
    pub(super) profile: Option<tempfile::TempDir>,
    /// The check's own user context in a browser kept for the run, if it has one (else the
    /// session and its browser are the check's own).
    pub(super) lease: Option<super::pool::Lease>,
    /// The browser's console and network as WebDriver BiDi events, when the session has BiDi.
    pub(super) eyes: Option<super::eyes::Eyes>,
    pub(super) remote: bool,
    pub(super) kind: BrowserKind,
    pub(super) wait: Duration,
    pub(super) cmd_timeout: Duration,
    /// Whether any input was filled with a secret (those inputs carry `data-shakedown-secret`
    /// and are hidden in screenshots and blanked in page dumps).
    pub(super) has_secret_inputs: bool,
    pub(super) navigated: bool,
    /// How long the browser lets a page load before it stops loading it (the WebDriver
    /// `pageLoad` timeout as last set).
    pub(super) page_load: Duration,
    /// Set when a WebDriver call was given up (its time ran out, or the run was interrupted
    /// while it was under way): the driver may still be busy with it, so what comes after a
    /// failure is skipped and closing the session does not wait long.
    pub(super) abandoned: AtomicBool,
    /// Set after a step that may have changed the browser's cookies; they are read (two
    /// WebDriver calls) only when something needs them: an HTTP step, a failure, the check's end.
    pub(super) cookies_unread: AtomicBool,
    pub(super) shots: u32,
    pub every_step_shots: bool,
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
    pub(super) async fn wd<T>(
        &self,
        what: &str,
        fut: impl Future<Output = Result<T, fantoccini::error::CmdError>>,
    ) -> Result<T, Problem> {
        self.wd_within(self.cmd_timeout, what, fut).await
    }

    /// [`Session::wd`] with another bound.
    pub(super) async fn wd_within<T>(
        &self,
        bound: Duration,
        what: &str,
        fut: impl Future<Output = Result<T, fantoccini::error::CmdError>>,
    ) -> Result<T, Problem> {
        // Marks the session if this future is dropped before the call returns (an
        // interruption), or when the call's time runs out.
        let mut call = Call { abandoned: &self.abandoned, answered: false };
        match tokio::time::timeout(bound, fut).await {
            Ok(answer) => {
                call.answered = true;
                answer.map_err(|e| classify(what, &e))
            }
            Err(_) => Err(Problem::error(
                ProblemType::Timeout,
                format!("the browser did not answer `{what}` within {}", crate::duration::human(bound)),
            )),
        }
    }

    /// Runs a script of ours (a function body reading `arguments`) in the check's tab: over
    /// BiDi when the session has it and the tab is not between pages ([`Bidi::script`]), else
    /// with WebDriver's execute.
    ///
    /// [`Bidi::script`]: super::bidi::Bidi::script
    pub(super) async fn script(&self, what: &str, body: &str, args: Vec<Json>) -> Result<Json, Problem> {
        match self.bidi_script(what, body, &args).await? {
            Some(v) => Ok(v),
            None => self.wd(what, self.client.execute(body, args)).await,
        }
    }

    /// A script of ours over BiDi ([`Bidi::script`]): `None` when it is for WebDriver.
    ///
    /// [`Bidi::script`]: super::bidi::Bidi::script
    async fn bidi_script(&self, what: &str, body: &str, args: &[Json]) -> Result<Option<Json>, Problem> {
        let Some(eyes) = &self.eyes else { return Ok(None) };
        let tab = self.tab(eyes).await?;
        self.over_bidi(what, eyes.bidi.script(&tab, body, args, self.cmd_timeout)).await
    }

    /// Sets a file input's files over BiDi when the session has it and every path is a file
    /// here (the browser would not say that one is missing): `false` when that cannot be done,
    /// for WebDriver to do it (and to say why it cannot).
    pub(super) async fn bidi_set_files(
        &self,
        el: &fantoccini::elements::Element,
        paths: &[String],
    ) -> Result<bool, Problem> {
        let Some(eyes) = &self.eyes else { return Ok(false) };
        if self.remote || !paths.iter().all(|p| Path::new(p).is_file()) {
            return Ok(false);
        }
        let tab = self.tab(eyes).await?;
        let element = serde_json::to_value(el).unwrap_or(Json::Null);
        self.over_bidi("upload", eyes.bidi.set_files(&tab, &element, paths, self.cmd_timeout)).await
    }

    /// Clicks `el` over BiDi when the session has it, as WebDriver's element click would, in
    /// a third of its time (15 to 20 ms against 45 to 60 here):
    /// - our own script finds where the click lands: the centre of the element's first box in
    ///   the viewport (scrolled into view first when none of it is in view); what is there must
    ///   be the element or one inside it, else the click is intercepted, as WebDriver says;
    /// - the browser clicks there as a mouse does (trusted events);
    /// - when the page began to go elsewhere (a `navigate` event for another document that the
    ///   page neither stopped nor took over, a form submitted to this tab and not stopped, or
    ///   `form.submit()`, which fires no event), or the journal has seen a navigation start,
    ///   its page is waited for, as WebDriver's click waits. The page tells that at once; the
    ///   browser's own navigation events may come after the click's answer, and even
    ///   WebDriver, asked right then, can answer from the page being left.
    ///
    /// `Ok(None)` when it is for WebDriver: no BiDi, no Navigation API in the page (to watch
    /// it with), the tab between pages, or an element our script does not judge (an
    /// `<option>`, one in a shadow tree, none of it on screen).
    pub(super) async fn bidi_click(&self, el: &fantoccini::elements::Element) -> Result<Option<()>, Problem> {
        let Some(eyes) = &self.eyes else { return Ok(None) };
        let arg = serde_json::to_value(el).unwrap_or(Json::Null);
        let Some(spot) = self.bidi_script("click", CLICK_SPOT, &[arg]).await? else { return Ok(None) };
        let (Some(x), Some(y)) = (spot.get("x").and_then(Json::as_i64), spot.get("y").and_then(Json::as_i64)) else {
            return match spot.get("covered").and_then(Json::as_str) {
                Some(why) => {
                    Err(Problem::failure(ProblemType::Element, format!("`click`: element click intercepted: {why}")))
                }
                None => Ok(None),
            };
        };
        let tab = self.tab(eyes).await?;
        let mark = eyes.bidi.seq();
        if !self.over_bidi("click", eyes.bidi.pointer_click(&tab, x, y, self.cmd_timeout)).await? {
            // The mouse may have gone down: WebDriver clicking again could click twice.
            return Err(Problem::error(
                ProblemType::Browser,
                "`click` failed: the browser refused the pointer actions",
            ));
        }
        // `None`: the tab is already between pages.
        let after = self.bidi_script("click", CLICK_AFTER, &[]).await?;
        // A navigation the journal has already seen start is waited for, whatever the page said.
        if after.as_ref().and_then(Json::as_str) == Some("stays") && !eyes.bidi.navigation_since(&tab, mark).0 {
            return Ok(Some(()));
        }
        self.page_after_click(eyes, &tab, mark).await.map(Some)
    }

    /// Waits for the page a click began to open: its navigation must start (within 2 s: a
    /// form sent to a download, say, never does) and end (loaded, failed or given up) within
    /// the page load timeout, as WebDriver's click waits.
    async fn page_after_click(&self, eyes: &super::eyes::Eyes, tab: &str, mark: u64) -> Result<(), Problem> {
        let load = if self.page_load.is_zero() { self.cmd_timeout } else { self.page_load };
        let clicked = Instant::now();
        let (started_by, loaded_by) = (clicked + Duration::from_secs(2), clicked + load);
        loop {
            let (started, under_way) = eyes.bidi.navigation_since(tab, mark);
            if started && !under_way {
                return Ok(());
            }
            if !started && Instant::now() >= started_by {
                return Ok(());
            }
            if eyes.bidi.is_closed() {
                return Err(Problem::error(ProblemType::BrowserCrash, "the browser went away after `click`"));
            }
            if Instant::now() >= loaded_by {
                let why =
                    format!("the page the click opened did not finish loading within {}", crate::duration::human(load));
                return Err(Problem::error(ProblemType::Timeout, why));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Bounds a BiDi command of ours as [`Session::wd`] does a WebDriver one: its only error
    /// is having no answer within the command timeout, and the session is marked when that
    /// happens or the command is dropped before its answer (an interruption).
    async fn over_bidi<T>(&self, what: &str, fut: impl Future<Output = Result<T, String>>) -> Result<T, Problem> {
        let mut call = Call { abandoned: &self.abandoned, answered: false };
        let answer = fut.await;
        call.answered = answer.is_ok();
        answer.map_err(|_| {
            let why =
                format!("the browser did not answer `{what}` within {}", crate::duration::human(self.cmd_timeout));
            Problem::error(ProblemType::Timeout, why)
        })
    }

    /// The element with WebDriver id `id` (a BiDi shared id is one).
    pub(super) fn element(&self, id: &str) -> fantoccini::elements::Element {
        fantoccini::elements::Element::from_element_id(self.client.clone(), id.to_string().into())
    }

    /// The elements a target matches, in document order.
    pub(super) async fn find_all(&self, t: &Target) -> Result<Vec<fantoccini::elements::Element>, Problem> {
        Ok(self.candidates(t, false).await?.into_iter().map(|(el, _)| el).collect())
    }

    /// The elements a target matches, in document order, each with whether it is surely
    /// displayed (see [`FIND_ALL`]; only when `shown` is asked, else false). A CSS selector or
    /// an XPath is looked up by a script over BiDi when it can be, else (and for link text)
    /// with WebDriver, which also says what is wrong with a selector that is not valid.
    async fn candidates(&self, t: &Target, shown: bool) -> Result<Vec<(fantoccini::elements::Element, bool)>, Problem> {
        if t.how != How::LinkText {
            let args = [json!(t.how == How::XPath), json!(t.value), json!(shown)];
            if let Some(answer) = self.bidi_script("find element", FIND_ALL, &args).await?
                && let (Some(Json::Array(found)), Some(Json::Array(sure))) = (answer.get(0), answer.get(1))
            {
                let ids: Option<Vec<&str>> =
                    found.iter().map(|e| e.get(super::bidi::ELEMENT_KEY).and_then(Json::as_str)).collect();
                if let Some(ids) = ids {
                    let surely = |i: usize| sure.get(i).and_then(Json::as_bool).unwrap_or(false);
                    return Ok(ids.into_iter().enumerate().map(|(i, id)| (self.element(id), surely(i))).collect());
                }
            }
        }
        let found = self.wd("find element", self.client.find_all(Self::locator(t))).await?;
        Ok(found.into_iter().map(|el| (el, false)).collect())
    }

    /// Whether a WebDriver call was given up on (see `abandoned`).
    pub fn abandoned(&self) -> bool {
        self.abandoned.load(Ordering::SeqCst)
    }

    /// Where the page came from and whether it has loaded.
    pub(super) async fn page_state(&self) -> Result<PageState, Problem> {
        let v = self.script("read the page's state", PAGE_STATE, Vec::new()).await?;
        Ok(PageState::read(&v))
    }

    /// An error when the browser shows its own error page instead of `url`'s: the target could
    /// not be reached, typed like an HTTP transport error.
    pub(super) async fn check_not_error_page(&self, url: Option<&str>) -> Result<PageState, Problem> {
        let state = self.page_state().await?;
        self.not_error_page(state, url).await
    }

    /// [`Session::check_not_error_page`] on a state already read.
    pub(super) async fn not_error_page(&self, state: PageState, url: Option<&str>) -> Result<PageState, Problem> {
        if !state.is_error_page() {
            return Ok(state);
        }
        let code = match state.error_code.trim() {
            "" => state.uri.clone(),
            c => format!("net::{}", c.trim_start_matches("net::").trim_start_matches("NET::")),
        };
        let url = match url {
            Some(u) => u.to_string(),
            None => self.page_url().await.unwrap_or_else(|| "the page".into()),
        };
        Err(navigation_problem(&url, &code))
    }

    pub(super) fn locator(t: &Target) -> Locator<'_> {
        match t.how {
            How::Css => Locator::Css(&t.value),
            How::XPath => Locator::XPath(&t.value),
            How::LinkText => Locator::LinkText(&t.value),
        }
    }

    /// Waits until an element matches (and is displayed, when `visible`).
    pub(super) async fn find(
        &self,
        t: &Target,
        visible: bool,
        wait: Duration,
    ) -> Result<fantoccini::elements::Element, Problem> {
        let mut poll = crate::poll::Poll::new(wait);
        let mut seen_hidden = false;
        loop {
            let found = self.candidates(t, visible).await?;
            for (el, surely_shown) in found {
                if !visible || surely_shown {
                    return Ok(el);
                }
                match self.wd("is displayed", el.is_displayed()).await {
                    Ok(true) => return Ok(el),
                    Ok(false) => seen_hidden = true,
                    // Gone stale while the page changes: not yet.
                    Err(p) if p.type_ == ProblemType::Element => {}
                    Err(p) => return Err(p),
                }
            }
            if !poll.next().await {
                let what = if seen_hidden { "is not visible" } else { "matches nothing" };
                let why = format!("`{t}` {what} after {}", crate::duration::human(wait));
                return Err(Problem::failure(ProblemType::Element, why));
            }
        }
    }

    /// Runs one browser step.
    pub async fn run(&mut self, step: &BrowserStep, cx: &mut StepContext<'_>) -> Result<(), Problem> {
        let wait = step.timeout.unwrap_or(self.wait);
        let r = self.act(step, wait, cx).await;
        // Any step may have set cookies (a login, a click); they go to the HTTP jar before the
        // next HTTP step, a failure's artifacts or the check's end, not after every step.
        self.cookies_unread.store(true, Ordering::SeqCst);
        if self.every_step_shots && r.is_ok() {
            self.shots += 1;
            let name = format!("step-{:02}", self.shots);
            if let Some(p) = self.save_screenshot(cx, &name).await {
                cx.attachments.push(p);
            }
        }
        r
    }

    pub(super) async fn client_find_first(&self, t: &Target) -> Result<Option<fantoccini::elements::Element>, Problem> {
        Ok(self.find_all(t).await?.into_iter().next())
    }

    /// The page the browser is on, if it can say within a moment (it is for the report: a
    /// browser that is still busy loading a page does not hold the check up again).
    pub async fn page_url(&self) -> Option<String> {
        if self.abandoned() {
            return None;
        }
        let bound = self.cmd_timeout.min(AFTER_FAILURE);
        self.wd_within(bound, "current url", self.client.current_url()).await.ok().map(|u| u.to_string())
    }

    /// Copies the suite's HTTP cookies for this URL into the browser (an HTTP login carries
    /// over). Returns whether any were copied.
    pub(super) async fn import_cookies(&self, jar: &reqwest::cookie::Jar, url: &reqwest::Url) -> Result<bool, Problem> {
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

    /// Copies the browser's cookies into the suite's jar (when there is one to copy into), so
    /// later HTTP steps act as the same user, and tells the redactor the values to mask. Does
    /// nothing when no step ran since the last time.
    pub async fn export_cookies(&self, jar: Option<&reqwest::cookie::Jar>, redactor: &Redactor) {
        if !self.navigated || self.abandoned() || !self.cookies_unread.swap(false, Ordering::SeqCst) {
            return;
        }
        // The page's URL only for a jar to put the cookies in (a check with cookies of its own
        // has none): the redactor needs only their values.
        let url = match jar {
            Some(_) => match self.wd("current url", self.client.current_url()).await {
                Ok(u) => reqwest::Url::parse(u.as_str()).ok(),
                Err(_) => return,
            },
            None => None,
        };
        let Ok(cookies) = self.wd("get cookies", self.client.get_all_cookies()).await else { return };
        for c in cookies {
            redactor.add_cookie(c.name(), c.value(), c.http_only().unwrap_or(false));
            if let (Some(jar), Some(url)) = (jar, &url) {
                jar.add_cookie_str(&format!("{}={}; Path={}", c.name(), c.value(), c.path().unwrap_or("/")), url);
            }
        }
    }

    /// Sends a local file to a remote (Selenium Grid) node, which cannot read ours: zipped,
    /// base64-encoded, to `/session/{id}/se/file`. Returns the path on the node.
    pub(super) async fn push_file(&self, path: &Path) -> Result<String, Problem> {
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

    pub(super) async fn console(&self) -> Result<Vec<Json>, Problem> {
        let v = self.wd("read console", self.client.issue_cmd(ExtraCommand::Log)).await?;
        console_entries(v)
    }
}

/// How long what comes after a failure (the page's URL, the failure screenshot and page) may
/// take in all: the browser may be the reason the check failed.
pub(super) const AFTER_FAILURE: Duration = Duration::from_secs(5);

/// The console log's entries. Any other answer is an error: it cannot say "no errors".
fn console_entries(v: Json) -> Result<Vec<Json>, Problem> {
    match v {
        Json::Array(entries) => Ok(entries),
        other => {
            let shown: String = other.to_string().chars().take(200).collect();
            let why = format!("the browser's console log is not a list of entries, so it cannot be read: {shown}");
            Err(Problem::error(ProblemType::Browser, why))
        }
    }
}

/// A WebDriver call under way: when it ends without an answer, the session is marked.
struct Call<'a> {
    abandoned: &'a AtomicBool,
    answered: bool,
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        if !self.answered {
            self.abandoned.store(true, Ordering::SeqCst);
        }
    }
}

/// Where a click on `arguments[0]` lands, as WebDriver's element click finds it: the centre of
/// the element's first box, clipped to the viewport (scrolled into view first when none of it
/// is in view, or when something else is hit there: a scrolling box may clip it); the element
/// or one inside it must be what is hit there. `{x, y}`, `{covered}`
/// with what is hit instead, or `{}` for WebDriver to judge. With `{x, y}`, it starts watching
/// for the page going elsewhere, which [`CLICK_AFTER`] reads.
const CLICK_SPOT: &str = r#"var e = arguments[0];
if (!window.navigation || !e || !e.isConnected || e.getRootNode() !== document || e.tagName === 'OPTION' || e.closest('select')) return {};
function spot() {
  var r = e.getClientRects()[0];
  if (!r) return null;
  var w = document.documentElement.clientWidth || window.innerWidth, h = document.documentElement.clientHeight || window.innerHeight;
  var left = Math.max(0, r.left), right = Math.min(w, r.right), top = Math.max(0, r.top), bottom = Math.min(h, r.bottom);
  if (right <= left || bottom <= top) return null;
  return { x: Math.floor((left + right) / 2), y: Math.floor((top + bottom) / 2) };
}
function reaches(at) { var hit = document.elementFromPoint(at.x, at.y); return hit && (hit === e || e.contains(hit)) ? null : (hit || 'nothing'); }
var at = spot(), hit = at && reaches(at);
if (!at || hit) {
  // Not in view, or clipped by a scrolling box: scrolled into view, as WebDriver does.
  e.scrollIntoView({ behavior: 'instant', block: 'end', inline: 'nearest' });
  at = spot();
  if (!at) return {};
  hit = reaches(at);
}
if (hit) {
  var tag = function (n) { if (typeof n === 'string') return n; var t = n.outerHTML || String(n); var i = t.indexOf('>'); t = i < 0 ? t : t.slice(0, i + 1); return t.length > 200 ? t.slice(0, 199) + '…' : t; };
  return { covered: 'Element ' + tag(e) + ' is not clickable at point (' + at.x + ', ' + at.y + '). Other element would receive the click: ' + tag(hit) };
}
if (window.__shakedownClick) window.__shakedownClick.off();
var watch = { navigate: null, submit: null, sent: null, entry: navigation.currentEntry && navigation.currentEntry.key };
var onNavigate = function (ev) { if (!(ev.destination && ev.destination.sameDocument) && !ev.downloadRequest) watch.navigate = ev; };
var onSubmit = function (ev) { watch.submit = ev; };
// `form.submit()` sends a form without a `submit` event, and the browser leaves in a later task.
var proto = HTMLFormElement.prototype, submit = proto.submit;
proto.submit = function () { if (!watch.sent) watch.sent = this; return submit.apply(this, arguments); };
navigation.addEventListener('navigate', onNavigate);
window.addEventListener('submit', onSubmit, true);
watch.off = function () {
  navigation.removeEventListener('navigate', onNavigate);
  window.removeEventListener('submit', onSubmit, true);
  if (proto.submit !== submit) proto.submit = submit;
};
window.__shakedownClick = watch;
return at;"#;

/// After a click: `stays` when the page did not begin to go elsewhere, `leaves` when it did,
/// `gone` when this is already another document. A navigation the page stopped or took over
/// itself (a router on the Navigation API) stays.
const CLICK_AFTER: &str = r#"var w = window.__shakedownClick;
if (!w) return 'gone';
delete window.__shakedownClick;
w.off();
var n = w.navigate;
var entry = navigation.currentEntry && navigation.currentEntry.key;
if (n && !n.defaultPrevented && entry === w.entry) return 'leaves';
var attr = function (x, a) { return x && x.getAttribute(a); };
var here = function (f, b) {
  var method = (attr(b, 'formmethod') || attr(f, 'method') || 'get').toLowerCase();
  var base = document.querySelector('base[target]');
  var target = (attr(b, 'formtarget') || attr(f, 'target') || (base && base.getAttribute('target')) || '').toLowerCase();
  return method !== 'dialog' && (target === '' || target === '_self' || target === '_top' || target === '_parent');
};
var s = w.submit;
if (s && !s.defaultPrevented && s.target && s.target.tagName === 'FORM' && here(s.target, s.submitter)) return 'leaves';
if (w.sent && here(w.sent, null)) return 'leaves';
return 'stays';"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_console_answer_that_is_not_a_list_is_an_error() {
        for v in [Json::Null, json!({ "value": [] }), json!("log")] {
            let p = console_entries(v).expect_err("not a list must not read as no errors");
            assert_eq!(p.type_, ProblemType::Browser);
        }
        assert_eq!(console_entries(json!([{ "level": "SEVERE" }])).map(|e| e.len()).ok(), Some(1));
    }
}
