//! Screenshots and what a failure leaves behind, with secret inputs hidden or blanked.

use super::session::{AFTER_FAILURE, Session, StepContext};
use crate::redact::Redactor;
use crate::result::Problem;
use std::path::{Path, PathBuf};

impl Session {
    /// A screenshot with the inputs that hold secrets hidden for the moment it is taken.
    pub(super) async fn screenshot(&self) -> Result<Vec<u8>, Problem> {
        if self.has_secret_inputs {
            self.wd("hide secrets", self.client.execute(HIDE_SECRETS, Vec::new())).await?;
        }
        let png = self.wd("screenshot", self.client.screenshot()).await;
        if self.has_secret_inputs {
            let _ = self.wd("show inputs", self.client.execute(UNHIDE_SECRETS, Vec::new())).await;
        }
        png
    }

    pub(super) async fn save_screenshot(&self, cx: &StepContext<'_>, name: &str) -> Option<PathBuf> {
        let png = self.screenshot().await.ok()?;
        let path = cx.artifacts.join(format!("{name}.png"));
        std::fs::create_dir_all(cx.artifacts).ok()?;
        std::fs::write(&path, png).ok()?;
        Some(path)
    }

    /// On failure: a screenshot, the page HTML (password and secret inputs blanked, secrets
    /// masked), the URL, and with BiDi the network log (`network.har`, secrets masked).
    /// Returns the files, the screenshot first. Nothing is asked of a browser that left a call
    /// unanswered, and all of it shares one short budget: the browser may be why the check
    /// failed. The network log needs nothing of the browser, so it is always written.
    pub async fn failure_artifacts(&self, dir: &Path, redactor: &Redactor) -> Vec<PathBuf> {
        let mut out = Vec::new();
        if std::fs::create_dir_all(dir).is_err() {
            return out;
        }
        if !self.abandoned() {
            let _ = tokio::time::timeout(AFTER_FAILURE, self.save_failure(dir, redactor, &mut out)).await;
        }
        out.extend(self.save_har(dir, redactor));
        out
    }

    async fn save_failure(&self, dir: &Path, redactor: &Redactor, out: &mut Vec<PathBuf>) {
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
    }
}

/// Marks an input that was filled with a secret (the element is the script's argument).
pub(super) const MARK_SECRET: &str = "arguments[0].setAttribute('data-shakedown-secret', '1');";
/// Hides the inputs whose values must never be seen for a screenshot, keeping what the page holds.
pub(super) const HIDE_SECRETS: &str = "document.querySelectorAll('[data-shakedown-secret], input[type=password]').forEach(e => { e.dataset.shakedownStyle = e.getAttribute('style') || ''; e.style.setProperty('color', 'transparent', 'important'); e.style.setProperty('-webkit-text-security', 'disc', 'important'); e.style.setProperty('text-shadow', 'none', 'important'); });";
pub(super) const UNHIDE_SECRETS: &str = "document.querySelectorAll('[data-shakedown-style]').forEach(e => { e.setAttribute('style', e.dataset.shakedownStyle); delete e.dataset.shakedownStyle; });";
/// Empties them for good, before the page is saved after a failure.
pub(super) const BLANK_SECRETS: &str = "document.querySelectorAll('[data-shakedown-secret], input[type=password]').forEach(e => { e.value = ''; e.setAttribute('value', ''); });";
