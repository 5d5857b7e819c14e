//! Eyes on the console and the network, from the session's WebDriver BiDi events: console
//! errors and uncaught exceptions (`no_console_errors`), failed requests
//! (`no_failed_requests`), the status of the document a `goto` landed on, and the network log
//! of a failed check (`network.har`). A session without BiDi (a remote WebDriver, a driver
//! that offers none) has no eyes: `no_console_errors` then reads Chromium's `/se/log`, and
//! what only the events can tell is an `unsupported` error, never a pass.

use super::bidi::Bidi;
use super::journal::{Failed, Scope};
use super::session::{Session, StepContext};
use crate::redact::Redactor;
use crate::result::{Problem, ProblemType};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a step waits for the browser's events to catch up: a document's response after
/// its page has loaded, requests under way before `no_failed_requests` judges them.
const CATCH_UP: Duration = Duration::from_secs(2);

/// How many console errors or failed requests a failure lists (the message gives the count).
const LISTED: usize = 50;

/// A session's BiDi connection and where each step that reads it got to.
pub(super) struct Eyes {
    pub bidi: Arc<Bidi>,
    pub scope: Scope,
    /// The event up to which `no_console_errors` has looked (it judges what came after).
    console_mark: u64,
    /// The same for `no_failed_requests`.
    network_mark: u64,
    /// The request ids of documents a `goto` with `status:` expected: not failures.
    accepted: Vec<String>,
    /// The check's tab, once asked for (a page's popups do not change it): every `goto` and
    /// every console or network step needs it, and asking the driver costs a round trip.
    tab: std::sync::OnceLock<String>,
}

impl Eyes {
    /// Eyes on `bidi` for a check that starts now: what its journal holds so far is not the
    /// check's.
    pub fn new(bidi: Arc<Bidi>, scope: Scope) -> Eyes {
        let start = bidi.journal.lock().map(|j| j.seq()).unwrap_or(0);
        let tab = std::sync::OnceLock::new();
        if let Some(t) = &scope.tab {
            let _ = tab.set(t.clone());
        }
        Eyes { bidi, scope, console_mark: start, network_mark: start, accepted: Vec::new(), tab }
    }

    fn seq(&self) -> u64 {
        self.bidi.journal.lock().map(|j| j.seq()).unwrap_or(0)
    }
}

fn unsupported(what: &str) -> Problem {
    let why = format!(
        "{what} needs WebDriver BiDi, which this browser session does not have (a remote WebDriver, or a driver without it); shakedown asks for it on local Chromium and Firefox sessions"
    );
    Problem::error(ProblemType::Unsupported, why)
}

/// A request the browser cancelled itself (a newer navigation, a closed page): Chromium's
/// `net::ERR_ABORTED`, Firefox's `NS_BINDING_ABORTED`.
fn aborted(error: &str) -> bool {
    error.contains("ERR_ABORTED") || error.contains("NS_BINDING_ABORTED")
}

fn lost_connection() -> Problem {
    Problem::error(ProblemType::Browser, "the browser's BiDi connection closed, so its events cannot be read")
}

impl Session {
    /// Whether the session sees the browser's events.
    pub(super) fn has_eyes(&self) -> bool {
        self.eyes.is_some()
    }

    /// The event number before a navigation, to find its document after it.
    pub(super) fn event_mark(&self) -> u64 {
        self.eyes.as_ref().map(Eyes::seq).unwrap_or(0)
    }

    /// Waits until what the page did so far has reached the journal.
    async fn settle(&self, eyes: &Eyes) {
        if let Ok(tab) = self.tab(eyes).await {
            eyes.bidi.settle(&tab, CATCH_UP).await;
        }
    }

