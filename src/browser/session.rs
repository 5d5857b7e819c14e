//! One browser session, for one check: bounded WebDriver calls, finding elements, cookies
//! across the HTTP jar, files for a remote node.

use super::wire::{ExtraCommand, classify, zip_one};
use super::{BrowserKind, BrowserStep, How, Target};
use crate::redact::Redactor;
use crate::result::{Problem, ProblemType};
use crate::suite::Suite;
use fantoccini::{Client, Locator};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::OwnedSemaphorePermit;

/// One browser session, for one check.
pub struct Session {
    pub(super) id: u64,
    pub(super) client: Client,
    pub(super) _slot: OwnedSemaphorePermit,
    pub(super) _profile: Option<tempfile::TempDir>,
    pub(super) remote: bool,
    pub(super) kind: BrowserKind,
    pub(super) wait: Duration,
    pub(super) cmd_timeout: Duration,
    /// Whether any input was filled with a secret (those inputs carry `data-shakedown-secret`
    /// and are hidden in screenshots and blanked in page dumps).
    pub(super) has_secret_inputs: bool,
    pub(super) navigated: bool,
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
        match tokio::time::timeout(self.cmd_timeout, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(classify(what, &e)),
            Err(_) => Err(Problem::error(
                ProblemType::Timeout,
                format!("the browser did not answer `{what}` within {}", crate::duration::human(self.cmd_timeout)),
            )),
        }
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
            let found = self.wd("find element", self.client.find_all(Self::locator(t))).await?;
            for el in found {
                if !visible || self.wd("is displayed", el.is_displayed()).await.unwrap_or(false) {
                    return Ok(el);
                }
                seen_hidden = true;
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

    pub(super) async fn client_find_first(&self, t: &Target) -> Result<Option<fantoccini::elements::Element>, Problem> {
        Ok(self.wd("find element", self.client.find_all(Self::locator(t))).await?.into_iter().next())
    }

    /// The page the browser is on, if it can say.
    pub async fn page_url(&self) -> Option<String> {
        self.wd("current url", self.client.current_url()).await.ok().map(|u| u.to_string())
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
        Ok(v.as_array().cloned().unwrap_or_default())
    }
}
