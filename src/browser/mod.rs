//! Browser checks over WebDriver: finding or starting a driver, a bounded pool of browsers
//! (a fresh user context, or a fresh session, per check), running browser steps, and saving
//! artifacts on failure.
//!
//! Every WebDriver call is bounded by a timeout (fantoccini has none of its own), and every
//! session and driver process is closed on every path, including interruption.

mod actions;
mod artifacts;
mod bidi;
mod driver;
mod eyes;
mod har;
mod journal;
mod pool;
mod see;
mod session;
mod wire;

pub use crate::suite::browser::*;
pub use pool::Browsers;
pub use session::{Session, StepContext};

use std::path::PathBuf;
use std::time::Duration;

/// Run-wide browser settings, from the command line.
#[derive(Clone, Debug)]
pub struct BrowserConfig {
    /// A W3C WebDriver endpoint (e.g. Selenium Grid); when absent a local driver is started.
    pub webdriver_url: Option<String>,
    pub chromedriver: Option<PathBuf>,
    pub geckodriver: Option<PathBuf>,
    /// The browser binary for a local driver (default: found on PATH).
    pub browser_binary: Option<PathBuf>,
    /// Checks with a browser at once (and local Chromiums kept for the run).
    pub max_sessions: usize,
    /// Extra browser arguments from the command line.
    pub args: Vec<String>,
    /// Keep a screenshot after every browser step, not only on failure.
    pub screenshot_every_step: bool,
    /// Bound on each WebDriver call.
    pub command_timeout: Duration,
    /// Keep a Chromium per slot and give each check a BiDi user context in it (the default);
    /// otherwise (`--browser-per-check`) each check gets a Chromium of its own.
    pub reuse_browsers: bool,
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
            reuse_browsers: true,
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

/// A readable folder name: lower-cased ASCII letters and digits, other characters as `-`.
/// Different names can give the same slug ("Login", "login"; "Größe", "Grüße"): a check's
/// folder comes from [`claim_folder`].
pub fn slug(s: &str) -> String {
    // In one pass (it is made for every check of every run): a run of `-` is kept as one, and
    // none at the start or the end; then the first 60 characters.
    let mut out = String::with_capacity(s.len().min(64));
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out.truncate(60); // all ASCII by now
    out
}

/// A folder for a check's artifacts that no other check of the suite has: its [`slug`], then
/// `-2`, `-3`, … for names that give a slug already taken (checks in file order, so the same
/// suite gives the same folders in every run). A folder never ends in `-attempt-N`: those are
/// a retried check's later attempts (`<folder>-attempt-2`).
pub fn claim_folder(taken: &mut std::collections::HashSet<String>, name: &str) -> String {
    let base = match slug(name) {
        s if s.is_empty() => "check".to_string(),
        s => s,
    };
    let (mut candidate, mut n) = (base.clone(), 1u64);
    while is_attempt_folder(&candidate) || taken.contains(&candidate) {
        n += 1;
        candidate = format!("{base}-{n}");
    }
    taken.insert(candidate.clone());
    candidate
}

fn is_attempt_folder(name: &str) -> bool {
    name.rsplit_once("-attempt-").is_some_and(|(_, n)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slug_is_lower_case_letters_and_digits_joined_by_single_dashes() {
        assert_eq!(slug("  Log in, then POST /api/v2!  "), "log-in-then-post-api-v2");
        assert_eq!(slug("--a--b--"), "a-b");
        assert_eq!(slug("Größe"), "gr-e");
        assert_eq!(slug("✓ ✓"), "");
        // The first 60 characters of the whole slug: a dash there is kept.
        let long = format!("{} b", "a".repeat(59));
        assert_eq!(slug(&long), format!("{}-", "a".repeat(59)));
        assert_eq!(slug(&"x".repeat(100)), "x".repeat(60));
    }

    #[test]
    fn names_that_share_a_slug_get_folders_of_their_own() {
        let mut taken: std::collections::HashSet<String> = ["setup".to_string(), "teardown".to_string()].into();
        let folders: Vec<String> =
            ["Login", "login", "log in", "login 2", "Größe", "Grüße", "Setup", "login attempt 2", "✓", "login"]
                .iter()
                .map(|n| claim_folder(&mut taken, n))
                .collect();
        assert_eq!(
            folders,
            [
                "login",
                "login-2",
                "log-in",
                "login-2-2",
                "gr-e",
                "gr-e-2",
                "setup-2",
                "login-attempt-2-2",
                "check",
                "login-3"
            ]
        );
    }
}