    /// The check's tab: the kept browser's context it was given, or the session's window
    /// (which in Chromium and Firefox is the tab's BiDi browsing context id).
    pub(super) async fn tab(&self, eyes: &Eyes) -> Result<String, Problem> {
        if let Some(t) = eyes.tab.get() {
            return Ok(t.clone());
        }
        let t = String::from(self.wd("current window", self.client.window()).await?);
        Ok(eyes.tab.get_or_init(|| t).clone())
    }

    /// The document a navigation after event `mark` landed on (the final one after
    /// redirects), once it has ended; `None` when the browser has not said within a moment,
    /// even after one more round trip to it (a page with no document request of its own, such
    /// as a change of `#fragment`). An error when the page cannot be judged: the BiDi
    /// connection closed, requests of this navigation may have been let go (over the
    /// journal's limit), or its request was seen and its answer did not come within the
    /// command timeout (the page has loaded, so the answer is only late: on a busy machine
    /// the events can lag by seconds, and a page whose status is not known never passes as
    /// one that answered well).
    async fn document_after(&self, eyes: &Eyes, mark: u64) -> Result<Option<super::journal::Request>, Problem> {
        let tab = self.tab(eyes).await?;
        let start = Instant::now();
        let deadline = start + CATCH_UP;
        let mut asked_again = false;
        loop {
            let (found, dropped) = match eyes.bidi.journal.lock() {
                Ok(j) => (j.document(&eyes.scope, mark, &tab).cloned(), j.requests_dropped_at > mark),
                Err(_) => return Err(Problem::error(ProblemType::Internal, "the network journal is unreadable")),
            };
            match found {
                // A redirect's answer is not the page: the browser goes on to the next hop,
                // whose events may not have come yet.
                Some(d) if d.error.is_some() || d.response.as_ref().is_some_and(|r| !r.is_redirect()) => {
                    return Ok(Some(d));
                }
                _ if eyes.bidi.is_closed() => return Err(lost_connection()),
                _ if dropped => {
                    let why =
                        "the page made more requests than the network journal keeps, so its status cannot be judged";
                    return Err(Problem::error(ProblemType::Browser, why));
                }
                Some(d) if start.elapsed() >= self.cmd_timeout.max(CATCH_UP) => {
                    let why = format!(
                        "the browser said it requested {} but not what it answered within {}, so the page's status cannot be judged",
                        d.url,
                        crate::duration::human(self.cmd_timeout.max(CATCH_UP))
                    );
                    return Err(Problem::error(ProblemType::Browser, why));
                }
                None if Instant::now() >= deadline && !asked_again => {
                    // Events sent before the answer to a command come before it.
                    eyes.bidi.settle(&tab, CATCH_UP).await;
                    asked_again = true;
                }
                None if Instant::now() >= deadline => return Ok(None),
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// Judges the document a navigation after event `mark` landed on: a status of 400 or more
    /// fails, unless it is the `expected` one; with an `expected` status, any other fails.
    /// Without eyes, an `expected` status is an error.
    pub(super) async fn check_document(
        &mut self,
        mark: u64,
        expected: Option<u16>,
        log: &mut String,
    ) -> Result<(), Problem> {
        let Some(eyes) = &self.eyes else {
            return match expected {
                Some(_) => Err(unsupported("`goto` with `status`")),
                None => Ok(()),
            };
        };
        let doc = self.document_after(eyes, mark).await?;
        // A document that failed to load (not one the browser cancelled for a newer
        // navigation) is not a page that passed.
        if let Some(d) = &doc
            && d.response.is_none()
            && let Some(e) = d.error.as_deref().filter(|e| !aborted(e))
        {
            return Err(Problem::failure(ProblemType::Assertion, format!("the page {} did not load: {e}", d.url)));
        }
        let status = doc.as_ref().and_then(|d| d.response.as_ref()).map(|r| (r.status, r.status_text.clone()));
        let (Some(doc), Some((status, text))) = (doc, status) else {
            let _ = writeln!(log, "  the browser did not say which status the page answered");
            return match expected {
                Some(n) => Err(Problem::error(
                    ProblemType::Browser,
                    format!(
                        "the browser did not say which status the page answered, so `status: {n}` cannot be judged"
                    ),
                )),
                None => Ok(()),
            };
        };
        let shown = format!("{status} {text}").trim_end().to_string();
        match expected {
            Some(n) if n == status => {
                let _ = writeln!(log, "  ✓ page status {shown}");
                if let Some(e) = self.eyes.as_mut() {
                    e.accepted.push(doc.id);
                }
                Ok(())
            }
            Some(n) => Err(Problem::failure(
                ProblemType::Assertion,
                format!("the page {} answered {shown}, not the expected {n}", doc.url),
            )),
            None if status >= 400 => Err(Problem::failure(
                ProblemType::Assertion,
                format!(
                    "the page {} answered {shown}; a `goto` fails on a status of 400 or more (write `goto: {{ url: …, status: {status} }}` if that is the page you mean)",
                    doc.url
                ),
            )),
            None => {
                let _ = writeln!(log, "  ✓ page status {shown}");
                Ok(())
            }
        }
    }

    /// `no_console_errors` from the events: console errors and uncaught exceptions since the
    /// last such step (or the start of the check).
    pub(super) async fn console_errors_seen(&mut self) -> Result<(), Problem> {
        let Some(eyes) = &self.eyes else { return Err(unsupported("reading the console")) };
        if eyes.bidi.is_closed() {
            return Err(lost_connection());
        }
        self.settle(eyes).await;
        let (found, lost, seq) = match eyes.bidi.journal.lock() {
            Ok(j) => {
                let (found, lost) = j.errors(&eyes.scope, eyes.console_mark);
                (found, lost, j.seq())
            }
            Err(_) => return Err(Problem::error(ProblemType::Internal, "the console journal is unreadable")),
        };
        if let Some(e) = self.eyes.as_mut() {
            e.console_mark = seq;
        }
        let errors: Vec<String> = found
            .iter()
            .map(|e| if e.kind == "javascript" { format!("uncaught: {}", e.text) } else { e.text.clone() })
            .collect();
        let Some(first) = errors.first() else {
            // The connection may have closed while the journal was being caught up: what it
            // holds is then not all the page did.
            if self.eyes.as_ref().is_some_and(|e| e.bidi.is_closed()) {
                return Err(lost_connection());
            }
            if lost {
                let why = "the browser logged more errors than shakedown keeps, so the console cannot be judged clean";
                return Err(Problem::failure(ProblemType::Console, why));
            }
            return Ok(());
        };
        let message = format!("the browser console has {} error(s); first: {first}", errors.len());
        let mut p = Problem::failure(ProblemType::Console, message);
        p.notes = listed(errors);
        Err(p)
    }

    /// `no_failed_requests`: no request of the check's pages failed (a status of 400 or more,
    /// or no response) since the last such step, or the start of the check, except those
    /// `allow` matches. Requests still under way are waited for, for a moment.
    pub(super) async fn no_failed_requests(
        &mut self,
        allow: &[String],
        cx: &mut StepContext<'_>,
    ) -> Result<(), Problem> {
        let _ = writeln!(cx.log, "→ no failed requests");
        let Some(eyes) = &self.eyes else { return Err(unsupported("`no_failed_requests`")) };
        if eyes.bidi.is_closed() {
            return Err(lost_connection());
        }
        self.settle(eyes).await;
        let deadline = Instant::now() + CATCH_UP;
        let unreadable = || Problem::error(ProblemType::Internal, "the network journal is unreadable");
        let (found, lost, seq) = loop {
            let read = {
                let j = eyes.bidi.journal.lock().map_err(|_| unreadable())?;
                let under_way = j.under_way(&eyes.scope, eyes.network_mark);
                (under_way == 0 || Instant::now() >= deadline).then(|| {
                    let (found, lost) = j.failures(&eyes.scope, eyes.network_mark);
                    (found, lost, j.seq(), under_way)
                })
            };
            if let Some((found, lost, seq, under_way)) = read {
                if under_way > 0 {
                    let _ = writeln!(cx.log, "  {under_way} request(s) still under way are not judged");
                }
                break (found, lost, seq);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        // A request that answered 4xx and then also failed is one failure, listed once.
        let mut listed_ids = std::collections::HashSet::new();
        let failed: Vec<&Failed> = found
            .iter()
            .filter(|f| !f.error.as_deref().is_some_and(aborted))
            .filter(|f| !eyes.accepted.contains(&f.id))
            .filter(|f| !allow.iter().any(|p| crate::judge::url_allowed(p, &f.url)))
            .filter(|f| f.id.is_empty() || listed_ids.insert(f.id.clone()))
            .collect();
        let closed = eyes.bidi.is_closed();
        if let Some(e) = self.eyes.as_mut() {
            e.network_mark = seq;
        }
        // Closed while the journal was being caught up: it may not hold all the page did.
        if failed.is_empty() && closed {
            return Err(lost_connection());
        }
        judge_failed(&failed, lost)
    }

    /// On failure: the check's network log as `network.har`, secrets masked.
    pub(super) fn save_har(&self, dir: &Path, redactor: &Redactor) -> Option<PathBuf> {
        let eyes = self.eyes.as_ref()?;
        // A copy is taken under the lock and the HAR (masking every value) built outside it, so
        // the reader of the browser's events is not held up meanwhile.
        let (requests, dropped) = {
            let j = eyes.bidi.journal.lock().ok()?;
            (j.requests_in(&eyes.scope).cloned().collect::<Vec<_>>(), j.requests_dropped)
        };
        let doc = super::har::har(requests.iter(), dropped, redactor);
        let text = serde_json::to_string_pretty(&doc).ok()?;
        let path = dir.join("network.har");
        std::fs::write(&path, redactor.redact(&text)).ok()?;
        Some(path)
    }
}

/// The failure for the requests that failed, if any did (or may have: some were let go).
fn judge_failed(failed: &[&Failed], lost: bool) -> Result<(), Problem> {
    let Some(first) = failed.first() else {
        if lost {
            let why = "more requests failed than shakedown keeps, so the network cannot be judged clean";
            return Err(Problem::failure(ProblemType::Network, why));
        }
        return Ok(());
    };
    let message = format!("{} request(s) failed; first: {}", failed.len(), first.describe());
    let mut p = Problem::failure(ProblemType::Network, message);
    p.notes = listed(failed.iter().map(|f| f.describe()).collect());
    Err(p)
}

/// At most [`LISTED`] of them, and how many more there were.
fn listed(mut all: Vec<String>) -> Vec<String> {
    if all.len() > LISTED {
        let more = all.len() - LISTED;
        all.truncate(LISTED);
        all.push(format!("… and {more} more"));
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(i: usize) -> Failed {
        Failed {
            seq: i as u64,
            context: None,
            id: i.to_string(),
            method: "GET".into(),
            url: format!("http://h/{i}"),
            status: Some(404),
            status_text: "Not Found".into(),
            error: None,
        }
    }

    #[test]
    fn failed_requests_are_quoted_listed_and_never_lost_into_a_pass() {
        assert!(judge_failed(&[], false).is_ok());
        let lost = judge_failed(&[], true).expect_err("failures let go must not pass");
        assert_eq!(lost.type_, ProblemType::Network);
        let many: Vec<Failed> = (0..60).map(failed).collect();
        let refs: Vec<&Failed> = many.iter().collect();
        let p = judge_failed(&refs, false).expect_err("failures fail");
        assert_eq!(p.message, "60 request(s) failed; first: GET http://h/0 → 404 Not Found");
        assert_eq!(p.notes.len(), LISTED + 1);
        assert_eq!(p.notes.last().map(String::as_str), Some("… and 10 more"));
    }
}
