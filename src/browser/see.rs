//! Browser assertions: what the page shows, judged by the one judge, polled until it holds or
//! the wait is over.

use super::session::{PageState, Session, StepContext};
use super::{BrowserAssert, How, Subject, Target};
use crate::judge;
use crate::result::{Problem, ProblemType};
use fantoccini::Locator;
use serde_json::{Value as Json, json};
use std::time::Duration;

use super::bidi::ELEMENT_KEY;

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

/// [`super::session::PAGE_STATE`]'s three items, then the first element each CSS selector of
/// `arguments[0]` matches, in one call: null when none does, `false` when the selector threw
/// (that one is then looked up with WebDriver, which says why).
const PAGE_STATE_AND_FIRST: &str = "var e = document.querySelector('.error-code');
var found = arguments[0].map(function (s) { try { return document.querySelector(s); } catch (x) { return false; } });
return [String(document.documentURI), String(document.readyState), e ? String(e.textContent) : '', found];";

/// What a poll found before reading the elements: the first match of a subject's CSS selector,
/// when it was looked up with the page's state.
enum Found {
    /// Not looked up: WebDriver finds it.
    Ask,
    Nothing,
    Element(fantoccini::elements::Element),
}

/// The CSS selector an assertion's element is found by, when it is found with the page state.
fn first_of(s: &Subject) -> Option<&str> {
    match s {
        Subject::Text(t) | Subject::Attr(t, _) if t.how == How::Css => Some(&t.value),
        _ => None,
    }
}

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
            let (state, found) = self.state_and_first(asserts).await?;
            let page = self.not_error_page(state, None).await?;
            let mut observed = Vec::with_capacity(asserts.len());
            for (a, found) in asserts.iter().zip(found) {
                // An element that went stale mid-read (the page is changing) is "not yet".
                observed.push(match self.observe_found(&a.subject, found).await {
                    Ok(v) => v,
                    Err(p) if p.type_ == ProblemType::Element => None,
                    Err(p) => return Err(p),
                });
            }
            let verdict = judge::judge_page(asserts, &observed, cx.captures);
            // A page still loading could hold a negative assertion ("no error banner") only
            // because the banner has not arrived yet: a `see` holds on a loaded page.
            if verdict.findings.is_empty() && page.complete {
                cx.log.push_str(&verdict.log);
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
        let v = self.script("look for an error on the page", SHOWN_ERROR, vec![Json::Array(list)]).await?;
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

    /// The page's state, and for each assertion (one each, in order) the first element its CSS
    /// selector matches (one script for both); the state alone when no assertion reads an
    /// element by CSS.
    async fn state_and_first(&self, asserts: &[BrowserAssert]) -> Result<(PageState, Vec<Found>), Problem> {
        let css: Vec<&str> = asserts.iter().filter_map(|a| first_of(&a.subject)).collect();
        if css.is_empty() {
            return Ok((self.page_state().await?, asserts.iter().map(|_| Found::Ask).collect()));
        }
        let v = self.script("read the page", PAGE_STATE_AND_FIRST, vec![json!(css)]).await?;
        let state = PageState::read(&v);
        let mut elements = v.get(3).and_then(Json::as_array).cloned().unwrap_or_default().into_iter();
        let found = asserts
            .iter()
            .map(|a| {
                if first_of(&a.subject).is_none() {
                    return Found::Ask;
                }
                match elements.next() {
                    Some(Json::Null) => Found::Nothing,
                    Some(e) => match e.get(ELEMENT_KEY).and_then(Json::as_str) {
                        Some(id) => Found::Element(self.element(id)),
                        None => Found::Ask,
                    },
                    None => Found::Ask,
                }
            })
            .collect();
        Ok((state, found))
    }

    /// [`Session::observe`] with the element already found, when it was.
    async fn observe_found(&self, s: &Subject, found: Found) -> Result<Option<Json>, Problem> {
        match (s, found) {
            (Subject::Text(_) | Subject::Attr(..), Found::Nothing) => Ok(None),
            (Subject::Text(_), Found::Element(el)) => {
                Ok(Some(Json::String(judge::normalize_ws(&self.wd("text", el.text()).await?))))
            }
            (Subject::Attr(_, a), Found::Element(el)) => Ok(self.wd("attribute", el.attr(a)).await?.map(Json::String)),
            (s, _) => self.observe(s).await,
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
                for el in self.find_all(t).await? {
                    // An element gone stale is an `element` problem: "not yet" to the caller.
                    // Any other failure to read it is no answer at all, never "hidden".
                    if self.wd("is displayed", el.is_displayed()).await? {
                        visible = true;
                        break;
                    }
                }
                Some(Json::Bool(visible))
            }
            Subject::Count(t) => Some(Json::from(self.find_all(t).await?.len())),
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
