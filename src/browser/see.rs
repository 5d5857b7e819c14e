//! Browser assertions: what the page shows, judged by the one judge, polled until it holds or
//! the wait is over.

use super::session::{Session, StepContext};
use super::{BrowserAssert, Subject};
use crate::judge;
use crate::result::{Problem, ProblemType};
use fantoccini::Locator;
use serde_json::Value as Json;
use std::fmt::Write as _;
use std::time::Duration;

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
