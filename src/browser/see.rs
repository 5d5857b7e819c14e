//! Browser assertions: what the page shows, judged by the one judge, polled until it holds or
//! the wait is over.

use super::session::{Session, StepContext};
use super::{BrowserAssert, How, Subject, Target};
use crate::judge;
use crate::result::{Problem, ProblemType};
use fantoccini::Locator;
use serde_json::{Value as Json, json};
use std::fmt::Write as _;
use std::time::Duration;

/// Finds the first element of `arguments[0]` (`[selector, is XPath]` pairs) that is displayed
/// (it has a box, and is neither `visibility: hidden` nor fully transparent) and has text:
/// `["shown", selector, text]`, `["invalid", selector, why]`, or null.
const SHOWN_ERROR: &str = r#"
const all = (sel, xpath) => {
  if (!xpath) return Array.from(document.querySelectorAll(sel));
  const r = document.evaluate(sel, document, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
  const out = [];
  for (let i = 0; i < r.snapshotLength; i++) out.push(r.snapshotItem(i));
  return out;
};
const shown = el => {
  if (el.nodeType !== 1 || el.getClientRects().length === 0) return false;
  const st = getComputedStyle(el);
  return st.visibility !== 'hidden' && st.visibility !== 'collapse' && parseFloat(st.opacity) !== 0;
};
for (const [sel, xpath] of arguments[0]) {
  let els;
  try { els = all(sel, xpath); } catch (e) { return ['invalid', sel, String(e && e.message || e)]; }
  for (const el of els) {
    // innerText is what is rendered (hidden children excluded); textContent only where there
    // is no innerText (SVG).
    const raw = el.innerText !== undefined ? el.innerText : el.textContent;
    const text = (raw || '').replace(/\s+/g, ' ').trim();
    if (text && shown(el)) return ['shown', sel, text.slice(0, 4000)];
  }
}
return null;
"#;

/// Whether an assertion of the step looks at one of the error selectors' elements.
fn waits_on_an_error_element(asserts: &[BrowserAssert], error_selectors: &[Target]) -> bool {
    asserts.iter().any(|a| match &a.subject {
        Subject::Text(t) | Subject::Visible(t) | Subject::Count(t) | Subject::Attr(t, _) => {
            error_selectors.iter().any(|e| e.how == t.how && e.value == t.value)
        }
        Subject::PageText | Subject::Title | Subject::Url => false,
    })
}

/// The error text as a message quotes it: at most 300 characters, masked before it is cut so
/// that a secret cut in two does not show its start.
fn shown_text(text: &str, redactor: &crate::redact::Redactor) -> String {
    const MAX: usize = 300;
    let masked = redactor.redact(text);
    match masked.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", redactor.redact_cut(&masked[..at])),
        None => masked,
    }
}

impl Session {
    pub(super) async fn see(
        &self,
        asserts: &[BrowserAssert],
        wait: Duration,
        cx: &mut StepContext<'_>,
    ) -> Result<(), Problem> {
        let mut poll = crate::poll::Poll::new(wait);
        loop {
            // The browser's own error page is never the target's page: nothing on it is judged.
            let page = self.check_not_error_page(None).await?;
            let mut observed = Vec::with_capacity(asserts.len());
            for a in asserts {
                // An element that went stale mid-read (the page is changing) is "not yet".
                observed.push(match self.observe(&a.subject).await {
                    Ok(v) => v,
                    Err(p) if p.type_ == ProblemType::Element => None,
                    Err(p) => return Err(p),
                });
            }
            let verdict = judge::judge_page(asserts, &observed, cx.captures);
            // A page still loading could hold a negative assertion ("no error banner") only
            // because the banner has not arrived yet: a `see` holds on a loaded page.
            if verdict.findings.is_empty() && page.complete {
                for l in &verdict.log {
                    let _ = writeln!(cx.log, "{l}");
                }
                return Ok(());
            }
            // The application already says it failed: waiting longer only costs time. Not when
            // the step waits on an error element itself (`see: { selector: .error, visible:
            // false }` after correcting a field): that is for the step to judge.
            if !verdict.findings.is_empty()
                && !waits_on_an_error_element(asserts, &cx.suite.browser.error_selectors)
                && let Some((selector, text)) = self.shown_error(&cx.suite.browser.error_selectors).await?
            {
                let text = shown_text(&text, cx.redactor);
                let mut p = Problem::failure(
                    ProblemType::Assertion,
                    format!("the page shows an error (`{selector}`): \"{text}\""),
                );
                p.line = verdict.findings.first().map(|f| f.line);
                p.notes = verdict
                    .findings
                    .iter()
                    .map(|f| format!("while waiting for {}: expected {}, got {}", f.subject, f.expected, f.actual))
                    .collect();
                p.page = self.page_url().await;
                return Err(p);
            }
            if !poll.next().await {
                if verdict.findings.is_empty() {
                    let why = format!(
                        "the page did not finish loading within {}, so it could not be judged",
                        crate::duration::human(wait)
                    );
                    let mut p = Problem::error(ProblemType::Timeout, why);
                    p.page = self.page_url().await;
                    return Err(p);
                }
                let mut p = Problem::findings(verdict.findings);
                p.waited = Some(wait);
                p.page = self.page_url().await;
                return Err(p);
            }
        }
    }

    /// The first of the suite's error selectors that matches an element displayed with text:
    /// the selector and the text (at most 4,000 characters). One script call for them all.
    async fn shown_error(&self, selectors: &[Target]) -> Result<Option<(String, String)>, Problem> {
        if selectors.is_empty() {
            return Ok(None);
        }
        let list: Vec<Json> = selectors.iter().map(|t| json!([t.value, t.how == How::XPath])).collect();
        let v =
            self.wd("look for an error on the page", self.client.execute(SHOWN_ERROR, vec![Json::Array(list)])).await?;
        let field = |i: usize| v.get(i).and_then(Json::as_str).map(str::to_string);
        match (field(0).as_deref(), field(1), field(2)) {
            (Some("shown"), Some(selector), Some(text)) => {
                let shown = selectors.iter().find(|t| t.value == selector).map_or(selector, |t| t.to_string());
                Ok(Some((shown, text)))
            }
            (Some("invalid"), Some(selector), Some(why)) => Err(Problem::error(
                ProblemType::Element,
                format!("the error selector `{selector}` is not a valid selector: {why}"),
            )),
            _ => Ok(None),
        }
    }

    /// The current value of what an assertion looks at; `None` when there is nothing.
    pub(super) async fn observe(&self, s: &Subject) -> Result<Option<Json>, Problem> {
        Ok(match s {
            Subject::Text(t) => match self.client_find_first(t).await? {
                Some(el) => Some(Json::String(judge::normalize_ws(&self.wd("text", el.text()).await?))),
                None => None,
            },
            Subject::Visible(t) => {
                let mut visible = false;
                for el in self.wd("find element", self.client.find_all(Self::locator(t))).await? {
                    // An element gone stale is an `element` problem: "not yet" to the caller.
                    // Any other failure to read it is no answer at all, never "hidden".
                    if self.wd("is displayed", el.is_displayed()).await? {
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
}
